"""One pushed ref update, and what a check of it may look at (shared by the pre-receive
check and the checks it runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from gitstore.plumbing import vcs
from gitstore.plumbing.sources import ConfigRepo

if TYPE_CHECKING:
    from gitstore.diff.model import Change
    from gitstore.validate import Report

BRANCH_PREFIX = "refs/heads/"


class RefUpdate(NamedTuple):
    old: str
    new: str
    ref: str

    @property
    def is_branch(self) -> bool:
        return self.ref.startswith(BRANCH_PREFIX)

    @property
    def is_deletion(self) -> bool:
        return self.new == vcs.ZERO_OID

    @property
    def is_creation(self) -> bool:
        return self.old == vcs.ZERO_OID

    @property
    def branch(self) -> str:
        return self.ref[len(BRANCH_PREFIX):] if self.is_branch else self.ref


@dataclass
class RefContext:
    """What a check of one ref update may look at."""

    repo: ConfigRepo
    update: RefUpdate
    env: dict[str, str]
    base: str | None  # the commit compared against: old tip, default branch, or None
    new_report: Report | None = None  # None when the new tip holds no configuration
    base_report: Report | None = None
    _change: Change | None = field(default=None, repr=False)

    def change(self) -> Change:
        """The semantic change this update makes to the branch (from the empty tree for a
        branch without a base): entities, fields, roles, memberships; computed once."""
        if self._change is None:
            from gitstore.diff import compare, load
            from gitstore.plumbing.snapshot import Snapshot

            old = load(self.repo, self.base) if self.base else Snapshot("empty tree", [])
            self._change = compare(old, load(self.repo, self.update.new))
        return self._change
