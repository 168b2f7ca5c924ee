"""Progress on stderr: shown on a terminal once work runs long, never when output is piped."""

from __future__ import annotations

import os
import pty
from pathlib import Path

from conftest import GITSTORE, run_cli

USERS = {f"users/user-{n:04d}.yaml": f"email: user{n}@example.com\n" for n in range(1200)}


def _run_on_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with a terminal on every stream
        os.chdir(cwd)
        os.execve(GITSTORE, [GITSTORE, *args], {**os.environ, **env})
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", **USERS})
    seen = _run_on_terminal(["validate", "--no-cache"], repo, {"GITSTORE_PROGRESS_AFTER": "0"})
    assert "validating: 500/1201 files" in seen
    assert "ok: 1201 files checked in the working tree, no problems" in seen


def test_no_progress_when_piped(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", **USERS})
    result = run_cli("validate", "--no-cache", cwd=repo, env={"GITSTORE_PROGRESS_AFTER": "0"})
    assert result.code == 0, result
    assert result.err == ""
    assert result.out == "ok: 1201 files checked in the working tree, no problems\n"
