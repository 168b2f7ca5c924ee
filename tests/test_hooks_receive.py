"""The pre-receive hook, end to end: real pushes to a bare repository with the hook installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files

BASE = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/local.yaml": "flavor: local\n",
    "components/artifact_store/store.yaml": "flavor: local\n",
    "stacks/dev.yaml": "components:\n  orchestrator: local\n  artifact_store: store\n",
    "users/alice.yaml": "email: alice@example.com\n",
}
MISSING_ORCH = ("stacks/dev.yaml:2:17: GS203 orchestrator `local` does not exist "
                "(expected components/orchestrator/local.yaml)")


class Pushing:
    """A working clone whose origin is a bare repository guarded by the pre-receive hook."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.work = root / "work"
        self.bare = root / "server.git"
        self.work.mkdir()
        git(self.work, "init", "-q")
        write_files(self.work, files)
        self.commit("initial")
        git(root, "clone", "-q", "--bare", str(self.work), str(self.bare))
        git(self.work, "remote", "add", "origin", str(self.bare))
        git(self.work, "fetch", "-q", "origin")
        installed = run_cli("hooks", "install", "--server", str(self.bare))
        assert installed.code == 0, installed

    def commit(self, message: str, files: dict[str, str] | None = None,
               delete: tuple[str, ...] = ()) -> None:
        write_files(self.work, files or {})
        for rel in delete:
            git(self.work, "rm", "-q", rel)
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)

    def push(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "push", "origin", *args], cwd=self.work,
                              capture_output=True, text=True, timeout=60)

    def server_tip(self, branch: str = "main") -> str:
        return git(self.bare, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False).strip()

    def local_tip(self, rev: str = "HEAD") -> str:
        return git(self.work, "rev-parse", rev).strip()


def remote_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line[len("remote: "):].rstrip() for line in proc.stderr.splitlines()
            if line.startswith("remote: ")]


@pytest.fixture
def server(tmp_path: Path) -> Pushing:
    return Pushing(tmp_path, BASE)


def test_broken_commit_made_with_no_verify_is_rejected_with_located_errors(server: Pushing):
    before = server.server_tip()
    server.commit("break", {"stacks/dev.yaml": "components:\n  orchestrator: locl\n"
                                               "  artifact_store: store\n"})
    proc = server.push("main")
    assert proc.returncode != 0
    assert remote_lines(proc) == [
        "gitstore: refs/heads/main: rejected: 1 new error (5 files checked)",
        "stacks/dev.yaml:2:17: GS203 orchestrator `locl` does not exist "
        "(expected components/orchestrator/locl.yaml)",
        "    hint: did you mean `local`?",
        "gitstore: push rejected: 1 of 1 ref would be left invalid; fix the errors above and push again",
    ]
    assert "pre-receive hook declined" in proc.stderr
    assert server.server_tip() == before


def test_valid_commit_lands(server: Pushing):
    server.commit("bob", {"users/bob.yaml": "email: bob@example.com\n"})
    proc = server.push("main")
    assert proc.returncode == 0, proc.stderr
    assert remote_lines(proc) == ["gitstore: refs/heads/main: ok (6 files checked)"]
    assert server.server_tip() == server.local_tip()


def test_deletion_only_commit_that_breaks_a_stack_is_rejected(server: Pushing):
    server.commit("drop orchestrator", delete=("components/orchestrator/local.yaml",))
    proc = server.push("main")
    assert proc.returncode != 0
    assert MISSING_ORCH in remote_lines(proc)


def test_problems_already_on_the_branch_are_warnings_not_rejections(tmp_path: Path):
    legacy = {**BASE, "teams/core.yaml": "members: [alice, ghost]\n"}
    server = Pushing(tmp_path, legacy)
    # lines move above the legacy problem, and an unrelated valid change is pushed
    server.commit("edit", {"teams/core.yaml": "# the core team\nmembers: [alice, ghost]\n",
                           "users/bob.yaml": "email: bob@example.com\n"})
    proc = server.push("main")
    assert proc.returncode == 0, proc.stderr
    assert remote_lines(proc) == [
        "gitstore: refs/heads/main: ok (7 files checked)",
        "gitstore: refs/heads/main: 1 error already on the branch before this push (not blocking):",
        "teams/core.yaml:2:18: GS205 warning: member `ghost` is not a user "
        "(expected users/ghost.yaml)",
    ]
    assert server.server_tip() == server.local_tip()


def test_new_problem_next_to_legacy_one_is_rejected(tmp_path: Path):
    server = Pushing(tmp_path, {**BASE, "teams/core.yaml": "members: [alice, ghost]\n"})
    server.commit("break", {"teams/core.yaml": "members: [alice, ghost, phantom]\n"})
    lines = remote_lines(server.push("main"))
    assert lines[0] == "gitstore: refs/heads/main: rejected: 1 new error (6 files checked)"
    assert lines[1].startswith("teams/core.yaml:1:25: GS205 member `phantom`")
    assert "teams/core.yaml:1:18: GS205 warning: member `ghost` is not a user " \
           "(expected users/ghost.yaml)" in lines


def test_new_branch_is_compared_with_the_default_branch(tmp_path: Path):
    server = Pushing(tmp_path, {**BASE, "teams/core.yaml": "members: [ghost]\n"})
    git(server.work, "checkout", "-q", "-b", "feature")
    server.commit("ok on feature", {"users/bob.yaml": "email: bob@example.com\n"})
    proc = server.push("feature")
    assert proc.returncode == 0, proc.stderr
    assert "1 error already on the branch before this push" in proc.stderr
    server.commit("broken on feature", {"teams/more.yaml": "members: [nobody]\n"})
    proc = server.push("HEAD:refs/heads/feature2")
    assert proc.returncode != 0
    assert "gitstore: refs/heads/feature2: rejected: 1 new error (8 files checked)" in remote_lines(proc)


def test_deleting_a_branch_is_allowed(server: Pushing):
    git(server.work, "push", "-q", "origin", "main:refs/heads/old")
    proc = server.push("--delete", "old")
    assert proc.returncode == 0, proc.stderr
    assert remote_lines(proc) == ["gitstore: refs/heads/old: ok (branch deleted)"]
    assert server.server_tip("old") == ""


def test_several_refs_in_one_push_reject_all_when_one_is_broken(server: Pushing):
    git(server.work, "branch", "good")
    git(server.work, "checkout", "-q", "-b", "bad")
    server.commit("break", delete=("components/artifact_store/store.yaml",))
    proc = server.push("good", "bad")
    assert proc.returncode != 0
    lines = remote_lines(proc)
    assert "gitstore: refs/heads/good: ok (5 files checked)" in lines
    assert "gitstore: refs/heads/bad: rejected: 1 new error (4 files checked)" in lines
    assert "gitstore: push rejected: 1 of 2 refs would be left invalid; fix the errors above " \
           "and push again" in lines
    assert server.server_tip("good") == "" and server.server_tip("bad") == ""


def test_force_push_is_checked_against_the_replaced_tip(server: Pushing):
    server.commit("bob", {"users/bob.yaml": "email: bob@example.com\n"})
    assert server.push("main").returncode == 0
    git(server.work, "reset", "-q", "--hard", "HEAD~1")
    server.commit("rewrite", {"stacks/dev.yaml": "components:\n  orchestrator: gone\n"
                                                 "  artifact_store: store\n"})
    proc = server.push("--force", "main")
    assert proc.returncode != 0
    assert "rejected: 1 new error" in proc.stderr
    git(server.work, "reset", "-q", "--hard", "HEAD~1")
    server.commit("valid rewrite", {"users/carol.yaml": "email: carol@example.com\n"})
    proc = server.push("--force", "main")
    assert proc.returncode == 0, proc.stderr
    assert server.server_tip() == server.local_tip()


def test_runs_branch_is_left_to_its_own_checks(server: Pushing):
    git(server.work, "checkout", "-q", "--orphan", "gitstore/runs")
    git(server.work, "rm", "-rq", "--cached", ".")
    for rel in BASE:
        (server.work / rel).unlink()
    server.commit("a run", {"runs/train/r1.yaml": "stack: dev\n"})
    proc = server.push("gitstore/runs")
    assert proc.returncode == 0, proc.stderr
    assert remote_lines(proc) == [
        "gitstore: refs/heads/gitstore/runs: ok (runs branch; its records are checked separately)"]


def test_deleting_gitstore_yaml_is_rejected(server: Pushing):
    server.commit("drop settings", delete=("gitstore.yaml",))
    proc = server.push("main")
    assert proc.returncode != 0
    assert remote_lines(proc)[0] == ("gitstore: refs/heads/main: rejected: gitstore.yaml is deleted: "
                                     "the branch would no longer be a configuration repository")


def test_tags_are_not_checked(server: Pushing):
    server.commit("break", delete=("components/artifact_store/store.yaml",))
    git(server.work, "tag", "v1")
    proc = server.push("v1")
    assert proc.returncode == 0, proc.stderr


def test_reported_errors_equal_a_full_uncached_validation(server: Pushing):
    """The cached check of a push reports exactly the problems a full check of the new tip does."""
    server.commit("several changes", {
        "stacks/prod.yaml": "components:\n  orchestrator: nope\n  artifact_store: store\n",
        "components/orchestrator/kf.yaml": "flavor: kubeflw\n",
        "teams/t.yaml": "members: [alice, zed]\n",
    }, delete=("components/artifact_store/store.yaml",))
    pushed = [line for line in remote_lines(server.push("main")) if ": GS" in line]
    full = run_cli("validate", "--no-cache", cwd=server.work)
    expected = [line for line in full.out.splitlines() if ": GS" in line]
    assert pushed == expected and len(expected) == 5


def test_bad_input_on_stdin_is_ignored_and_usage_outside_a_repository_fails(tmp_path: Path):
    assert run_cli("hooks", "pre-receive", cwd=tmp_path, input="garbage\n").code == 2


def test_the_installed_hook_outside_a_repository_says_so_in_one_line(server: Pushing,
                                                                      tmp_path: Path):
    """The hook script runs its check without the command line; its errors read the same."""
    plain = tmp_path / "plain"
    plain.mkdir()
    proc = subprocess.run([str(server.bare / "hooks" / "pre-receive")], cwd=plain, text=True,
                          input="garbage\n", capture_output=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")})
    assert proc.returncode == 2
    assert proc.stderr.startswith("gitstore: error: ") and "Traceback" not in proc.stderr


def test_extra_checks_see_the_semantic_change_and_can_block(server: Pushing, monkeypatch):
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.problems import Problem
    from gitstore.serverside import receive

    seen = []

    def no_new_users(ctx: receive.RefContext) -> list[Problem]:
        change = ctx.change()
        seen.append(change.summary())
        return [Problem(e.path, 1, 1, "GS206", f"user {e.name} may not be added here")
                for e in change.entities if e.kind == "user" and e.status == "added"]

    monkeypatch.setattr(receive, "EXTRA_CHECKS", [no_new_users])
    old = server.local_tip()
    server.commit("bob", {"users/bob.yaml": "email: bob@example.com\n"})
    git(server.work, "push", "-q", str(server.bare), "HEAD:refs/incoming/bob")  # objects only
    repo = find_config_repo(server.bare, need_worktree_file=False)
    [verdict] = receive.check_push(repo, [receive.RefUpdate(old, server.local_tip(), "refs/heads/main")])
    assert seen == ["1 user added"]
    assert not verdict.accepted
    assert [(p.path, p.message) for p in verdict.errors] == [
        ("users/bob.yaml", "user bob may not be added here")]
