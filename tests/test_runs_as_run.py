"""A run's record keeps the stack it was given and the ZenML version it names.

``register_pipeline_run(run)`` then ``get_pipeline_runs(...)[0] == run``: the
stack (components, their order, configs) is the one the run was given, pinned
to the configuration commit; when it differs from that commit's stack of the
same name, the record says so (``stack_as_run``), and ``validate --runs`` and
``run show`` keep working on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import git, run_cli
from store_helpers import component
from test_runs_support import BRANCH, USER, a_run, config_files

from gitstore import GitZenStore
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper
from gitstore.runs import get_run, record_run
from gitstore.runs.layout import record_path
from gitstore.runs.record import load_record


def record_of(repo: Path, pipeline: str, name: str) -> dict[str, Any]:
    """A record as gitstore reads it (YAML 1.2)."""
    return load_record(git(repo, "show", f"{BRANCH}:{record_path(pipeline, name)}").encode())


def given_run(store: GitZenStore, name: str, stack: StackWrapper) -> PipelineRunWrapper:
    return PipelineRunWrapper(name=name, pipeline=PipelineWrapper(name="train"), stack=stack,
                              user_id=store.get_user("default").id)


def test_the_stored_stack_in_any_order_reads_back_in_that_order(tmp_path: Path) -> None:
    store = GitZenStore().initialize(str(tmp_path / "config"))
    stored = store.get_stack("default")
    reordered = StackWrapper(name="default", components=list(reversed(stored.components)))
    for name, stack in (("as-stored", stored), ("reversed", reordered)):
        run = given_run(store, name, stack)
        store.register_pipeline_run(run)
        got = store.get_pipeline_run("train", name)
        assert got == run
        assert [c.type for c in got.stack.components] == [c.type for c in stack.components]
        assert "stack_as_run" not in record_of(store.repo.root, "train", name)


def test_a_stack_that_differs_from_the_commit_is_recorded_as_it_ran(tmp_path: Path) -> None:
    store = GitZenStore().initialize(str(tmp_path / "config"))
    root = store.repo.root
    head = git(root, "rev-parse", "HEAD").strip()
    ran = StackWrapper(name="default", components=[
        component("orchestrator", "default", "local"),  # another uuid than the committed one
        component("artifact_store", "scratch", "local", {"path": "/tmp/scratch"}),
        component("metadata_store", "default", "sqlite",
                  {"uri": "/tmp/m.db", "mode": "on", "perms": "0755"}),
    ])
    run = given_run(store, "r1", ran)
    store.register_pipeline_run(run)
    assert store.get_pipeline_runs("train")[0] == run
    body = record_of(root, "train", "r1")
    assert body["config_commit"] == head
    assert body["stack_as_run"] is True
    stack = body["stack"]
    assert isinstance(stack, dict)
    assert list(stack["components"]) == ["orchestrator", "artifact_store", "metadata_store"]
    assert stack["components"]["artifact_store"]["name"] == "scratch"
    assert stack["components"]["metadata_store"]["config"]["mode"] == "on"
    checked = run_cli("-C", str(root), "validate", "--runs")
    assert checked.code == 0, checked
    shown = json.loads(run_cli("-C", str(root), "run", "show", "r1", "--format", "json").out)
    assert shown["stack"] == stack
    assert shown["stack_source"].startswith("record (the stack the run was given")


def test_a_stack_given_by_name_alone_is_read_from_the_commit(make_repo) -> None:
    repo = make_repo(config_files())
    run = record_run(repo, a_run("r1"))
    assert [c.name for c in run.stack.components] == ["default"] * 3
    assert "stack_as_run" not in record_of(repo, "train", "r1")


def test_zenml_version_is_the_runs_own_or_empty(make_repo) -> None:
    repo = make_repo(config_files())
    record_run(repo, a_run("unknown"))
    record_run(repo, a_run("known", zenml_version="0.10.0"))
    assert record_of(repo, "train", "unknown")["zenml_version"] is None
    assert record_of(repo, "train", "known")["zenml_version"] == "0.10.0"
    assert get_run(repo, "train", "known").zenml_version == "0.10.0"
    for name, extra in (("cli-unknown", []), ("cli-known", ["--zenml-version", "0.10.1"])):
        result = run_cli("-C", str(repo), "run", "record", "--pipeline", "train", "--name", name,
                         "--stack", "default", *extra)
        assert result.code == 0, result
    assert record_of(repo, "train", "cli-unknown")["zenml_version"] is None
    assert record_of(repo, "train", "cli-known")["zenml_version"] == "0.10.1"


def test_the_models_default_is_the_installed_zenml(tmp_path: Path) -> None:
    """Where ZenML is installed, a run made without a version names that ZenML's version."""
    site = tmp_path / "site"
    info = site / "zenml-0.10.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zenml\nVersion: 0.10.0\n")
    code = ("from gitstore.models import PipelineRunWrapper as R, PipelineWrapper as P, "
            "StackWrapper as S\n"
            f"print(R(name='r', pipeline=P(name='p'), stack=S(name='s'), user_id='{USER}')"
            ".zenml_version)")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "0.10.0"
    bare = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout
    assert bare.strip() == "None"
