"""A configuration repository shared through a git remote, worked on in a cached clone.

:class:`RemoteClone` keeps one clone per remote URL below
``$XDG_CACHE_HOME/gitstore/clones/`` and locks it against concurrent use
(an OS file lock: a killed process never leaves a lock behind). Reads come
from the last fetched state, :attr:`RemoteClone.tip`; :meth:`RemoteClone.refresh`
fetches.

A write is a replayable *operation*: a function that edits files in the
clone's working tree and returns the paths it changed. :meth:`RemoteClone.write`
applies it on the last fetched tip, checks that it breaks nothing, commits and
pushes. When the push is rejected because the remote moved on, it fetches,
resets the clone to the new tip, applies the *same operation* again, checks
again and pushes again, a bounded number of times. History on the branch stays
linear (nothing is ever merged or forced), and every failure leaves the clone
exactly at the remote's tip: nothing half-applied, nothing lost on the remote.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gitstore.errors import UsageError
from gitstore.exceptions import (  # defined there with every other error
    IntegrityError,
    PushRejectedError,
    PushRetriesExhausted,
    RemoteError,
)
from gitstore.plumbing import vcs
from gitstore.plumbing.locking import file_lock
from gitstore.remote_url import StoreUrl, classify_url

if TYPE_CHECKING:
    from gitstore.plumbing.sources import GitTreeSource
    from gitstore.problems import Problem

Operation = Callable[[Path], Sequence[str]]
"""Edits files below the given working tree; returns the changed paths (relative, '/'-separated)."""

DEFAULT_ATTEMPTS = 25  # pushes per write; a busy branch can make a writer lose many races
LOCK_TIMEOUT = 120.0
_STALE_GIT_LOCKS = ("index.lock", "HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock")


def cache_root() -> Path:
    """Where clones of remotes are kept: ``$XDG_CACHE_HOME/gitstore/clones``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gitstore" / "clones"


class RemoteClone:
    """One remote configuration repository, cloned into the cache and kept current on demand."""

    def __init__(self, url: StoreUrl, path: Path, branch: str, attempts: int,
                 lock_timeout: float) -> None:
        self.url = url
        self.path = path
        self.branch = branch
        self.attempts = attempts
        self.lock_timeout = lock_timeout
        self.tip: str | None = None  # the last fetched (or pushed) commit; None: empty remote

    @classmethod
    def open(cls, url: str | StoreUrl, cache: Path | None = None, branch: str | None = None,
             attempts: int = DEFAULT_ATTEMPTS, lock_timeout: float = LOCK_TIMEOUT,
             fetch: bool = True) -> RemoteClone:
        """Clone ``url`` into the cache (or reuse that clone, fetched unless ``fetch=False``)."""
        parsed = url if isinstance(url, StoreUrl) else classify_url(url)
        if not parsed.is_remote:
            raise RemoteError(f"{parsed.display} is a local repository, not a remote")
        if branch is not None and (branch.startswith("-") or vcs.run_status(
                ["check-ref-format", f"refs/heads/{branch}"])[0] != 0):
            raise UsageError(f"{branch!r} is not a valid branch name")
        root = cache or cache_root()
        clone = cls(parsed, root / parsed.cache_key, branch or "", attempts, lock_timeout)
        with clone._locked():
            fresh = clone._ensure_clone()
            if fetch and not fresh:
                clone._fetch()
            if not clone.branch:
                clone.branch = clone._remote_default_branch()
            clone._reset_to_remote()
        return clone

    # -- reading --------------------------------------------------------------

    @property
    def tracking_ref(self) -> str:
        return f"refs/remotes/origin/{self.branch}"

    def refresh(self) -> str | None:
        """Fetch; reads then come from the remote's current tip, which is returned."""
        with self._locked():
            self._fetch()
            self._reset_to_remote()
        return self.tip

    def source(self) -> GitTreeSource:
        """The files of the last fetched state, read from git objects (unaffected by writers)."""
        from gitstore.plumbing.sources import GitTreeSource

        if self.tip is None:
            raise RemoteError(f"{self.url.display} has no branch {self.branch} yet")
        return GitTreeSource(f"{self.url.display} at {self.tip[:12]}", self._validate_cache,
                             git_cwd=self.path, treeish=self.tip)

    # -- writing --------------------------------------------------------------

    def write(self, operation: Operation, message: str, check: bool = True) -> str | None:
        """Apply ``operation``, commit with ``message`` and push; return the pushed commit.

        Returns None (and pushes nothing) when the operation changed nothing.
        Raises what the operation raises, :class:`IntegrityError` when the
        change would add validation errors, :class:`PushRejectedError` when
        the remote refuses it, :class:`PushRetriesExhausted` when other
        writers won every race; in each case the clone is left at the remote's
        tip and the remote holds no part of the write.
        """
        return self.publish(lambda: self._apply(operation, message, check))

    def publish(self, make_commit: Callable[[], str | None]) -> str | None:
        """Push the commit ``make_commit`` makes on the clone's branch; replay it until it lands.

        ``make_commit`` is called with the clone's branch, index and working
        tree at the remote's tip, commits one change there (or returns None
        when there is nothing to change) and returns the commit. It must be
        replayable: when the push is rejected because the remote moved on,
        the clone is reset to the new tip and ``make_commit`` is called again.
        This is the door a store's own writer uses: it plans, checks and
        commits; this method fetches, pushes and retries.
        """
        with self._locked():
            self._reset_to_remote()
            for attempt in range(self.attempts):
                try:
                    commit = make_commit()
                    if commit is None:
                        self._reset_to_remote()
                        return None
                    pushed = self._push(commit)
                except BaseException:
                    self._reset_to_remote()
                    raise
                if pushed:
                    self._reset_to_remote()  # the working tree as the pushed commit holds it
                    return commit
                self._backoff(attempt)
                self._fetch()
                self._reset_to_remote()
        raise PushRetriesExhausted(self.url.display, self.branch, self.attempts)

    def _apply(self, operation: Operation, message: str, check: bool) -> str | None:
        paths = sorted(set(operation(self.path)))
        if not paths:
            return None
        vcs.run(["add", "--all", "--", *paths], cwd=self.path)
        if not vcs.run(["diff", "--cached", "--name-only", "-z"], cwd=self.path):
            return None
        if check:
            self._check(message)
        vcs.run(["commit", "--quiet", "--no-verify", "-m", message], cwd=self.path)
        return vcs.run(["rev-parse", "HEAD"], cwd=self.path).decode().strip()

    def _check(self, message: str) -> None:
        """Raise IntegrityError when the staged change adds errors the tip did not have."""
        from gitstore.plumbing.sources import IndexSource
        from gitstore.validate import validate

        after = validate(IndexSource("index", self._validate_cache, git_cwd=self.path))
        if after.errors == 0:
            return
        before: set[tuple[str, str, str]] = set()
        if self.tip is not None:
            before = {_problem_key(p) for p in validate(self.source()).problems if p.is_error}
        added = [p for p in after.problems if p.is_error and _problem_key(p) not in before]
        if added:
            raise IntegrityError(message.splitlines()[0] if message else "the write", added)

    def _push(self, commit: str) -> bool:
        """True when pushed; False when the remote moved on; raises on any other outcome."""
        result = vcs.push_commit(self.path, commit, f"refs/heads/{self.branch}")
        if result.status == "ok":
            vcs.run(["update-ref", self.tracking_ref, commit], cwd=self.path)
            if self.tip is None:
                self._point_remote_head()
            self.tip = commit
            return True
        if result.status == "rejected":
            return False
        if result.status == "remote-rejected":
            raise PushRejectedError(self.url.display, result.reason, result.remote_messages)
        raise RemoteError(f"cannot push to {self.url.display}: {self._explain(result.stderr)}")

    def _explain(self, stderr: str) -> str:
        """git's last words, with the URL's secrets hidden."""
        return _last_lines(stderr).replace(self.url.url, self.url.display)

    def _backoff(self, attempt: int) -> None:
        """A short random pause, so that writers who lost together do not collide again."""
        time.sleep(random.uniform(0, min(0.25, 0.01 * 2 ** attempt)))

    # -- the clone ------------------------------------------------------------

    @property
    def _validate_cache(self) -> Path:
        return self.path / ".git" / "gitstore"

    def _ensure_clone(self) -> bool:
        """Make sure a usable clone of the URL is at ``path``; True when it was just cloned."""
        if self._usable_clone():
            return False
        if self.path.exists():
            shutil.rmtree(self.path)
        partial = self.path.with_name(self.path.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        code, err = vcs.clone_repo(self.url.url, partial)
        if code != 0:
            shutil.rmtree(partial, ignore_errors=True)
            raise RemoteError(f"cannot clone {self.url.display}: {self._explain(err)}")
        vcs.run(["config", "gitstore.url", self.url.url], cwd=partial)
        partial.rename(self.path)
        return True

    def _usable_clone(self) -> bool:
        if not (self.path / ".git").is_dir():
            return False
        code, out, _ = vcs.run_status(["config", "--get", "gitstore.url"], cwd=self.path)
        return code == 0 and out.decode("utf-8", "surrogateescape").strip() == self.url.url

    def _set_aside_if_abandoned(self) -> None:
        """A clone holding git lock files was left by a killed writer, whose git may still
        run: no lock is deleted under it. The clone is moved aside (that git finishes, or
        fails, there) and removed; the next step clones afresh."""
        git_dir = self.path / ".git"
        if not git_dir.is_dir():
            return
        candidates = [git_dir / name for name in _STALE_GIT_LOCKS]
        candidates.extend((git_dir / "refs").rglob("*.lock"))
        if not any(lock.exists() for lock in candidates):
            return
        aside = self.path.with_name(f"{self.path.name}.abandoned-{os.getpid()}-{time.time_ns()}")
        os.rename(self.path, aside)
        shutil.rmtree(aside, ignore_errors=True)

    def _fetch(self) -> None:
        code, err = vcs.fetch_remote(self.path)
        if code != 0:
            raise RemoteError(f"cannot fetch from {self.url.display}: {self._explain(err)}")

    def _remote_default_branch(self) -> str:
        """The branch the remote's HEAD names; for a remote without branches, the one its
        HEAD will name (as the clone learnt it), else git's default for a new branch."""
        code, out, _ = vcs.run_status(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
                                      cwd=self.path)
        prefix = "refs/remotes/origin/"
        name = out.decode().strip()
        if code == 0 and name.startswith(prefix):
            return name[len(prefix):]
        head = vcs.head_branch(self.path) or ""
        return head[len("refs/heads/"):] if head.startswith("refs/heads/") else "master"

    def _point_remote_head(self) -> None:
        """After the first push to a bare repository on this machine whose HEAD names no
        branch, point its HEAD at the pushed branch, so that clones check it out."""
        if self.url.kind != "file" or self.url.path is None:
            return
        bare = self.url.path
        head = vcs.head_branch(bare)
        if head is None or vcs.commit_or_none(bare, head) is not None:
            return
        vcs.run_status(["symbolic-ref", "HEAD", f"refs/heads/{self.branch}"], cwd=bare)

    def _reset_to_remote(self) -> None:
        """Working tree, index and branch exactly at the last fetched tip."""
        self.tip = vcs.commit_or_none(self.path, self.tracking_ref)
        vcs.reset_worktree(self.path, self.branch, self.tip)

    def locked(self) -> AbstractContextManager[None]:
        """Hold the clone's lock: no other process writes, fetches or resets it meanwhile."""
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the clone's lock (one writer or fetcher per cached clone at a time)."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RemoteError(f"cannot use the clone cache {self.path.parent}: "
                              f"{exc.strerror or exc}") from None
        with file_lock(lock_path, self.lock_timeout, what=f"the clone of {self.url.display}"):
            self._set_aside_if_abandoned()
            if self.branch:  # open() clones and picks the branch itself
                self._ensure_clone()
            yield


def _problem_key(problem: Problem) -> tuple[str, str, str]:
    return (problem.path, problem.code, problem.message)


def _last_lines(stderr: str, count: int = 3) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "git gave no reason"
