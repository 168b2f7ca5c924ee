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
   those paths, and deletes the journal.

A process killed before step 6 leaves no trace but unreferenced objects; one
killed after it leaves a journal that the next writer (or the next store
opened on the repository) uses to bring the working tree and index up to the
commit. Because a plan is a function of the tree it starts from, a store for
a remote repository can fetch, replay the same operation on the new tip and
push.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from gitstore.exceptions import IntegrityError, UncommittedChangesError
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.locking import file_lock
from gitstore.plumbing.snapshot import Snapshot
from gitstore.plumbing.sources import ConfigRepo
from gitstore.problems import Problem
from gitstore.store.state import FileChanges, Tree, commit_tree, empty_tree, overlay_snapshot
from gitstore.validate import check_snapshot

JOURNAL = "write-journal.json"
MAX_REPLAYS = 20


class Journal(NamedTuple):
    """What a write is about to commit: enough to finish it after a crash."""

    old: str | None  # HEAD before the write (None on an unborn branch)
    new: str  # the commit the write moves HEAD to
    paths: list[str]  # the paths it changes, relative to the configuration root


@dataclass(frozen=True)
class Operation:
    """A replayable write: ``plan(tree)`` gives the file changes for the tree it starts from."""

    message: str  # names the operation and the entity: "register stack production"
    plan: Callable[[Tree], FileChanges]


class Writer:
    def __init__(self, repo: ConfigRepo, cache: ResultCache, timeout: float) -> None:
        assert repo.git is not None
        self.repo = repo
        self.cache = cache
        self.timeout = timeout
        self.cwd = repo.git_cwd
        self.state_dir = repo.git.git_dir / "gitstore"
        self.common_dir = repo.git.common_dir
        self.lock_path = self.common_dir / "gitstore" / "write.lock"
        # the last commit this writer made: its tree and its errors, the next write's base
        self._last: tuple[str, Tree, set[ErrorKey]] | None = None

    def git_path(self, path: str) -> str:
        return f"{self.repo.prefix}/{path}" if self.repo.prefix else path

    def apply(self, op: Operation) -> str | None:
        """Commit the operation; the new commit id, or None when it changes nothing."""
        with file_lock(self.lock_path, self.timeout):
            recover(self.repo, self.state_dir)
            for _ in range(MAX_REPLAYS):
                head = vcs.commit_or_none(self.cwd, "HEAD")
                base, known_errors = self._base(head)
                changes = _effective(op.plan(base), base)
                if not changes:
                    return None
                self._refuse_uncommitted(base, changes)
                after, after_errors = self._check(op, base, known_errors, changes)
                commit = self._commit(op, head, base, changes)
                journal = Journal(head, commit, sorted(changes))
                _write_json(self.state_dir / JOURNAL, journal._asdict())
                crash_point("before-ref")
                moved = vcs.update_ref_cas(self.cwd, "HEAD", commit, head, f"gitstore: {op.message}")
                if moved == vcs.REF_UPDATED:
                    crash_point("after-ref")
                    finish(self.repo, self.state_dir, journal)
                    self.cache.save()
                    self._last = (commit, _tree_of(self.repo, commit, after), after_errors)
                    return commit
                (self.state_dir / JOURNAL).unlink(missing_ok=True)
            raise vcs.GitError(["update-ref", "HEAD"], "the branch kept moving during the write")

    def _refuse_uncommitted(self, base: Tree, changes: FileChanges) -> None:
        head_oids = {path: entry.oid for path, entry in base.entries.items()}
        staged = {
            e.path: (e.oid if e.stage == 0 else "unmerged")
            for e in vcs.ls_index(self.cwd, [self.git_path(p) for p in changes])
        }
        dirty = []
        for path in sorted(changes):
            committed = head_oids.get(path)
            if (
                staged.get(self.git_path(path)) != committed
                or _disk_oid(self.repo.root / path) != committed
            ):
                dirty.append(path)
        if dirty:
            raise UncommittedChangesError(dirty)

    def _base(self, head: str | None) -> tuple[Tree, set[ErrorKey]]:
        """The tree of ``head`` and its errors (remembered when this writer made ``head``)."""
        if self._last is not None and self._last[0] == head:
            return self._last[1], self._last[2]
        base = commit_tree(self.repo, head, self.cache)
        return base, _error_keys(check_snapshot(base.snapshot, self.cache).problems)

    def _check(
        self, op: Operation, base: Tree, known: set[ErrorKey], changes: FileChanges
    ) -> tuple[Snapshot, set[ErrorKey]]:
        """The would-be snapshot and its errors; IntegrityError when it has new ones."""
        after = overlay_snapshot(base, changes, self.cache)
        problems = check_snapshot(after, self.cache).problems
        new = [p for p in problems if p.is_error and _error_key(p) not in known]
        if new:
            raise IntegrityError(op.message, new)
        return after, _error_keys(problems)

    def _commit(self, op: Operation, head: str | None, base: Tree, changes: FileChanges) -> str:
        modes = {path: entry.mode for path, entry in base.entries.items()}
        updates: dict[str, tuple[str, str] | None] = {}
        for path, text in changes.items():
            if text is None:
                updates[self.git_path(path)] = None
            else:
                oid = vcs.hash_blob(self.cwd, text.encode("utf-8"))
                updates[self.git_path(path)] = (modes.get(path, "100644"), oid)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        fd, index_file = tempfile.mkstemp(prefix="index.", dir=self.state_dir)
        os.close(fd)
        os.unlink(index_file)
        try:
            tree = vcs.build_tree(self.cwd, head, updates, index_file)
        finally:
            Path(index_file).unlink(missing_ok=True)
        return vcs.commit_tree(
            self.cwd, tree, [head] if head else [], f"gitstore: {op.message}\n", sign=None
        )


def _effective(changes: FileChanges, base: Tree) -> FileChanges:
    """The changes that change something."""
    entries = base.entries
    out: FileChanges = {}
    for path, text in changes.items():
        exists = path in entries
        if text is None:
            if exists:
                out[path] = None
        elif not exists or vcs.blob_oid(text.encode("utf-8")) != entries[path].oid:
            out[path] = text
    return out


ErrorKey = tuple[str, str, str]


def _error_key(problem: Problem) -> ErrorKey:
    """An error, regardless of where in its file it sits (an edit may move it)."""
    return (problem.path, problem.code, problem.message)


def _error_keys(problems: list[Problem]) -> set[ErrorKey]:
    return {_error_key(p) for p in problems if p.is_error}


def _tree_of(repo: ConfigRepo, commit: str, snap: Snapshot) -> Tree:
    """A Tree for ``commit`` from a snapshot already known to hold its files."""
    if not snap.entries:
        return empty_tree(f"commit {commit[:12]}")
    source = repo.commit(commit)
    by_path = {e.path: e for e in snap.entries}
    snap = Snapshot(
        f"commit {commit[:12]}", snap.entries, snap.documents, snap.present, snap.problems
    )

    def read_text(path: str) -> str:
        return source.read([by_path[path]])[path].decode("utf-8")

    return Tree(snap, read_text, source.read)


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


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data).encode("utf-8"))


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def recover(repo: ConfigRepo, state_dir: Path) -> None:
    """Bring the working tree and index up to a commit a killed writer made (under the lock)."""
    path = state_dir / JOURNAL
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        journal = Journal(data["old"], str(data["new"]), [str(p) for p in data["paths"]])
    except (OSError, ValueError, TypeError, KeyError):
        path.unlink(missing_ok=True)
        return
    if vcs.commit_or_none(repo.git_cwd, "HEAD") == journal.new:
        finish(repo, state_dir, journal)
    else:
        path.unlink(missing_ok=True)  # the ref never moved: the write did not happen


def finish(repo: ConfigRepo, state_dir: Path, journal: Journal) -> None:
    """Write the journal's paths as its new commit holds them, then stage exactly those paths."""
    cwd = repo.git_cwd
    prefix = f"{repo.prefix}/" if repo.prefix else ""
    paths = journal.paths
    old = _blobs_at(cwd, journal.old, [prefix + p for p in paths])
    new = _blobs_at(cwd, journal.new, [prefix + p for p in paths])
    contents = vcs.read_blobs(cwd, new.values())
    staged = []
    for n, path in enumerate(paths):
        gpath = prefix + path
        on_disk = _disk_oid(repo.root / path)
        if on_disk not in (old.get(gpath), new.get(gpath)):
            continue  # edited by hand since: leave it alone
        target = repo.root / path
        if gpath in new:
            if on_disk != new[gpath]:
                atomic_write(target, contents[new[gpath]])
        elif on_disk is not None:
            target.unlink()
            _prune_empty_dirs(target.parent, repo.root)
        staged.append(gpath)
        if n == 0:
            crash_point("mid-worktree")
    _stage(cwd, staged)
    (state_dir / JOURNAL).unlink(missing_ok=True)


def _stage(cwd: Path, paths: list[str], patience: float = 10.0) -> None:
    """Stage ``paths``, waiting out another git process that holds the index lock."""
    deadline = time.monotonic() + patience
    while True:
        try:
            vcs.refresh_index_paths(cwd, paths)
            return
        except vcs.GitError as exc:
            if "index.lock" not in exc.stderr or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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
