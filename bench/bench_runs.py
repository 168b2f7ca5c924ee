"""Benchmark: recording pipeline runs.

Measures (each as the best and the median of several samples, because the
machine is shared and numbers are noisy):

* the time to record one run (library call, in process) after 100 runs and
  after 10,000 runs on the branch — the cost must not grow with history;
* one ``gitstore run record`` from the shell (process start included);
* runs per second for 1 and for 4 concurrent writer processes.

History is built by recording every run for real (``--seed record``, the
default) or, faster, by writing the same records, index entries and
one-commit-per-run history with ``git fast-import`` (``--seed fast-import``).

Short and long histories are measured in turn (one record in each, repeated),
so both see the same load from the other users of the machine.

Usage: python bench/bench_runs.py [--runs 10000] [--seed record|fast-import] [--samples 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper
from gitstore.runs import record_run
from gitstore.runs.layout import index_path, record_path

GITSTORE = str(Path(sys.executable).parent / "gitstore")
WRITER = """
import sys, time, uuid
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper
from gitstore.runs import record_run
repo, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
start = time.time()
for i in range(count):
    record_run(repo, PipelineRunWrapper(
        name=f"{prefix}-{i}", pipeline=PipelineWrapper(name="load"),
        stack=StackWrapper(name="default"), user_id=uuid.uuid4()))
print(start, time.time())
"""


def a_run(name: str) -> PipelineRunWrapper:
    return PipelineRunWrapper(name=name, pipeline=PipelineWrapper(name="train"),
                              stack=StackWrapper(name="default"), user_id=uuid.uuid4())


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True,
                          check=True).stdout.decode()


def timed_records(repo: Path, first: int, count: int) -> list[float]:
    samples = []
    for n in range(first, first + count):
        start = time.perf_counter()
        record_run(repo, a_run(f"run-{n}"))
        samples.append(time.perf_counter() - start)
    return samples


def seed_fast_import(repo: Path, first: int, last: int) -> None:
    """Add runs first..last-1 as real-looking records, one commit each, with fast-import."""
    template = git(repo, "show", f"gitstore/runs:{record_path('train', 'run-0')}")
    tip = git(repo, "rev-parse", "gitstore/runs").strip()
    chunks = []
    for n in range(first, last):
        name = f"run-{n}"
        body = template.replace("name: run-0\n", f"name: {name}\n", 1).encode()
        path = record_path("train", name)
        msg = f"Record run {name} of pipeline train\n".encode()
        parent = f"from {tip}\n" if n == first else ""
        chunks.append(
            b"commit refs/heads/gitstore/runs\n"
            b"committer Bench <bench@example.com> 1700000000 +0000\n"
            + b"data %d\n%s" % (len(msg), msg) + parent.encode()
            + b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(body), body)
            + b"M 100644 inline %s\ndata %d\n%s\n\n" % (index_path(name).encode(),
                                                         len(path) + 1, path.encode() + b"\n"))
    git(repo, "fast-import", "--quiet", "--force", data=b"".join(chunks))


def seed(repo: Path, first: int, last: int, how: str) -> None:
    if how == "fast-import":
        seed_fast_import(repo, first, last)
    else:
        for n in range(first, last):
            record_run(repo, a_run(f"run-{n}"))


def throughput(repo: Path, writers: int, per_writer: int, tag: str) -> float:
    """Runs per second of ``writers`` processes recording at once (their start-up excluded)."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(repo), f"w{tag}x{n}",
                               str(per_writer)], stdout=subprocess.PIPE, text=True)
             for n in range(writers)]
    spans = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit("a writer failed")
        spans.append([float(x) for x in out.split()])
    return writers * per_writer / (max(e for _, e in spans) - min(s for s, _ in spans))


def cli_record(repo: Path, samples: int) -> list[float]:
    times = []
    for n in range(samples):
        start = time.perf_counter()
        subprocess.run([GITSTORE, "run", "record", "--pipeline", "cli", "--name", f"cli-{n}",
                        "--stack", "default"], cwd=repo, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def ms(samples: list[float]) -> str:
    return f"best {min(samples) * 1000:.1f} ms, median {statistics.median(samples) * 1000:.1f} ms"


def new_repo(parent: Path, name: str) -> Path:
    repo = parent / name
    subprocess.run([GITSTORE, "init", str(repo)], check=True, capture_output=True)
    return repo


def interleaved(small: Path, big: Path, first: int, count: int) -> tuple[list[float], list[float]]:
    """Record in the short and the long history in turn, so both see the same machine load."""
    early: list[float] = []
    late: list[float] = []
    for n in range(first, first + count):
        early += timed_records(small, n, 1)
        late += timed_records(big, n, 1)
    return early, late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", choices=["record", "fast-import"], default="record")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = new_repo(Path(tmp), "small"), new_repo(Path(tmp), "big")
        seed(small, 0, 100, "record")
        seed(big, 0, 100, "record")
        start = time.perf_counter()
        seed(big, 100, args.runs, args.seed)
        seeded = time.perf_counter() - start
        early, late = interleaved(small, big, args.runs, args.samples)
        print(f"history: {args.runs} runs ({args.seed}, {seeded:.1f} s to build)")
        print(f"record after 100 runs:    {ms(early)}")
        print(f"record after {args.runs} runs: {ms(late)}")
        print(f"ratio of medians: {statistics.median(late) / statistics.median(early):.2f}, "
              f"of bests: {min(late) / min(early):.2f}")
        print(f"gitstore run record (CLI): {ms(cli_record(small, 10))}")
        for writers in (1, 4):
            best = max(throughput(small, writers, 40, f"{writers}-{k}") for k in range(3))
            print(f"{writers} writer(s): {best:.1f} runs/s (best of 3)")
        for repo in (small, big):
            fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=repo,
                                  capture_output=True, text=True)
            print(f"git fsck --strict ({repo.name}): exit {fsck.returncode} {fsck.stderr.strip()}")


if __name__ == "__main__":
    main()
