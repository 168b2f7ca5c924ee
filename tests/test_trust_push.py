"""Permissions and signatures in the pre-receive hook: real pushes to a guarded bare repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import git, run_cli
from trust_repo import TRUST_FILES, commit_as, make_key

STACK = "components:\n  orchestrator: local\n  artifact_store: local\n"


class Server:
    """A working clone pushing to a bare repository with the gitstore pre-receive hook."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.work = root / "work"
        self.bare = root / "server.git"
        self.work.mkdir()
        git(self.work, "init", "-q")
        commit_as(self.work, "alice@example.com", files, message="initial")
        git(root, "clone", "-q", "--bare", str(self.work), str(self.bare))
        git(self.work, "remote", "add", "origin", str(self.bare))
        installed = run_cli("hooks", "install", "--server", str(self.bare))
        assert installed.code == 0, installed

    def push(self, *args: str, **env: str) -> tuple[int, list[str]]:
        proc = subprocess.run(["git", "push", "origin", *args], cwd=self.work, text=True,
                              capture_output=True, timeout=60, env={**os.environ, **env})
        remote = [line[len("remote: "):].rstrip() for line in proc.stderr.splitlines()
                  if line.startswith("remote: ")]
        return proc.returncode, remote

    def tip(self, branch: str = "main") -> str:
        return git(self.bare, "rev-parse", f"refs/heads/{branch}").strip()


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return Server(tmp_path, TRUST_FILES)


def test_a_privileged_push_lands(server: Server) -> None:
    new = commit_as(server.work, "carol@example.com", {"stacks/prod.yaml": STACK})
    code, _ = server.push("main")
    assert code == 0
    assert server.tip() == new


def test_an_unprivileged_push_is_refused_naming_file_permission_actor_and_approvers(
        server: Server) -> None:
    before = server.tip()
    commit_as(server.work, "bob@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main")
    assert code != 0
    assert remote[1:3] == [
        "stacks/prod.yaml: GS501 adding stacks/prod.yaml needs `stack: create`, which "
        "user bob (author bob@example.com) does not hold",
        "    hint: users holding `stack: create`, who could approve it: alice, carol"]
    assert server.tip() == before


def test_a_self_grant_is_refused(server: Server) -> None:
    admin = (server.work / "roles/admin.yaml").read_text() + "  - user: bob\n"
    commit_as(server.work, "bob@example.com", {"roles/admin.yaml": admin})
    code, remote = server.push("main")
    assert code != 0
    assert remote[1] == ("roles/admin.yaml: GS501 changing roles/admin.yaml needs "
                         "`role: update`, which user bob (author bob@example.com) does not hold")


def test_the_pusher_the_server_names_beats_a_forged_author_email(server: Server) -> None:
    commit_as(server.work, "alice@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main", GL_USERNAME="bob-gl")
    assert code != 0
    assert remote[1] == ("stacks/prod.yaml: GS501 adding stacks/prod.yaml needs "
                         "`stack: create`, which user bob (gitlab account `bob-gl` named by "
                         "GL_USERNAME) does not hold")
    code, _ = server.push("main", GITSTORE_PUSHER="carol")
    assert code == 0


def test_an_unknown_pusher_is_told_how_to_become_known(server: Server) -> None:
    commit_as(server.work, "alice@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main", GITSTORE_PUSHER="mallory")
    assert code != 0
    assert remote[1].startswith("stacks/prod.yaml: GS502 adding stacks/prod.yaml needs "
                                "`stack: create`, and pusher `mallory` named by GITSTORE_PUSHER "
                                "is not a gitstore user")
    assert remote[2] == ("    hint: to become known, create users/mallory.yaml, through someone "
                         "holding `user: update` (alice); users holding `stack: create`, who "
                         "could approve it: alice, carol")


def test_a_new_branch_is_judged_by_the_default_branch(server: Server) -> None:
    git(server.work, "checkout", "-q", "-b", "feature")
    commit_as(server.work, "dave@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("feature")
    assert code != 0
    assert "which user dave (author dave@example.com) does not hold" in remote[1]


def test_without_enforcement_a_push_lands_with_warnings(tmp_path: Path) -> None:
    server = Server(tmp_path, {**TRUST_FILES, "gitstore.yaml": "format: 1\n"})
    new = commit_as(server.work, "bob@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main")
    assert code == 0
    assert remote[1].startswith("stacks/prod.yaml: GS511 warning: adding stacks/prod.yaml needs")
    assert server.tip() == new


def test_run_records_need_pipeline_run_in_their_project(server: Server) -> None:
    git(server.work, "checkout", "-q", "--orphan", "gitstore/runs")
    git(server.work, "rm", "-rqf", ".")
    record = "name: r1\npipeline:\n  name: train\nproject_name: {}\n"
    commit_as(server.work, "dave@example.com", {"runs/train/ab/r1.yaml": record.format("fraud")})
    code, _ = server.push("gitstore/runs")
    assert code == 0
    commit_as(server.work, "dave@example.com", {"runs/train/cd/r2.yaml": record.format("churn")})
    code, remote = server.push("gitstore/runs")
    assert code != 0
    assert remote[1] == ("runs/train/cd/r2.yaml: GS501 adding runs/train/cd/r2.yaml needs "
                         "`pipeline_run: create` in project churn, which user dave (author "
                         "dave@example.com) does not hold")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is needed to sign")
def test_signed_commits_are_required_when_the_settings_say_so(tmp_path: Path) -> None:
    key, public = make_key(tmp_path, "carol")
    files = {**TRUST_FILES, "gitstore.yaml": "format: 1\nrequire_signed_commits: true\n"}
    files["users/carol.yaml"] += f"signing_key: {public}\n"
    server = Server(tmp_path, files)
    unsigned = commit_as(server.work, "carol@example.com", {"stacks/prod.yaml": STACK})
    code, remote = server.push("main")
    assert code != 0
    assert remote[1] == (f"commit {unsigned[:12]}: GS503 commit by carol@example.com is "
                         "not signed, and gitstore.yaml sets `require_signed_commits: true`")
    git(server.work, "reset", "-q", "--hard", "HEAD~1")
    signed = commit_as(server.work, "carol@example.com", {"stacks/prod.yaml": STACK},
                       sign_key=key)
    code, remote = server.push("main")
    assert code == 0, remote
    assert server.tip() == signed
