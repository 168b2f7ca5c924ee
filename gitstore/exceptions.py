"""Every error gitstore raises on purpose, importable from here.

The root, :class:`GitstoreError`, and the errors of git and of the command line
are defined in :mod:`gitstore.errors` (which the validation path imports on its
own, to stay light) and re-exported here; the rest are defined here: the zen
store API's (``gitstore.GitZenStore``), pipeline run records', remote
repositories' and import/export's. Modules that raised them before keep the
names, so older imports work. Missing entities raise the built-in
:class:`KeyError`, as ZenML's stores do. Each error carries the fields that
describe it, builds its own message, and has the ``exit_code`` the CLI exits with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitstore.errors import (
    EXIT_PROBLEMS as EXIT_PROBLEMS,
)
from gitstore.errors import (
    GitError,
    GitNotFound,
    GitstoreError,
    NotAConfigRepository,
    NotAGitRepository,
    RefLockedError,
    UnknownRevision,
    UnsupportedRepository,
    UsageError,
)
from gitstore.plumbing.layout import name_rule

if TYPE_CHECKING:
    from pathlib import Path

    from gitstore.problems import Problem

__all__ = [
    "BatchLost",
    "DanglingReference",
    "ForeignHook",
    "EntityExistsError",
    "GitError",
    "GitNotFound",
    "GitstoreError",
    "IntegrityError",
    "InvalidRunNameError",
    "LockTimeoutError",
    "NoConfigCommitError",
    "NotAConfigRepository",
    "NotAGitRepository",
    "PlainSecretError",
    "PushRejectedError",
    "PushRetriesExhausted",
    "ReadOnlyStoreError",
    "RefLockedError",
    "RemoteError",
    "RenameError",
    "RunExistsError",
    "RunSyncError",
    "RunsBranchBusyError",
    "SourceError",
    "SourceProblems",
    "StackComponentExistsError",
    "StackExistsError",
    "StackNotAtCommitError",
    "UncommittedChangesError",
    "UnknownNameError",
    "UnknownRevision",
    "UnsupportedRepository",
    "UsageError",
]


class EntityExistsError(GitstoreError):
    """An entity with that name (or id) exists already."""


class StackExistsError(EntityExistsError):
    """A stack with that name exists already."""


class StackComponentExistsError(EntityExistsError):
    """A stack component of that type and name exists already (with another uuid)."""


class IntegrityError(GitstoreError, ValueError):
    """A write would leave the repository invalid; nothing was changed.

    ``problems`` lists what the write would have broken, as
    ``gitstore validate`` reports it.
    """

    exit_code = 1

    def __init__(self, operation: str, problems: Sequence[Problem]) -> None:
        self.operation = operation
        self.problems = list(problems)
        from gitstore.report import problem_lines

        lines = [f"{operation} would break the repository; nothing was changed:"]
        lines += [f"  {line}" for p in self.problems for line in problem_lines(p)]
        super().__init__("\n".join(lines))


class UncommittedChangesError(GitstoreError):
    """A write would overwrite (or commit) a file that has uncommitted edits."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)
        super().__init__(
            "refusing to write: uncommitted changes in " + ", ".join(self.paths)
            + "; commit or stash them first"
        )


class ReadOnlyStoreError(GitstoreError):
    """A write was asked of a read-only view (``store.at(rev)``)."""


class BatchLost(GitstoreError):
    """The branch moved before writes landed together (``GitZenStore.batched_writes``): a
    commit was made past gitstore meanwhile, and none of the batch landed."""


class LockTimeoutError(GitstoreError):
    """Another writer held the repository's lock for too long."""


# --- pipeline run records ---


class RunExistsError(EntityExistsError):
    """A run of that name exists already, in any pipeline."""

    def __init__(self, run_name: str, existing_path: str) -> None:
        self.run_name = run_name
        self.existing_path = existing_path
        super().__init__(f"a run named `{run_name}` exists already ({existing_path}); "
                         "run names are unique across the repository")



class InvalidRunNameError(UsageError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"`{name}` is not a valid {what} name: {name_rule()}")



class StackNotAtCommitError(GitstoreError):
    """The stack a run names is not in the configuration commit.

    ``hint`` says what to do: commit the stack when the working tree has it,
    else the stack it may have meant.
    """

    def __init__(self, stack: str, commit: str, detail: str = "",
                 hint: str = "commit the stack before recording runs on it") -> None:
        self.stack = stack
        self.commit = commit
        self.hint = hint
        super().__init__(f"stack `{stack}` {detail or 'does not exist'} at configuration commit "
                         f"{commit[:12]}; {hint}")



class UnknownNameError(UsageError):
    """A run names a user or project the configuration commit does not hold."""

    def __init__(self, kind: str, name: str, commit: str, hint: str) -> None:
        self.kind = kind
        self.name = name
        self.commit = commit
        super().__init__(f"{kind} `{name}` does not exist at configuration commit {commit[:12]}; "
                         f"{hint}")



class NoConfigCommitError(GitstoreError):
    def __init__(self) -> None:
        super().__init__("the configuration repository has no commit yet; "
                         "commit it before recording runs")



class PlainSecretError(GitstoreError):
    """A value bound for a run record is a plain-text secret; nothing was recorded."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, places: Sequence[str]) -> None:
        self.places = list(places)
        super().__init__("refusing to record the run: plain-text secrets in " + ", ".join(places)
                         + "; use secret references `{{ <secret>.<key> }}` instead")



class RunsBranchBusyError(LockTimeoutError):
    def __init__(self, branch: str, attempts: int) -> None:
        super().__init__(f"could not update branch {branch} in {attempts} attempts: "
                         "other writers kept moving it; try again")



class RunSyncError(GitstoreError):
    """Exchanging run records with a remote failed."""


# --- remote repositories ---


class RemoteError(GitstoreError):
    """The remote could not be reached or used; the message says which remote and why."""



class PushRejectedError(GitstoreError):
    """The remote refused the push (for instance its pre-receive hook declined it).

    ``remote_messages`` holds what the remote's hook printed. Nothing was
    written to the remote, and the local clone is back at the remote's tip.
    """

    exit_code = 1

    def __init__(self, url: str, reason: str, remote_messages: Sequence[str]) -> None:
        self.url = url
        self.reason = reason
        self.remote_messages = list(remote_messages)
        said = "".join(f"\n  remote: {m}" for m in self.remote_messages)
        super().__init__(f"{url} rejected the push ({reason}); nothing was written{said}")



class PushRetriesExhausted(GitstoreError):
    """Other writers kept moving the remote's branch; the write was not applied."""

    exit_code = 1

    def __init__(self, url: str, branch: str, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(
            f"{url}: the branch {branch} moved on under each of {attempts} push attempts "
            "(other writers are busy); nothing was written, try again")


# --- import and export ---


class SourceError(GitstoreError):
    """The source cannot be read as a zen store (missing, corrupt, not the documented format)."""



class DanglingReference(SourceError):
    """The source refers by id to something it does not hold."""

    exit_code = 1



class SourceProblems(GitstoreError):
    """The source was read, but its content cannot be carried over as it is."""

    exit_code = 1

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{what}:\n" + "\n".join(f"  {p}" for p in problems))


# --- hooks ---


class RenameError(GitstoreError):
    """A rename (``gitstore mv``, the language server's rename) that cannot be done as asked;
    nothing was changed."""


class ForeignHook(GitstoreError):
    """A hook that gitstore did not write is in the way (``kept``: where --force keeps it)."""

    def __init__(self, path: Path, kept: str) -> None:
        self.path = path
        super().__init__(f"{path} exists and was not written by gitstore; "
                         f"rerun with --force to replace it (it is kept as {kept})")
