"""Who can do what, told from a snapshot's roles: ``gitstore who-can``."""

from __future__ import annotations

from gitstore.plumbing.snapshot import Snapshot
from gitstore.trust.permissions import RUN_OPERATION, Authority, Grant, permission_label


def who_can_lines(snap: Snapshot, operation: str, ptype: str,
                  project: str | None = None) -> list[str]:
    """The users holding ``operation: ptype`` (in ``project``), one line each with how."""
    authority = Authority(snap)
    holders = authority.holders(operation, ptype, project)
    label = permission_label(operation, ptype, project)
    lines = [f"users holding {label}:" if holders else f"nobody holds {label}"]
    lines += _grant_lines(holders)
    if operation == RUN_OPERATION and project is None:
        scoped: dict[str, list[Grant]] = {}
        for grant in authority.grants(operation, ptype):
            if grant.project is not None:
                scoped.setdefault(grant.user, []).append(grant)
        if scoped:
            lines.append("in some projects only:")
            lines += _grant_lines(scoped)
    return lines


def _grant_lines(holders: dict[str, list[Grant]]) -> list[str]:
    width = max((len(user) for user in holders), default=0)
    return [f"  {user.ljust(width)}  {'; '.join(g.describe() for g in grants)}"
            for user, grants in sorted(holders.items())]
