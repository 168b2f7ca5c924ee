"""The layout: which path holds which entity, and what a path can do wrong."""

from __future__ import annotations

import uuid

import pytest

from gitstore.plumbing.layout import (
    EntityRef,
    classify,
    derive_id,
    entity_path,
    is_layout_path,
    is_valid_name,
)
from gitstore.problems import Problem


@pytest.mark.parametrize(("path", "ref"), [
    ("gitstore.yaml", EntityRef("settings", None, "gitstore")),
    ("stacks/prod.yaml", EntityRef("stack", None, "prod")),
    ("users/alice.smith.yaml", EntityRef("user", None, "alice.smith")),
    ("teams/ML_platform-2.yaml", EntityRef("team", None, "ML_platform-2")),
    ("roles/admin.yaml", EntityRef("role", None, "admin")),
    ("projects/a..b.yaml", EntityRef("project", None, "a..b")),
    ("components/orchestrator/kfp.yaml", EntityRef("component", "orchestrator", "kfp")),
    ("flavors/step_operator/ray.yaml", EntityRef("flavor", "step_operator", "ray")),
])
def test_classify_entities(path: str, ref: EntityRef) -> None:
    assert classify(path) == ref
    assert ref.path == path


@pytest.mark.parametrize(("path", "code", "message", "hint"), [
    ("users/a.yml", "GS020", "only `.yaml` files are read; this `.yml` file is not", "rename it to `a.yaml`"),
    ("users/a.YAML", "GS021", "only `.yaml` files belong in users/", "expected users/<name>.yaml"),
    ("users/a", "GS021", "only `.yaml` files belong in users/", "expected users/<name>.yaml"),
    ("users/x/a.yaml", "GS021", "nested folders are not part of the layout under users/",
     "expected users/<name>.yaml"),
    ("components/a.yaml", "GS021",
     "component files go in a folder named after their type, not directly in components/",
     "expected components/<type>/<name>.yaml"),
    ("components/orchestrator/x/a.yaml", "GS021",
     "nested folders are not part of the layout under components/",
     "expected components/<type>/<name>.yaml"),
    ("components/orchestrators/a.yaml", "GS022", "`orchestrators` is not a stack component type",
     "did you mean `orchestrator`?"),
    ("flavors/zzz/a.yaml", "GS022", "`zzz` is not a stack component type",
     "types are: alerter, artifact_store, container_registry, data_validator, experiment_tracker, "
     "feature_store, metadata_store, model_deployer, orchestrator, secrets_manager, step_operator"),
    ("stacks/.yaml", "GS023", "`` is not a valid stack name", None),
    ("stacks/..yaml", "GS023", "`.` is not a valid stack name", None),
    ("stacks/_x.yaml", "GS023", "`_x` is not a valid stack name", None),
])
def test_classify_problems(path: str, code: str, message: str, hint: str | None) -> None:
    problem = classify(path)
    assert isinstance(problem, Problem)
    assert (problem.path, problem.line, problem.column, problem.code, problem.message) == (
        path, None, None, code, message)
    if hint is not None:
        assert problem.hint == hint


@pytest.mark.parametrize(("name", "valid"), [
    ("a", True), ("A9", True), ("a" * 128, True), ("a" * 129, False), ("9-lives", True),
    ("-a", False), (".a", False), ("a b", False), ("a/b", False), ("café", False), ("", False),
    ("a\n", False),
])
def test_names(name: str, valid: bool) -> None:
    assert is_valid_name(name) is valid


def test_layout_paths() -> None:
    assert is_layout_path("gitstore.yaml") and is_layout_path("users/a.yaml")
    assert not is_layout_path("README.md") and not is_layout_path(".github/workflows/ci.yaml")
    assert not is_layout_path("users") and not is_layout_path("userss/a.yaml")


def test_entity_paths_and_derived_ids() -> None:
    assert entity_path("settings", "gitstore") == "gitstore.yaml"
    assert entity_path("component", "kfp", "orchestrator") == "components/orchestrator/kfp.yaml"
    assert entity_path("team", "ml") == "teams/ml.yaml"
    derived = derive_id("stack", "default")
    assert uuid.UUID(derived).version == 5 and derived == derive_id("stack", "default")
    assert derived != derive_id("user", "default")
    assert derive_id("component", "a", "orchestrator") != derive_id("component", "a", "artifact_store")


@pytest.mark.parametrize("kind,name,type_", [
    ("user", "alice", None), ("component", "default", "orchestrator"), ("stack", "Prod-1.x", None),
    ("flavor", "ünïcode", "artifact_store"), ("team", "a" * 128, None)])
def test_derived_ids_are_uuid5_of_the_kind_and_name(kind: str, name: str, type_: str | None
                                                    ) -> None:
    from gitstore.plumbing.layout import ID_NAMESPACE, derive_id

    key = f"{kind}/{type_}/{name}" if type_ else f"{kind}/{name}"
    assert derive_id(kind, name, type_) == str(uuid.uuid5(ID_NAMESPACE, key))
