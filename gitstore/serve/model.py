"""What reads answer from: the last published state of the repository, immutable.

A :class:`Model` is a read-only view of the store pinned to one parsed tree
(and to the commit HEAD named when it was taken, which dates the entities).
The store thread makes a new one after every write and after every refresh;
a read takes the current one and never touches the store itself, so it is
answered while a write commits on the store thread.

The view is a shallow copy of the store whose every read sees the pinned
tree: the store's readers and writer stay with the store. Making it uses a
few of the store's internals (``_pinned``, ``_rev``, ``_dates``); the tests
of this module and of the server check they still mean what they did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitstore.store import GitZenStore

JOURNAL = "write-journal.json"  # the write in flight (see gitstore.store.transaction)


@dataclass(frozen=True)
class Model:
    """One published state: a read-only store view and the HEAD it was taken at."""

    view: GitZenStore
    head: str | None
    serial: int


def take(store: GitZenStore, serial: int) -> Model:
    """The store's current state as a :class:`Model` (on the store thread, between calls)."""
    tree = store._tree()  # outside consistent_reads(): read now, following every change
    head = store._head()
    view: Any = object.__new__(type(store))
    view.__dict__.update(store.__dict__)
    view._writer = None  # writes on the view raise ReadOnlyStoreError
    view._rev = head  # dates come from this commit (its reads never list it: pinned below)
    view._pinned = [tree]
    view._fresh_after = None
    view._last_read = None
    view._memo = {}  # answers computed from this tree, for this view alone
    view._dates = {}
    if head is not None:
        dates = store._dates.get(head)
        if dates is None:
            dates = store._added_times(head)
            store._dates = {head: dates}
        # shared, not copied: the store only ever adds paths to it (those its next write
        # adds), never changes a path's date, so this view's answers stay those of its tree
        view._dates = {head: dates}
    return Model(view, head, serial)


def head_of(store: GitZenStore) -> str | None:
    """The commit HEAD names now (a file read; safe beside the store thread)."""
    from gitstore.plumbing import gitfiles

    git = store.repo.git
    assert git is not None
    try:
        return gitfiles.read_head(git.git_dir, git.common_dir)
    except gitfiles.Unsupported:
        return "unknown"  # never equal to a published head: the caller refreshes


@dataclass(frozen=True)
class InFlight:
    """A write between its commit point and its end, as its journal names it."""

    old: str | None
    new: str
    paths: frozenset[str]

    def explains(self, path: str) -> bool:
        """Whether a change event at ``path`` is this write's: one of its files, a temporary
        file beside one, or a folder holding one."""
        if path in self.paths:
            return True
        folder, _, name = path.rpartition("/")
        for mine in self.paths:
            if mine.startswith(path + "/"):
                return True  # a folder the write made or removed
            mine_folder, _, mine_name = mine.rpartition("/")
            if folder == mine_folder and name.startswith(f".{mine_name}.") \
                    and len(name) == len(mine_name) + 10:
                return True  # atomic_write's temporary file: .<name>.<8 characters>
        return False


def in_flight(state_dir: Path) -> InFlight | None:
    """The write whose journal is on disk now, if any."""
    try:
        data = json.loads((state_dir / JOURNAL).read_bytes())
        return InFlight(data["old"], str(data["new"]), frozenset(str(p) for p in data["paths"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
