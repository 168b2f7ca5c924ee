"""Semantic diff: what a change to a configuration repository means, in entities.

``compare(old, new)`` takes two loaded snapshots and returns a JSON-able
:class:`Change`; :func:`diff_revisions` loads them from a repository; the
renderers in :mod:`gitstore.diff.render` turn a change into text, markdown
or JSON.
"""

from __future__ import annotations

from gitstore.diff.compare import compare
from gitstore.diff.model import (
    Change,
    EntityChange,
    FieldChange,
    Membership,
    RoleGrant,
    StackImpact,
)
from gitstore.plumbing.snapshot import Snapshot
from gitstore.plumbing.sources import ConfigRepo

__all__ = ["Change", "EntityChange", "FieldChange", "Membership", "RoleGrant", "StackImpact",
           "compare", "diff_revisions", "load"]


def load(repo: ConfigRepo, rev: str | None, staged: bool = False) -> Snapshot:
    """The snapshot of ``rev``, of the index (``staged``), or of the working tree (neither)."""
    from gitstore.plumbing.cache import ResultCache
    from gitstore.plumbing.snapshot import load_snapshot

    source = repo.commit(rev) if rev else repo.index() if staged else repo.worktree()
    cache = ResultCache(repo.cache_dir)
    snap = load_snapshot(source, cache)
    cache.save()
    return snap


def diff_revisions(repo: ConfigRepo, base: str, head: str | None = None,
                   staged: bool = False) -> tuple[Change, Snapshot]:
    """The change from commit ``base`` to ``head`` (default: the working tree), and the
    new snapshot."""
    old = load(repo, base)
    new = load(repo, head, staged)
    return compare(old, new), new
