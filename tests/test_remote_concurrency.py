"""Many writers, one remote: separate processes on separate (and shared) cached clones."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import failures_of, git
from gitdaemon import GitDaemon, served_git_daemon  # noqa: F401  (the git_daemon fixture)

from gitstore.defaults import initial_files
from gitstore.exceptions import LockTimeoutError
from gitstore.remote import RemoteClone

WRITER = """
import sys
from pathlib import Path
from gitstore.remote import RemoteClone

url, cache, prefix, count = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
clone = RemoteClone.open(url, cache=cache, attempts=30)
for i in range(count):
    name = f"{prefix}-{i}"
    def add(root, name=name):
        path = root / "users" / f"{name}.yaml"
        if path.exists():
            raise SystemExit(f"{name} exists already")
        path.write_text(f"email: {name}@example.com\\n")
        return [f"users/{name}.yaml"]
    clone.write(add, f"add user {name}")
"""

DIES = """
import os, signal, sys
from pathlib import Path
from gitstore.remote import RemoteClone

url, cache, when = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
clone = RemoteClone.open(url, cache=cache)

def dying(root):
    (root / "users" / "zed.yaml").write_text("email: zed@example.com\\n")
    if when == "editing":
        os.kill(os.getpid(), signal.SIGKILL)
    return ["users/zed.yaml"]

def make_commit():
    commit = clone._apply(dying, "add user zed", True)
    os.kill(os.getpid(), signal.SIGKILL)  # committed in the clone, never pushed

clone.publish(make_commit) if when == "committed" else clone.write(dying, "add user zed")
"""

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def seed(daemon: GitDaemon, cache: Path) -> tuple[Path, str, RemoteClone]:
    bare, url = daemon.new_repo()
    clone = RemoteClone.open(url, cache=cache)
    def operation(root: Path) -> list[str]:
        for rel, text in initial_files().items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return list(initial_files())
    clone.write(operation, "gitstore: initialize configuration repository")
    return bare, url, clone


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_keep_history_linear(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, _ = seed(git_daemon, tmp_path / "seed")
    writers = [(f"w{n}", tmp_path / f"cache{n}") for n in range(4)]
    writers += [(f"s{n}", tmp_path / "shared") for n in range(2)]  # two processes, one clone
    count = 5
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(cache), prefix, str(count)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for prefix, cache in writers]
    assert failures_of(procs, timeout=120) == []
    expected = sorted(f"users/{p}-{i}.yaml" for p, _ in writers for i in range(count))
    users = [f for f in git(bare, "ls-tree", "-r", "--name-only", "main").split()
             if f.startswith("users/") and f != "users/default.yaml"]
    assert users == expected
    assert int(git(bare, "rev-list", "--count", "main")) == 1 + len(expected)
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert git(bare, "rev-list", "--min-parents=2", "--all") == ""
    git(bare, "fsck", "--strict", "--no-progress")  # raises on any problem


def test_a_second_user_of_a_busy_clone_waits_then_times_out(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = seed(git_daemon, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(clone.path) + ".lock"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as info:
            RemoteClone.open(url, cache=tmp_path, lock_timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 5
        assert str(info.value) == (
            f"could not take the clone of {url} ({clone.path}.lock) within 0.3s: it is held by "
            # the holder takes the bare flock without writing its name: the note is the last one left
            f"pid {os.getpid()} on {socket.gethostname()}; try again, or raise GITSTORE_LOCK_TIMEOUT")
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # a killed holder leaves no lock behind
        holder.communicate(timeout=10)
    reopened = RemoteClone.open(url, cache=tmp_path, lock_timeout=5)
    assert reopened.tip == git(bare, "rev-parse", "main").strip()


@pytest.mark.parametrize("when", ["editing", "committed"])
def test_a_writer_killed_mid_write_leaves_the_remote_untouched(
        git_daemon: GitDaemon, tmp_path: Path, when: str) -> None:
    bare, url, _ = seed(git_daemon, tmp_path / "seed")
    tip = git(bare, "rev-parse", "main")
    proc = subprocess.run([sys.executable, "-c", DIES, url, str(tmp_path / "c"), when],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert git(bare, "rev-parse", "main") == tip
    clone = RemoteClone.open(url, cache=tmp_path / "c", lock_timeout=5)
    assert git(clone.path, "status", "--porcelain", "--untracked-files=all") == ""
    def add(root: Path) -> list[str]:
        (root / "users" / "amy.yaml").write_text("email: amy@example.com\n")
        return ["users/amy.yaml"]
    clone.write(add, "add user amy")
    assert git(bare, "log", "--format=%s", "-2", "main").splitlines() == [
        "add user amy", "gitstore: initialize configuration repository"]
    assert "users/zed.yaml" not in git(bare, "ls-tree", "-r", "--name-only", "main")
    git(bare, "fsck", "--strict", "--no-progress")
