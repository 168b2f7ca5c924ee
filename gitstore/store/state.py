"""What the store reads from: a parsed snapshot plus the text of its files.

``Tree`` is the value every read and every planned write works from. The
working tree is listed with a stat cache, so a file whose size, times and
inode are unchanged is neither read nor parsed again; a commit is listed from
git and parsed only where its blob ids are new. Parsed results are kept by
path and blob id in the core's :class:`~gitstore.cache.ResultCache`.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitstore import vcs
from gitstore.cache import ResultCache
from gitstore.snapshot import Document, Snapshot, load_snapshot
from gitstore.sources import ConfigRepo, FileEntry, Source, WorkTreeSource

# path relative to the configuration root -> new text, or None to delete the file
FileChanges = dict[str, "str | None"]

RACY_SECONDS = 3.0  # a file modified this recently may change again within the same timestamp


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
        from gitstore.layout import entity_path

        return self.read_text(entity_path(kind, name, type_))


@dataclass
class StatWorkTreeSource(WorkTreeSource):
    """The working tree, listed from a stat cache that outlives one listing."""

    stat_cache: dict[str, tuple[tuple[int, int, int, int], str]] = field(default_factory=dict)

    def _walk(self, full: Path, rel: str, found: list[FileEntry]) -> None:
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(st.st_mode):
            super()._walk(full, rel, found)
            return
        key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        known = self.stat_cache.get(rel)
        if known is not None and known[0] == key:
            found.append(FileEntry(rel, known[1], "100644"))
            return
        data = full.read_bytes()
        self._data[rel] = data
        oid = vcs.blob_oid(data)
        if time.time() - st.st_mtime_ns / 1e9 > RACY_SECONDS:
            self.stat_cache[rel] = (key, oid)
        found.append(FileEntry(rel, oid, "100644"))

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        out = {}
        for entry in entries:
            data = self._data.get(entry.path)
            out[entry.path] = data if data is not None else (self.root / entry.path).read_bytes()
        return out

    def listing(self) -> list[FileEntry]:
        self._data.clear()
        return self.entries()


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
    return load_snapshot(overlay, cache)


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
    source: StatWorkTreeSource = field(init=False)
    _last: tuple[tuple[FileEntry, ...], Snapshot] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.source = StatWorkTreeSource("working tree", None, root=self.root)

    def tree(self) -> Tree:
        entries = tuple(self.source.listing())
        if self._last is not None and self._last[0] == entries:
            snap = self._last[1]
        else:
            snap = load_snapshot(_Listed(self.source, list(entries)), self.cache)
            self.cache.save()
            self._last = (entries, snap)

        def read_text(path: str) -> str:
            return (self.root / path).read_text(encoding="utf-8")

        return Tree(snap, read_text, self.source.read)


@dataclass
class _Listed(Source):
    """A source whose listing was taken already."""

    inner: Source | None = None
    listed: list[FileEntry] = field(default_factory=list)

    def __init__(self, inner: Source, listed: list[FileEntry]) -> None:
        super().__init__(inner.label, inner.cache_dir)
        self.inner = inner
        self.listed = listed

    def entries(self) -> list[FileEntry]:
        return self.listed

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        assert self.inner is not None
        return self.inner.read(entries)
