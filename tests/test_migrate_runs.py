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
    mysql = next(c for c in runs["training"][0]["stack"]["components"]
                 if c["type"] == "metadata_store")
    assert yaml.safe_load(base64.b64decode(mysql["config"]))["password"] == "hunter2"
    assert run_cli("import", "zenml", str(tmp_path / "out"), str(tmp_path / "again")).code == 0
    assert runs_listing(tmp_path / "again") == runs_listing(tmp_path / "repo")
    history = git(tmp_path / "again", "log", "-p", "--all")
    for secret in SECRETS:
        assert secret not in history


def test_run_of_a_stack_that_no_longer_exists_is_left_out_and_named(tmp_path: Path) -> None:
    store = build_folder_store(tmp_path / "store")
    text = (store / "pipeline_runs.yaml").read_text().replace("name: custom\n", "name: retired\n")
    (store / "pipeline_runs.yaml").write_text(text)
    result = run_cli("import", "zenml", str(store), str(tmp_path / "repo"))
    assert result.code == 0, result
    assert result.err == ("gitstore: warning: not recorded: run scoring-1 of pipeline scoring: "
                          "its stack `retired` does not exist\n")
    assert runs_listing(tmp_path / "repo") == ["training-1", "training-2"]


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
