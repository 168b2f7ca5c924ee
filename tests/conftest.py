"""Shared fixtures: real git in isolated temp directories, and the installed CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
GITSTORE = shutil.which("gitstore", path=str(BIN)) or shutil.which("gitstore")


@pytest.fixture(autouse=True)
def _isolate(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the user's HOME, git config or identity."""
    isolate(monkeypatch, tmp_path_factory.mktemp("home"))


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point HOME and git's configuration at ``home``, with a fixed identity and date
    (also for fixtures wider than one test, through ``pytest.MonkeyPatch.context()``)."""
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Author\n\temail = author@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
        "[protocol \"file\"]\n\tallow = always\n"
    )
    monkeypatch.setenv("HOME", str(home))
    # a neutral working directory: `python -c` children must import the installed
    # gitstore, never the source tree of the checkout the tests run from
    monkeypatch.chdir(home)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    for var in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{var}_NAME", "Test Author")
        monkeypatch.setenv(f"GIT_{var}_EMAIL", "author@example.com")
        monkeypatch.setenv(f"GIT_{var}_DATE", "2026-01-01T12:00:00+00:00")
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GITSTORE_NO_CACHE", "GITSTORE_DEBUG"):
        monkeypatch.delenv(var, raising=False)


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, text in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            dest.write_bytes(text)
        else:
            dest.write_text(text, encoding="utf-8")


MINIMAL = {
    "gitstore.yaml": "format: 1\n",
}


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """A git repository holding the given files, committed (``commit=False`` leaves them untracked)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes] | None = None, commit: bool = True,
             git_init: bool = True) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        if git_init:
            git(root, "init", "-q")
        write_files(root, MINIMAL if files is None else files)
        if commit and git_init:
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "initial")
        return root

    return make


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


def run_cli(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> CliResult:
    """Run the installed ``gitstore`` command."""
    assert GITSTORE, "the gitstore command is not installed"
    proc = subprocess.run([GITSTORE, *args], cwd=cwd, capture_output=True, text=True,
                          input=input, env={**os.environ, **(env or {})}, timeout=120)
    return CliResult(proc)


def stop_process(proc: subprocess.Popen[Any], timeout: float) -> None:
    """Terminate a process started by a test, killing it if it is still there after ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def failures_of(procs: list[subprocess.Popen[str]], timeout: float) -> list[str]:
    """Wait for every process (killing any still running after ``timeout``); the stderr of
    each that failed."""
    try:
        results = [(proc.communicate(timeout=timeout)[1], proc.returncode) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return [err for err, code in results if code != 0]
