"""``GitZenStore`` over an imported repository answers reads as the original zen store did.

The expected answers come from the source store as read by the folder reader; the
only differences are the documented ones: secrets are references (resolved here
with the secrets file the import wrote) and local-store paths are portable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
import yaml
from conftest import run_cli
from test_migrate_stores import LOCAL, build_folder_store, isolated

from gitstore import GitZenStore
from gitstore.migrate.model import StoreData
from gitstore.migrate.secrets import resolve_references
from gitstore.migrate.zenml_folder import read_folder
from gitstore.models import StackComponentType

PORTABLE = "~/.config/gitstore/local_stores/5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[GitZenStore, StoreData, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("reads")
    with isolated(tmp_path_factory.mktemp("home")):
        store_dir = build_folder_store(tmp / "store")
        result = run_cli("import", "zenml", str(store_dir), str(tmp / "repo"))
        assert result.code == 0, result
        secrets = yaml.safe_load((tmp / "repo.secrets.yaml").read_text())
        store = GitZenStore().initialize(str(tmp / "repo"), skip_default_registrations=True)
        yield store, read_folder(store_dir), secrets


def _as_source(config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    resolved = resolve_references(config, secrets)
    return {k: v.replace(PORTABLE, LOCAL) if isinstance(v, str) else v
            for k, v in resolved.items()}


def test_stacks_and_components(setup: tuple[GitZenStore, StoreData, dict[str, Any]]) -> None:
    store, source, secrets = setup
    assert {name: {t.value: c for t, c in parts.items()}
            for name, parts in store.stack_configurations.items()} == source.stacks
    for (type_, name), component in source.components.items():
        got = store.get_stack_component(StackComponentType(type_), name)
        assert (got.flavor, got.uuid) == (component.flavor, UUID(component.uuid))
        assert _as_source(got.config_dict(), secrets) == {
            **component.config, "name": name, "uuid": component.uuid}
    production = store.get_stack("production")
    assert sorted(c.name for c in production.components) == ["ecr", "kfp-prod", "mysql-prod",
                                                              "s3-prod"]


def test_flavors(setup: tuple[GitZenStore, StoreData, dict[str, Any]]) -> None:
    store, _, _ = setup
    custom = store.get_flavor_by_name_and_type("my-orch", StackComponentType.ORCHESTRATOR)
    assert (custom.source, custom.integration) == ("acme.flavors.MyOrchestrator", None)


def test_users_teams_projects_roles(setup: tuple[GitZenStore, StoreData, dict[str, Any]]) -> None:
    store, source, _ = setup
    for kind in ("users", "teams", "projects", "roles"):
        got = {e.name: str(e.id) for e in getattr(store, kind)}
        assert got == {name: e.id for name, e in getattr(source, kind).items()}, kind
    assert store.get_project("fraud").description == "Fraud models"
    assert store.get_project("churn").description is None
    assert [u.name for u in store.get_users_for_team("ml-platform")] == ["alice", "bob"]
    assert [t.name for t in store.get_teams_for_user("bob")] == ["ml-platform"]


def test_role_assignments(setup: tuple[GitZenStore, StoreData, dict[str, Any]]) -> None:
    store, source, _ = setup

    def ident(kind: str, name: str | None) -> UUID | None:
        return UUID(getattr(source, kind)[name].id) if name else None

    expected = Counter((ident("roles", a.role), ident("users", a.user), ident("teams", a.team),
                        ident("projects", a.project)) for a in source.assignments)
    got = Counter((a.role_id, a.user_id, a.team_id, a.project_id) for a in store.role_assignments)
    assert got == expected
    assert len(store.get_role_assignments_for_user("bob", include_team_roles=False)) == 1
    assert len(store.get_role_assignments_for_user("bob", include_team_roles=True)) == 2
    assert len(store.get_role_assignments_for_team("ml-platform", project_name="fraud")) == 1


def test_pipeline_runs(setup: tuple[GitZenStore, StoreData, dict[str, Any]]) -> None:
    store, source, _ = setup
    by_pipeline = Counter(r.pipeline_name for r in source.runs)
    for pipeline, count in by_pipeline.items():
        assert len(store.get_pipeline_runs(pipeline)) == count
    assert [r.name for r in store.get_pipeline_runs("training", project_name="fraud")] == [
        "training-1", "training-2"]
    assert store.get_pipeline_runs("scoring", project_name="fraud") == []
    run = store.get_pipeline_run("training", "training-2")
    assert (str(run.user_id), run.git_sha, run.stack.name) == (
        "1c3f5e7a-9b2d-4f6a-8c0e-3b4d5e6f7a88", "a" * 40, "production")
