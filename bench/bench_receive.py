"""Benchmark: the pre-receive hook on a 10,000-file configuration repository.

Builds the repository (or reuses one from an earlier run), makes a bare clone
with the hook installed, then times the hook process itself (the installed
``hooks/pre-receive`` script, as git would run it) for a push that changes a
few files: with no cache at all, with the cache that ``hooks install
--server`` leaves, and again warm; then the next push, changing one file, to
the server that has seen those pushes, and a push it rejects. Best and median
of several runs (the machine is shared; numbers are noisy).

    python bench/bench_receive.py [--files 10000] [--runs 5] [--dir /tmp/gitstore-bench-receive]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import Generated, build_files, generate  # noqa: E402


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          input=input).stdout.decode().strip()


def setup(base: Path, files: int) -> tuple[Path, Path, Generated]:
    """The generated repository (kept between runs) and a fresh bare clone with the hook."""
    work, bare = base / "work", base / "server.git"
    if (work / ".git").exists():
        gen = build_files(files)
    else:
        base.mkdir(parents=True, exist_ok=True)
        gen = generate(work, files)
    shutil.rmtree(bare, ignore_errors=True)
    git(base, "clone", "-q", "--bare", str(work), str(bare))
    gitstore("hooks", "install", "--server", str(bare))
    return work, bare, gen


def gitstore(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gitstore", *args], check=True, capture_output=True)


def change(work: Path, gen: Generated, round_: int) -> tuple[str, str]:
    """Edit two components and a stack, add a user; return (old, new)."""
    old = git(work, "rev-parse", "HEAD")
    token = f"{round_}-{time.time_ns()}"
    (type_a, comp_a), (type_b, comp_b) = gen.components[1], gen.components[2]
    for rel in (f"components/{type_a}/{comp_a}.yaml", f"components/{type_b}/{comp_b}.yaml",
                f"stacks/{gen.stacks[3]}.yaml"):
        with open(work / rel, "a") as fh:
            fh.write(f"# edited {token}\n")
    (work / f"users/bench-{token}.yaml").write_text(f"email: bench-{token}@example.com\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"round {round_}")
    return old, git(work, "rev-parse", "HEAD")


def one_file_change(work: Path, gen: Generated, round_: int) -> str:
    """Edit one component (as the next push to a server that has seen pushes brings)."""
    type_, name = gen.components[4 + round_ % 7]
    with open(work / f"components/{type_}/{name}.yaml", "a") as fh:
        fh.write(f"# next {round_}-{time.time_ns()}\n")
    git(work, "commit", "-q", "-am", f"one file, round {round_}")
    return git(work, "rev-parse", "HEAD")


def breaking_change(work: Path, gen: Generated) -> str:
    """Delete a component a stack uses: the push must be rejected."""
    stack = yaml.safe_load((work / f"stacks/{gen.stacks[5]}.yaml").read_text())
    type_, name = next(iter(stack["components"].items()))
    (work / f"components/{type_}/{name}.yaml").unlink()
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "drop a used component")
    return git(work, "rev-parse", "HEAD")


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_hook(bare: Path, old: str, new: str, expect: int = 0) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one hook process (with the git processes it starts)."""
    line = f"{old} {new} refs/heads/main\n".encode()
    cpu = cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.run([str(bare / "hooks/pre-receive")], cwd=bare, input=line,
                          capture_output=True, env={**os.environ, "GIT_DIR": "."})
    elapsed = time.perf_counter() - start
    assert proc.returncode == expect, proc.stderr.decode()
    return elapsed, cpu_of_children() - cpu, proc.stderr.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/gitstore-bench-receive"))
    opts = parser.parse_args()
    work, bare, gen = setup(opts.dir, opts.files)
    count = int(git(work, "ls-files", "--", ".").count("\n")) + 1
    results: dict[str, list[tuple[float, float]]] = {
        "no cache": [], "after install": [], "warm": [], "next push": [], "rejected, warm": []}
    last = ""
    for round_ in range(opts.runs):
        old, new = change(work, gen, round_)
        # objects only; no branch moves
        git(work, "push", "-q", str(bare), "+HEAD:refs/bench/incoming")
        cache = bare / "gitstore"
        shutil.rmtree(cache)
        results["no cache"].append(time_hook(bare, old, new)[:2])
        shutil.rmtree(cache, ignore_errors=True)
        gitstore("hooks", "install", "--server", "--force", str(bare))
        results["after install"].append(time_hook(bare, old, new)[:2])
        *seconds, last = time_hook(bare, old, new)
        results["warm"].append((seconds[0], seconds[1]))
        git(bare, "update-ref", "refs/heads/main", new)
        following = one_file_change(work, gen, round_)
        git(work, "push", "-q", str(bare), "+HEAD:refs/bench/incoming")
        results["next push"].append(time_hook(bare, new, following)[:2])
        git(bare, "update-ref", "refs/heads/main", following)
        broken = breaking_change(work, gen)
        git(work, "push", "-q", str(bare), "+HEAD:refs/bench/incoming")
        results["rejected, warm"].append(time_hook(bare, following, broken, expect=1)[:2])
        git(work, "reset", "-q", "--hard", following)
    print(f"{count} files; push changing 3 files and adding 1, the same push again (warm), "
          f"then the next push changing 1 file (rejected: deleting 1 used component); hook "
          f"process time, best (median) of {opts.runs} runs; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  {'':14s} {'wall best':>9s} {'median':>7s}   {'CPU best':>8s} {'median':>7s}")
    for name, pairs in results.items():
        walls, cpus = sorted(p[0] for p in pairs), sorted(p[1] for p in pairs)
        mid = len(pairs) // 2
        print(f"  {name:14s} {walls[0]:8.3f}s {walls[mid]:6.3f}s   "
              f"{cpus[0]:7.3f}s {cpus[mid]:6.3f}s")
    print(f"  hook output: {last}")


if __name__ == "__main__":
    main()
