"""Inter-process locks: a file held with ``flock``.

The kernel releases an ``flock`` when its holder exits, however it exits, so
a process killed with SIGKILL never leaves a stale lock behind. The holder's
pid and host are written into the file, for the message a waiting process
gives when it times out. Used by the library's writes, run recording and the
clones of remote repositories.
"""

from __future__ import annotations

import errno
import os
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitstore.exceptions import LockTimeoutError

DEFAULT_TIMEOUT = 30.0
HOLDER_WIDTH = 128  # bytes of the lock file naming its holder


def lock_timeout(value: float | str | None = None) -> float:
    """The timeout asked for, else ``$GITSTORE_LOCK_TIMEOUT``, else 30 seconds."""
    if value is None:
        value = os.environ.get("GITSTORE_LOCK_TIMEOUT") or DEFAULT_TIMEOUT
    return max(0.0, float(value))


@contextmanager
def file_lock(path: Path, timeout: float, what: str = "the write lock",
              required: bool = True) -> Iterator[bool]:
    """Hold ``path`` locked; yields whether the lock was taken.

    When it cannot be taken within ``timeout`` seconds: with ``required``,
    raise LockTimeoutError naming the holder; without, go ahead unlocked
    (for callers whose correctness rests on something else, such as a
    compare-and-swap, and who lock only to take turns).
    """
    import fcntl

    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        taken = _acquire(fcntl, fd, timeout)
        if not taken and required:
            raise LockTimeoutError(
                f"could not take {what} ({path}) within {timeout:g}s: it is held by "
                f"{_holder(path)}; try again, or raise GITSTORE_LOCK_TIMEOUT")
        if taken:  # the holder, padded to a fixed width: no truncation needed
            holder = f"pid {os.getpid()} on {socket.gethostname()}".encode()
            os.pwrite(fd, holder.ljust(HOLDER_WIDTH)[:HOLDER_WIDTH - 1] + b"\n", 0)
        yield taken
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _acquire(fcntl: object, fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[attr-defined]
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002 + random.random() * 0.01)


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "another process"
