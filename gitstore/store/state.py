"""What the store reads from: a parsed snapshot plus the text of its files.

``Tree`` is the value every read and every planned write works from. The
working tree is listed with a stat cache, so a file whose size, times and
inode are unchanged is neither read nor parsed again; a commit is listed from
git and parsed only where its blob ids are new. Parsed results are kept by
path and blob id in the core's :class:`~gitstore.plumbing.cache.ResultCache`.
"""

from __future__ import annotations

import marshal
import os
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.snapshot import Document, Snapshot, load_snapshot
from gitstore.plumbing.sources import ConfigRepo, FileEntry, Source, WorkTreeSource, read_head

# path relative to the configuration root -> new text, or None to delete the file
FileChanges = dict[str, "str | None"]

# a file modified this recently may change again within the same timestamp: never trusted
RACY_SECONDS = 3.0
# path -> ((mtime_ns, ctime_ns, size, inode), blob id)
StatCache = dict[str, tuple[tuple[int, int, int, int], str]]


@dataclass
class Tree:
    """A snapshot of the repository and a way to read any of its files as text."""

    snapshot: Snapshot
    read_text: Callable[[str], str]
    read_files: Callable[[list[FileEntry]], dict[str, bytes]] = lambda entries: {}

    @property
    def entries(self) -> dict[str, FileEntry]:
        return {e.path: e for e in self.snapshot.entries}

    def doc(self, kind: str, name: str, type_: str | None = None) -> Document | None:
        return self.snapshot.get(kind, name, type_)

    def text(self, kind: str, name: str, type_: str | None = None) -> str:
        from gitstore.plumbing.layout import entity_path

        return self.read_text(entity_path(kind, name, type_))


@dataclass
class StatWorkTreeSource(WorkTreeSource):
    """The working tree, listed from a stat cache that outlives one listing."""

    stat_cache: StatCache = field(default_factory=dict)
    stat_changed: bool = False

    def _add(self, full: str, rel: str, mode: int, found: list[FileEntry]) -> None:
        if not stat.S_ISREG(mode):
            super()._add(full, rel, mode, found)
            return
        st = os.lstat(full)
        key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        known = self.stat_cache.get(rel)
        if known is not None and known[0] == key:
            found.append(FileEntry(rel, known[1], "100644"))
            return
        data = self.read_file(full)
        self._data[rel] = data
        oid = vcs.blob_oid(data)
        if time.time() - max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 > RACY_SECONDS:
            self.stat_cache[rel] = (key, oid)
            self.stat_changed = True
        found.append(FileEntry(rel, oid, "100644"))

    @staticmethod
    def read_file(full: str | Path) -> bytes:
        return read_head(full)

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        out = {}
        for entry in entries:
            data = self._data.get(entry.path)
            out[entry.path] = data if data is not None else self.read_file(self.root / entry.path)
        return out

    def listing(self) -> list[FileEntry]:
        self._data.clear()
        found = self.entries()
        if len(self.stat_cache) > len(found):
            listed = {e.path for e in found}
            for gone in [p for p in self.stat_cache if p not in listed]:
                del self.stat_cache[gone]
            self.stat_changed = True
        return found


@dataclass
class OverlaySource(Source):
    """A snapshot's files with some replaced, added or removed: the would-be result of a write."""

    base: list[FileEntry] = field(default_factory=list)
    base_read: Callable[[list[FileEntry]], dict[str, bytes]] = field(default=lambda e: {})
    changes: Mapping[str, bytes | None] = field(default_factory=dict)

    def entries(self) -> list[FileEntry]:
        kept = [e for e in self.base if e.path not in self.changes]
        added = [
            FileEntry(path, vcs.blob_oid(data), "100644")
            for path, data in self.changes.items()
            if data is not None
        ]
        return sorted(kept + added, key=lambda e: e.path)

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        fresh = {
            e.path: self.changes[e.path] for e in entries if self.changes.get(e.path) is not None
        }
        rest = [e for e in entries if e.path not in fresh]
        return {**self.base_read(rest), **{p: d for p, d in fresh.items() if d is not None}}


def encode_changes(changes: FileChanges) -> dict[str, bytes | None]:
    return {path: None if text is None else text.encode("utf-8") for path, text in changes.items()}


def overlay_snapshot(base: Tree, changes: FileChanges, cache: ResultCache) -> Snapshot:
    """The snapshot the repository would have after ``changes``."""
    overlay = OverlaySource(
        f"{base.snapshot.label} + changes",
        None,
        base=base.snapshot.entries,
        base_read=base.read_files,
        changes=encode_changes(changes),
    )
    return patch_snapshot(base.snapshot, overlay.label, overlay.entries(), overlay.read, cache)


def empty_tree(label: str) -> Tree:
    def missing(path: str) -> str:
        raise KeyError(path)

    return Tree(Snapshot(label, []), missing)


def commit_tree(repo: ConfigRepo, commit: str | None, cache: ResultCache) -> Tree:
    """The repository as commit ``commit`` holds it (empty for an unborn branch)."""
    if commit is None:
        return empty_tree("empty repository")
    if repo.prefix and not vcs.object_exists(repo.git_cwd, f"{commit}:{repo.prefix}"):
        return empty_tree(f"commit {commit[:12]} (no {repo.prefix}/ yet)")
    source = repo.commit(commit)
    snap = load_snapshot(source, cache)
    by_path = {e.path: e for e in snap.entries}

    def read_text(path: str) -> str:
        entry = by_path[path]
        return source.read([entry])[path].decode("utf-8")

    return Tree(snap, read_text, source.read)


@dataclass
class WorkTreeReader:
    """Reads of the checked-out working tree, parsing only what changed since the last read."""

    root: Path
    cache: ResultCache
    stat_file: Path | None = None  # where the stat cache outlives the process
    source: StatWorkTreeSource = field(init=False)
    _last: tuple[tuple[FileEntry, ...], Snapshot] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.source = StatWorkTreeSource("working tree", None, root=self.root)
        self.source.stat_cache = load_stat_cache(self.stat_file, self.root)

    def tree(self) -> Tree:
        entries = tuple(self.source.listing())
        if self.source.stat_changed:
            save_stat_cache(self.stat_file, self.root, self.source.stat_cache)
            self.source.stat_changed = False
        if self._last is not None and self._last[0] == entries:
            snap = self._last[1]
        else:
            previous = self._last[1] if self._last is not None else None
            snap = patch_snapshot(
                previous, self.source.label, list(entries), self.source.read, self.cache
            )
            self.cache.save()
            self._last = (entries, snap)

        def read_text(path: str) -> str:
            return (self.root / path).read_text(encoding="utf-8")

        return Tree(snap, read_text, self.source.read)


class ListedSource(Source):
    """Files listed already, read through a given function."""

    def __init__(
        self,
        label: str,
        listed: list[FileEntry],
        read: Callable[[list[FileEntry]], dict[str, bytes]],
    ) -> None:
        super().__init__(label, None)
        self.listed = listed
        self.reader = read

    def entries(self) -> list[FileEntry]:
        return self.listed

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        return self.reader(entries)


def patch_snapshot(
    base: Snapshot | None,
    label: str,
    entries: list[FileEntry],
    read: Callable[[list[FileEntry]], dict[str, bytes]],
    cache: ResultCache,
) -> Snapshot:
    """The snapshot of ``entries``, reusing what ``base`` holds for the files it has unchanged.

    Only added and changed files go through the reader (and they are parsed
    only when the cache does not know their blob id); every file-level result
    is tied to one path, so the rest carries over as it is.
    """
    if base is None:
        return load_snapshot(ListedSource(label, entries, read), cache)
    before = {e.path: e for e in base.entries}
    now = {e.path for e in entries}
    changed = [e for e in entries if before.get(e.path) != e]
    touched = {e.path for e in changed} | {p for p in before if p not in now}
    part = load_snapshot(ListedSource(label, changed, read), cache)
    snap = Snapshot(label, entries)
    snap.documents = {r: d for r, d in base.documents.items() if d.path not in touched}
    snap.documents.update(part.documents)
    snap.present = {r: p for r, p in base.present.items() if p not in touched}
    snap.present.update(part.present)
    snap.problems = [p for p in base.problems if p.path not in touched] + part.problems
    return snap


STAT_FORMAT = "gitstore-stat-1"


def load_stat_cache(path: Path | None, root: Path) -> StatCache:
    """The stat cache a previous process kept for this working tree (empty when unusable)."""
    if path is None or os.environ.get("GITSTORE_NO_CACHE") == "1":
        return {}
    try:
        blob = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(blob, tuple) or len(blob) != 3 or blob[:2] != (STAT_FORMAT, str(root)):
        return {}
    return blob[2] if isinstance(blob[2], dict) else {}


def save_stat_cache(path: Path | None, root: Path, stat_cache: StatCache) -> None:
    """Keep the stat cache for the next process (atomically; a failure only costs speed)."""
    if path is None or os.environ.get("GITSTORE_NO_CACHE") == "1":
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".worktree-stat.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            marshal.dump((STAT_FORMAT, str(root), stat_cache), fh)
        os.replace(tmp, path)
    except OSError:
        pass
