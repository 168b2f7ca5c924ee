"""gitstore log: one entity's history, across renames by id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli
from trust_repo import commit_as

from gitstore.errors import UsageError
from gitstore.plumbing.sources import find_config_repo
from gitstore.trust.audit import entity_history, entity_ref

ID = "0b7f1c2e-7d0a-4f57-9a2e-3f8b7c6d5e4f"
OTHER = "1c8f2d3e-8e1b-4a68-8b3f-4a9c8d7e6f50"


@pytest.fixture
def renamed(make_repo: Callable[..., Path]) -> Path:
    root = make_repo({"gitstore.yaml": "format: 1\n",
                      "stacks/prod.yaml": f"id: {ID}\ndescription: first\ncomponents: {{}}\n",
                      "stacks/other.yaml": f"id: {OTHER}\ncomponents: {{}}\n"})
    commit_as(root, "alice@example.com",
              {"stacks/prod.yaml": f"id: {ID}\ndescription: second\ncomponents: {{}}\n"},
              message="describe prod")
    git(root, "mv", "stacks/prod.yaml", "stacks/production.yaml")
    commit_as(root, "bob@example.com", {}, message="rename prod", remove=("stacks/other.yaml",))
    commit_as(root, "carol@example.com",
              {"stacks/production.yaml": f"id: {ID}\ncomponents: {{}}\n"}, message="trim")
    return root


def test_history_follows_a_rename_by_id(renamed: Path) -> None:
    history = entity_history(find_config_repo(renamed), "stacks/production")
    assert [(e.status, e.path, e.old_path, e.commit.subject, e.commit.author_email)
            for e in history] == [
        ("changed", "stacks/production.yaml", None, "trim", "carol@example.com"),
        ("renamed", "stacks/production.yaml", "stacks/prod.yaml", "rename prod", "bob@example.com"),
        ("changed", "stacks/prod.yaml", None, "describe prod", "alice@example.com"),
        ("added", "stacks/prod.yaml", None, "initial", "author@example.com"),
    ]


def test_history_of_a_removed_entity(renamed: Path) -> None:
    history = entity_history(find_config_repo(renamed), "stacks/other.yaml")
    assert [(e.status, e.commit.subject) for e in history] == [("removed", "rename prod"),
                                                              ("added", "initial")]


def test_entity_paths_are_read_with_or_without_yaml() -> None:
    assert entity_ref("components/orchestrator/kfp-prod").path == \
        "components/orchestrator/kfp-prod.yaml"
    assert entity_ref("./stacks/prod.yaml/").name == "prod"
    assert entity_ref("gitstore.yaml").kind == "settings"
    with pytest.raises(UsageError, match="`stacks` does not name an entity"):
        entity_ref("stacks")
    with pytest.raises(UsageError):
        entity_ref("components/nope/x")


def test_log_of_nothing_and_of_a_bad_path(renamed: Path) -> None:
    result = run_cli("log", "stacks/never", cwd=renamed)
    assert (result.code, result.err) == (1, "gitstore: error: no commit on HEAD touches stacks/never\n")
    result = run_cli("log", "README.md", cwd=renamed)
    assert result.code == 2
    assert result.err.startswith("gitstore: error: `README.md` does not name an entity")


def test_log_prints_each_commit_in_entity_terms(renamed: Path) -> None:
    result = run_cli("log", "stacks/production", cwd=renamed)
    assert result.code == 0, result
    blocks = result.out.split("\n\n")
    assert blocks[0].splitlines()[1:] == [
        "    trim",
        "  stack production changed (stacks/production.yaml)",
        "      description: removed (was second)"]
    assert blocks[1].splitlines()[0].endswith("  2026-01-01T12:00:00+00:00  bob <bob@example.com>")
    assert blocks[1].splitlines()[1:] == [
        "    rename prod",
        "  stack production renamed from prod (stacks/prod.yaml → stacks/production.yaml)"]
    assert blocks[2].splitlines()[2:] == [
        "  stack prod changed (stacks/prod.yaml)",
        "      description: first → second"]
    assert blocks[3].splitlines()[2:] == ["  stack prod added (stacks/prod.yaml)"]
