"""Shared pieces of the run-record tests: configuration repositories, runs, a git server."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import git, stop_process

from gitstore.defaults import initial_files
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper

BRANCH = "refs/heads/gitstore/runs"
USER = uuid.UUID("5ab873f4-734e-594a-90d9-539115873fff")  # the default user's id


def config_files(**extra: str) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = dict(initial_files())
    files.update(extra)
    return files


def a_run(name: str, pipeline: str = "train", stack: str = "default",
          project: str | None = None, **fields: object) -> PipelineRunWrapper:
    return PipelineRunWrapper(name=name, pipeline=PipelineWrapper(name=pipeline),
                              stack=StackWrapper(name=stack), user_id=USER,
                              project_name=project, **fields)


def branch_files(repo: Path, ref: str = BRANCH) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", ref).split()


def fsck_problems(repo: Path) -> list[str]:
    proc = subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=repo,
                          capture_output=True, text=True)
    lines = (proc.stdout + proc.stderr).splitlines()
    bad = [line for line in lines if not line.startswith("dangling ")]
    return bad + ([f"exit {proc.returncode}"] if proc.returncode else [])


def checkout_state(repo: Path) -> tuple[str, str, str, str, str]:
    """Everything a record must leave alone: HEAD, its branch, the index, the working tree."""
    return (git(repo, "rev-parse", "HEAD"), git(repo, "symbolic-ref", "HEAD"),
            git(repo, "ls-files", "-s"), git(repo, "status", "--porcelain", "-uall"),
            git(repo, "diff"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A ``git daemon`` on loopback serving bare repositories below a temp folder.

    Calling the fixture with a name creates an empty bare repository and returns its URL.
    """
    base = tmp_path / "served"
    base.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--enable=receive-pack", "--export-all", "--reuseaddr",
         "--informative-errors", f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}",
         str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("git daemon did not start") from None
            time.sleep(0.05)

    def make(name: str) -> str:
        git(base, "init", "-q", "--bare", f"{name}.git")
        return f"git://127.0.0.1:{port}/{name}.git"

    try:
        yield make
    finally:
        stop_process(proc, 5)
