"""One role held by one user several ways (directly, through teams, per project): every
trust feature copes, the pre-receive hook included."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli
from test_trust_push import STACK, Server
from trust_repo import TRUST_FILES, commit_as

# alice holds admin directly, through team fraud, scoped to fraud directly and scoped to
# churn through the team; dave holds it through the team only
MIXED = {
    **TRUST_FILES,
    "teams/fraud.yaml": "members: [alice, dave]\n",
    "roles/admin.yaml": TRUST_FILES["roles/admin.yaml"]
    + "  - team: fraud\n  - user: alice\n    project: fraud\n  - team: fraud\n    project: churn\n",
}


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(MIXED)


def test_who_can_lists_each_way_a_role_is_held(repo: Path) -> None:
    result = run_cli("who-can", "stack", "create", cwd=repo)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "users holding `stack: create`:",
        "  alice  role admin (directly); role admin (team fraud)",
        "  carol  role stack-editor (team ml-platform)",
        "  dave   role admin (team fraud)"]
    result = run_cli("who-can", "pipeline_run", "create", "--project", "churn", cwd=repo)
    assert result.code == 0, result
    assert "role admin (team fraud, in project churn only)" in result.out


def test_codeowners_and_validate_with_a_codeowners_file(repo: Path) -> None:
    written = run_cli("codeowners", "--write", cwd=repo)
    assert written.code == 0, written
    assert "/stacks/ @alice-gh @carol-gh dave@example.com" in (repo / "CODEOWNERS").read_text()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "codeowners")
    result = run_cli("validate", cwd=repo)
    assert (result.code, result.err) == (0, ""), result


def test_check_permissions_judges_mixed_grants(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    commit_as(repo, "dave@example.com", {"stacks/prod.yaml": STACK})
    result = run_cli("check-permissions", base, cwd=repo)
    assert (result.code, result.err) == (0, ""), result
    commit_as(repo, "bob@example.com", {"stacks/other.yaml": STACK})
    result = run_cli("check-permissions", base, cwd=repo)
    assert result.code == 1, result
    assert "who could approve it: alice, carol, dave" in result.out


def test_the_pre_receive_hook_accepts_a_push_under_mixed_grants(tmp_path: Path) -> None:
    server = Server(tmp_path, MIXED)
    new = commit_as(server.work, "dave@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main")
    assert code == 0, remote
    assert server.tip() == new
    commit_as(server.work, "bob@example.com", {"stacks/other.yaml": STACK})
    code, remote = server.push("main")
    assert code != 0
    assert "internal error" not in "\n".join(remote)
    assert any("who could approve it: alice, carol, dave" in line for line in remote), remote


def test_runs_sync_through_the_hook_under_mixed_grants(tmp_path: Path) -> None:
    server = Server(tmp_path, MIXED)
    alice = {"GIT_AUTHOR_EMAIL": "alice@example.com", "GIT_COMMITTER_EMAIL": "alice@example.com"}
    recorded = run_cli("run", "record", "--pipeline", "train", "--name", "r1", "--stack", "local",
                       "--user", "alice", "--project", "fraud", cwd=server.work, env=alice)
    assert recorded.code == 0, recorded
    synced = run_cli("runs", "sync", cwd=server.work, env=alice)
    assert synced.code == 0, synced
    assert "internal error" not in synced.err
    assert git(server.bare, "rev-parse", "--verify", "-q", "refs/heads/gitstore/runs",
               check=False).strip()
