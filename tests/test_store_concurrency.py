"""Several writer processes, the write lock, and writers killed with SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import git, run_cli
from store_helpers import commit_count, status

from gitstore import GitZenStore
from gitstore.exceptions import LockTimeoutError
from gitstore.plumbing.locking import file_lock

WRITER = textwrap.dedent("""
    import sys
    from gitstore import GitZenStore
    store = GitZenStore().initialize(sys.argv[1], lock_timeout=60)
    for i in range(int(sys.argv[3])):
        store.create_user(f"{sys.argv[2]}-{i}")
""")

DELETE_ALICE = textwrap.dedent("""
    import sys
    from gitstore import GitZenStore
    GitZenStore().initialize(sys.argv[1]).delete_user("alice")
""")


def start(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_consistent(root: Path) -> None:
    """Reopening recovers; then nothing is half-written and git and gitstore find it sound."""
    GitZenStore().initialize(str(root), skip_default_registrations=True)
    assert status(root) == ""
    fsck = subprocess.run(
        ["git", "fsck", "--strict", "--no-dangling"], cwd=root, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stderr
    result = run_cli("validate", cwd=root)
    assert result.code == 0, result


@pytest.fixture
def root(tmp_path: Path) -> Path:
    GitZenStore().initialize(str(tmp_path / "config"))
    return tmp_path / "config"


def test_four_processes_ten_writes_each_all_land(root):
    writers = [start(WRITER, str(root), f"p{n}", "10") for n in range(4)]
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert commit_count(root) == 1 + 40
    subjects = git(root, "log", "--format=%s").splitlines()
    assert sorted(subjects[:-1]) == sorted(
        f"gitstore: create user p{n}-{i}" for n in range(4) for i in range(10)
    )
    assert len(GitZenStore().initialize(str(root)).users) == 41
    assert_consistent(root)


def test_lock_timeout_names_the_holder(root):
    store = GitZenStore().initialize(str(root), lock_timeout=0.2)
    lock = root / ".git/gitstore/write.lock"
    with file_lock(lock, 1):
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            store.create_user("alice")
        assert time.monotonic() - started < 5
    assert f"held by pid {os.getpid()} on " in str(info.value)
    assert commit_count(root) == 1
    store.create_user("alice")
    assert commit_count(root) == 2


def test_lock_of_a_killed_process_does_not_block(root):
    holder = start(
        "import sys, time\nfrom pathlib import Path\nfrom gitstore.plumbing.locking import file_lock\n"
        "with file_lock(Path(sys.argv[1]), 5):\n    print('locked', flush=True)\n"
        "    time.sleep(60)\n",
        str(root / ".git/gitstore/write.lock"),
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)
    store = GitZenStore().initialize(str(root), lock_timeout=2)
    store.create_user("alice")
    assert commit_count(root) == 2


@pytest.fixture
def root_with_alice(root: Path) -> Path:
    store = GitZenStore().initialize(str(root))
    store.create_user("alice")
    store.create_team("ml")
    store.add_user_to_team("ml", "alice")
    store.create_role("admin")
    store.assign_role("admin", "alice")
    return root


@pytest.mark.parametrize(
    ("point", "lands"), [("before-ref", False), ("after-ref", True), ("mid-worktree", True)]
)
def test_writer_killed_at_any_point_leaves_all_or_nothing(root_with_alice, point, lands):
    root = root_with_alice
    head = git(root, "rev-parse", "HEAD")
    proc = start(DELETE_ALICE, str(root), env={"GITSTORE_CRASH_AT": point})
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert_consistent(root)
    store = GitZenStore().initialize(str(root))
    if lands:
        assert git(root, "log", "-1", "--format=%s").strip() == "gitstore: delete user alice"
        assert not (root / "users/alice.yaml").exists()
        assert store.get_users_for_team("ml") == []
        assert store.role_assignments == []
    else:
        assert git(root, "rev-parse", "HEAD") == head
        assert store.get_user("alice").name == "alice"
        assert [u.name for u in store.get_users_for_team("ml")] == ["alice"]


def test_writers_killed_at_random_moments(root):
    rng = random.Random(7)
    for round_ in range(6):
        proc = start(WRITER, str(root), f"r{round_}", "5")
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert_consistent(root)
    landed = commit_count(root) - 1
    users = GitZenStore().initialize(str(root)).users
    assert len(users) == 1 + landed
