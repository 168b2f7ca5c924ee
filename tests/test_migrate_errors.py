"""Bad sources and name clashes: a clear error, the right exit code, DEST untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, run_cli
from test_migrate_stores import STACKS_YAML, build_folder_store, build_sqlite_store


def assert_untouched(tmp_path: Path) -> None:
    assert not (tmp_path / "dest").exists()
    assert not (tmp_path / "dest.secrets.yaml").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dest")] == []


def test_missing_source(tmp_path: Path) -> None:
    result = run_cli("import", "zenml", str(tmp_path / "nowhere"), str(tmp_path / "dest"))
    assert (result.code, result.err) == (2, f"gitstore: error: {tmp_path}/nowhere: no such file "
                                            "or folder\n")
    assert_untouched(tmp_path)


def test_folder_without_stacks_yaml(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    result = run_cli("import", "zenml", str(tmp_path / "store"), str(tmp_path / "dest"))
    assert (result.code, result.err) == (
        2, f"gitstore: error: {tmp_path}/store is not a ZenML folder store: it has no "
           "stacks.yaml\n")
    assert_untouched(tmp_path)


@pytest.mark.parametrize(("text", "message"), [
    ("- a list\n", "stacks.yaml: expected a mapping, found list"),
    ("stacks: [1, 2]\n", "stacks.yaml: `stacks`: expected a mapping, found list"),
    ("stacks: {a: 1\n", "stacks.yaml:2:1: not valid YAML (did not find expected ',' or '}')"),
    ("stack_components:\n  orchestrater:\n    x: local\n",
     "stacks.yaml: `stack_components.orchestrater`: `orchestrater` is not a stack component type"),
])
def test_stacks_yaml_that_is_not_what_it_should_be(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "store").mkdir()
    (tmp_path / "store/stacks.yaml").write_text(text)
    result = run_cli("import", "zenml", str(tmp_path / "store"), str(tmp_path / "dest"))
    assert (result.code, result.err) == (2, f"gitstore: error: {tmp_path}/store/{message}\n")
    assert_untouched(tmp_path)


def test_missing_component_file(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    (store / "container_registries/ecr.yaml").unlink()
    result = run_cli("import", "zenml", str(store), str(tmp_path / "dest"))
    assert (result.code, result.err) == (
        2, f"gitstore: error: {store}/container_registries/ecr.yaml: no such file\n")
    assert_untouched(tmp_path)


def test_stack_naming_a_missing_component_is_a_dangling_reference(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    (store / "stacks.yaml").write_text(STACKS_YAML.replace("    orchestrator: kfp-prod\n",
                                                           "    orchestrator: kfp-staging\n"))
    result = run_cli("import", "zenml", str(store), str(tmp_path / "dest"))
    assert (result.code, result.err) == (
        1, "gitstore: error: the source refers to entities it does not hold:\n"
           "  stack `production` uses orchestrator `kfp-staging`, which does not exist\n")
    assert_untouched(tmp_path)


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "zen.db"
    db.write_bytes(b"this is not a database" * 100)
    result = run_cli("import", "zenml", str(db), str(tmp_path / "dest"))
    assert (result.code, result.err) == (
        2, f"gitstore: error: {db}: not a readable ZenML SQLite store (file is not a database)\n")
    assert_untouched(tmp_path)


def test_sqlite_component_configuration_that_is_not_base64(tmp_path: Path) -> None:
    import sqlite3

    db = build_sqlite_store(tmp_path / "zen.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE zenstackcomponent SET configuration = '%%%' WHERE name = 'ecr'")
    result = run_cli("import", "zenml", f"sqlite:///{db}", str(tmp_path / "dest"))
    assert result.code == 2, result
    assert result.err.startswith(f"gitstore: error: {db}: zenstackcomponent "
                                 "container_registry/ecr: `configuration` is not base64 of YAML")
    assert_untouched(tmp_path)


def test_result_that_would_not_validate_is_refused(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store", runs=False)
    text = (store / "orchestrators/kfp-prod.yaml").read_text()
    (store / "orchestrators/kfp-prod.yaml").write_text(text.replace("synchronous", "synchronus"))
    result = run_cli("import", "zenml", str(store), str(tmp_path / "dest"))
    assert result.code == 1, result
    assert result.err.splitlines()[:2] == [
        "gitstore: error: the imported content would not be a valid configuration repository:",
        "  components/orchestrator/kfp-prod.yaml:11:3: GS202 unknown config key `synchronus` for "
        "the `kubeflow` orchestrator flavor"]
    assert_untouched(tmp_path)


def test_nonempty_dest_that_is_no_repository(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest/notes.txt").write_text("mine\n")
    result = run_cli("import", "zenml", str(store), str(tmp_path / "dest"))
    assert result.code == 2, result
    assert "is neither empty nor a configuration repository" in result.err
    assert [p.name for p in (tmp_path / "dest").iterdir()] == ["notes.txt"]


# ---- adding to an existing repository ---------------------------------------------------------


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    result = run_cli("init", str(tmp_path / "dest"))
    assert result.code == 0, result
    return tmp_path / "dest"


def test_name_clashes_are_refused_by_default(tmp_path: Path, existing: Path) -> None:
    head = git(existing, "rev-parse", "HEAD")
    store = build_folder_store(tmp_path / "store", runs=False)
    result = run_cli("import", "zenml", str(store), str(existing))
    assert (result.code, result.err) == (1, (
        "gitstore: error: the repository already has entities of these names (choose "
        "--on-conflict skip or rename):\n"
        "  component artifact_store/default\n  component metadata_store/default\n"
        "  component orchestrator/default\n  stack default\n  user default\n"))
    assert git(existing, "rev-parse", "HEAD") == head
    assert git(existing, "status", "--porcelain") == ""
    assert not (tmp_path / "dest.secrets.yaml").exists()


def test_on_conflict_skip_keeps_the_repository_entities(tmp_path: Path, existing: Path) -> None:
    before = (existing / "components/artifact_store/default.yaml").read_bytes()
    store = build_folder_store(tmp_path / "store", runs=False)
    result = run_cli("import", "zenml", str(store), str(existing), "--on-conflict", "skip")
    assert result.code == 0, result
    assert result.out.startswith(f"Updated configuration repository {existing} from the ZenML "
                                 "folder store")
    assert "  skipped stack default: the repository's own is kept" in result.out.splitlines()
    assert (existing / "components/artifact_store/default.yaml").read_bytes() == before
    assert (existing / "stacks/production.yaml").exists()
    assert git(existing, "rev-list", "--count", "HEAD").strip() == "2"
    assert git(existing, "status", "--porcelain") == ""
    assert run_cli("validate", "--strict", str(existing)).code == 0


def test_importing_only_conflicts_with_skip_makes_no_commit(tmp_path: Path, existing: Path) -> None:
    stack_file = tmp_path / "default.yaml"
    assert run_cli("export", "zenml-stack", "default", str(stack_file), cwd=existing).code == 0
    head = git(existing, "rev-parse", "HEAD")
    result = run_cli("import", "zenml-stack", str(stack_file), "--on-conflict", "skip", cwd=existing)
    assert result.code == 0, result
    assert result.out.splitlines()[0] == (
        f"No configuration file to add to {existing} from the stack file {stack_file}: "
        "no commit made")
    assert "  skipped stack default: the repository's own is kept" in result.out.splitlines()
    assert head[:12] not in result.out
    assert git(existing, "rev-parse", "HEAD") == head
    assert git(existing, "status", "--porcelain") == ""


def test_on_conflict_rename_rewrites_references(tmp_path: Path, existing: Path) -> None:
    store = build_folder_store(tmp_path / "store", runs=False)
    result = run_cli("import", "zenml", str(store), str(existing), "--on-conflict", "rename")
    assert result.code == 0, result
    assert "  renamed component orchestrator/default to `default-imported`" in result.out
    assert (existing / "stacks/default-imported.yaml").read_text() == (
        "components:\n  artifact_store: default-imported\n  metadata_store: default-imported\n"
        "  orchestrator: default-imported\n")
    assert "- default-imported\n" not in (existing / "teams/ml-platform.yaml").read_text()
    assert (existing / "users/default-imported.yaml").exists()
    assert git(existing, "show", "--stat", "--format=%s", "HEAD").startswith(
        "Import ZenML folder store: 3 stacks, 8 components\n")
    check = run_cli("validate", "--strict", str(existing))
    assert check.code == 0, check
