"""Exceptions of the zen store API (``gitstore.GitZenStore``).

Missing entities raise the built-in :class:`KeyError`, as ZenML's stores do.
Everything else derives from :class:`gitstore.errors.GitstoreError`, so the
CLI maps it to a message and an exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gitstore.errors import GitstoreError, UnknownRevision

if TYPE_CHECKING:
    from gitstore.problems import Problem

__all__ = [
    "EntityExistsError",
    "GitstoreError",
    "IntegrityError",
    "LockTimeoutError",
    "ReadOnlyStoreError",
    "StackComponentExistsError",
    "StackExistsError",
    "UncommittedChangesError",
    "UnknownRevision",
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
        lines = [f"{operation} would break the repository; nothing was changed:"]
        for p in self.problems:
            where = p.path if p.line is None else f"{p.path}:{p.line}:{p.column}"
            lines.append(f"  {where}: {p.code} {p.message}" + (f" ({p.hint})" if p.hint else ""))
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


class LockTimeoutError(GitstoreError):
    """Another writer held the repository's lock for too long."""
