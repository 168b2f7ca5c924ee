"""The zen store API of GitZenStore, method by method, on real repositories."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID

import pytest
from conftest import git, run_cli
from store_helpers import commit_count, component, decoded, last_commit

from gitstore import GitZenStore
from gitstore.exceptions import (
    EntityExistsError,
    IntegrityError,
    StackComponentExistsError,
    StackExistsError,
)
from gitstore.models import (
    Permission,
    PermissionType,
    StackComponentType,
    StackWrapper,
    StoreType,
)
from gitstore.plumbing.layout import derive_id

ORCH = StackComponentType.ORCHESTRATOR
ART = StackComponentType.ARTIFACT_STORE
META = StackComponentType.METADATA_STORE


@pytest.fixture
def store(tmp_path: Path) -> GitZenStore:
    return GitZenStore().initialize(str(tmp_path / "config"))


def root_of(store: GitZenStore) -> Path:
    return store.repo.root


# --- initialize and identity --------------------------------------------------


def test_initialize_creates_repository_with_defaults_in_one_commit(tmp_path):
    store = GitZenStore().initialize(str(tmp_path / "new" / "config"))
    root = tmp_path / "new" / "config"
    assert commit_count(root) == 1
    subject, files = last_commit(root)
    assert subject == "gitstore: initialize configuration repository"
    assert files == [
        "components/artifact_store/default.yaml",
        "components/metadata_store/default.yaml",
        "components/orchestrator/default.yaml",
        "gitstore.yaml",
        "stacks/default.yaml",
        "users/default.yaml",
    ]
    assert store.stack_configurations == {
        "default": {ORCH: "default", ART: "default", META: "default"}
    }
    assert [u.name for u in store.users] == ["default"]
    assert run_cli("validate", cwd=root).code == 0


def test_initialize_agrees_with_gitstore_init(tmp_path):
    run_cli("init", str(tmp_path / "by-cli"))
    GitZenStore().initialize(str(tmp_path / "by-lib"))
    for rel in (
        "stacks/default.yaml",
        "users/default.yaml",
        "components/artifact_store/default.yaml",
    ):
        assert (tmp_path / "by-cli" / rel).read_text() == (tmp_path / "by-lib" / rel).read_text()


def test_initialize_opens_existing_repository_without_committing(store):
    root = root_of(store)
    again = GitZenStore().initialize(GitZenStore.get_local_url(str(root)))
    assert commit_count(root) == 1
    assert again.url == f"file://{root}"
    assert again.get_stack("default").name == "default"


def test_initialize_skip_default_registrations(tmp_path):
    store = GitZenStore().initialize(str(tmp_path / "bare-config"), skip_default_registrations=True)
    assert store.stacks_empty is True
    assert store.users == []
    assert (tmp_path / "bare-config" / "gitstore.yaml").read_text() == (
        "# gitstore repository settings (format version 1).\nformat: 1\n"
    )


def test_initialize_registers_defaults_in_an_existing_empty_repository(make_repo):
    root = make_repo({"gitstore.yaml": "format: 1\n", "users/bob.yaml": "{}\n"})
    store = GitZenStore().initialize(str(root), track_analytics=False)
    assert sorted(store.stack_configurations) == ["default"]
    assert [u.name for u in store.users] == ["bob", "default"]
    log = git(root, "log", "--format=%s").splitlines()
    assert log == ["gitstore: create user default", "gitstore: register stack default", "initial"]


def test_initialize_refuses_a_foreign_non_empty_folder(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    from gitstore.errors import UsageError

    with pytest.raises(UsageError, match="is not empty and not a configuration repository"):
        GitZenStore().initialize(str(tmp_path / "notes"))


def test_urls_and_type(store, tmp_path):
    assert GitZenStore.is_valid_url("file:///some/where")
    assert GitZenStore.is_valid_url("/some/where")
    assert GitZenStore.is_valid_url("https://example.com/repo.git")  # a remote, cloned
    assert not GitZenStore.is_valid_url("ftp://example.com/repo.git")
    assert GitZenStore.get_path_from_url("file:///some/where") == Path("/some/where")
    assert GitZenStore.get_path_from_url("https://example.com/x") is None
    assert GitZenStore.get_local_url(str(tmp_path)) == f"file://{tmp_path}"
    assert store.type is StoreType.GIT


# --- stacks ---------------------------------------------------------------------


def test_register_stack_registers_missing_components(store):
    kfp = component("orchestrator", "kfp", "kubeflow", {"kubernetes_context": "prod"})
    s3 = component("artifact_store", "s3", "s3", {"path": "s3://bucket"})
    store.register_stack(StackWrapper(name="prod", components=[kfp, s3]))
    subject, files = last_commit(root_of(store))
    assert subject == "gitstore: register stack prod"
    assert files == [
        "components/artifact_store/s3.yaml",
        "components/orchestrator/kfp.yaml",
        "stacks/prod.yaml",
    ]
    assert store.get_stack_configuration("prod") == {ORCH: "kfp", ART: "s3"}
    stack = store.get_stack("prod")
    assert stack.get_component_wrapper(ORCH).uuid == kfp.uuid
    assert stack.get_component_wrapper(META) is None
    assert decoded(stack.get_component_wrapper(ART)) == {
        "name": "s3",
        "uuid": str(s3.uuid),
        "path": "s3://bucket",
    }


def test_register_empty_stack_is_allowed(store):
    store.register_stack(StackWrapper(name="empty", components=[]))
    assert store.get_stack("empty").components == []
    assert (root_of(store) / "stacks/empty.yaml").read_text().endswith("components: {}\n")


def test_register_existing_stack_raises(store):
    with pytest.raises(StackExistsError):
        store.register_stack(StackWrapper(name="default", components=[]))


def test_register_stack_with_conflicting_component_uuid_raises(store):
    clash = component("orchestrator", "default", "local")
    with pytest.raises(StackComponentExistsError):
        store.register_stack(StackWrapper(name="other", components=[clash]))
    assert commit_count(root_of(store)) == 1


def test_register_stack_reuses_component_with_same_uuid(store):
    same = store.get_stack_component(ORCH, "default")
    store.register_stack(StackWrapper(name="other", components=[same]))
    assert last_commit(root_of(store))[1] == ["stacks/other.yaml"]


def test_stacks_and_configurations(store):
    store.register_stack(
        StackWrapper(name="b", components=[store.get_stack_component(ORCH, "default")])
    )
    assert [s.name for s in store.stacks] == ["b", "default"]
    assert store.stack_configurations["b"] == {ORCH: "default"}
    assert store.stacks_empty is False
    with pytest.raises(KeyError):
        store.get_stack("nope")
    with pytest.raises(KeyError):
        store.get_stack_configuration("nope")


def test_update_stack_changes_components(store):
    kfp = component("orchestrator", "kfp", "kubeflow")
    default = store.get_stack("default")
    store.update_stack(
        "default", StackWrapper(name="default", components=[kfp, *default.components[1:]])
    )
    assert store.get_stack_configuration("default")[ORCH] == "kfp"
    assert last_commit(root_of(store)) == (
        "gitstore: update stack default",
        ["components/orchestrator/kfp.yaml", "stacks/default.yaml"],
    )


def test_update_stack_rename_removes_old_name_and_follows_default_stack(store):
    default = store.get_stack("default")
    store.update_stack("default", StackWrapper(name="local", components=default.components))
    assert sorted(store.stack_configurations) == ["local"]
    root = root_of(store)
    assert "default_stack: local" in (root / "gitstore.yaml").read_text()
    assert last_commit(root)[1] == ["gitstore.yaml", "stacks/default.yaml", "stacks/local.yaml"]
    assert run_cli("validate", cwd=root).code == 0


def test_update_stack_errors(store):
    store.register_stack(StackWrapper(name="other", components=[]))
    with pytest.raises(KeyError):
        store.update_stack("missing", StackWrapper(name="missing", components=[]))
    with pytest.raises(StackExistsError):
        store.update_stack("other", StackWrapper(name="default", components=[]))


def test_deregister_stack(store):
    store.register_stack(StackWrapper(name="tmp", components=[]))
    store.deregister_stack("tmp")
    assert last_commit(root_of(store)) == ("gitstore: deregister stack tmp", ["stacks/tmp.yaml"])
    with pytest.raises(KeyError):
        store.deregister_stack("tmp")


def test_register_default_stack(tmp_path):
    store = GitZenStore().initialize(str(tmp_path / "c"), skip_default_registrations=True)
    store.register_default_stack()
    assert store.get_stack_configuration("default") == {
        ORCH: "default",
        ART: "default",
        META: "default",
    }
    assert store.get_stack_component(ORCH, "default").uuid == UUID(
        derive_id("component", "default", "orchestrator")
    )
    with pytest.raises(StackExistsError):
        store.register_default_stack()


def test_required_components_policy_applies_to_registered_stacks(store):
    root = root_of(store)
    (root / "gitstore.yaml").write_text(
        "format: 1\ndefault_stack: default\nrequired_components: [orchestrator]\n"
    )
    git(root, "commit", "-qam", "require an orchestrator")
    with pytest.raises(IntegrityError, match="GS204"):
        store.register_stack(StackWrapper(name="empty", components=[]))


# --- components -----------------------------------------------------------------


def test_component_config_round_trips(store):
    config = {
        "kubernetes_context": "prod",
        "synchronous": True,
        "skip_ui_daemon_provisioning": False,
        "custom_docker_base_image_name": None,
    }
    kfp = component("orchestrator", "kfp", "kubeflow", config)
    store.register_stack_component(kfp)
    assert last_commit(root_of(store)) == (
        "gitstore: register orchestrator kfp",
        ["components/orchestrator/kfp.yaml"],
    )
    got = store.get_stack_component(ORCH, "kfp")
    assert (got.name, got.uuid, got.flavor, got.type) == ("kfp", kfp.uuid, "kubeflow", ORCH)
    assert decoded(got) == decoded(kfp)
    text = (root_of(store) / "components/orchestrator/kfp.yaml").read_text()
    assert text.startswith(f"id: {kfp.uuid}\nflavor: kubeflow\nconfig:\n")
    assert "\nname:" not in text and "uuid:" not in text


def test_register_existing_component_raises(store):
    with pytest.raises(StackComponentExistsError):
        store.register_stack_component(component("orchestrator", "default", "local"))


def test_register_component_with_unknown_flavor_changes_nothing(store):
    root = root_of(store)
    before = git(root, "rev-parse", "HEAD")
    with pytest.raises(IntegrityError) as info:
        store.register_stack_component(component("orchestrator", "x", "kubeflw"))
    assert info.value.problems[0].code == "GS201"
    assert "components/orchestrator/x.yaml:" in str(info.value)
    assert git(root, "rev-parse", "HEAD") == before
    assert not (root / "components/orchestrator/x.yaml").exists()
    assert git(root, "status", "--porcelain") == ""


def test_get_stack_components(store):
    store.register_stack_component(component("orchestrator", "kfp", "kubeflow"))
    assert [c.name for c in store.get_stack_components(ORCH)] == ["default", "kfp"]
    assert store.get_stack_components(StackComponentType.ALERTER) == []
    with pytest.raises(KeyError):
        store.get_stack_component(ORCH, "nope")


def test_update_component_rename_rewrites_stacks_in_one_commit(store):
    store.register_stack(
        StackWrapper(name="second", components=[store.get_stack_component(ORCH, "default")])
    )
    renamed = component(
        "orchestrator", "local-orch", "local", uuid=store.get_stack_component(ORCH, "default").uuid
    )
    result = store.update_stack_component("default", ORCH, renamed)
    assert result == {"orchestrator": "local"}
    subject, files = last_commit(root_of(store))
    assert subject == "gitstore: update orchestrator default as local-orch"
    assert files == [
        "components/orchestrator/default.yaml",
        "components/orchestrator/local-orch.yaml",
        "stacks/default.yaml",
        "stacks/second.yaml",
    ]
    assert store.get_stack_configuration("second") == {ORCH: "local-orch"}
    assert run_cli("validate", cwd=root_of(store)).code == 0


def test_update_component_config_and_errors(store):
    store.register_stack_component(
        component("orchestrator", "kfp", "kubeflow", {"synchronous": True})
    )
    store.update_stack_component(
        "kfp", ORCH, component("orchestrator", "kfp", "kubeflow", {"synchronous": False})
    )
    assert decoded(store.get_stack_component(ORCH, "kfp"))["synchronous"] is False
    with pytest.raises(KeyError):
        store.update_stack_component("nope", ORCH, component("orchestrator", "nope", "local"))
    with pytest.raises(StackComponentExistsError):
        store.update_stack_component("kfp", ORCH, component("orchestrator", "default", "local"))


def test_deregister_component(store):
    store.register_stack_component(component("orchestrator", "kfp", "kubeflow"))
    store.deregister_stack_component(ORCH, "kfp")
    assert last_commit(root_of(store)) == (
        "gitstore: deregister orchestrator kfp",
        ["components/orchestrator/kfp.yaml"],
    )
    with pytest.raises(ValueError, match="used by stack"):
        store.deregister_stack_component(ORCH, "default")
    with pytest.raises(KeyError):
        store.deregister_stack_component(ORCH, "kfp")


def test_invalid_names_are_refused(store):
    with pytest.raises(ValueError, match="not a valid user name"):
        store.create_user("../evil")
    with pytest.raises(ValueError):
        store.register_stack(StackWrapper(name="a/b", components=[]))


# --- users, teams, projects, roles --------------------------------------------


def test_users(store):
    alice = store.create_user("alice")
    assert last_commit(root_of(store)) == ("gitstore: create user alice", ["users/alice.yaml"])
    assert (root_of(store) / "users/alice.yaml").read_text() == f"id: {alice.id}\n"
    assert store.get_user("alice") == alice
    assert [u.name for u in store.users] == ["alice", "default"]
    with pytest.raises(EntityExistsError):
        store.create_user("alice")
    with pytest.raises(KeyError):
        store.get_user("bob")


def test_creation_date_is_the_commit_that_added_the_file(store):
    alice = store.create_user("alice")
    stamp = git(root_of(store), "log", "-1", "--format=%cI").strip()
    assert alice.creation_date.isoformat() == stamp


WRITTEN = datetime(2001, 2, 3, 4, 5, 6, 789012, tzinfo=timezone.utc)  # a time with a fraction


def write_by_hand(path: Path, text: str) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    os.utime(path, (WRITTEN.timestamp(), WRITTEN.timestamp()))


def commit_at(root: Path, when: str, *paths: str) -> None:
    git(root, "add", *paths)
    env = {**os.environ, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "commit", "-qm", "by hand"], cwd=root, env=env, check=True)


def test_an_uncommitted_file_is_dated_by_its_last_write_in_whole_seconds(store):
    root = root_of(store)
    write_by_hand(root / "users/carol.yaml", "email: carol@example.com\n")
    write_by_hand(root / "roles/viewer.yaml", "assignments:\n- user: carol\n")
    second = WRITTEN.replace(microsecond=0)
    assert store.get_user("carol").creation_date == second
    assert store.get_user("carol").creation_date == second  # the same at every read
    assert store.get_role("viewer").creation_date == second
    assert [a.creation_date for a in store.role_assignments] == [second]
    # committed in the second the file was written: nothing tells the two states apart
    commit_at(root, "2001-02-03T04:05:06Z", "users/carol.yaml", "roles/viewer.yaml")
    assert store.get_user("carol").creation_date == second
    assert store.get_role("viewer").creation_date == second
    assert [a.creation_date for a in store.role_assignments] == [second]


def test_creation_dates_are_whole_seconds_whether_committed_or_not(store):
    root = root_of(store)
    (root / "teams").mkdir()
    (root / "teams/ml.yaml").write_text("members: []\n")
    uncommitted = store.get_team("ml").creation_date
    assert uncommitted.microsecond == 0 and uncommitted.tzinfo is not None
    commit_at(root, "2002-03-04T05:06:07Z", "teams/ml.yaml")
    committed = store.get_team("ml").creation_date
    assert committed.isoformat() == "2002-03-04T05:06:07+00:00"
    assert [u.creation_date.microsecond for u in store.users] == [0]


def test_delete_user_cascades_to_teams_and_assignments(store):
    store.create_user("alice")
    store.create_user("bob")
    store.create_team("ml")
    store.add_user_to_team("ml", "alice")
    store.add_user_to_team("ml", "bob")
    store.create_role("admin")
    store.assign_role("admin", "alice")
    store.assign_role("admin", "bob")
    store.delete_user("alice")
    assert last_commit(root_of(store)) == (
        "gitstore: delete user alice",
        ["roles/admin.yaml", "teams/ml.yaml", "users/alice.yaml"],
    )
    assert [u.name for u in store.get_users_for_team("ml")] == ["bob"]
    assert [a.user_id for a in store.role_assignments] == [store.get_user("bob").id]
    with pytest.raises(KeyError):
        store.delete_user("alice")


def test_teams(store):
    store.create_user("alice")
    team = store.create_team("ml")
    assert store.get_team("ml") == team
    assert [t.name for t in store.teams] == ["ml"]
    store.add_user_to_team("ml", "alice")
    assert last_commit(root_of(store))[0] == "gitstore: add user alice to team ml"
    commits = commit_count(root_of(store))
    store.add_user_to_team("ml", "alice")  # already a member: nothing to commit
    assert commit_count(root_of(store)) == commits
    assert [t.name for t in store.get_teams_for_user("alice")] == ["ml"]
    store.remove_user_from_team("ml", "alice")
    assert store.get_users_for_team("ml") == []
    with pytest.raises(KeyError):
        store.add_user_to_team("ml", "nobody")
    with pytest.raises(KeyError):
        store.add_user_to_team("nope", "alice")
    with pytest.raises(EntityExistsError):
        store.create_team("ml")


def test_delete_team_drops_its_assignments(store):
    store.create_team("ml")
    store.create_role("viewer")
    store.assign_role("viewer", "ml", is_user=False)
    store.delete_team("ml")
    assert store.role_assignments == []
    assert last_commit(root_of(store))[1] == ["roles/viewer.yaml", "teams/ml.yaml"]


def test_projects(store):
    project = store.create_project("fraud", description="Fraud models")
    assert project.description == "Fraud models"
    assert store.get_project("fraud") == project
    assert store.create_project("plain").description is None
    assert [p.name for p in store.projects] == ["fraud", "plain"]
    with pytest.raises(EntityExistsError):
        store.create_project("fraud")


def test_delete_project_drops_scoped_assignments(store):
    store.create_project("fraud")
    store.create_role("admin")
    store.assign_role("admin", "default", project_name="fraud")
    store.assign_role("admin", "default")
    store.delete_project("fraud")
    assert [a.project_id for a in store.role_assignments] == [None]


def test_roles_and_assignments(store):
    role = store.create_role("admin")
    assert store.get_role("admin") == role
    assert [r.name for r in store.roles] == ["admin"]
    store.create_user("alice")
    store.create_team("ml")
    store.add_user_to_team("ml", "alice")
    store.create_project("fraud")
    store.assign_role("admin", "alice", project_name="fraud")
    assert (
        last_commit(root_of(store))[0]
        == "gitstore: assign role admin to user alice in project fraud"
    )
    store.assign_role("admin", "ml", is_user=False)
    store.assign_role("admin", "ml", is_user=False)  # no deduplication
    user_roles = store.get_role_assignments_for_user("alice")
    assert len(user_roles) == 3
    assert len(store.get_role_assignments_for_user("alice", include_team_roles=False)) == 1
    assert len(store.get_role_assignments_for_user("alice", project_name="fraud")) == 1
    assert len(store.get_role_assignments_for_team("ml")) == 2
    assert store.get_role_assignments_for_team("ml", project_name="fraud") == []
    store.revoke_role("admin", "ml", is_user=False)
    assert len(store.get_role_assignments_for_team("ml")) == 1
    commits = commit_count(root_of(store))
    store.revoke_role("admin", "alice")  # no unscoped assignment: silent, no commit
    assert commit_count(root_of(store)) == commits
    with pytest.raises(KeyError):
        store.assign_role("nope", "alice")
    with pytest.raises(KeyError):
        store.assign_role("admin", "alice", project_name="nope")
    with pytest.raises(KeyError):
        store.assign_role("admin", "nobody")
    store.delete_role("admin")
    assert store.role_assignments == []


def test_role_permissions_are_read(store):
    root = root_of(store)
    (root / "roles").mkdir()
    (root / "roles/maintainer.yaml").write_text("permissions:\n  stack: [create, read]\n")
    role = store.get_role("maintainer")
    assert {(p.operation.name, p.types) for p in role.permissions} == {
        ("stack", frozenset({PermissionType.CREATE, PermissionType.READ}))
    }
    assert all(isinstance(p, Permission) for p in role.permissions)
    assert role.id == UUID(derive_id("role", "maintainer"))


def test_create_default_user_is_idempotent(tmp_path):
    store = GitZenStore().initialize(str(tmp_path / "c"), skip_default_registrations=True)
    store.create_default_user()
    store.create_default_user()
    assert [u.name for u in store.users] == ["default"]
    assert commit_count(tmp_path / "c") == 2


# --- flavors --------------------------------------------------------------------


def test_flavors(store):
    builtin = store.get_flavor_by_name_and_type("kubeflow", ORCH)
    assert (builtin.name, builtin.integration) == ("kubeflow", "kubeflow")
    created = store.create_flavor("my_company.flavors.Airflow", "airflow-custom", ORCH)
    assert (created.source, created.type) == ("my_company.flavors.Airflow", ORCH)
    assert last_commit(root_of(store)) == (
        "gitstore: create orchestrator flavor airflow-custom",
        ["flavors/orchestrator/airflow-custom.yaml"],
    )
    names = [f.name for f in store.get_flavors_by_type(ORCH)]
    assert names == [
        "airflow",
        "github",
        "kubeflow",
        "kubernetes",
        "local",
        "vertex",
        "airflow-custom",
    ]
    assert any(f.name == "s3" for f in store.flavors)
    with pytest.raises(EntityExistsError):
        store.create_flavor("x.y", "airflow-custom", ORCH)
    with pytest.raises(EntityExistsError):
        store.create_flavor("x.y", "local", ORCH)
    with pytest.raises(KeyError):
        store.get_flavor_by_name_and_type("nope", ORCH)
    store.register_stack_component(
        component("orchestrator", "af", "airflow-custom", {"anything": 1})
    )
    assert store.get_stack_component(ORCH, "af").flavor == "airflow-custom"


def test_reads_survive_broken_files(store):
    root = root_of(store)
    (root / "roles").mkdir()
    (root / "roles/odd.yaml").write_text(
        "id: not-a-uuid\npermissions:\n  launch: [fly]\n  stack: [read, x]\n"
    )
    (root / "stacks/odd.yaml").write_text("components:\n  orchestrater: default\n")
    role = store.get_role("odd")
    assert role.id == UUID(derive_id("role", "odd"))
    assert {(p.operation.name, p.types) for p in role.permissions} == {
        ("stack", frozenset({PermissionType.READ}))
    }
    assert store.get_stack_configuration("odd") == {}


def test_store_used_before_initialize_says_so():
    from gitstore.errors import NotAConfigRepository

    with pytest.raises(
        NotAConfigRepository, match=r"call GitZenStore\(\).initialize\(path\) first"
    ):
        _ = GitZenStore().stacks
    with pytest.raises(NotAConfigRepository):
        GitZenStore().create_user("alice")
