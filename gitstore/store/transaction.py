"""One write = one commit, all or nothing.

A write is an :class:`Operation`: a message and a plan, a function from the
repository as committed (a :class:`Tree`) to the file changes it needs. Under
the write lock, :meth:`Writer.apply`

1. finishes what a killed writer left (see :func:`recover`);
2. plans the changes against HEAD and drops the ones that change nothing;
3. refuses when a path it must change has uncommitted edits (index or
   working tree), so nothing of anyone's is overwritten;
4. checks the would-be snapshot with the integrity rules of
   ``gitstore validate`` and refuses when it holds new errors;
5. builds the commit in a private index (nobody's staged changes go in);
6. writes a journal, then moves the branch with a compare-and-swap
   ``update-ref`` -- this is the commit point; if the branch moved meanwhile,
   the plan is replayed on the new tip;
7. writes the changed files atomically into the working tree, stages exactly
   those paths, and empties the journal.

A process killed before step 6 leaves no trace but unreferenced objects; one
killed after it leaves a journal that the next writer (or the next store
opened on the repository) uses to bring the working tree and index up to the
commit. Because a plan is a function of the tree it starts from, a store for
a remote repository can fetch, replay the same operation on the new tip and
push.

Several writes can land together (:meth:`Writer.batched`): steps 2 to 5 run
for each on top of the one before, each its own commit, and steps 6 and 7 run
once for them all. One write is a batch of one.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from gitstore.canonical import keep_canonical
from gitstore.checks.incremental import IntegrityIndex
from gitstore.exceptions import BatchLost, IntegrityError, UncommittedChangesError
from gitstore.plumbing import vcs
from gitstore.plumbing.atomic import TEMP_SUFFIX, replace_file
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.locking import file_lock
from gitstore.plumbing.snapshot import Snapshot
from gitstore.plumbing.sources import LAYOUT_ROOTS, READ_LIMIT, ConfigRepo, FileEntry
from gitstore.problems import Problem
from gitstore.store.objects import GitObjects, stage_with_git
from gitstore.store.state import FileChanges, Tree, apply_changes, commit_tree

JOURNAL = "write-journal.json"
MAX_REPLAYS = 20


class Journal(NamedTuple):
    """What a write is about to commit: enough to finish it after a crash."""

    old: str | None  # HEAD before the write (None on an unborn branch)
    new: str  # the commit the write moves HEAD to
    paths: list[str]  # the paths it changes, relative to the configuration root

    def explains(self, path: str) -> bool:
        """Whether a change seen at ``path`` (relative to the configuration root) is this
        write's own: one of its files, the temporary file ``replace_file`` wrote beside
        one, or a folder holding one."""
        if path in self.paths:
            return True
        folder, _, name = path.rpartition("/")
        for mine in self.paths:
            if mine.startswith(path + "/"):
                return True  # a folder the write made or removed
            mine_folder, _, mine_name = mine.rpartition("/")
            if folder == mine_folder and name.startswith(f".{mine_name}.") \
                    and len(name) == len(mine_name) + 2 + TEMP_SUFFIX:
                return True
        return False


@dataclass(frozen=True)
class Operation:
    """A replayable write: ``plan(tree)`` gives the file changes for the tree it starts from."""

    message: str  # names the operation and the entity: "register stack production"
    plan: Callable[[Tree], FileChanges]


@dataclass
class Committed:
    """A commit this writer knows whole: its tree, its checked state and its errors."""

    commit: str | None
    root_tree: str | None  # the commit's git tree (of the whole repository)
    tree: Tree
    integrity: IntegrityIndex
    errors: set[ErrorKey]


@dataclass
class Batch:
    """Writes staged to land together: each its own commit, on the one before."""

    head: str | None  # HEAD when the batch began
    base: Committed  # what HEAD held then
    tip: Committed  # the last commit staged (``base`` while none is)
    changes: dict[str, str | None]  # path -> its text at the tip (None: removed), since base
    added: dict[str, int]  # paths added since base -> committer time of the commit adding them
    dated: bool = True  # every commit's time is known (git made none of them)
    messages: list[str] = field(default_factory=list)


class Writer:
    def __init__(self, repo: ConfigRepo, cache: ResultCache, timeout: float) -> None:
        assert repo.git is not None
        self.repo = repo
        self.cache = cache
        self.timeout = timeout
        self.cwd = repo.git_cwd
        self.git_dir = repo.git.git_dir
        self.state_dir = repo.git.git_dir / "gitstore"
        self.common_dir = repo.git.common_dir
        self.lock_path = self.common_dir / "gitstore" / "write.lock"
        self.objects = GitObjects(repo)
        # the last commit this writer made or followed: the next write's base
        self._last: Committed | None = None
        # the last write: (parent, commit, paths added -> committer time), for creation dates
        self.last_write: tuple[str | None, str, dict[str, int]] | None = None
        self.batch: Batch | None = None  # inside batched(): the writes staged so far
        # the store's last read of the working tree, a possible start for the first write
        self.worktree_hint: Callable[[], Tree | None] = lambda: None
        # told of each write made: (the base snapshot, the bytes written by path, the snapshot after)
        self.on_written: Callable[[Snapshot, Mapping[str, bytes | None], Snapshot], None] = \
            lambda base, changes, after: None

    def git_path(self, path: str) -> str:
        return f"{self.repo.prefix}/{path}" if self.repo.prefix else path

    def apply(self, op: Operation) -> str | None:
        """Commit the operation; the new commit id, or None when it changes nothing.

        A batch of one: if the branch moved meanwhile, the operation is planned again on
        its new tip.
        """
        with file_lock(self.lock_path, self.timeout), vcs.one_identity():
            for _ in range(MAX_REPLAYS):
                try:
                    with self._batch_here():
                        return self.stage(op)
                except BatchLost:
                    continue
            raise vcs.GitError(["update-ref", "HEAD"], "the branch kept moving during the write")

    def in_step_with(self, read: Snapshot) -> bool:
        """Whether HEAD is the last commit this writer made or followed and ``read`` (the
        working tree as last read) holds that commit's very tables: the working tree then
        holds nothing uncommitted, and reads may answer from the commits a batch stages."""
        last = self._last
        return (last is not None and last.commit == self.objects.head()
                and last.tree.snapshot.documents is read.documents)

    @contextmanager
    def batched(self) -> Iterator[Batch]:
        """Writes staged in the block (:meth:`stage`) land together when it ends.

        Each is planned on the one before, refused and checked as :meth:`apply`
        refuses and checks it, and made its own commit (its message, its
        author) on top of the one before. At the end the branch moves once, to
        the last, with one compare-and-swap, and the working tree and index are
        brought up to it once: a burst of writes pays for the index and the ref
        once. A process killed before the branch moves leaves unreferenced
        objects; after, a journal, as for one write. The write lock is held for
        the whole block. :class:`BatchLost` when the branch moved meanwhile
        (only a commit made past gitstore can): nothing of the batch landed.
        """
        with file_lock(self.lock_path, self.timeout), vcs.one_identity(), \
                self._batch_here() as batch:
            yield batch

    @contextmanager
    def _batch_here(self) -> Iterator[Batch]:
        """:meth:`batched`, under the write lock already held."""
        recover(self.repo, self.state_dir)
        head = self.objects.head()
        base = self._base(head)
        batch = self.batch = Batch(head, base, base, {}, {})
        try:
            yield batch
        except Exception:  # stage() leaves the batch whole when it raises: the base stays sound
            self._abandon(batch, keep=True)
            raise
        except BaseException:  # an interrupt, anywhere
            self._abandon(batch, keep=False)
            raise
        finally:
            self.batch = None
        self._land(batch)

    def stage(self, op: Operation) -> str | None:
        """Plan, refuse, check and commit ``op`` on the batch's tip (not referenced yet); the
        commit, or None when it changes nothing. The batch is unchanged when it raises."""
        batch = self.batch
        assert batch is not None
        tip = batch.tip
        changes = _effective(op.plan(tip.tree), tip.tree)
        if not changes:
            return None
        self._refuse_uncommitted(batch.base.tree, changes)  # the files hold the batch's base
        after = self._check(op, tip, changes)
        try:
            commit, root = self.objects.commit(tip, changes, f"gitstore: {op.message}\n")
        except BaseException:
            tip.integrity.update(tip.tree.snapshot, changes, self.cache)
            raise
        if self.objects.commit_time is None:
            batch.dated = False
        else:
            batch.added.update(_added(changes, tip.tree, self.objects.commit_time))
        for path, text in changes.items():
            if text is None:
                batch.added.pop(path, None)
        batch.tip = Committed(commit, root, self.objects.tree_of(commit, after), tip.integrity,
                              _error_keys(_all_problems(after, tip.integrity)))
        batch.changes.update(changes)
        batch.messages.append(op.message)
        return commit

    def _land(self, batch: Batch) -> None:
        tip = batch.tip
        if tip is batch.base:
            return
        assert tip.commit is not None
        count = len(batch.messages)
        message = f"gitstore: {batch.messages[0]}" + (f" and {count - 1} more" if count > 1 else "")
        journal = Journal(batch.head, tip.commit, sorted(batch.changes))
        try:
            write_journal(self.state_dir, journal)
            crash_point("before-ref")
            moved = self.objects.move_head(tip.commit, batch.head, message)
        except BaseException:
            self._abandon(batch, keep=False)
            raise
        if moved != vcs.REF_UPDATED:
            self._abandon(batch, keep=True)
            raise BatchLost(f"the branch moved before {count} staged writes landed")
        crash_point("after-ref")
        after = tip.tree.snapshot
        known = Known(batch.base.tree.entries, after.by_path(), _encoded(batch.changes))
        finish(self.repo, self.state_dir, journal, known,
               functools.partial(self.objects.stage, committed=known.new))
        self.last_write = (batch.head, tip.commit, dict(batch.added)) if batch.dated else None
        self.on_written(batch.base.tree.snapshot, known.contents, after)
        self.cache.save_soon()
        self._last = tip
        self.objects.tidy()

    def _abandon(self, batch: Batch, keep: bool) -> None:
        """Undo what staging did to the shared check (keep the base as the next write's start
        when it is still sound)."""
        clear_journal(self.state_dir)
        if batch.changes:
            batch.base.integrity.update(batch.base.tree.snapshot, batch.changes, self.cache)
        self._last = batch.base if keep else None

    def _refuse_uncommitted(self, base: Tree, changes: FileChanges) -> None:
        head_oids = base.entries
        staged = self.objects.staged_oids([self.git_path(p) for p in changes])
        dirty = []
        for path in sorted(changes):
            entry = head_oids.get(path)
            committed = entry.oid if entry is not None else None
            if (
                staged.get(self.git_path(path)) != committed
                or _disk_oid(self.repo.root / path) != committed
            ):
                dirty.append(path)
        if dirty:
            raise UncommittedChangesError(dirty)

    def _base(self, head: str | None) -> Committed:
        """What ``head`` holds, checked: remembered, followed from the last commit, or read."""
        last = self._last
        if last is not None and last.commit == head:
            return last
        if last is not None and last.commit is not None and head is not None:
            followed = self._follow(last, head)
            if followed is not None:
                self._last = followed
                return followed
        tree = self._hinted(head) or commit_tree(self.repo, head, self.cache)
        integrity = IntegrityIndex(tree.snapshot, self.cache)
        root = self.objects.root_tree(head) if head else None
        self._last = Committed(head, root, self.objects.tree_of(head, tree.snapshot)
                               if head else tree, integrity,
                               _error_keys(_all_problems(tree.snapshot, integrity)))
        return self._last

    def _hinted(self, head: str | None) -> Tree | None:
        """The working tree as last read, when it holds exactly ``head``'s files (the usual
        case for a store's first write): its parsed snapshot is then ``head``'s."""
        read = self.worktree_hint() if head is not None else None
        if read is None or head is None:
            return None
        listed = {e.path: (e.oid, e.mode) for e in self.repo.commit(head).entries()}
        if listed != {p: (e.oid, e.mode) for p, e in read.entries.items()}:
            return None
        return self.objects.tree_of(head, read.snapshot)

    def _follow(self, last: Committed, head: str) -> Committed | None:
        """``last`` moved to ``head`` (another process wrote): patch what changed."""
        assert last.commit is not None
        prefix = f"{self.repo.prefix}/" if self.repo.prefix else ""
        changes: dict[str, bytes | None] = {}
        new_modes: dict[str, str] = {}
        wanted: dict[str, str] = {}
        for change in vcs.diff_trees(self.cwd, last.commit, head):
            if not change.path.startswith(prefix):
                continue
            path = change.path[len(prefix):]
            if not path.startswith(LAYOUT_ROOTS):
                continue
            if change.status == "D":
                changes[path] = None
            elif not change.new_mode.startswith("100"):
                return None  # a link or a submodule: read the whole tree
            else:
                wanted[path] = change.new_oid
                new_modes[path] = change.new_mode
        contents = vcs.read_blobs(self.cwd, wanted.values(), READ_LIMIT)
        changes.update({path: contents[oid] for path, oid in wanted.items()})
        snap = apply_changes(last.tree, changes, self.cache, new_modes)
        last.integrity.update(snap, changes, self.cache)
        return Committed(head, self.objects.root_tree(head), self.objects.tree_of(head, snap),
                         last.integrity, _error_keys(_all_problems(snap, last.integrity)))

    def _check(self, op: Operation, base: Committed, changes: FileChanges) -> Snapshot:
        """The would-be snapshot; IntegrityError when it has new errors (the base stays)."""
        after = apply_changes(base.tree, _encoded(changes), self.cache)
        base.integrity.update(after, changes, self.cache)
        new = [p for p in _all_problems(after, base.integrity)
               if p.is_error and _error_key(p) not in base.errors]
        if new:
            base.integrity.update(base.tree.snapshot, changes, self.cache)
            raise IntegrityError(op.message, sorted(set(new), key=Problem.sort_key))
        return after


def _added(changes: FileChanges, before: Tree, stamp: int) -> dict[str, int]:
    """The paths ``changes`` adds to ``before``, each with the commit time ``stamp``."""
    return {path: stamp for path, text in changes.items()
            if text is not None and path not in before.entries}


def _all_problems(snap: Snapshot, integrity: IntegrityIndex) -> list[Problem]:
    return [*snap.problems, *integrity.problems()]


def _encoded(changes: FileChanges) -> dict[str, bytes | None]:
    return {path: None if text is None else text.encode("utf-8") for path, text in changes.items()}


def _effective(changes: FileChanges, base: Tree) -> FileChanges:
    """The changes that change something."""
    entries = base.entries
    out: FileChanges = {}
    for path, text in changes.items():
        exists = path in entries
        if text is None:
            if exists:
                out[path] = None
        else:
            text = keep_canonical(path, base.read_text(path) if exists else None, text)
            if not exists or vcs.blob_oid(text.encode("utf-8")) != entries[path].oid:
                out[path] = text
    return out


ErrorKey = tuple[str, str, str]


def _error_key(problem: Problem) -> ErrorKey:
    """An error, regardless of where in its file it sits (an edit may move it)."""
    return (problem.path, problem.code, problem.message)


def _error_keys(problems: list[Problem]) -> set[ErrorKey]:
    return {_error_key(p) for p in problems if p.is_error}


def _disk_oid(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return "not-a-file" if os.path.lexists(path) else None
        return vcs.blob_oid(path.read_bytes())
    except FileNotFoundError:
        return None


def crash_point(name: str) -> None:
    """Fault injection for the crash tests: ``GITSTORE_CRASH_AT=<name>`` kills the writer here."""
    if os.environ.get("GITSTORE_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


# The journal is one file per working tree, kept between writes: a write fills it before its
# commit point and empties it when done, rewriting it in place, so a write creates no file for
# it. A write(2) either happens whole or not at all when its process is killed, and a journal
# that does not parse (a torn write at power loss) reads as none: the ref never moved then, as
# the journal is written before the ref moves.


def write_journal(state_dir: Path, journal: Journal) -> None:
    data = json.dumps(journal._asdict()).encode("utf-8")
    try:
        fd = os.open(state_dir / JOURNAL, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir / JOURNAL, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if os.pwrite(fd, data, 0) != len(data):
            raise OSError(f"{state_dir / JOURNAL}: short write")
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def clear_journal(state_dir: Path) -> None:
    """Empty the journal: no write is in flight."""
    try:
        os.truncate(state_dir / JOURNAL, 0)
    except FileNotFoundError:
        pass


def journal_pending(state_dir: Path) -> bool:
    """Whether the journal holds anything (cheap: one stat)."""
    try:
        return os.stat(state_dir / JOURNAL).st_size > 0
    except OSError:
        return False


def _remove_partial_writes(path: Path) -> None:
    """Temporary files :func:`replace_file` left beside ``path`` when its writer was killed."""
    import re

    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{{TEMP_SUFFIX}}}")
    start = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        if name.startswith(start) and pattern.fullmatch(name):
            (path.parent / name).unlink(missing_ok=True)


def in_flight(state_dir: Path) -> Journal | None:
    """The journal of the write between its commit point and its end, if there is one now
    (or a killed writer's; a damaged journal reads as none)."""
    try:
        raw = (state_dir / JOURNAL).read_bytes()
        if not raw:
            return None
        data = json.loads(raw)
        return Journal(data["old"], str(data["new"]), [str(p) for p in data["paths"]])
    except (OSError, ValueError, TypeError, KeyError):
        return None


def recover(repo: ConfigRepo, state_dir: Path) -> None:
    """Bring the working tree and index up to a commit a killed writer made (under the lock)."""
    journal = in_flight(state_dir)
    if journal is None:
        if journal_pending(state_dir):
            clear_journal(state_dir)  # damaged: written before a ref that never moved
        return
    if vcs.commit_or_none(repo.git_cwd, "HEAD") == journal.new:
        finish(repo, state_dir, journal)
    else:
        clear_journal(state_dir)  # the ref never moved: the write did not happen


class Known(NamedTuple):
    """What the writer knows of a commit it just made: no need to ask git."""

    old: Mapping[str, FileEntry]  # the base's files, by path below the configuration root
    new: Mapping[str, FileEntry]  # the new commit's files
    contents: Mapping[str, bytes | None]  # the changed paths' new contents


def finish(repo: ConfigRepo, state_dir: Path, journal: Journal, known: Known | None = None,
           stage: Callable[[list[str]], None] | None = None) -> list[str]:
    """Write the journal's paths as its new commit holds them, then stage exactly those paths.

    Returns the (git) paths staged.
    """
    cwd = repo.git_cwd
    prefix = f"{repo.prefix}/" if repo.prefix else ""
    paths = journal.paths
    if known is not None:
        old = {prefix + p: known.old[p].oid for p in paths if p in known.old}
        new = {prefix + p: known.new[p].oid for p in paths if p in known.new}
        contents = {new[prefix + p]: data for p, data in known.contents.items()
                    if data is not None and prefix + p in new}
    else:
        old = _blobs_at(cwd, journal.old, [prefix + p for p in paths])
        new = _blobs_at(cwd, journal.new, [prefix + p for p in paths])
        contents = vcs.read_blobs(cwd, new.values())
    staged = []
    for n, path in enumerate(paths):
        gpath = prefix + path
        if known is None:  # recovering from a killed writer, which may have left a partial file
            _remove_partial_writes(repo.root / path)
        on_disk = _disk_oid(repo.root / path)
        if on_disk not in (old.get(gpath), new.get(gpath)):
            continue  # edited by hand since: leave it alone
        target = repo.root / path
        if gpath in new:
            if on_disk != new[gpath]:
                replace_file(target, contents[new[gpath]])
        elif on_disk is not None:
            target.unlink()
            _prune_empty_dirs(target.parent, repo.root)
        staged.append(gpath)
        if n == 0:
            crash_point("mid-worktree")
    if stage is not None:
        stage(staged)
    else:
        stage_with_git(cwd, staged)
    clear_journal(state_dir)
    return staged


def _blobs_at(cwd: Path, commit: str | None, paths: list[str]) -> dict[str, str]:
    if not commit or not paths:
        return {}
    return {e.path: e.oid for e in vcs.ls_tree(cwd, commit, paths)}


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
