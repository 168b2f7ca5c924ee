"""Benchmark of the library on a large repository.

Times, on a ~10,000-file repository: opening the store (cold: no result
cache in .git/gitstore; warm: caches present, alone and with the first
``get_stack``), ``get_stack``,
``stack_configurations``, ``get_stack_components``, each kind of write
and the read after one, and counts how many files each read
after the first opens and parses (it must be none, or only what changed).

Usage: ``python bench/bench_store.py [--files 10000] [--repeat 5] [--keep DIR]``.
Each operation is timed ``--repeat`` times (reads and writes four times as
often); the table gives the best and median wall time and the median CPU
time of this process (the machine is shared, so wall times are noisy; CPU
time is what the call costs). The writes are the four of the ZenML workload
(``bench/bench_peer_workload.py``), each one commit. The last line is the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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


class Sample:
    """Wall and CPU milliseconds of repeated calls."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def time(self, action: Callable[[], Any]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        self.cpu.append((time.process_time() - cpu) * 1e3)
        self.wall.append((time.perf_counter() - wall) * 1e3)

    def row(self, label: str, note: str = "") -> tuple[str, float, float, float, str]:
        return (label, min(self.wall), statistics.median(self.wall), statistics.median(self.cpu),
                note)


def sampled(repeat: int, action: Callable[[], Any]) -> Sample:
    sample = Sample()
    for _ in range(repeat):
        sample.time(action)
    return sample


Row = tuple[str, float, float, float, str]


def run(root: Path, repeat: int) -> list[Row]:
    rows: list[Row] = []
    listing = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, check=True)
    files = len(listing.stdout.splitlines())
    cache = root / ".git" / "gitstore"

    def cold_open() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        GitZenStore().initialize(str(root))

    rows.append(sampled(min(repeat, 2), cold_open).row(
        f"open, cold ({files} files, no caches)"))
    rows.append(sampled(repeat, lambda: GitZenStore().initialize(str(root))).row(
        "open, warm (caches on disk)"))
    store = GitZenStore().initialize(str(root))
    stack = sorted(store.stack_configurations)[0]
    rows.append(sampled(repeat, lambda: GitZenStore().initialize(str(root)).get_stack(stack)).row(
        "open, warm, then the first get_stack"))
    for label, action in (
        ("get_stack", lambda: store.get_stack(stack)),
        ("stack_configurations", lambda: store.stack_configurations),
        ("get_stack_components(orchestrator)", lambda: store.get_stack_components(ORCH)),
    ):
        action()
        with Counter() as seen:
            sample = sampled(repeat * 4, action)
        rows.append(sample.row(label, f"{seen.reads} files read, {seen.parses} parsed"))
    rows.extend(write_rows(store, stack, repeat * 4))
    last = f"bench-last-{time.time_ns()}"
    store.create_user(last)
    with Counter() as seen:
        sample = sampled(1, lambda: store.get_user(last))
    rows.append(sample.row("first read after a write",
                           f"{seen.reads} files read, {seen.parses} parsed"))
    return rows


def write_rows(store: GitZenStore, stack: str, repeat: int) -> list[Row]:
    """Each kind of write of the ZenML workload, ``repeat`` times (the first of each untimed)."""
    from bench.bench_peer_workload import ARTIFACTS, comp
    from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper, StepWrapper

    tag = time.time_ns()
    counter = iter(range(1_000_000))
    pipeline = PipelineWrapper(name="training", steps=[StepWrapper(name="fit")])
    user = store.get_user("default").id if "default" in [u.name for u in store.users] else None
    zen_stack = store.get_stack(stack)

    def component() -> None:
        i = next(counter)
        store.register_stack_component(comp(ORCH, f"bo{tag}-{i}", "kubeflow",
                                            kubernetes_context=f"c{i}"))

    def new_stack() -> None:
        i = next(counter)
        store.register_stack(StackWrapper(name=f"bs{tag}-{i}", components=[
            store.get_stack_component(ORCH, zen_stack.components[0].name)
            if zen_stack.components[0].type == ORCH else comp(ORCH, f"bso{tag}-{i}"),
            comp(ARTIFACTS, f"ba{tag}-{i}", path=f"/p{i}")]))

    def new_user() -> None:
        store.create_user(f"bu{tag}-{next(counter)}")

    def new_run() -> None:
        store.register_pipeline_run(PipelineRunWrapper(
            name=f"br{tag}-{next(counter)}", pipeline=pipeline, stack=zen_stack,
            runtime_configuration={}, user_id=user or uuid.uuid4()))

    rows = []
    for label, action in (("register_stack_component", component),
                          ("register_stack", new_stack), ("create_user", new_user),
                          ("register_pipeline_run", new_run)):
        action()  # the first write of a kind in a process may build what later ones reuse
        rows.append(sampled(repeat, action).row(label + " (one commit)"))
    return rows


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
        print("| operation | best ms | median ms | median CPU ms | files read / parsed |")
        print("|---|---:|---:|---:|---|")
        for label, best_ms, median_ms, cpu_ms, note in run(root, args.repeat):
            print(f"| {label} | {best_ms:.2f} | {median_ms:.2f} | {cpu_ms:.2f} | {note} |")
        print(f"\npeak RSS of this process: {peak_rss_mib():.0f} MiB")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
