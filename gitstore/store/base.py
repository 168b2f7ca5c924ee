"""The store's plumbing shared by every group of methods: reading, writing, dates.

Reads see the checked-out working tree (or, for a view made by
:meth:`StoreBase.at`, one commit). Writes go through
:class:`~gitstore.store.transaction.Writer`: one operation, one commit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from gitstore.errors import NotAConfigRepository
from gitstore.exceptions import ReadOnlyStoreError
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import FOLDERS, derive_id, entity_path, is_valid_name, name_rule
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.plumbing.sources import ConfigRepo
from gitstore.store import writer
from gitstore.store.model import MODEL_FILE, remembered_repo_info
from gitstore.store.state import FileChanges, Tree, WorkTreeReader, commit_tree
from gitstore.store.transaction import Operation, Writer, journal_pending, recover

if TYPE_CHECKING:
    from gitstore.remote import RemoteClone

DATED_KINDS = ("user", "team", "project", "role")
DATED_FOLDERS = tuple(FOLDERS[kind] + "/" for kind in DATED_KINDS)


_Store = TypeVar("_Store", bound="StoreBase")


class StoreBase:
    """State and plumbing of a store; the API methods live in the mixins."""

    _repo: ConfigRepo | None = None
    _cache: ResultCache
    _reader: WorkTreeReader | None = None
    _writer: Writer | None = None
    _rev: str | None = None  # set on a read-only view of one commit
    _dates: dict[str, dict[str, int]]
    _remote: RemoteClone | None = None  # set when the repository is a clone of a git remote
    _remote_tree: tuple[str | None, Tree] | None = None  # the last fetched tip, read
    _pinned: list[Tree] | None = None  # inside consistent_reads(): the tree read (if yet)
    _fresh_after: float | None = None  # inside consistent_reads(fresh_after=...)
    _last_read: tuple[float, Tree] | None = None  # (when that read started, its tree), until a write
    _memo: dict[Any, tuple[Snapshot, Any]]  # answers of the last snapshot read, by question

    # --- opening ---------------------------------------------------------------

    def _open(self, root: Path, lock_timeout: float) -> None:
        git = remembered_repo_info(root)
        if git is None or git.toplevel is None:
            raise NotAConfigRepository(
                str(root), "the library needs a git repository with a working tree"
            )
        self._repo = ConfigRepo(root, git, git.prefix)
        self._cache = ResultCache(self._repo.cache_dir)
        self._reader = WorkTreeReader(root, self._cache, git.git_dir / "gitstore" / MODEL_FILE)
        self._writer = Writer(self._repo, self._cache, lock_timeout)
        reader = self._reader
        self._writer.worktree_hint = lambda: reader.last_read
        self._writer.on_written = reader.written
        self._dates = {}
        self._memo = {}
        if journal_pending(self._writer.state_dir):
            from gitstore.plumbing.locking import file_lock

            with file_lock(self._writer.lock_path, self._writer.timeout):
                recover(self._repo, self._writer.state_dir)

    @property
    def repo(self) -> ConfigRepo:
        if self._repo is None:
            raise NotAConfigRepository("(none)", "call GitZenStore().initialize(path) first")
        return self._repo

    def _view_of(self, rev: str) -> StoreBase:
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._rev = vcs.resolve_commit(self.repo.git_cwd, rev)
        view._writer = None
        view._pinned = None
        view._last_read = None
        return view

    def published_view(self: _Store) -> tuple[_Store, str | None]:
        """A read-only view of the store as it is now, and the commit HEAD names.

        The view's reads all see the tree read now (not the working tree as it
        changes later) and date entities by that commit, so a front end can
        answer reads from it on another thread while this store writes. Its
        writes raise :class:`ReadOnlyStoreError`.
        """
        tree = self._tree()  # outside consistent_reads(): read now, following every change
        head = self._head()
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view._writer = None
        view._rev = head  # dates come from this commit (its reads never list it: pinned below)
        view._pinned = [tree]
        view._fresh_after = None
        view._last_read = None
        view._memo = {}  # answers computed from this tree, for this view alone
        view._dates = {}
        if head is not None:
            dates = self._dates.get(head)
            if dates is None:
                dates = self._added_times(head)
                self._dates = {head: dates}
            # shared, not copied: the store only ever adds paths to it (those its next write
            # adds), never changes a path's date, so the view's answers stay those of its tree
            view._dates = {head: dates}
        return view, head

    # --- reading ---------------------------------------------------------------

    @contextmanager
    def consistent_reads(self, fresh_after: float | None = None) -> Iterator[None]:
        """Reads in this block see one state of the repository, read once, and then
        the result of each write made in it (a front end answering one request).

        ``fresh_after`` (a ``time.monotonic()`` instant, such as when a request
        arrived): the block may reuse the state an earlier read took if that read
        started after this instant and no write came since; it saw every edit made
        before the instant. Without it each read looks at the working tree anew.
        Not for concurrent use.
        """
        outer = (self._pinned, self._fresh_after)
        self._pinned, self._fresh_after = [], fresh_after
        try:
            yield
        finally:
            self._pinned, self._fresh_after = outer

    def _tree(self) -> Tree:
        if self._pinned:
            return self._pinned[0]
        last, fresh_after = self._last_read, self._fresh_after
        if last is not None and fresh_after is not None and last[0] >= fresh_after:
            tree = last[1]
        else:
            started = time.monotonic()
            tree = self._read_tree()
            self._last_read = (started, tree)
        if self._pinned is not None:
            self._pinned.append(tree)
        return tree

    def _read_tree(self) -> Tree:
        repo = self.repo  # a clear error before initialize()
        if self._rev is not None:
            return commit_tree(repo, self._rev, self._cache)
        if self._remote is not None:  # reads come from the last fetched (or pushed) commit
            tip = self._remote.tip
            if self._remote_tree is None or self._remote_tree[0] != tip:
                self._remote_tree = (tip, commit_tree(repo, tip, self._cache))
            return self._remote_tree[1]
        if self._writer is not None and self._writer.batch is not None:
            return self._writer.batch.tip.tree  # what the writes staged so far make
        assert self._reader is not None
        return self._reader.tree()

    def _remembered(self, key: Any, tree: Tree, compute: Callable[[], Any]) -> Any:
        """``compute()``, or what it gave for this very snapshot before (nothing changed since)."""
        known = self._memo.get(key)
        if known is not None and known[0] is tree.snapshot:
            return known[1]
        value = compute()
        self._memo[key] = (tree.snapshot, value)
        return value

    def _doc(self, tree: Tree, kind: str, name: str, type_: str | None = None) -> Document:
        doc = tree.doc(kind, name, type_)
        if doc is None:
            what = f"{type_} {name}" if type_ else name
            raise KeyError(
                f"no {kind.replace('_', ' ')} named {what!r} "
                f"(expected {entity_path(kind, name, type_)})"
            )
        return doc

    def _created(self, doc: Document) -> datetime:
        """When the entity's file was first committed; for a file not committed yet, when it
        was last written. Whole seconds in UTC either way, as git records times, so an entity
        committed in the second its file was written keeps its date."""
        rev = self._rev or self._head()
        stamp = self._date_of(rev, doc.path) if rev is not None else None
        return as_date(stamp if stamp is not None else self._written(doc))

    def _date_of(self, rev: str, path: str) -> int | None:
        """When the commit that added ``path`` (below the configuration root) to ``rev`` was
        made; None when ``rev`` does not hold it or it is not of a dated kind."""
        batch = self._writer.batch if self._writer is not None else None
        if batch is not None and rev == batch.tip.commit and rev != batch.head:
            # a commit staged, not landed: the batch's base, else what the batch added
            known = self._date_of(batch.head, path) if batch.head is not None else None
            if known is not None or not path.startswith(DATED_FOLDERS):
                return known
            return batch.added.get(path)
        if rev not in self._dates:
            self._dates = {rev: self._added_times(rev)}
        return self._dates[rev].get((f"{self.repo.prefix}/" if self.repo.prefix else "") + path)

    def _written(self, doc: Document) -> int:
        """When the (uncommitted) file was last written, in whole seconds; now if unknown."""
        try:
            return os.stat(self.repo.root / doc.path).st_mtime_ns // 1_000_000_000
        except (OSError, ValueError):
            return int(time.time())

    def _head(self) -> str | None:
        if self._writer is not None:
            if self._writer.batch is not None:
                return self._writer.batch.tip.commit
            return self._writer.objects.head()
        return vcs.commit_or_none(self.repo.git_cwd, "HEAD")

    def _added_times(self, rev: str) -> dict[str, int]:
        """path -> time of the commit that added it; follows this store's own last write."""
        prefix = f"{self.repo.prefix}/" if self.repo.prefix else ""
        last = self._writer.last_write if self._writer is not None else None
        if last is not None and last[1] == rev and (last[0] is None or last[0] in self._dates):
            parent, _, added = last
            dates = self._dates.pop(parent) if parent is not None else {}  # kept for one commit only
            for path, stamp in added.items():
                if path.startswith(DATED_FOLDERS):
                    dates.setdefault(prefix + path, stamp)
            return dates
        folders = [prefix + FOLDERS[k] for k in DATED_KINDS]
        return vcs.file_added_times(self.repo.git_cwd, rev, folders)

    # --- writing ---------------------------------------------------------------

    def _write(self, message: str, plan: Callable[[Tree], FileChanges]) -> str | None:
        if self._writer is None:
            if self._rev is not None:
                raise ReadOnlyStoreError(
                    f"this store is a read-only view of commit {self._rev[:12]}; "
                    f"`{message}` needs the store itself"
                )
            raise NotAConfigRepository("(none)", "call GitZenStore().initialize(path) first")
        operation, writer = Operation(message, plan), self._writer
        try:
            if writer.batch is not None:
                return writer.stage(operation)
            if self._remote is not None:  # commit in the clone, push, replay on a lost race
                return self._remote.publish(lambda: writer.apply(operation))
            return writer.apply(operation)
        finally:
            self._last_read = None  # the next read sees the write
            if self._pinned:
                self._pinned.clear()

    @contextmanager
    def batched_writes(self) -> Iterator[bool]:
        """Writes made in the block land together at its end, each its own commit (see
        :meth:`Writer.batched`); reads in it see the writes made so far. Yields whether
        the block is batched: not for a remote or a view, nor while the working tree holds
        anything this store has not committed or read (its writes then go one at a time,
        as outside the block). Raises :class:`~gitstore.exceptions.BatchLost` at
        the end when the branch moved meanwhile: nothing of the block landed.
        """
        writer, reader = self._writer, self._reader
        if writer is None or reader is None or self._remote is not None or self._rev is not None:
            yield False
            return
        if not writer.in_step_with(self._tree().snapshot):
            yield False  # the block's reads must look at the working tree itself
            return
        with writer.batched():
            self._last_read = None
            try:
                yield True
            finally:
                self._last_read = None
                if self._pinned:
                    self._pinned.clear()

    def _all(self, kind: str, convert: Callable[[Document], Any]) -> list[Any]:
        return [convert(doc) for doc in by_name(self._tree().snapshot.of_kind(kind))]

    def _create(self, kind: str, name: str, body: dict[str, Any]) -> None:
        """Commit a new entity file (EntityExistsError when the name is taken)."""
        require_name(name, kind)

        def plan(tree: Tree) -> FileChanges:
            require_absent(tree, kind, name)
            path = entity_path(kind, name)
            return {path: writer.new_file(path, body)}

        self._write(f"create {kind} {name}", plan)


def names_in(doc: Document, key: str) -> list[str]:
    value = doc.data.get(key) or []
    return [str(v) for v in value]


def require_name(name: str, kind: str) -> None:
    if not isinstance(name, str) or not is_valid_name(name):
        raise ValueError(f"{name!r} is not a valid {kind} name: {name_rule()}")


def require_absent(tree: Tree, kind: str, name: str, type_: str | None = None) -> None:
    from gitstore.exceptions import EntityExistsError

    if tree.snapshot.exists(kind, name, type_):
        what = f"{type_} {name}" if type_ else name
        raise EntityExistsError(
            f"a {kind} named {what!r} exists already ({entity_path(kind, name, type_)})"
        )


def by_name(docs: Iterable[Document]) -> list[Document]:
    return sorted(docs, key=lambda d: d.ref.name)


def as_date(stamp: int) -> datetime:
    """A time in whole unix seconds as an aware UTC datetime (now when out of range)."""
    try:
        return datetime.fromtimestamp(stamp, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(int(time.time()), timezone.utc)


def as_uuid(doc: Document) -> UUID:
    """The entity's id; the derived one when the file's is not a UUID (validation reports it)."""
    try:
        return UUID(doc.id)
    except ValueError:
        return UUID(derive_id(doc.ref.kind, doc.ref.name, doc.ref.type))
