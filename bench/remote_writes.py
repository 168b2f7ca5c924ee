"""Writes to a remote configuration repository over a real git daemon on loopback.

Measures, for a repository seeded with the default registrations plus SEED
users: the latency of one write through a cached clone (apply, validate,
commit, push), the cost of a refresh with nothing new, and the throughput of
1, 2 and 4 writer processes on separate clones racing for the same branch.
Each figure is the best of ``--repeat`` runs (the machine is shared).

    python bench/remote_writes.py [--writes 20] [--repeat 3] [--seed 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gitdaemon import GitDaemon  # noqa: E402

from gitstore.defaults import initial_files  # noqa: E402
from gitstore.remote import RemoteClone  # noqa: E402

WRITER = """
import sys, time
from pathlib import Path
from gitstore.remote import RemoteClone
url, cache, prefix, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
clone = RemoteClone.open(url, cache=cache, attempts=100)
sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
for i in range(count):
    def add(root, name=f"{prefix}-{i}"):
        (root / "users" / f"{name}.yaml").write_text(f"email: {name}@example.com\\n")
        return [f"users/{name}.yaml"]
    clone.write(add, f"add user {prefix}-{i}")
"""


def put(files: dict[str, str]):  # type: ignore[no-untyped-def]
    def operation(root: Path) -> list[str]:
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return list(files)
    return operation


def seeded(daemon: GitDaemon, work: Path, seed: int) -> str:
    _, url = daemon.new_repo()
    files = dict(initial_files())
    files.update({f"users/seed{n}.yaml": f"email: seed{n}@example.com\n" for n in range(seed)})
    RemoteClone.open(url, cache=work / "seed").write(put(files), "seed")
    return url


def single_writer(url: str, cache: Path, writes: int) -> tuple[float, float]:
    clone = RemoteClone.open(url, cache=cache)
    times = []
    for n in range(writes):
        name = f"solo{time.monotonic_ns()}-{n}"
        started = time.perf_counter()
        clone.write(put({f"users/{name}.yaml": f"email: {name}@example.com\n"}), f"add {name}")
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    clone.refresh()
    return statistics.median(times), time.perf_counter() - started


def store_writes(url: str, cache: Path, writes: int) -> float:
    """Median latency of ``create_user`` through ``GitZenStore`` on the remote."""
    os.environ["XDG_CACHE_HOME"] = str(cache)
    from gitstore import GitZenStore

    store = GitZenStore().initialize(url)
    times = []
    for n in range(writes):
        started = time.perf_counter()
        store.create_user(f"lib{time.monotonic_ns()}-{n}")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def racing_writers(url: str, work: Path, procs: int, writes: int) -> float:
    tag = time.monotonic_ns()
    children = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(work / f"w{tag}-{p}"),
                                  f"p{tag}-{p}", str(writes)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for p in range(procs)]
    for child in children:  # every clone made before the clock starts
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    started = time.perf_counter()
    for child in children:
        child.communicate("go\n", timeout=600)
        assert child.returncode == 0
    return procs * writes / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for sub in ("served", "home", "cache"):
            (work / sub).mkdir()
        os.environ.update({"HOME": str(work / "home"), "GIT_CONFIG_NOSYSTEM": "1",
                           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "Bench",
                           "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
                           "GIT_COMMITTER_EMAIL": "bench@example.com"})
        daemon = GitDaemon(work / "served", work / "home")
        daemon.start()
        try:
            url = seeded(daemon, work, args.seed)
            solo = [single_writer(url, work / "cache", args.writes) for _ in range(args.repeat)]
            print(f"one write (median of {args.writes}), best of {args.repeat}: "
                  f"{min(s[0] for s in solo) * 1000:.0f} ms")
            print(f"refresh with nothing new, best of {args.repeat}: "
                  f"{min(s[1] for s in solo) * 1000:.0f} ms")
            lib = [store_writes(url, work / "store-cache", args.writes)
                   for _ in range(args.repeat)]
            print(f"GitZenStore.create_user (median of {args.writes}), best of {args.repeat}: "
                  f"{min(lib) * 1000:.0f} ms")
            for procs in (1, 2, 4):
                rates = [racing_writers(url, work, procs, args.writes)
                         for _ in range(args.repeat)]
                print(f"{procs} writer process(es) x {args.writes} writes: "
                      f"{max(rates):.1f} writes/s (best of {args.repeat})")
        finally:
            daemon.stop()


if __name__ == "__main__":
    main()
