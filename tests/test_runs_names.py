"""A run names users, projects and stacks that exist: `run record` refuses others with the
name meant, and `validate --runs` reports records that name them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from test_runs_show_validate import put_on_branch
from test_runs_support import BRANCH, a_run, config_files

from gitstore.runs import record_run
from gitstore.runs.layout import record_path

FILES = config_files(**{"users/alice.yaml": "email: alice@example.com\n",
                        "projects/fraud.yaml": "description: Fraud models\n"})


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(FILES)


def record(repo: Path, *args: str) -> tuple[int, str]:
    result = run_cli("run", "record", "--pipeline", "train", "--name", "r1", *args, cwd=repo)
    return result.code, result.err


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()[:12]


def nothing_recorded(repo: Path) -> bool:
    return not git(repo, "rev-parse", "--verify", "-q", BRANCH, check=False).strip()


def test_an_unknown_user_is_refused_with_the_name_meant(repo: Path) -> None:
    assert record(repo, "--stack", "default", "--user", "alcie") == (2, (
        f"gitstore: error: user `alcie` does not exist at configuration commit {head(repo)}; "
        "did you mean `alice`?\n"))
    assert record(repo, "--stack", "default", "--user", "nobody") == (2, (
        f"gitstore: error: user `nobody` does not exist at configuration commit {head(repo)}; "
        "users: alice, default\n"))
    assert nothing_recorded(repo)


def test_an_unknown_project_is_refused_with_the_name_meant(repo: Path) -> None:
    assert record(repo, "--stack", "default", "--project", "frod") == (2, (
        f"gitstore: error: project `frod` does not exist at configuration commit {head(repo)}; "
        "did you mean `fraud`?\n"))
    assert nothing_recorded(repo)


def test_a_stack_typo_is_not_told_to_commit_the_stack(repo: Path) -> None:
    code, err = record(repo, "--stack", "defualt")
    assert (code, err) == (2, (
        f"gitstore: error: stack `defualt` does not exist at configuration commit {head(repo)}; "
        "did you mean `default`?\n"))
    write_files(repo, {"stacks/new.yaml": "components:\n  orchestrator: default\n"})
    code, err = record(repo, "--stack", "new")
    assert (code, err) == (2, (
        f"gitstore: error: stack `new` does not exist at configuration commit {head(repo)}; "
        "commit the stack before recording runs on it\n"))
    assert nothing_recorded(repo)


def test_known_names_record(repo: Path) -> None:
    assert record(repo, "--stack", "default", "--user", "alice", "--project", "fraud") == (0, "")


def test_validate_runs_reports_unknown_users_and_projects(repo: Path) -> None:
    record_run(repo, a_run("good", project="fraud"))
    good = git(repo, "show", f"{BRANCH}:{record_path('train', 'good')}")
    user_id = next(line for line in good.splitlines() if line.startswith("user_id: "))
    ghost = good.replace("name: good", "name: ghost").replace(
        user_id, "user_id: 99999999-8888-7777-6666-555555555555")
    typo = good.replace("name: good", "name: typo").replace("project_name: fraud",
                                                            "project_name: frod")
    put_on_branch(repo, {record_path("train", "ghost"): ghost,
                         f".index/names/{record_path('train', 'ghost').split('/')[2]}/ghost":
                         record_path("train", "ghost"),
                         record_path("train", "typo"): typo,
                         f".index/names/{record_path('train', 'typo').split('/')[2]}/typo":
                         record_path("train", "typo")})
    result = run_cli("validate", "--runs", "--format", "json", cwd=repo)
    assert result.code == 1, result
    found = [(p["path"], p["code"], p["message"], p["hint"])
             for p in json.loads(result.out)["problems"]]
    commit = head(repo)
    assert found == [  # in path order: runs/train/02/typo.yaml, runs/train/c4/ghost.yaml
        (record_path("train", "typo"), "GS406",
         f"project `frod` did not exist at configuration commit {commit}", "did you mean `fraud`?"),
        (record_path("train", "ghost"), "GS406",
         f"user id 99999999-8888-7777-6666-555555555555 is not the id of a user at configuration "
         f"commit {commit}", "users: alice, default"),
    ]
