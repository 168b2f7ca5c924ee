"""Benchmark: `gitstore validate --staged` after a one-file change, paired against older code.

Two copies of one generated repository: one validated by an older gitstore
(``--base``, a folder holding its ``gitstore`` package, put first on
PYTHONPATH), one by the installed gitstore. Each round edits and stages the
same component in both, then runs both commands, alternating which goes
first, so both see the same load. Best and median wall and CPU time per code.

    git archive <commit> gitstore | tar -x -C /tmp/base
    python bench/bench_resume.py --files 10000 50000 --rounds 9 --base /tmp/base
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import generate, settled  # noqa: E402

COMMAND = [sys.executable, "-m", "gitstore", "validate", "--staged"]  # as the console script


def timed(repo: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and the git processes it starts) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(COMMAND, cwd=repo, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"validate failed in {repo}: {proc.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(files: int, rounds: int, base: Path, workdir: Path) -> dict[str, list[tuple[float, float]]]:
    source = workdir / f"resume-{files}"
    if not (source / ".git").exists():
        generate(source, files, seed=0)
    settled(source)  # nothing moves its objects while it is copied
    envs = {"before": dict(os.environ, PYTHONPATH=str(base)), "after": dict(os.environ)}
    copies: dict[str, Path] = {}
    for name in envs:
        dest = workdir / f"resume-{files}-{name}"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(source, dest, symlinks=True)
        shutil.rmtree(dest / ".git" / "gitstore", ignore_errors=True)
        copies[name] = dest
        timed(dest, envs[name])  # cold: writes the caches
        timed(dest, envs[name])
    target = sorted((source / "components" / "orchestrator").glob("*.yaml"))[0].relative_to(source)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in envs}
    for round_ in range(rounds):
        order = list(envs) if round_ % 2 == 0 else list(reversed(envs))
        for name in order:
            path = copies[name] / target
            path.write_text(path.read_text(encoding="utf-8") + f"# round {round_}\n", encoding="utf-8")
            subprocess.run(["git", "add", "--", str(target)], cwd=copies[name], check=True)
        for name in order:
            results[name].append(timed(copies[name], envs[name]))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--base", type=Path, required=True, help="folder holding the older gitstore")
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / "out")
    opts = parser.parse_args()
    opts.workdir.mkdir(parents=True, exist_ok=True)
    print("| files | code | wall best s | wall median s | CPU best s | CPU median s |")
    print("|---:|---|---:|---:|---:|---:|")
    for files in opts.files:
        for name, runs in paired(files, opts.rounds, opts.base, opts.workdir).items():
            walls, cpus = [w for w, _ in runs], [c for _, c in runs]
            print(f"| {files:,} | {name} | {min(walls):.3f} | {statistics.median(walls):.3f} | "
                  f"{min(cpus):.3f} | {statistics.median(cpus):.3f} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
