"""What reads answer from: the last published state of the repository, immutable.

A :class:`Model` is a read-only view of the store pinned to one parsed tree
(and to the commit HEAD named when it was taken, which dates the entities),
made by :meth:`GitZenStore.published_view`. The store thread makes a new one
after every write and after every refresh; a read takes the current one and
never touches the store itself, so it is answered while a write commits on
the store thread. A write between its commit point and its end is named by
its journal (:func:`gitstore.store.transaction.in_flight`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitstore.store import GitZenStore


@dataclass(frozen=True)
class Model:
    """One published state: a read-only store view and the HEAD it was taken at."""

    view: GitZenStore
    head: str | None
    serial: int


def take(store: GitZenStore, serial: int) -> Model:
    """The store's current state as a :class:`Model` (on the store thread, between calls)."""
    view, head = store.published_view()
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
