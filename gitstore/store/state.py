"""What the store reads from: a parsed snapshot plus the text of its files.

``Tree`` is the value every read and every planned write works from. The
working tree is listed with a stat cache, so a file whose size, times and
inode are unchanged is neither read nor parsed again; a commit is listed from
git and parsed only where its blob ids are new. Parsed results are kept by
path and blob id in the core's :class:`~gitstore.plumbing.cache.ResultCache`.
"""

from __future__ import annotations

import gc
import marshal
import os
import stat
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import EntityRef, classify
from gitstore.plumbing.snapshot import Document, Snapshot, load_snapshot
from gitstore.plumbing.sources import (
    LAYOUT_ROOTS,
    ConfigRepo,
    FileEntry,
    Source,
    WorkTreeSource,
    read_head,
)
from gitstore.plumbing.watch import Watcher, open_watcher

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
        return self.snapshot.by_path()

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
    watcher: Watcher | None = None  # told of each folder before it is listed
    # path -> its last change (seconds) of files read while too new for the stat cache
    unsettled: dict[str, float] = field(default_factory=dict)

    def _add(self, full: str, rel: str, mode: int, found: list[FileEntry]) -> None:
        if stat.S_ISDIR(mode) and self.watcher is not None:
            self.watcher.watch_folder(rel)
        self._add_file(full, rel, mode, found)

    def _add_file(self, full: str, rel: str, mode: int, found: list[FileEntry]) -> None:
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
        else:
            self.unsettled[rel] = max(st.st_mtime_ns, st.st_ctime_ns) / 1e9
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
        self.unsettled.clear()
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


def apply_changes(base: Tree, changes: Mapping[str, bytes | None], cache: ResultCache,
                  modes: Mapping[str, str] | None = None) -> Snapshot:
    """The snapshot of ``base`` with ``changes`` (path -> new contents, None to remove).

    Costs what the change costs: the unchanged part is carried over by copying
    the base's tables (no per-file work), and only the changed files are
    parsed (or recalled from the cache by blob id).
    """
    old = base.snapshot
    by_path = dict(old.by_path())
    added: list[FileEntry] = []
    for path, data in changes.items():
        if data is None:
            by_path.pop(path, None)
        else:
            mode = (modes or {}).get(path) or (by_path[path].mode if path in by_path else "100644")
            entry = FileEntry(path, vcs.blob_oid(data), mode)
            by_path[path] = entry
            added.append(entry)
    fresh = {p: d for p, d in changes.items() if d is not None}
    part = load_snapshot(ListedSource(old.label, added, lambda es: {e.path: fresh[e.path]
                                                                   for e in es}), cache)
    touched = set(changes)
    snap = Snapshot(f"{old.label} + changes", list(by_path.values()))
    snap._by_path = by_path
    documents = dict(old.documents)
    present = dict(old.present)
    gone: set[EntityRef] = set()
    for path in touched:
        ref = _ref_at(old, path)
        if ref is not None:
            documents.pop(ref, None)
            present.pop(ref, None)
            gone.add(ref)
    documents.update(part.documents)
    present.update(part.present)
    snap.documents, snap.present = documents, present
    if old._kinds is not None:  # carry the index by kind over, copying only the kinds touched
        snap._kinds = _patched_kinds(old._kinds, gone | set(part.documents), documents)
    snap.problems = [p for p in old.problems if p.path not in touched] + part.problems
    return snap


def _patched_kinds(kinds: dict[str, dict[EntityRef, Document]], refs: set[EntityRef],
                   documents: dict[EntityRef, Document]) -> dict[str, dict[EntityRef, Document]]:
    out = dict(kinds)
    copied: set[str] = set()
    for ref in refs:
        if ref.kind not in copied:
            out[ref.kind] = dict(out.get(ref.kind, {}))
            copied.add(ref.kind)
        table = out[ref.kind]
        table.pop(ref, None)
        doc = documents.get(ref)
        if doc is not None:
            table[ref] = doc
    return out


def _ref_at(snap: Snapshot, path: str) -> EntityRef | None:

    try:
        ref = classify(path)
    except KeyError:
        return None
    if isinstance(ref, EntityRef) and snap.present.get(ref) == path:
        return ref
    return None


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
    """Reads of the checked-out working tree, parsing only what changed since the last read.

    With a :class:`~gitstore.plumbing.watch.Watcher` (Linux), a read after the
    first lists nothing: the kernel's queue of file events names the paths
    that changed (whoever changed them), and only those are read again. Without
    one, every read lists the tree with the stat cache.
    """

    root: Path
    cache: ResultCache
    stat_file: Path | None = None  # where the stat cache outlives the process
    source: StatWorkTreeSource = field(init=False)
    watcher: Watcher | None = field(default=None, init=False)
    _last: tuple[tuple[FileEntry, ...], Snapshot] | None = field(default=None, init=False)
    _current: Tree | None = field(default=None, init=False)
    _pending: set[str] = field(default_factory=set, init=False)  # changed, not followed yet
    _stats_saved: float = field(default=-1e9, init=False)
    _stats_at_exit: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.source = StatWorkTreeSource("working tree", None, root=self.root)
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.source.stat_cache = load_stat_cache(self.stat_file, self.root)
        finally:
            if collecting:
                gc.enable()
        self.watcher = open_watcher(self.root, LAYOUT_ROOTS)
        if self.watcher is not None:
            weakref.finalize(self, self.watcher.close)
            self.source.watcher = self.watcher

    @property
    def last_read(self) -> Tree | None:
        """The tree the last read answered from (not checked against the disk again)."""
        return self._current

    def tree(self) -> Tree:
        if self.watcher is not None and self._current is not None:
            changed = self.watcher.changes()
            if changed is not None:
                followed = self._follow(self._current, changed | self._pending)
                self._pending = set()
                if followed is not None:
                    self._current = followed
                    if self.source.unsettled:
                        self._settle(followed)
                    return followed
        if self.watcher is not None:
            self.watcher.reset()
            self.watcher.watch_folder("")
        self._current = self._listed()
        return self._current

    def _listed(self) -> Tree:
        collecting = gc.isenabled()
        gc.disable()  # a listing builds many small containers and frees none of them
        try:
            return self._list()
        finally:
            if collecting:
                gc.enable()

    def _list(self) -> Tree:
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
            self.cache.save_soon()
            self._last = (entries, snap)
        return self._tree(snap)

    def _tree(self, snap: Snapshot) -> Tree:
        def read_text(path: str) -> str:
            return (self.root / path).read_text(encoding="utf-8")

        return Tree(snap, read_text, self.source.read)

    def _settle(self, current: Tree) -> None:
        """Keep the stats of files that were too new at their reading, once they are old enough.

        Only for files the watcher has seen no change to since they were read;
        what changes while this runs is followed at the next read instead.
        """
        assert self.watcher is not None
        now, known, found = time.time(), current.entries, {}
        if now - min(self.source.unsettled.values()) <= RACY_SECONDS:
            return  # none is old enough yet
        for path in list(self.source.unsettled):
            entry = known.get(path)
            try:
                st = os.lstat(os.path.join(self.root, path))
            except FileNotFoundError:
                self.source.unsettled.pop(path, None)
                continue
            if entry is None or not stat.S_ISREG(st.st_mode):
                self.source.unsettled.pop(path, None)
            elif now - max(st.st_mtime_ns, st.st_ctime_ns) / 1e9 > RACY_SECONDS:
                found[path] = ((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino), entry.oid)
        if not found:
            return
        more = self.watcher.changes()
        if more is None:
            self._current = None  # list again at the next read
            return
        self._pending |= more
        for path, item in found.items():
            self.source.unsettled.pop(path, None)
            if path not in more:
                self.source.stat_cache[path] = item
        self._save_stats_soon()

    def _save_stats_soon(self) -> None:
        """Keep the stat cache for the next process: now and then, and at exit."""
        now = time.monotonic()
        if now - self._stats_saved >= STAT_SAVE_INTERVAL:
            save_stat_cache(self.stat_file, self.root, self.source.stat_cache)
            self._stats_saved = now
            return
        if not self._stats_at_exit:
            import atexit

            atexit.register(_save_stats_at_exit, weakref.ref(self))
            self._stats_at_exit = True

    def _follow(self, current: Tree, changed: set[str]) -> Tree | None:
        """``current`` with the changed paths read again; None when a full listing is needed."""
        if not changed:
            return current
        known = current.entries
        changes: dict[str, bytes | None] = {}
        for path in changed:
            if path.split("/", 1)[0] not in LAYOUT_ROOTS:
                continue
            full = os.path.join(self.root, path)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                if path in known:
                    changes[path] = None
                    self.source.stat_cache.pop(path, None)
                continue
            if not stat.S_ISREG(st.st_mode):
                return None  # a link, a folder, a device: the listing knows how to name it
            data = StatWorkTreeSource.read_file(full)
            self.source.stat_cache.pop(path, None)
            self.source.unsettled[path] = max(st.st_mtime_ns, st.st_ctime_ns) / 1e9
            entry = known.get(path)
            if entry is None or entry.oid != vcs.blob_oid(data) or entry.mode != "100644":
                changes[path] = data
        if not changes:
            return current
        snap = apply_changes(current, changes, self.cache, {p: "100644" for p in changes})
        self.cache.save_soon()
        self._last = None
        return self._tree(snap)
STAT_SAVE_INTERVAL = 5.0  # seconds between saves of the stat cache by a long-lived reader


def _save_stats_at_exit(ref: weakref.ref[WorkTreeReader]) -> None:
    reader = ref()
    if reader is not None:
        save_stat_cache(reader.stat_file, reader.root, reader.source.stat_cache)


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
