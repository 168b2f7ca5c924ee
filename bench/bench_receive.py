"""Benchmark: the pre-receive hook on a 10,000-file configuration repository.

Builds the repository (or reuses one from an earlier run), makes a bare clone
with the hook installed, then times the hook process itself (the installed
``hooks/pre-receive`` script, as git would run it) for a push that changes a
few files: with no cache at all, with the cache that ``hooks install
--server`` leaves, and again warm. Best of several runs (the machine is
shared; numbers are noisy).

    python bench/bench_receive.py [--files 10000] [--runs 5] [--dir /tmp/gitstore-bench-receive]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def git(cwd: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          input=input).stdout.decode().strip()


def generate(root: Path, files: int) -> None:
    """About ``files`` entity files: components, stacks using them, users, teams, roles."""
    n = max(files // 10, 1)
    write = {"gitstore.yaml": "format: 1\nrequired_components: [orchestrator, artifact_store]\n"}
    for i in range(3 * n):
        write[f"components/orchestrator/orch-{i}.yaml"] = (
            "flavor: kubernetes\nconfig:\n  kubernetes_context: ctx-%d\n  synchronous: true\n" % i)
    for i in range(2 * n):
        write[f"components/artifact_store/store-{i}.yaml"] = (
            "flavor: s3\nconfig:\n  path: s3://bucket-%d/artifacts\n" % i)
    for i in range(2 * n):
        write[f"stacks/stack-{i}.yaml"] = (
            f"description: stack {i}\ncomponents:\n  orchestrator: orch-{i}\n"
            f"  artifact_store: store-{i}\n")
    for i in range(2 * n - 10):
        write[f"users/user-{i}.yaml"] = f"email: user-{i}@example.com\n"
    for i in range(n // 2):
        write[f"teams/team-{i}.yaml"] = f"members: [user-{2 * i}, user-{2 * i + 1}]\n"
    for i in range(10):
        write[f"projects/project-{i}.yaml"] = f"description: project {i}\n"
    for i in range(n // 2):
        write[f"roles/role-{i}.yaml"] = (
            "permissions:\n  stack: [read]\nassignments:\n"
            f"  - team: team-{i}\n  - user: user-{i}\n    project: project-{i % 10}\n")
    for rel, text in write.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)


def setup(base: Path, files: int) -> tuple[Path, Path]:
    work, bare = base / "work", base / "server.git"
    if not (work / ".git").exists():
        work.mkdir(parents=True)
        git(work, "init", "-q", "--initial-branch=main")
        generate(work, files)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "generated")
    shutil.rmtree(bare, ignore_errors=True)
    git(base, "clone", "-q", "--bare", str(work), str(bare))
    gitstore("hooks", "install", "--server", str(bare))
    return work, bare


def gitstore(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "gitstore", *args], check=True, capture_output=True)


def change(work: Path, round_: int) -> tuple[str, str]:
    """Edit two components and a stack, delete a user nobody uses; return (old, new)."""
    old = git(work, "rev-parse", "HEAD")
    token = f"{round_}-{time.time_ns()}"
    (work / "components/orchestrator/orch-1.yaml").write_text(
        f"flavor: kubernetes\nconfig:\n  kubernetes_context: ctx-{token}\n")
    (work / "components/artifact_store/store-2.yaml").write_text(
        f"flavor: s3\nconfig:\n  path: s3://round-{token}/artifacts\n")
    (work / "stacks/stack-3.yaml").write_text(
        f"description: round {token}\ncomponents:\n  orchestrator: orch-3\n  artifact_store: store-3\n")
    victim = work / f"users/user-{1000 + round_}.yaml"
    if victim.exists():
        victim.unlink()
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"round {round_}")
    return old, git(work, "rev-parse", "HEAD")


def time_hook(bare: Path, old: str, new: str) -> tuple[float, str]:
    line = f"{old} {new} refs/heads/main\n".encode()
    start = time.perf_counter()
    proc = subprocess.run([str(bare / "hooks/pre-receive")], cwd=bare, input=line,
                          capture_output=True, env={**os.environ, "GIT_DIR": "."})
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr.decode()
    return elapsed, proc.stderr.decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/gitstore-bench-receive"))
    opts = parser.parse_args()
    work, bare = setup(opts.dir, opts.files)
    count = int(git(work, "ls-files", "--", ".").count("\n")) + 1
    results: dict[str, list[float]] = {"no cache": [], "after install": [], "warm": []}
    last = ""
    for round_ in range(opts.runs):
        old, new = change(work, round_)
        git(work, "push", "-q", str(bare), "HEAD:refs/bench/incoming")  # objects only; no branch moves
        cache = bare / "gitstore"
        shutil.rmtree(cache)
        results["no cache"].append(time_hook(bare, old, new)[0])
        shutil.rmtree(cache, ignore_errors=True)
        gitstore("hooks", "install", "--server", "--force", str(bare))
        results["after install"].append(time_hook(bare, old, new)[0])
        seconds, last = time_hook(bare, old, new)
        results["warm"].append(seconds)
        git(bare, "update-ref", "refs/heads/main", new)
    print(f"{count} files; push changing 3 files and deleting 1; best (median) of {opts.runs} runs")
    for name, times in results.items():
        times.sort()
        print(f"  {name:14s} {times[0]:.3f} s  ({times[len(times) // 2]:.3f} s)")
    print(f"  hook output: {last}")


if __name__ == "__main__":
    main()
