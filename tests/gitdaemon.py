"""A real git server on loopback for tests: ``git daemon`` serving bare repositories over git://."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import git


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class GitDaemon:
    """``git daemon --enable=receive-pack`` on 127.0.0.1, serving each repository below ``base``."""

    def __init__(self, base: Path, home: Path) -> None:
        self.base = base
        self.home = home
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._names = iter(range(100000))

    def start(self) -> None:
        gitconfig = self.home / ".gitconfig"
        gitconfig.write_text("[user]\n\tname = Server\n\temail = server@example.com\n")
        env = {**os.environ, "HOME": str(self.home), "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_CONFIG_GLOBAL": str(gitconfig)}
        for _ in range(5):  # another process may take the free port first: try another
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["git", "daemon", "--reuseaddr", "--enable=receive-pack", "--export-all",
                 f"--base-path={self.base}", "--listen=127.0.0.1", f"--port={self.port}",
                 str(self.base)],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            if _wait_listening(self.port, self.proc, 10.0):
                return
            self.stop()
        raise RuntimeError("git daemon did not start listening on 127.0.0.1")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def new_repo(self, name: str | None = None) -> tuple[Path, str]:
        """A new empty bare repository (first branch ``main``); returns its path and git:// URL."""
        name = name or f"config{next(self._names)}.git"
        path = self.base / name
        git(self.base, "init", "-q", "--bare", "--initial-branch=main", str(path))
        return path, self.url(name)

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module", name="git_daemon")
def served_git_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    daemon = GitDaemon(tmp_path_factory.mktemp("served"), tmp_path_factory.mktemp("server-home"))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
