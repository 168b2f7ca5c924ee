"""The repository's write lock: one writer at a time, across processes.

The lock is a file in the git directory (``.git/gitstore/write.lock``) held
with ``flock``. The kernel releases it when its holder exits, however it
exits, so a writer killed with SIGKILL never leaves a stale lock behind. The
holder's pid and host are written into the file, for the message a waiting
writer gives when it times out.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitstore.exceptions import LockTimeoutError

DEFAULT_TIMEOUT = 30.0


def lock_timeout(value: float | str | None = None) -> float:
    """The timeout asked for, else ``$GITSTORE_LOCK_TIMEOUT``, else 30 seconds."""
    if value is None:
        value = os.environ.get("GITSTORE_LOCK_TIMEOUT") or DEFAULT_TIMEOUT
    return max(0.0, float(value))


@contextmanager
def write_lock(path: Path, timeout: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _acquire(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"could not take the write lock {path} within {timeout:g}s "
                    f"(held by {_holder(path)}); another write is still running, "
                    "try again or raise GITSTORE_LOCK_TIMEOUT"
                ) from None
            time.sleep(0.005 + random.random() * 0.02)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"
