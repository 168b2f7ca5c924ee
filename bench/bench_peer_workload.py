"""ZenML's own store workload, run against ``GitZenStore`` through the public API.

The same counts and order as the figures quoted for ZenML 0.10's
``LocalZenStore`` and ``SqlZenStore`` in BENCHMARKS.md: 300
``register_stack_component`` (kubeflow orchestrators), 100 ``register_stack``
(each with its orchestrator and a new local artifact store), 100
``get_stack``, 200 ``create_user``, then 250 ``register_pipeline_run``.
Every call is timed on its own; the script prints the median and best of
each operation and the cost of the 10th, 100th and 250th run record.

Usage: ``python bench/bench_peer_workload.py [--runs 250] [--rounds 1] [--json OUT]``.
With ``--rounds N`` the whole workload runs N times, each in a fresh
repository, and the medians of the rounds are reported (best and median).
``--files N`` first fills the repository with ``bench/generate.py`` (N files).
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from gitstore import GitZenStore  # noqa: E402
from gitstore.models import (  # noqa: E402
    ComponentWrapper,
    PipelineRunWrapper,
    PipelineWrapper,
    StackComponentType,
    StackWrapper,
    StepWrapper,
)

ORCH = StackComponentType.ORCHESTRATOR
ARTIFACTS = StackComponentType.ARTIFACT_STORE
OPERATIONS = ("register_stack_component", "register_stack", "get_stack", "create_user",
              "register_pipeline_run")


def comp(type_: StackComponentType, name: str, flavor: str = "local", **config: Any
         ) -> ComponentWrapper:
    import yaml

    uid = uuid.uuid4()
    body = yaml.safe_dump({"name": name, "uuid": str(uid), **config}).encode()
    return ComponentWrapper(type=type_, flavor=flavor, name=name, uuid=uid,
                            config=base64.b64encode(body))


CPU: dict[str, list[float]] = {}  # operation -> CPU milliseconds of each call (this process)


def timed(samples: list[float], action: Callable[..., Any], *args: Any) -> Any:
    start, cpu = time.perf_counter(), time.process_time()
    result = action(*args)
    samples.append((time.perf_counter() - start) * 1e3)
    CPU.setdefault(str(id(samples)), []).append((time.process_time() - cpu) * 1e3)
    return result


def workload(store: GitZenStore, runs: int) -> dict[str, Any]:
    """Milliseconds per call of each operation, in the order ZenML's script runs them."""
    ms: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    for i in range(300):
        component = comp(ORCH, f"o{i}", "kubeflow", kubernetes_context=f"c{i}")
        timed(ms["register_stack_component"], store.register_stack_component, component)
    for i in range(100):
        stack = StackWrapper(name=f"s{i}", components=[
            store.get_stack_component(ORCH, f"o{i}"), comp(ARTIFACTS, f"a{i}", path=f"/p{i}")])
        timed(ms["register_stack"], store.register_stack, stack)
    for i in range(100):
        timed(ms["get_stack"], store.get_stack, f"s{i}")
    for i in range(200):
        timed(ms["create_user"], store.create_user, f"u{i}")
    pipeline = PipelineWrapper(name="training", steps=[StepWrapper(name="fit")])
    stack = store.get_stack("s1")
    user = store.get_user("default").id
    for k in range(1, runs + 1):
        run = PipelineRunWrapper(name=f"run-{k}", pipeline=pipeline, stack=stack,
                                 runtime_configuration={}, user_id=user)
        timed(ms["register_pipeline_run"], store.register_pipeline_run, run)
    result: dict[str, Any] = {op: statistics.median(v) for op, v in ms.items()}
    result["best"] = {op: min(v) for op, v in ms.items()}
    result["cpu"] = {op: statistics.median(CPU.pop(str(id(v)))) for op, v in ms.items()}
    runs_ms = ms["register_pipeline_run"]
    result["run_record_ms_at"] = {k: runs_ms[k - 1] for k in (10, 100, 250) if k <= len(runs_ms)}
    return result


def one_round(runs: int, files: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="gitstore-peer."))
    try:
        root = work / "repo"
        if files:
            from bench.generate import generate

            generate(root, files=files)
        store = GitZenStore().initialize(str(root))
        return workload(store, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--files", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rounds = [one_round(args.runs, args.files) for _ in range(args.rounds)]
    print("| operation | median ms, best round | median ms, median round | fastest call ms | "
          "median CPU ms |")
    print("|---|---:|---:|---:|---:|")
    for op in OPERATIONS:
        medians = [r[op] for r in rounds]
        fastest = min(r["best"][op] for r in rounds)
        cpu = statistics.median(r["cpu"][op] for r in rounds)
        print(f"| `{op}` | {min(medians):.2f} | {statistics.median(medians):.2f} | "
              f"{fastest:.2f} | {cpu:.2f} |")
    for k in (10, 100, 250):
        values = [r["run_record_ms_at"][k] for r in rounds if k in r["run_record_ms_at"]]
        if values:
            print(f"| `register_pipeline_run`, the {k}th | {min(values):.2f} | "
                  f"{statistics.median(values):.2f} | | |")
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
