"""git runs in the C locale whatever the user's language, and busy refs are recognised
from the ref and its lock file, not from git's wording."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli
from test_runs_support import config_files

from gitstore.errors import GitError

GERMAN = {"LANG": "C.UTF-8", "LANGUAGE": "de"}  # git ships German messages (git.mo)


def hold_lock(lock: Path, seconds: float) -> threading.Thread:
    """Hold ``lock`` as a running git would (a fresh file), releasing it after ``seconds``."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")

    def release() -> None:
        time.sleep(seconds)
        lock.unlink()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_git_speaks_german_here_without_the_c_locale(make_repo: Callable[..., Path]) -> None:
    """The premise of the next test: under these variables git's own messages are German."""
    import subprocess

    repo = make_repo(config_files())
    proc = subprocess.run(["git", "rev-parse", "--verify", "nonexistent"], cwd=repo, text=True,
                          capture_output=True, env={**os.environ, **GERMAN})
    assert "Schwerwiegend" in proc.stderr or "fatal" not in proc.stderr, proc.stderr


def test_a_busy_runs_branch_is_waited_for_under_another_language(
        make_repo: Callable[..., Path]) -> None:
    repo = make_repo(config_files())
    first = run_cli("run", "record", "--pipeline", "train", "--name", "r1", "--stack", "default",
                    cwd=repo, env=GERMAN)
    assert first.code == 0, first
    holder = hold_lock(repo / ".git/refs/heads/gitstore/runs.lock", 3.0)
    try:
        result = run_cli("run", "record", "--pipeline", "train", "--name", "r2", "--stack",
                         "default", cwd=repo, env=GERMAN)
    finally:
        holder.join()
    assert (result.code, result.err) == (0, ""), result
    assert "r2" in run_cli("run", "list", cwd=repo).out


def test_git_errors_are_passed_on_in_english(make_repo: Callable[..., Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from gitstore.plumbing import vcs

    repo = make_repo(config_files())
    for key, value in GERMAN.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(GitError) as info:
        vcs.run(["rev-parse", "--verify", "nonexistent"], cwd=repo)
    assert info.value.stderr == "fatal: Needed a single revision"
    code, _, err = vcs.run_status(["update-ref", "refs/heads/x", "HEAD", "1" * 40], cwd=repo)
    assert code != 0 and err.decode().startswith("fatal: ")


def test_a_stale_ref_lock_stops_the_command_naming_the_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(config_files())
    assert run_cli("run", "record", "--pipeline", "train", "--name", "r1", "--stack", "default",
                   cwd=repo).code == 0
    lock = repo / ".git/refs/heads/gitstore/runs.lock"
    lock.write_text("")
    old = time.time() - 120
    os.utime(lock, (old, old))
    result = run_cli("run", "record", "--pipeline", "train", "--name", "r2", "--stack", "default",
                     cwd=repo)
    assert result.code == 2, result
    assert re.fullmatch(
        f"gitstore: error: refs/heads/gitstore/runs is locked by {re.escape(str(lock))} "
        r"\(for 1[2-9]\ds\); if no git process is working on this repository, remove the lock "
        f"and try again: rm {re.escape(str(lock))}\n", result.err), result.err
    assert lock.exists()
    assert git(repo, "log", "--format=%s", "gitstore/runs").splitlines() == [
        "Record run r1 of pipeline train"]
