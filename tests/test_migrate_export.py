"""End-to-end: ``gitstore export zenml`` / ``zenml-stack`` and the round trips through them."""

from __future__ import annotations

import base64
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from test_migrate_import import tree_files
from test_migrate_stores import COMPONENT_FILES, U_ALICE, build_folder_store

STACK_FILE = """\
components:
  artifact_store:
    flavor: s3
    key: AKIAEXAMPLE
    name: s3-prod
    path: s3://acme-ml-artifacts
  orchestrator:
    flavor: kubeflow
    kubeflow_pipelines_ui_port: 8080
    kubernetes_context: prod-cluster
    name: kfp-prod
    skip_cluster_provisioning: false
    skip_local_validations: false
    skip_ui_daemon_provisioning: false
    synchronous: true
stack_name: production
zenml_version: 0.10.0
"""


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    store = build_folder_store(tmp_path / "store", runs=False)
    result = run_cli("import", "zenml", str(store), str(tmp_path / "repo"))
    assert result.code == 0, result
    return tmp_path / "repo"


def test_folder_export_writes_what_zenml_writes(tmp_path: Path, imported: Path) -> None:
    result = run_cli("export", "zenml", str(tmp_path / "out"), "--secrets-file",
                     str(tmp_path / "repo.secrets.yaml"), cwd=imported)
    assert (result.code, result.out) == (
        0, f"Exported 3 stacks and 8 components as a ZenML folder store at {tmp_path}/out\n")
    out = tmp_path / "out"
    for rel in ("metadata_stores/mysql-prod.yaml", "orchestrators/kfp-prod.yaml",
                "artifact_stores/s3-prod.yaml", "container_registries/ecr.yaml"):
        assert (out / rel).read_text() == COMPONENT_FILES[rel]
    text = (out / "stacks.yaml").read_text()
    doc = yaml.safe_load(text)
    top_keys = re.findall(r"^(\w+):", text, re.M)
    assert top_keys == sorted(top_keys) == sorted(doc)
    assert doc["stack_components"]["orchestrator"] == {"custom": "my-orch", "default": "local",
                                                       "kfp-prod": "kubeflow"}
    assert doc["team_assignments"] == {"ml-platform": ["alice", "bob"]}
    assert {u["name"]: u["id"] for u in doc["users"]}["alice"] == U_ALICE
    assert doc["stack_component_flavors"] == [{"integration": None, "name": "my-orch",
                                               "source": "acme.flavors.MyOrchestrator",
                                               "type": "orchestrator"}]
    home = Path.home()
    local = yaml.safe_load((out / "artifact_stores/default.yaml").read_text())
    assert local["path"] == (
        f"{home}/.config/gitstore/local_stores/5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11")


@pytest.mark.parametrize(("target", "with_secrets"), [("out", True), ("out.db", False)],
                         ids=["folder-secrets-resolved", "sqlite-references"])
def test_import_export_import_gives_the_same_repository(tmp_path: Path, imported: Path,
                                                         target: str, with_secrets: bool) -> None:
    extra = ["--secrets-file", str(tmp_path / "repo.secrets.yaml")] if with_secrets else []
    result = run_cli("-C", str(imported), "export", "zenml", str(tmp_path / target), *extra)
    assert result.code == 0, result
    again = run_cli("import", "zenml", str(tmp_path / target), str(tmp_path / "again"))
    assert again.code == 0, again
    assert tree_files(tmp_path / "again") == tree_files(imported)
    assert (tmp_path / "again.secrets.yaml").exists() == with_secrets


def test_sqlite_export_has_the_documented_tables_and_encodings(tmp_path: Path,
                                                               imported: Path) -> None:
    result = run_cli("export", "zenml", f"sqlite:///{tmp_path}/zen.db", cwd=imported)
    assert result.code == 0, result
    conn = sqlite3.connect(tmp_path / "zen.db")
    columns = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")]
               for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert columns["zenstackcomponent"] == ["component_type", "name", "component_flavor",
                                            "configuration"]
    assert columns["roleassignmenttable"] == ["id", "creation_date", "role_id", "project_id",
                                              "team_id", "user_id"]
    assert sorted(columns) == [
        "pipelineruntable", "projecttable", "roleassignmenttable", "roletable",
        "teamassignmenttable", "teamtable", "usertable", "zenflavor", "zenstack",
        "zenstackcomponent", "zenstackdefinition", "zenuser"]
    assert conn.execute("SELECT id FROM usertable WHERE name = 'alice'").fetchone() == (
        U_ALICE.replace("-", ""),)
    stamp = conn.execute("SELECT creation_date FROM teamtable").fetchone()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stamp)
    config = conn.execute("SELECT configuration FROM zenstackcomponent "
                          "WHERE name = 'kfp-prod'").fetchone()[0]
    assert base64.b64decode(config).decode() == COMPONENT_FILES["orchestrators/kfp-prod.yaml"]
    assert conn.execute("SELECT * FROM zenstackdefinition WHERE stack_name = 'custom' "
                        "ORDER BY component_type").fetchall() == [
        ("custom", "artifact_store", "default"), ("custom", "metadata_store", "default"),
        ("custom", "orchestrator", "custom")]
    conn.close()


def test_export_refuses_an_existing_destination(tmp_path: Path, imported: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/keep.txt").write_text("mine\n")
    result = run_cli("export", "zenml", str(tmp_path / "out"), cwd=imported)
    assert (result.code, result.err) == (
        2, f"gitstore: error: {tmp_path}/out exists and is not an empty folder\n")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_export_of_an_invalid_repository_is_refused(tmp_path: Path, imported: Path) -> None:
    (imported / "stacks/default.yaml").write_text("components:\n  orchestrator: nope\n")
    result = run_cli("export", "zenml", str(tmp_path / "out.db"), cwd=imported)
    assert result.code == 1, result
    assert result.err.splitlines()[1] == (
        "  stacks/default.yaml:2:17: GS203 orchestrator `nope` does not exist "
        "(expected components/orchestrator/nope.yaml)")
    assert not (tmp_path / "out.db").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


# ---- single-stack files -----------------------------------------------------------------------


def test_export_stack_file(tmp_path: Path, imported: Path) -> None:
    result = run_cli("export", "zenml-stack", "production", "-", cwd=imported)
    assert result.code == 0, result
    doc = yaml.safe_load(result.out)
    assert doc["stack_name"] == "production" and doc["zenml_version"] == "0.10.0"
    assert doc["components"]["metadata_store"] == {
        "database": "mlmd", "flavor": "mysql", "host": "db.internal", "name": "mysql-prod",
        "password": "{{ mysql-prod.password }}", "port": 3306, "upgrade_migration_enabled": True,
        "username": "mlmd"}
    to_file = run_cli("export", "zenml-stack", "production", cwd=imported)
    assert to_file.out == f"Exported stack production to {imported}/production.yaml\n"
    assert (imported / "production.yaml").read_text() == result.out
    missing = run_cli("export", "zenml-stack", "prodution", cwd=imported)
    assert (missing.code, missing.err) == (
        2, "gitstore: error: no stack `prodution` in the repository "
           "(did you mean `production`?)\n")


def test_import_stack_file_into_a_repository(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path / "repo")).code == 0
    (tmp_path / "production.yaml").write_text(STACK_FILE)
    result = run_cli("-C", str(tmp_path / "repo"), "import", "zenml-stack", "../production.yaml")
    assert result.code == 0, result
    repo = tmp_path / "repo"
    assert (repo / "stacks/production.yaml").read_text() == (
        "components:\n  artifact_store: s3-prod\n  orchestrator: kfp-prod\n")
    assert (repo / "components/artifact_store/s3-prod.yaml").read_text() == (
        "flavor: s3\nconfig:\n  key: \"{{ s3-prod.key }}\"\n  path: s3://acme-ml-artifacts\n")
    assert yaml.safe_load((tmp_path / "repo.secrets.yaml").read_text()) == {
        "s3-prod": {"key": "AKIAEXAMPLE"}}
    assert run_cli("validate", "--strict", str(repo)).code == 0
    back = run_cli("export", "zenml-stack", "production", "-", "--secrets-file",
                   str(tmp_path / "repo.secrets.yaml"), cwd=repo)
    assert back.out == STACK_FILE
