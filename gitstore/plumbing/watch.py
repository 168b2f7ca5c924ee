"""Which files of a working tree changed since the last look, without looking at each.

On Linux a :class:`Watcher` holds an inotify descriptor watching the
configuration root and every folder below the layout's folders. The kernel
queues an event when any process writes, creates, removes or renames a file
there (an editor, ``git checkout``, another gitstore process), before that
process's call returns; reading the queue (non-blocking) therefore tells a
reader everything that changed before it asked. An overflowing queue, a
folder created, removed or renamed, or a watch that could not be added asks
for a full listing instead. Elsewhere (or when the system refuses inotify)
:func:`open_watcher` returns None and the caller lists the tree each time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
import sys
from pathlib import Path

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ISDIR = 0x40000000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000

MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
HEADER = struct.Struct("iIII")

_libc: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        for name in ("libc.so.6", None):  # glibc's name first: find_library runs ldconfig
            try:
                lib = ctypes.CDLL(name or ctypes.util.find_library("c"), use_errno=True)
                lib.inotify_init1  # noqa: B018 - present, or AttributeError
            except (OSError, AttributeError, TypeError):
                continue
            _libc = lib
            break
    return _libc


class Watcher:
    """Changed paths below ``root`` (relative, forward slashes) since the last :meth:`changes`."""

    def __init__(self, lib: ctypes.CDLL, fd: int, root: Path, top_names: tuple[str, ...]) -> None:
        self._lib = lib
        self.fd = fd
        self.root = root
        self.top_names = top_names
        self._dirs: dict[int, str] = {}  # watch descriptor -> folder, relative ('' = root)
        self._broken = False

    def watch_folder(self, rel: str) -> bool:
        """Watch one folder (call before listing it); False when the system refuses."""
        full = os.path.join(self.root, rel) if rel else str(self.root)
        wd = self._lib.inotify_add_watch(self.fd, os.fsencode(full), MASK)
        if wd < 0:
            if ctypes.get_errno() not in (errno.ENOENT, errno.ENOTDIR):
                self._broken = True
            return False
        self._dirs[wd] = rel
        return True

    def reset(self) -> None:
        """Drop every watch and pending event (before a full listing re-adds them)."""
        for wd in list(self._dirs):
            self._lib.inotify_rm_watch(self.fd, wd)
        self._dirs.clear()
        self._drain()
        self._broken = False

    def _drain(self) -> bytes:
        chunks = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)

    def changes(self) -> set[str] | None:
        """The paths that changed, or None when only a full listing can tell."""
        if self._broken:
            return None
        data = self._drain()
        changed: set[str] = set()
        pos = 0
        while pos < len(data):
            wd, mask, _cookie, length = HEADER.unpack_from(data, pos)
            raw = data[pos + HEADER.size:pos + HEADER.size + length].rstrip(b"\0")
            pos += HEADER.size + length
            if mask & IN_Q_OVERFLOW:
                return None
            if mask & IN_IGNORED:
                if wd in self._dirs:
                    return None  # a watched folder went away
                continue
            folder = self._dirs.get(wd)
            if folder is None:
                continue
            if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
                return None
            name = os.fsdecode(raw)
            if not folder and name not in self.top_names:
                continue  # something beside the configuration, not in it
            if mask & IN_ISDIR or (not folder and name != self.top_names[0]):
                return None  # a folder came, went or moved: list again
            changed.add(f"{folder}/{name}" if folder else name)
        return changed

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def open_watcher(root: Path, top_names: tuple[str, ...]) -> Watcher | None:
    """A watcher for ``root`` (``top_names[0]`` is the one top-level file; the rest are
    folders), or None where inotify is not to be had."""
    if os.environ.get("GITSTORE_NO_WATCH") == "1":
        return None
    lib = _lib()
    if lib is None:
        return None
    fd = lib.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None
    return Watcher(lib, fd, root, top_names)
