"""Pipeline runs through the store: delegations to gitstore.runs (records on the runs branch)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest
from conftest import git

from gitstore import GitZenStore
from gitstore.exceptions import EntityExistsError, ReadOnlyStoreError
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StepWrapper

needs_runs = pytest.mark.skipif(find_spec("gitstore.runs") is None, reason="needs gitstore.runs")


def make_run(
    store: GitZenStore, name: str, pipeline: str = "training", project: str | None = None
) -> PipelineRunWrapper:
    return PipelineRunWrapper(
        name=name,
        pipeline=PipelineWrapper(name=pipeline, steps=[StepWrapper(name="trainer")]),
        stack=store.get_stack("default"),
        runtime_configuration={"epochs": 3},
        user_id=store.get_user("default").id,
        project_name=project,
    )


@pytest.fixture
def store(tmp_path: Path) -> GitZenStore:
    return GitZenStore().initialize(str(tmp_path / "config"))


@needs_runs
def test_register_and_read_runs(store):
    root = store.repo.root
    head = git(root, "rev-parse", "HEAD")
    store.register_pipeline_run(make_run(store, "run-1"))
    store.register_pipeline_run(make_run(store, "run-2"))
    assert git(root, "rev-parse", "HEAD") == head  # records never touch the checked-out branch
    got = store.get_pipeline_run("training", "run-1")
    assert (got.name, got.pipeline.name, got.runtime_configuration) == (
        "run-1",
        "training",
        {"epochs": 3},
    )
    assert sorted(r.name for r in store.get_pipeline_runs("training")) == ["run-1", "run-2"]
    assert store.get_pipeline_runs("unknown") == []


@needs_runs
def test_run_errors(store):
    store.register_pipeline_run(make_run(store, "run-1", project="fraud"))
    with pytest.raises(EntityExistsError):
        store.register_pipeline_run(make_run(store, "run-1", pipeline="other"))
    with pytest.raises(KeyError):
        store.get_pipeline_run("training", "missing")
    with pytest.raises(KeyError):
        store.get_pipeline_run("training", "run-1", project_name="other-project")


def test_read_only_view_refuses_run_records(store):
    with pytest.raises(ReadOnlyStoreError):
        store.at("HEAD").register_pipeline_run(make_run(store, "run-1"))
