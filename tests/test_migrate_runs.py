"""Pipeline runs of a ZenML store: recorded on the runs branch, exported back, clashes handled."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml
from conftest import git, run_cli
from test_migrate_stores import SECRETS, build_folder_store


def runs_listing(repo: Path) -> list[str]:
    listing = git(repo, "ls-tree", "-r", "--name-only", "gitstore/runs", "runs/")
    return sorted(Path(p).stem for p in listing.split())


def test_runs_are_recorded_and_exported_back(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    assert run_cli("import", "zenml", str(store), str(tmp_path / "repo")).code == 0
    assert runs_listing(tmp_path / "repo") == ["scoring-1", "training-1", "training-2"]
    result = run_cli("-C", str(tmp_path / "repo"), "export", "zenml", str(tmp_path / "out"),
                     "--secrets-file", str(tmp_path / "repo.secrets.yaml"))
    assert result.code == 0, result
    runs = yaml.safe_load((tmp_path / "out/pipeline_runs.yaml").read_text())["pipeline_runs"]
    assert {p: [r["name"] for r in rs] for p, rs in runs.items()} == {
        "scoring": ["scoring-1"], "training": ["training-1", "training-2"]}
    passwords = [yaml.safe_load(base64.b64decode(c["config"]))["password"]
                 for run in runs["training"] for c in run["stack"]["components"]
                 if c["type"] == "metadata_store"]
    assert passwords == ["old-pass-1", "hunter2"]  # each run's own, not the current component's
    assert run_cli("import", "zenml", str(tmp_path / "out"), str(tmp_path / "again")).code == 0
    assert runs_listing(tmp_path / "again") == runs_listing(tmp_path / "repo")
    assert comparable_records(tmp_path / "again") == comparable_records(tmp_path / "repo")
    assert git(tmp_path / "again", "ls-tree", "-r", "HEAD") == git(tmp_path / "repo", "ls-tree",
                                                                   "-r", "HEAD")
    assert (tmp_path / "again.secrets.yaml").read_bytes() == \
        (tmp_path / "repo.secrets.yaml").read_bytes()
    history = git(tmp_path / "again", "log", "-p", "--all")
    for secret in SECRETS:
        assert secret not in history


def record_texts(repo: Path) -> dict[str, str]:
    """Every run record on the runs branch, by run name, as written."""
    paths = git(repo, "ls-tree", "-r", "--name-only", "gitstore/runs", "runs/").split()
    return {Path(p).stem: git(repo, "show", f"gitstore/runs:{p}") for p in paths}


def comparable_records(repo: Path) -> dict[str, str]:
    """The records without the two lines that name the moment and commit of the import."""
    return {name: "".join(line for line in text.splitlines(keepends=True)
                          if not line.startswith(("recorded_at:", "config_commit:")))
            for name, text in record_texts(repo).items()}


def test_an_imported_run_keeps_its_own_stack_configs_with_secrets_replaced(
        tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    path = store / "pipeline_runs.yaml"
    runs = yaml.safe_load(path.read_text())
    mysql = runs["pipeline_runs"]["training"][0]["stack"]["components"][1]
    old = yaml.safe_load(base64.b64decode(mysql["config"]))
    assert old["password"] == "old-pass-1"
    mysql["config"] = base64.b64encode(yaml.safe_dump({**old, "host": "db-old.internal"}).encode()
                                       ).decode()
    path.write_text(yaml.safe_dump(runs))
    repo = tmp_path / "repo"
    assert run_cli("import", "zenml", str(store), str(repo)).code == 0
    record = yaml.safe_load(record_texts(repo)["training-1"])
    head = git(repo, "rev-parse", "HEAD").strip()
    assert (record["imported_from"], record["config_commit"], record["config_dirty"]) == (
        "zenml", head, False)
    assert record["stack"]["components"]["metadata_store"] == {
        "name": "mysql-prod", "id": "b0f85415-4f07-4621-af72-9fd27ab33411", "flavor": "mysql",
        "config": {"database": "mlmd", "host": "db-old.internal",
                   "password": "{{ mysql-prod-2.password }}", "port": 3306, "secret": None,
                   "upgrade_migration_enabled": True, "username": "mlmd"}}
    assert yaml.safe_load(record_texts(repo)["training-2"])["stack"]["components"][
        "metadata_store"]["config"]["password"] == "{{ mysql-prod.password }}"
    assert "host: db.internal\n" in (repo / "components/metadata_store/mysql-prod.yaml"
                                     ).read_text()
    secrets = yaml.safe_load((tmp_path / "repo.secrets.yaml").read_text())
    assert (secrets["mysql-prod"], secrets["mysql-prod-2"]) == (
        {"password": "hunter2"}, {"password": "old-pass-1"})
    shown = yaml.safe_load(run_cli("-C", str(repo), "run", "show", "training-1").out)
    assert shown["stack"] == record["stack"]
    assert shown["stack_source"] == "record (as the zenml run recorded it)"
    history = git(repo, "log", "-p", "--all")
    for secret in SECRETS:
        assert secret not in history


def test_the_library_returns_an_imported_runs_recorded_stack(tmp_path: Path) -> None:
    from gitstore import GitZenStore

    store = build_folder_store(tmp_path / "store")
    assert run_cli("import", "zenml", str(store), str(tmp_path / "repo")).code == 0
    zen = GitZenStore()
    zen.initialize(str(tmp_path / "repo"))
    runs = zen.get_pipeline_runs("training")
    configs = [{c.type.value: c.config_dict() for c in run.stack.components} for run in runs]
    assert [c["metadata_store"]["password"] for c in configs] == [
        "{{ mysql-prod-2.password }}", "{{ mysql-prod.password }}"]
    assert configs[0]["metadata_store"]["name"] == "mysql-prod"
    one = zen.get_pipeline_run("training", "training-1")
    assert one.stack == runs[0].stack and one.config_commit == git(
        tmp_path / "repo", "rev-parse", "HEAD").strip()


def test_run_of_a_stack_that_no_longer_exists_is_recorded_with_its_own_stack(
        tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    text = (store / "pipeline_runs.yaml").read_text().replace("name: custom\n", "name: retired\n")
    (store / "pipeline_runs.yaml").write_text(text)
    repo = tmp_path / "repo"
    result = run_cli("import", "zenml", str(store), str(repo))
    assert result.code == 0, result
    assert result.err == ""
    assert "  3 pipeline runs recorded on the runs branch\n" in result.out
    assert runs_listing(repo) == ["scoring-1", "training-1", "training-2"]
    assert not (repo / "stacks/retired.yaml").exists()
    record = yaml.safe_load(record_texts(repo)["scoring-1"])
    assert record["stack"]["name"] == "retired"
    assert record["stack"]["components"]["orchestrator"]["flavor"] == "my-orch"
    checked = run_cli("-C", str(repo), "validate", "--runs")
    assert checked.code == 0, checked
    shown = yaml.safe_load(run_cli("-C", str(repo), "run", "show", "scoring-1").out)
    assert shown["stack"]["name"] == "retired"
    out = tmp_path / "out"
    assert run_cli("-C", str(repo), "export", "zenml", str(out), "--format", "sqlite").code == 0
    again = tmp_path / "again"
    assert run_cli("import", "zenml", str(out), str(again)).code == 0
    assert comparable_records(again) == comparable_records(repo)


def test_runs_already_recorded_are_refused_skipped_or_renamed(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    repo = tmp_path / "repo"
    assert run_cli("import", "zenml", str(store), str(repo)).code == 0
    refused = run_cli("import", "zenml", str(store), str(repo), "--secrets-file",
                      str(tmp_path / "s2.yaml"))
    assert refused.code == 1 and "already has entities of these names" in refused.err
    skipped = run_cli("import", "zenml", str(store), str(repo), "--on-conflict", "skip",
                      "--secrets-file", str(tmp_path / "s2.yaml"))
    assert skipped.code == 0, skipped
    assert "  skipped run training-1: the repository records one of that name" in skipped.out
    assert runs_listing(repo) == ["scoring-1", "training-1", "training-2"]
    again = run_cli("import", "zenml", str(store), str(repo), "--on-conflict", "rename",
                    "--secrets-file", str(tmp_path / "s3.yaml"))
    assert again.code == 0, again
    assert runs_listing(repo) == ["scoring-1", "scoring-1-imported", "training-1",
                                  "training-1-imported", "training-2", "training-2-imported"]
    path = next(p for p in git(repo, "ls-tree", "-r", "--name-only", "gitstore/runs",
                               "runs/").split() if p.endswith("/training-1-imported.yaml"))
    record = yaml.safe_load(git(repo, "show", f"gitstore/runs:{path}"))
    assert (record["name"], record["stack"]["name"]) == ("training-1-imported",
                                                         "production-imported")


def test_run_records_hold_references_even_when_plaintext_secrets_are_kept(
        tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    repo = tmp_path / "repo"
    result = run_cli("import", "zenml", str(store), str(repo), "--keep-plaintext-secrets")
    assert result.code == 0, result
    assert "password: hunter2\n" in (repo / "components/metadata_store/mysql-prod.yaml"
                                     ).read_text()
    records = "".join(record_texts(repo).values())
    assert "password: '{{ mysql-prod.password }}'\n" in records
    for secret in SECRETS:
        assert secret not in records
    secrets = yaml.safe_load((tmp_path / "repo.secrets.yaml").read_text())
    assert secrets["mysql-prod"] == {"password": "old-pass-1"}
