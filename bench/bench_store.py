"""Benchmark of the library on a large repository.

Times, on a ~10,000-file repository: opening the store (cold: no result
cache in .git/gitstore; warm: cache present), the first read, ``get_stack``,
``stack_configurations``, ``get_stack_components``, one write
(``create_user``) and the read after it, and counts how many files each read
after the first opens and parses (it must be none, or only what changed).

Usage: ``python bench/bench_store.py [--files 10000] [--repeat 5] [--keep DIR]``.
Each timing is the best of ``--repeat`` runs (the machine is shared, so
single runs are noisy).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from gitstore import GitZenStore  # noqa: E402
from gitstore.models import StackComponentType  # noqa: E402
from gitstore.store import state  # noqa: E402

ORCH = StackComponentType.ORCHESTRATOR


def make_repository(root: Path, files: int) -> None:
    """A committed repository of about ``files`` files (bench/generate.py when present)."""
    try:
        from bench.generate import generate
    except ImportError:
        generate = None
    if generate is not None:
        generate(root, files=files)
        return
    _simple_repository(root, files)


def _simple_repository(root: Path, files: int) -> None:
    root.mkdir(parents=True)
    per = files // 4
    out: dict[str, str] = {"gitstore.yaml": "format: 1\n"}
    for i in range(per):
        out[f"users/user-{i}.yaml"] = f"email: user-{i}@example.com\n"
        out[f"components/orchestrator/orch-{i}.yaml"] = (
            f"# orchestrator {i}\nflavor: kubeflow\nconfig:\n  kubernetes_context: ctx-{i}\n"
        )
        out[f"components/artifact_store/store-{i}.yaml"] = (
            f"flavor: s3\nconfig:\n  path: s3://bucket-{i}\n"
        )
        out[f"stacks/stack-{i}.yaml"] = (
            f"components:\n  orchestrator: orch-{i}\n  artifact_store: store-{i}\n"
        )
    for rel, text in out.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "generated"]):
        subprocess.run(["git", *args], cwd=root, check=True)


class Counter:
    """Counts files read from disk and files parsed while active."""

    def __init__(self) -> None:
        self.reads = 0
        self.parses = 0

    def __enter__(self) -> Counter:
        import gitstore.checks.files as files

        self._read = state.StatWorkTreeSource.read_file
        self._check = files.check_file

        def read(path: str | Path) -> bytes:
            self.reads += 1
            return self._read(path)

        def check(*args: Any) -> Any:
            self.parses += 1
            return self._check(*args)

        state.StatWorkTreeSource.read_file = staticmethod(read)  # type: ignore[method-assign]
        files.check_file = check
        return self

    def __exit__(self, *exc: object) -> None:
        import gitstore.checks.files as files

        state.StatWorkTreeSource.read_file = staticmethod(self._read)  # type: ignore[method-assign]
        files.check_file = self._check


def best(repeat: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def run(root: Path, repeat: int) -> list[tuple[str, float, str]]:
    rows: list[tuple[str, float, str]] = []
    listing = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, check=True)
    files = len(listing.stdout.splitlines())
    cache = root / ".git" / "gitstore"

    def cold_open() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        GitZenStore().initialize(str(root))

    rows.append(
        (f"open, cold ({files} files, no result cache)", best(min(repeat, 2), cold_open), "")
    )
    rows.append(
        (
            "open, warm (result cache on disk)",
            best(repeat, lambda: GitZenStore().initialize(str(root))),
            "",
        )
    )
    store = GitZenStore().initialize(str(root))
    stack = store.stack_configurations and sorted(store.stack_configurations)[0]
    for label, action in (
        ("get_stack", lambda: store.get_stack(stack)),
        ("stack_configurations", lambda: store.stack_configurations),
        ("get_stack_components(orchestrator)", lambda: store.get_stack_components(ORCH)),
    ):
        with Counter() as seen:
            elapsed = best(repeat, action)
        rows.append((label, elapsed, f"{seen.reads} files read, {seen.parses} parsed"))
    counter = iter(range(10_000))
    rows.append(
        (
            "create_user (one commit)",
            best(repeat, lambda: store.create_user(f"bench-{time.time_ns()}-{next(counter)}")),
            "",
        )
    )
    last = f"bench-last-{time.time_ns()}"
    store.create_user(last)
    with Counter() as seen:
        start = time.perf_counter()
        store.get_user(last)
        elapsed = time.perf_counter() - start
    rows.append(
        ("first read after that write", elapsed, f"{seen.reads} files read, {seen.parses} parsed")
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="gitstore-bench-store."))
    root = work / "repo"
    if not root.exists():
        make_repository(root, args.files)
        time.sleep(state.RACY_SECONDS)  # files younger than this are always re-read
    try:
        for label, seconds, note in run(root, args.repeat):
            print(f"| {label} | {seconds * 1000:.0f} ms | {note} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
