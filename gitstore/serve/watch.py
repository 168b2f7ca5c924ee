"""Knowing, without looking at every file, whether the working tree changed (Linux inotify).

Each read of the store looks at the whole working tree, so that hand edits
are seen at once; on a large repository that is most of a request's cost. A
long-running server can do better: the kernel queues an inotify event as
part of every change to a watched folder, before the change returns to
whoever made it. So when a request finds the queue empty, nothing has
changed since the last look, and a state read after that look is current.
Where inotify is missing (not Linux, no watches left), :func:`start_watch`
returns None and every request reads the working tree anew.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
from pathlib import Path

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x002, 0x004, 0x008
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x040, 0x080, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF, IN_Q_OVERFLOW, IN_IGNORED = 0x400, 0x800, 0x4000, 0x8000
IN_ISDIR, IN_NONBLOCK, IN_CLOEXEC = 0x40000000, 0o4000, 0o2000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
EVENT = struct.Struct("iIII")
SKIPPED = {".git"}


class TreeWatch:
    """inotify watches on every folder of a working tree (but .git)."""

    def __init__(self, libc: ctypes.CDLL, fd: int, root: Path) -> None:
        self._libc = libc
        self._fd = fd
        self.root = root
        self._folders: dict[int, Path] = {}
        self.broken = False

    def watch_tree(self, top: Path) -> None:
        for folder, dirs, _ in os.walk(top):
            dirs[:] = [d for d in dirs if d not in SKIPPED]
            self._add(Path(folder))

    def _add(self, folder: Path) -> None:
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), MASK)
        if wd < 0:
            self.broken = True  # out of watches: changes there would go unseen
        else:
            self._folders[wd] = folder

    def changes(self) -> set[str] | None:
        """The paths (relative to the root) changed since the last call; None when unsure
        (events were lost, or a watch could not be added)."""
        found: set[str] = set()
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                break
            except OSError:
                self.broken = True
                break
            if not data:
                break
            self._read_events(data, found)
        return None if self.broken else found

    def _read_events(self, data: bytes, found: set[str]) -> None:
        offset = 0
        while offset + EVENT.size <= len(data):
            wd, mask, _cookie, length = EVENT.unpack_from(data, offset)
            name = os.fsdecode(data[offset + EVENT.size: offset + EVENT.size + length].rstrip(b"\0"))
            offset += EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                self.broken = True  # events were lost: never trust the queue again
                continue
            folder = self._folders.get(wd)
            if mask & IN_IGNORED:
                self._folders.pop(wd, None)
                continue
            if folder is None:
                continue
            path = folder / name if name else folder
            found.add(path.relative_to(self.root).as_posix())
            if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO) and name not in SKIPPED:
                self.watch_tree(path)

    def close(self) -> None:
        os.close(self._fd)


def start_watch(root: Path) -> TreeWatch | None:
    """Watches on ``root``'s working tree, or None where inotify cannot be used."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        init = libc.inotify_init1
    except (OSError, AttributeError, TypeError):
        return None
    fd = init(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        return None
    watch = TreeWatch(libc, fd, root)
    watch.watch_tree(root)
    if watch.broken:
        watch.close()
        return None
    return watch
