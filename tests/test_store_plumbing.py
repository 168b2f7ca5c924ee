"""The library's writes do git's steps in-process; git must see exactly what it would have made.

Each test writes through the store and then asks git itself: the commit's tree equals
``git write-tree`` of the index, ``git fsck --strict`` is clean, the reflog has the write,
``git status`` is clean. Repositories that need git itself (index version 4, a detached
HEAD, packed refs, an index with optional extensions) take the same writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from store_helpers import status

from gitstore import GitZenStore


def assert_git_agrees(root: Path, writes: int) -> None:
    assert status(root) == ""
    assert git(root, "write-tree").strip() == git(root, "rev-parse", "HEAD^{tree}").strip()
    fsck = subprocess_fsck(root)
    assert fsck == "", fsck
    assert git(root, "diff-files", "--name-only") == ""
    assert git(root, "diff-index", "--cached", "--name-only", "HEAD") == ""
    if git(root, "config", "--get", "core.logAllRefUpdates", check=False).strip() != "false":
        log = git(root, "reflog", "--format=%gs", "HEAD").splitlines()
        assert len([m for m in log if m.startswith("gitstore: ")]) >= writes


def subprocess_fsck(root: Path) -> str:
    import subprocess

    proc = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip()


def some_writes(store: GitZenStore) -> int:
    for name in ("alice", "bob", "carol"):
        store.create_user(name)
    store.create_team("ml")
    store.add_user_to_team("ml", "alice")
    store.delete_user("bob")  # not a member: removes one file
    store.delete_user("alice")  # edits the team file and removes one
    return 7


def test_plain_repository(tmp_path: Path) -> None:
    store = GitZenStore().initialize(str(tmp_path / "config"))
    assert_git_agrees(tmp_path / "config", some_writes(store))
    assert git(tmp_path / "config", "log", "-1", "--format=%s").strip() == (
        "gitstore: delete user alice")


@pytest.mark.parametrize("setup", [
    ["update-index", "--index-version", "4"],
    ["update-index", "--index-version", "3"],
    ["update-index", "--untracked-cache"],
    ["pack-refs", "--all"],
    ["checkout", "-q", "--detach"],
    ["config", "core.fileMode", "false"],
    ["config", "core.logAllRefUpdates", "false"],
])
def test_repositories_that_need_git_for_some_steps(tmp_path: Path, setup: list[str]) -> None:
    root = tmp_path / "config"
    store = GitZenStore().initialize(str(root))
    git(root, *setup)
    git(root, "status")  # lets git add its caches (untracked cache, cache tree) to the index
    assert_git_agrees(root, some_writes(store))
    if setup[0] == "checkout":
        assert git(root, "rev-parse", "HEAD") != git(root, "rev-parse", "main")
    else:
        assert git(root, "rev-parse", "HEAD") == git(root, "rev-parse", "main")


def test_the_index_keeps_unrelated_entries_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "config"
    store = GitZenStore().initialize(str(root))
    (root / "README.md").write_text("notes\n")
    (root / "tool.sh").write_text("#!/bin/sh\n")
    (root / "tool.sh").chmod(0o755)
    git(root, "add", "README.md", "tool.sh")
    before = {line for line in git(root, "ls-files", "-s").splitlines()
              if not line.endswith(".yaml")}
    store.create_user("dave")
    after = {line for line in git(root, "ls-files", "-s").splitlines()
             if not line.endswith(".yaml")}
    assert before == after
    assert git(root, "diff", "--cached", "--name-only").split() == ["README.md", "tool.sh"]
