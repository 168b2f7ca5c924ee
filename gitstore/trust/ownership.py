"""Who can do what, told from a snapshot's roles: the data of ``gitstore who-can``."""

from __future__ import annotations

from dataclasses import dataclass

from gitstore.plumbing.snapshot import Snapshot
from gitstore.trust.permissions import RUN_OPERATION, Authority, Grant, permission_label


@dataclass(frozen=True)
class Holders:
    """The holders of one permission, with how they hold it."""

    label: str  # "`stack: create`", "`pipeline_run: create` in project fraud"
    holders: dict[str, list[Grant]]  # user -> grants that count
    scoped: dict[str, list[Grant]]  # for run records asked without a project: per-project grants


def who_can(snap: Snapshot, operation: str, ptype: str, project: str | None = None) -> Holders:
    """The users holding ``operation: ptype`` (in ``project``), and the grants that hold only
    in some projects (run records asked about without a project)."""
    authority = Authority(snap)
    holders = authority.holders(operation, ptype, project)
    scoped: dict[str, list[Grant]] = {}
    if operation == RUN_OPERATION and project is None:
        for grant in authority.grants(operation, ptype):
            if grant.project is not None:
                scoped.setdefault(grant.user, []).append(grant)
    return Holders(permission_label(operation, ptype, project), holders, scoped)
