"""End-to-end: ``gitstore import zenml`` from folder and SQLite stores into real git repos."""

from __future__ import annotations

import base64
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git, run_cli
from test_migrate_stores import (
    A_IDS,
    LOCAL,
    P_CHURN,
    SECRETS,
    U_ALICE,
    build_folder_store,
    build_sqlite_store,
    isolated,
)

PORTABLE = "~/.config/gitstore/local_stores/5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11"


def tree_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def load(root: Path, rel: str) -> dict[str, object]:
    return yaml.safe_load((root / rel).read_text())


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One import shared by the tests that only read its result."""
    tmp = tmp_path_factory.mktemp("imported")
    with isolated(tmp_path_factory.mktemp("home")):
        store = build_folder_store(tmp / "store")
        result = run_cli("import", "zenml", str(store), str(tmp / "dest"))
        assert result.code == 0, result
        yield tmp / "dest"


def test_import_reports_files_secrets_and_portable_paths(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    result = run_cli("import", "zenml", "store", "dest", cwd=tmp_path)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].startswith(f"Created configuration repository {tmp_path}/dest from the ZenML "
                               f"folder store store: 21 files in commit ")
    assert (f"  portable path: component artifact_store/default: `path` {LOCAL} -> {PORTABLE}"
            in lines)
    assert (
        f"  5 plain-text secrets replaced by references; the values are in "
        f"{tmp_path}/dest.secrets.yaml (mode 0600, outside the repository): register them in "
        "the stack's secrets manager") in lines
    assert lines[-1] == "  3 pipeline runs recorded on the runs branch"
    assert result.err == ""
    assert store.exists()


def test_imported_files_keep_ids_and_configs(imported: Path) -> None:
    assert (imported / "components/metadata_store/mysql-prod.yaml").read_text() == """\
id: b0f85415-4f07-4621-af72-9fd27ab33411
flavor: mysql
config:
  database: mlmd
  host: db.internal
  password: "{{ mysql-prod.password }}"
  port: 3306
  secret: null
  upgrade_migration_enabled: true
  username: mlmd
"""
    assert (imported / "flavors/orchestrator/my-orch.yaml").read_text() == (
        "source: acme.flavors.MyOrchestrator\n")
    assert (imported / "roles/viewer.yaml").read_text() == """\
id: 8b2e0d3f-6c4a-4d9b-9f8e-2a3b4c5d6e78
assignments:
  - team: ml-platform
    project: fraud
  - user: bob
    project: churn
"""
    assert (imported / "teams/ml-platform.yaml").read_text() == (
        "id: 2d4f6a8b-0c3e-4a7b-9d1f-4c5e6f7a8b99\nmembers:\n  - alice\n  - bob\n")
    assert (imported / "users/alice.yaml").read_text() == f"id: {U_ALICE}\n"
    assert (imported / "projects/churn.yaml").read_text() == f"id: {P_CHURN}\n"
    assert (imported / "gitstore.yaml").read_text() == "format: 1\ndefault_stack: default\n"
    assert load(imported, "components/artifact_store/default.yaml")["config"] == {"path": PORTABLE}
    assert git(imported, "status", "--porcelain") == ""
    assert git(imported, "rev-list", "--count", "main").strip() == "1"
    assert git(imported, "log", "-1", "--format=%an <%ae>", "main") == (
        "Test Author <author@example.com>\n")


def test_import_validates_clean_even_strictly(imported: Path) -> None:
    result = run_cli("validate", "--strict", str(imported))
    assert result.code == 0, result
    assert result.out == "ok: 21 files checked in the working tree, no problems\n"


def test_no_secret_reaches_git_and_the_secrets_file_is_private(imported: Path) -> None:
    history = git(imported, "log", "-p", "--all")
    objects = git(imported, "rev-list", "--all", "--objects")
    assert history and objects
    for secret in SECRETS:
        assert secret not in history
    secrets_file = imported.parent / "dest.secrets.yaml"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert yaml.safe_load(secrets_file.read_text()) == {
        "custom": {"api_token": "tok-123"}, "mysql-prod": {"password": "hunter2"},
        "mysql-prod-2": {"password": "old-pass-1"},
        "s3-prod": {"key": "AKIAEXAMPLE", "secret": "s3cr3t-value"}}


def test_importing_twice_gives_byte_identical_files(tmp_path: Path, imported: Path) -> None:
    again = run_cli("import", "zenml", str(imported.parent / "store"), str(tmp_path / "again"))
    assert again.code == 0, again
    assert tree_files(imported) == tree_files(tmp_path / "again")


def test_sqlite_store_imports_to_the_same_files(tmp_path: Path, imported: Path) -> None:
    db = build_sqlite_store(tmp_path / "zen.db")
    result = run_cli("import", "zenml", f"sqlite:///{db}", str(tmp_path / "from-db"))
    assert result.code == 0, result
    assert "from the ZenML sqlite store sqlite:///" in result.out
    assert tree_files(imported) == tree_files(tmp_path / "from-db")


def test_repository_answers_what_the_store_held(imported: Path) -> None:
    """The parsed repository against the source's facts, read as the zen store API reads them."""
    from gitstore.plumbing.snapshot import load_snapshot
    from gitstore.plumbing.sources import find_config_repo

    snap = load_snapshot(find_config_repo(imported).worktree())
    stacks = {d.ref.name: d.data["components"] for d in snap.of_kind("stack")}
    assert stacks["custom"] == {"artifact_store": "default", "metadata_store": "default",
                                "orchestrator": "custom"}
    assert sorted(stacks) == ["custom", "default", "production"]
    ids = {(d.ref.type, d.ref.name): d.id for d in snap.of_kind("component")}
    assert ids[("orchestrator", "kfp-prod")] == "d6f4b785-60ab-46e3-841e-57c838d252c1"
    items = [(d.ref.name, a) for d in snap.of_kind("role") for a in d.data.get("assignments", [])]
    assert len(items) == len(A_IDS)
    assert Counter(a.get("user") or a["team"] for _, a in items) == {
        "alice": 1, "ml-platform": 1, "bob": 1}
    assert Counter(a.get("project") for _, a in items) == {None: 1, "fraud": 1, "churn": 1}
    assert Counter(role for role, _ in items) == {"admin": 1, "viewer": 2}
    members = {d.ref.name: d.data["members"] for d in snap.of_kind("team")}
    assert members == {"ml-platform": ["alice", "bob"]}


def test_runs_are_recorded_without_secrets(imported: Path) -> None:
    assert git(imported, "branch", "--list").split() == ["gitstore/runs", "*", "main"]
    history = git(imported, "log", "-p", "gitstore/runs")
    assert "name: training-2\n" in history
    for secret in SECRETS:
        assert secret not in history


def test_keep_plaintext_secrets_warns_and_keeps_them(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store", runs=False)
    result = run_cli("import", "zenml", str(store), str(tmp_path / "dest"),
                     "--keep-plaintext-secrets")
    assert result.code == 0, result
    assert result.err.startswith("gitstore: WARNING: --keep-plaintext-secrets: plain-text secrets "
                                 "will be committed to git")
    assert "password: hunter2\n" in (tmp_path / "dest/components/metadata_store/mysql-prod.yaml"
                                     ).read_text()
    assert not (tmp_path / "dest.secrets.yaml").exists()


def test_runs_become_run_records_without_secrets(tmp_path: Path) -> None:
    from gitstore.migrate.runs import scrub_run, to_wrapper
    from gitstore.migrate.secrets import SecretVault
    from gitstore.migrate.zenml_folder import read_folder

    data = read_folder(build_folder_store(tmp_path / "store"))
    vault, notes = SecretVault(), []
    wrappers = [to_wrapper(scrub_run(run, vault, notes), "c" * 40) for run in data.runs]
    assert [(w.pipeline.name, w.name, w.project_name) for w in wrappers] == [
        ("scoring", "scoring-1", None), ("training", "training-1", "fraud"),
        ("training", "training-2", "fraud")]
    text = "".join(w.model_dump_json() for w in wrappers)
    decoded = "".join(base64.b64decode(c.config).decode() for w in wrappers
                      for c in w.stack.components)
    for secret in SECRETS:
        assert secret not in text and secret not in decoded
    mysql = wrappers[1].stack.components[1]
    assert (mysql.name, str(mysql.uuid)) == ("mysql-prod", "b0f85415-4f07-4621-af72-9fd27ab33411")
    assert mysql.config_dict()["password"] == "{{ mysql-prod.password }}"
    assert str(wrappers[1].user_id) == U_ALICE and wrappers[1].config_commit == "c" * 40
    assert vault.values["mysql-prod"] == {"password": "old-pass-1"}
    assert notes == [f"run scoring-1: metadata_store/default: `uri` {LOCAL}/metadata.db -> "
                     f"{PORTABLE}/metadata.db",
                     f"run scoring-1: artifact_store/default: `path` {LOCAL} -> {PORTABLE}"]


def test_import_fills_the_empty_current_directory_in_place(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store", runs=False)
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    result = run_cli("import", "zenml", str(store), cwd=here)
    assert result.code == 0, result
    assert here.stat().st_ino == inode
    assert (here / "gitstore.yaml").is_file() and (here / ".git").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "here.secrets.yaml", "store"]
