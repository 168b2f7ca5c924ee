"""gitstore who-can: the holders of a permission, and how they hold it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import run_cli
from trust_repo import TRUST_FILES


def test_who_can_lists_direct_and_team_holders(make_repo: Callable[..., Path]) -> None:
    root = make_repo(TRUST_FILES)
    result = run_cli("who-can", "stack", "create", cwd=root)
    assert (result.code, result.out) == (0, (
        "users holding `stack: create`:\n"
        "  alice  role admin (directly)\n"
        "  carol  role stack-editor (team ml-platform)\n"))


def test_who_can_with_a_project_counts_scoped_assignments(make_repo: Callable[..., Path]) -> None:
    root = make_repo(TRUST_FILES)
    result = run_cli("who-can", "pipeline_run", "create", "--project", "fraud", cwd=root)
    assert result.out == ("users holding `pipeline_run: create` in project fraud:\n"
                          "  alice  role admin (directly)\n"
                          "  dave   role runner (directly, in project fraud only)\n")
    result = run_cli("who-can", "pipeline_run", "update", cwd=root)
    assert result.out == ("users holding `pipeline_run: update`:\n"
                          "  alice  role admin (directly)\n"
                          "in some projects only:\n"
                          "  dave  role runner (directly, in project fraud only)\n")


def test_who_can_says_when_nobody_can(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"gitstore.yaml": "format: 1\n"})
    result = run_cli("who-can", "role", "delete", cwd=root)
    assert (result.code, result.out) == (0, "nobody holds `role: delete`\n")


def test_who_can_rejects_unknown_operations(make_repo: Callable[..., Path]) -> None:
    root = make_repo(TRUST_FILES)
    result = run_cli("who-can", "stacks", "create", cwd=root)
    assert result.code == 2
    assert "'stacks' is not one of" in result.err


def test_who_can_reads_a_commit_or_the_working_tree(make_repo: Callable[..., Path]) -> None:
    root = make_repo(TRUST_FILES)
    (root / "teams/ml-platform.yaml").write_text("members: []\n")
    assert run_cli("who-can", "stack", "create", cwd=root).out == (
        "users holding `stack: create`:\n  alice  role admin (directly)\n")
    assert run_cli("who-can", "stack", "create", "--rev", "HEAD", cwd=root).out.endswith(
        "  carol  role stack-editor (team ml-platform)\n")


def test_who_can_a_user_holding_a_role_directly_and_through_a_team(make_repo: Callable[..., Path]) -> None:
    root = make_repo({
        "gitstore.yaml": "format: 1\n",
        "users/alice.yaml": "{}\n",
        "teams/ops.yaml": "members: [alice]\n",
        "roles/admin.yaml": "permissions: {flavor: [create]}\nassignments:\n  - user: alice\n"
                            "  - team: ops\n",
    })
    result = run_cli("who-can", "flavor", "create", cwd=root)
    assert (result.code, result.out) == (0, (
        "users holding `flavor: create`:\n"
        "  alice  role admin (directly); role admin (team ops)\n"))
