"""What the store reads from: a parsed snapshot plus the text of its files.

``Tree`` is the value every read and every planned write works from. The
working tree is listed with a stat cache, so a file whose size, times and
inode are unchanged is neither read nor parsed again; a commit is listed from
git and parsed only where its blob ids are new. Parsed results are kept by
path and blob id in the core's :class:`~gitstore.plumbing.cache.ResultCache`.
"""

from __future__ import annotations

import gc
import os
import stat
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, EntityRef, classify
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
from gitstore.store.model import Model, Row, load_model, save_model

# path relative to the configuration root -> new text, or None to delete the file
FileChanges = dict[str, "str | None"]

# a file modified this recently may change again within the same timestamp: never trusted
RACY_SECONDS = 3.0
MODEL_SAVE_INTERVAL = 5.0  # least seconds between saves of the model by a long-lived reader
# path -> ((st_mode, mtime_ns, ctime_ns, size, inode), blob id)
StatCache = dict[str, tuple[tuple[int, int, int, int, int], str]]


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


def walk_rows(root: Path, watcher: Watcher | None = None) -> list[Row]:
    """One row per file, link or odd entry below the layout's roots: its path and ``lstat``,
    in listing order (the roots in layout order, then each folder by name). Each folder is
    handed to ``watcher`` before it is listed."""
    base = str(root)
    rows: list[Row] = []
    for name in LAYOUT_ROOTS:
        full = os.path.join(base, name)
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode) and name != CONFIG_FILE:
            rows.extend(_folder_rows(base, name, watcher))
        else:
            rows.append((name, st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
    return rows


def _folder_rows(base: str, top: str, watcher: Watcher | None) -> list[Row]:
    """The rows of one of the layout's folders, in listing order."""
    rows: list[Row] = []
    append, lstat = rows.append, os.lstat

    def folder(full: str, rel: str) -> None:
        if watcher is not None:
            watcher.watch_folder(rel)
        try:
            fd = os.open(full, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError, OSError):
            return  # gone (or replaced) since its parent was listed
        try:
            with os.scandir(fd) as it:
                children = sorted([(e.name, e.is_dir(follow_symlinks=False)) for e in it])
            prefix = rel + "/"
            for name, is_dir in children:
                if is_dir:
                    folder(f"{full}/{name}", prefix + name)
                    continue
                try:  # relative to the open folder: no walk down the whole path per file
                    st = lstat(name, dir_fd=fd)
                except FileNotFoundError:
                    continue
                append((prefix + name, st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_size,
                        st.st_ino))
        finally:
            os.close(fd)

    folder(os.path.join(base, top), top)
    return rows


@dataclass
class StatWorkTreeSource(WorkTreeSource):
    """The working tree, listed from a stat cache that outlives one listing."""

    stat_changed: bool = False
    watcher: Watcher | None = None  # told of each folder before it is listed
    # path -> its last change (seconds) of files read while too new for the stat cache
    unsettled: dict[str, float] = field(default_factory=dict)
    # gives the stat cache when first needed (a store's model keeps it)
    stat_loader: Callable[[], StatCache] | None = None
    _stat_cache: StatCache | None = field(default=None, repr=False)

    @property
    def stat_cache(self) -> StatCache:
        if self._stat_cache is None:
            loader, self.stat_loader = self.stat_loader, None
            self._stat_cache = loader() if loader is not None else {}
        return self._stat_cache

    @stat_cache.setter
    def stat_cache(self, value: StatCache) -> None:
        self._stat_cache, self.stat_loader = value, None

    @staticmethod
    def read_file(full: str | Path) -> bytes:
        return read_head(full)

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        out = {}
        for entry in entries:
            data = self._data.get(entry.path)
            out[entry.path] = data if data is not None else self.read_file(self.root / entry.path)
        return out

    def entries(self) -> list[FileEntry]:
        return self.listing()

    def listing(self, rows: list[Row] | None = None) -> list[FileEntry]:
        """The files of ``rows`` (listed now when not given), reading only those whose stat
        the cache does not vouch for."""
        self._data.clear()
        self.unsettled.clear()
        if rows is None:
            rows = walk_rows(self.root, self.watcher)
        found: list[FileEntry] = []
        known_stats = self.stat_cache
        base = str(self.root)
        for row in rows:
            rel, mode = row[0], row[1]
            if stat.S_ISREG(mode):
                known = known_stats.get(rel)
                if known is not None and known[0] == row[1:]:
                    found.append(FileEntry(rel, known[1], "100644"))
                    continue
                entry = self._read_regular(os.path.join(base, rel), rel, row)
                if entry is not None:
                    found.append(entry)
            elif stat.S_ISLNK(mode):
                try:
                    target = os.readlink(os.path.join(base, rel))
                except OSError:
                    continue
                found.append(FileEntry(rel, vcs.blob_oid(target.encode("utf-8", "surrogateescape")),
                                       vcs.MODE_SYMLINK))
            else:  # a folder named like the settings file, a device, a socket
                found.append(FileEntry(rel, "0" * 40, vcs.MODE_SUBMODULE))
        if len(known_stats) > len(found):
            listed = {e.path for e in found}
            for gone in [p for p in known_stats if p not in listed]:
                del known_stats[gone]
            self.stat_changed = True
        return found

    def _read_regular(self, full: str, rel: str, row: Row) -> FileEntry | None:
        try:
            data = self.read_file(full)
        except FileNotFoundError:
            self.stat_cache.pop(rel, None)
            return None  # removed since it was listed
        self._data[rel] = data
        oid = vcs.blob_oid(data)
        changed = max(row[2], row[3]) / 1e9
        if time.time() - changed > RACY_SECONDS:
            self.stat_cache[rel] = (row[1:], oid)
            self.stat_changed = True
        else:
            self.stat_cache.pop(rel, None)
            self.unsettled[rel] = changed
        return FileEntry(rel, oid, "100644")


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
    snap = Snapshot(changed_label(old.label), list(by_path.values()))
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


def changed_label(label: str) -> str:
    """The label of a snapshot changed from one labelled ``label`` (said once, however many
    changes follow)."""
    return label if label.endswith(CHANGED) else label + CHANGED


CHANGED = " + changes"


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
    one, every read lists the tree with the stat cache. ``model_file`` keeps
    what was read for the next process (see :mod:`gitstore.store.model`).
    """

    root: Path
    cache: ResultCache
    model_file: Path | None = None  # where the model outlives the process
    source: StatWorkTreeSource = field(init=False)
    watcher: Watcher | None = field(default=None, init=False)
    _last: tuple[tuple[FileEntry, ...], Snapshot] | None = field(default=None, init=False)
    # the rows of the last listing and its snapshot, when the rows alone vouch for every file
    _last_rows: tuple[list[Row], Snapshot] | None = field(default=None, init=False)
    _current: Tree | None = field(default=None, init=False)
    _pending: set[str] = field(default_factory=set, init=False)  # changed, not followed yet
    # a write of this process: (its base, the bytes it wrote by path, the snapshot after it)
    _written: tuple[Snapshot, dict[str, bytes | None], Snapshot] | None = field(
        default=None, init=False)
    _model: Model | None = field(default=None, init=False)  # read from disk, not used yet
    _saved_snapshot: Snapshot | None = field(default=None, init=False)  # as on disk
    _model_dirty: bool = field(default=False, init=False)
    _model_saved: float = field(default=-1e9, init=False)
    _model_at_exit: bool = field(default=False, init=False)
    _settled_now: StatCache = field(default_factory=dict, init=False)  # untrusted, now trusted
    _saved_counts: tuple[int, int] = field(default=(0, 0), init=False)  # files, untrusted
    _urgent_saved: bool = field(default=False, init=False)  # saved early once (see _settle)
    _save_interval: float = field(default=MODEL_SAVE_INTERVAL, init=False)  # seconds

    def __post_init__(self) -> None:
        self.source = StatWorkTreeSource("working tree", None, root=self.root)
        if self.model_file is not None and os.environ.get("GITSTORE_NO_CACHE") != "1":
            collecting = gc.isenabled()
            gc.disable()
            try:
                self._model = load_model(self.model_file, self.root, self.cache.format,
                                         self.source.label)
            finally:
                if collecting:
                    gc.enable()
            if self._model is not None:
                self._saved_snapshot = self._model.snapshot
                self._saved_counts = (len(self._model.rows), len(self._model.untrusted))
                self._model_saved = time.monotonic()  # as good as one saved now
        self.watcher = open_watcher(self.root, LAYOUT_ROOTS)
        if self.watcher is not None:
            weakref.finalize(self, self.watcher.close)
            self.source.watcher = self.watcher

    def written(self, base: Snapshot, changes: Mapping[str, bytes | None], after: Snapshot
                ) -> None:
        """This process wrote ``changes`` into the working tree, which made ``base`` (a
        snapshot of it) into ``after``. The next read still reads the changed files; when it
        finds exactly these changes over ``base``, it takes ``after`` rather than patching
        ``base`` again."""
        self._written = (base, dict(changes), after)

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
        self._written = None  # a listing reads every file: nothing to take from a write
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
        model, self._model = self._model, None
        rows = walk_rows(self.root, self.watcher)
        if model is not None:
            known = self._from_model(model, rows)
            if known is not None:
                return self._tree(known)
        elif self._last_rows is not None and self._last_rows[0] == rows:
            return self._tree(self._last_rows[1])
        entries = tuple(self.source.listing(rows))
        if self.source.stat_changed:
            self._model_dirty = True
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
            self._model_dirty = True
        keep = self.watcher is None and not self.source.unsettled
        self._last_rows = (rows, snap) if keep else None
        if self._model_dirty:
            self._save_model_soon(snap)
        return self._tree(snap)

    def _from_model(self, model: Model, rows: list[Row]) -> Snapshot | None:
        """The model's snapshot when ``rows`` show the files it was made from (the files it
        could not vouch for are read again); else None, with the listing set to start from it."""
        if rows == model.rows and self._untrusted_unchanged(model):
            self._last = None
            # without file events, the next read compares its listing with this one
            keep = self.watcher is None and not self.source.unsettled
            self._last_rows = (rows, model.snapshot) if keep else None
            self.source.stat_loader = lambda: {**model.stat_cache(), **self._settled_now}
            if self._settled_now:
                self._model_dirty = True
                self._save_model_soon(model.snapshot)
            return model.snapshot
        self.source.stat_loader = model.stat_cache
        self._last = (tuple(model.entries()), model.snapshot)
        return None

    def _untrusted_unchanged(self, model: Model) -> bool:
        """Read the files whose rows the model does not vouch for; True when each still
        holds what the model says (noting those now old enough to be trusted)."""
        if not model.untrusted:
            return True
        self.source.unsettled.clear()
        self._settled_now = {}
        now = time.time()
        for n, row in enumerate(model.rows):
            rel = row[0]
            if rel not in model.untrusted:
                continue
            if not stat.S_ISREG(row[1]):
                return False  # a link or an odd entry: the listing knows how to name it
            try:
                data = StatWorkTreeSource.read_file(os.path.join(self.root, rel))
            except FileNotFoundError:
                return False
            if vcs.blob_oid(data) != model.oids[n]:
                return False
            changed = max(row[2], row[3]) / 1e9
            if now - changed > RACY_SECONDS:
                self._settled_now[rel] = (row[1:], model.oids[n])
            else:
                self.source.unsettled[rel] = changed
        return True

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
                found[path] = ((st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_size,
                                st.st_ino), entry.oid)
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
        self._model_dirty = True
        files, untrusted = self._saved_counts
        urgent = not self._urgent_saved and (untrusted * 2 > files or untrusted > 64)
        self._save_model_soon(current.snapshot, urgent=urgent)

    def _save_model_soon(self, snap: Snapshot, urgent: bool = False) -> None:
        """Keep the model for the next process: at exit, and at most every few seconds
        (now, when none was read at the start); now when ``urgent`` (the model on disk
        leaves most files to read again)."""
        if self.model_file is None:
            return
        now = time.monotonic()
        if urgent or now - self._model_saved >= self._save_interval:
            self.save_model(snap)
            took = time.monotonic() - now
            self._model_saved = time.monotonic()
            # at most 1% of the time on saving: a large model waits longer between saves
            self._save_interval = max(MODEL_SAVE_INTERVAL, 100 * took)
            self._urgent_saved |= urgent
            return
        if not self._model_at_exit:
            import atexit

            atexit.register(_save_model_at_exit, weakref.ref(self))
            self._model_at_exit = True

    def save_model(self, snap: Snapshot | None = None) -> None:
        """Write the model of ``snap`` (the last read) when it holds anything new."""
        if snap is None:
            snap = self._current.snapshot if self._current is not None else None
        if snap is None or self.model_file is None or os.environ.get("GITSTORE_NO_CACHE") == "1":
            return
        if not self._model_dirty and snap is self._saved_snapshot:
            return
        collecting = gc.isenabled()
        gc.disable()
        try:
            saved = save_model(self.model_file, self.root, self.cache.format, snap,
                               self.source.stat_cache)
        finally:
            if collecting:
                gc.enable()
        if saved is not None:
            self._saved_counts = saved
            self._model_dirty = False
            self._saved_snapshot = snap

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
        written, self._written = self._written, None
        if not changes:
            return current
        snap = _as_written(current.snapshot, changes, written) if written else None
        if snap is None:
            snap = apply_changes(current, changes, self.cache, {p: "100644" for p in changes})
        self.cache.save_soon()
        self._last = None
        self._last_rows = None
        self._model_dirty = True
        return self._tree(snap)




def _as_written(current: Snapshot, changes: Mapping[str, bytes | None],
                written: tuple[Snapshot, dict[str, bytes | None], Snapshot]) -> Snapshot | None:
    """``current`` with ``changes``, taken from a write that made exactly these changes over
    exactly this snapshot (the same tables, not equal ones); None otherwise."""
    base, wrote, after = written
    if base.documents is not current.documents or base.present is not current.present \
            or changes != wrote:
        return None
    by_path = after.by_path()
    if any(by_path[path].mode != "100644" for path, data in changes.items() if data is not None):
        return None  # a working tree's file is read as 100644, whatever the commit says
    snap = Snapshot(changed_label(current.label), after.entries, after.documents, after.present,
                    after.problems)
    snap._by_path, snap._kinds = by_path, after._kinds
    return snap


def _save_model_at_exit(ref: weakref.ref[WorkTreeReader]) -> None:
    reader = ref()
    if reader is not None:
        reader.save_model()


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
