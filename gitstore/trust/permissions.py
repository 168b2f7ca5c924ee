"""Who holds what: the repository's roles resolved to users.

A role grants permissions (``operation -> [types]``) to whoever it is
assigned to: a user directly, or every member of a team. An assignment scoped
to a project grants the role only for that project's pipeline run records;
an unscoped one grants it everywhere. Everything here reads one snapshot and
tolerates malformed files (they are validation's business): a value of the
wrong shape grants nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitstore.plumbing.snapshot import Snapshot
from gitstore.references import assignment_project, role_assignments, team_members

RUN_OPERATION = "pipeline_run"


@dataclass(frozen=True)
class Grant:
    """One way a user holds a permission: through ``role``, directly or via ``team``.

    Grants are not ordered by comparison (``team`` and ``project`` may be ``None``);
    sort them with :meth:`sort_key`: by user, role, direct before team, everywhere
    before one project.
    """

    user: str
    role: str
    team: str | None = None
    project: str | None = None  # the only project the grant holds in, if scoped

    def sort_key(self) -> tuple[str, str, bool, str, bool, str]:
        return (self.user, self.role, self.team is not None, self.team or "",
                self.project is not None, self.project or "")

    def describe(self) -> str:
        via = f"team {self.team}" if self.team else "directly"
        scope = f", in project {self.project} only" if self.project else ""
        return f"role {self.role} ({via}{scope})"


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class Authority:
    """The users, teams and roles of one snapshot, and the grants they make."""

    def __init__(self, snap: Snapshot) -> None:
        self.users: dict[str, dict[str, Any]] = {
            doc.ref.name: doc.data for doc in snap.of_kind("user")}
        members = team_members(snap.of_kind("team"))
        self.teams: dict[str, list[str]] = {
            doc.ref.name: [m for m in members.get(doc.ref.name, []) if m in self.users]
            for doc in snap.of_kind("team")}
        self._roles = {doc.ref.name: doc.data for doc in snap.of_kind("role")}

    def grants(self, operation: str, ptype: str) -> list[Grant]:
        """Every grant of ``operation: ptype``, scoped or not, sorted by user."""
        found: set[Grant] = set()
        for role, data in self._roles.items():
            if ptype not in _strings(_mapping(data.get("permissions")).get(operation)):
                continue
            for _, item in role_assignments(data):
                found.update(self._assignment_grants(role, item))
        return sorted(found, key=Grant.sort_key)

    def _assignment_grants(self, role: str, item: dict[str, Any]) -> list[Grant]:
        project = assignment_project(item)
        user, team = item.get("user"), item.get("team")
        if isinstance(user, str) and user in self.users and team is None:
            return [Grant(user, role, None, project)]
        if isinstance(team, str) and user is None:
            return [Grant(member, role, team, project) for member in self.teams.get(team, [])]
        return []

    def holders(self, operation: str, ptype: str, project: str | None = None
                ) -> dict[str, list[Grant]]:
        """The users holding ``operation: ptype`` (in ``project``, for run records), with how."""
        result: dict[str, list[Grant]] = {}
        for grant in self.grants(operation, ptype):
            if applies(grant, operation, project):
                result.setdefault(grant.user, []).append(grant)
        return result

    def holds(self, user: str, operation: str, ptype: str, project: str | None = None) -> bool:
        return user in self.holders(operation, ptype, project)


def applies(grant: Grant, operation: str, project: str | None) -> bool:
    """Whether a grant counts for ``operation`` in ``project``: unscoped grants always do;
    a project-scoped one only for that project's run records."""
    if grant.project is None:
        return True
    return operation == RUN_OPERATION and grant.project == project


def permission_label(operation: str, ptype: str, project: str | None = None) -> str:
    where = f" in project {project}" if project else ""
    return f"`{operation}: {ptype}`{where}"
