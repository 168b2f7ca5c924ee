"""`gitstore init` and new repositories: git's identity checked first, a failed init undone,
git's default branch followed, a bare remote's HEAD set on the first push, sha256 refused."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files

from gitstore import GitZenStore
from gitstore.defaults import initial_files
from gitstore.errors import UnsupportedRepository
from gitstore.remote import RemoteClone

NO_IDENTITY = {"GIT_AUTHOR_NAME": "", "GIT_AUTHOR_EMAIL": "", "GIT_COMMITTER_NAME": "",
               "GIT_COMMITTER_EMAIL": ""}


def without_identity(home: Path) -> dict[str, str]:
    """An environment whose git has no identity and may not guess one."""
    config = home / "noid.gitconfig"
    config.write_text("[user]\n\tuseConfigOnly = true\n[init]\n\tdefaultBranch = main\n")
    env = {k: v for k, v in os.environ.items() if k not in NO_IDENTITY}
    return {**env, "GIT_CONFIG_GLOBAL": str(config)}


def listing(root: Path) -> list[str]:
    """The files and folders of a working tree (not git's own)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if ".git" not in p.relative_to(root).parts)


def run_bare(args: list[str], env: dict[str, str], cwd: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    from conftest import GITSTORE

    assert GITSTORE
    return subprocess.run([GITSTORE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_init_without_identity_says_so_and_changes_nothing(tmp_path: Path) -> None:
    env = without_identity(tmp_path)
    result = run_bare(["init", str(tmp_path / "new")], env)
    assert result.returncode == 2, result
    assert result.stderr.startswith("gitstore: error: git cannot make the first commit: ")
    assert "git config --global user.email" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new").exists()
    repo = tmp_path / "existing"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("docs\n")
    before = listing(repo)
    result = run_bare(["init"], env, cwd=repo)
    assert result.returncode == 2
    assert listing(repo) == before
    assert git(repo, "status", "--porcelain") == "?? README.md\n"
    assert run_cli("init", cwd=repo).code == 0  # with an identity, init works right after


def test_a_failed_commit_is_undone(tmp_path: Path) -> None:
    repo = tmp_path / "signed"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README.md").write_text("docs\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "readme")
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", "false")  # signing fails: the commit fails
    before = (listing(repo), git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s"))
    result = run_cli("init", cwd=repo)
    assert result.code == 2, result
    assert (listing(repo), git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s")) == before
    git(repo, "config", "commit.gpgsign", "false")
    assert run_cli("init", cwd=repo).code == 0
    fresh = tmp_path / "fresh"
    result = run_cli("init", str(fresh),
                     env={"GIT_CONFIG_PARAMETERS": "'commit.gpgsign'='true' 'gpg.program'='false'"})
    assert result.code == 2, result
    assert not fresh.exists()


def test_init_follows_git_default_branch(tmp_path: Path) -> None:
    config = tmp_path / "trunk.gitconfig"
    config.write_text("[user]\n\tname = T\n\temail = t@example.com\n"
                      "[init]\n\tdefaultBranch = trunk\n")
    result = run_cli("init", str(tmp_path / "repo"), env={"GIT_CONFIG_GLOBAL": str(config)})
    assert result.code == 0, result
    assert git(tmp_path / "repo", "symbolic-ref", "HEAD").strip() == "refs/heads/trunk"


def test_a_store_on_an_empty_bare_repository_uses_the_branch_its_head_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=master", str(bare))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    GitZenStore().initialize(str(bare))
    assert git(bare, "for-each-ref", "--format=%(refname)", "refs/heads").split() == [
        "refs/heads/master"]
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    assert (clone / "gitstore.yaml").is_file()


def test_the_first_push_points_a_dangling_remote_head_at_the_branch(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=master", str(bare))
    clone = RemoteClone.open(str(bare), cache=tmp_path / "cache", branch="main")
    clone.write(lambda root: _put(root, initial_files()), "initialize")
    assert git(bare, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(bare), str(checkout))
    assert (checkout / "gitstore.yaml").is_file()


def _put(root: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(files)


def test_a_sha256_repository_is_refused_up_front(tmp_path: Path) -> None:
    repo = tmp_path / "modern"
    git(tmp_path, "init", "-q", "--object-format=sha256", str(repo))
    refusal = (f"gitstore: error: {repo} is a sha256 git repository; gitstore works in sha1 "
               "repositories only (git's default object format)\n")
    result = run_cli("init", cwd=repo)
    assert (result.code, result.out, result.err) == (2, "", refusal)
    assert listing(repo) == []
    write_files(repo, initial_files())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "by hand")
    for args in (["validate"], ["run", "record", "--pipeline", "p", "--name", "r", "--stack",
                                "default"], ["who-can", "stack", "create"]):
        result = run_cli(*args, cwd=repo)
        assert (result.code, result.out, result.err) == (2, "", refusal), (args, result)
    with pytest.raises(UnsupportedRepository, match="is a sha256 git repository"):
        GitZenStore().initialize(str(repo))
    result = run_cli("hooks", "install", "--server", str(repo / ".git"))
    assert result.code == 2 and "is a sha256 git repository" in result.err, result
