"""Who holds what: the repository's roles resolved to users.

A role grants permissions (``operation -> [types]``) to whoever it is
assigned to: a user directly, or every member of a team. An assignment scoped
to a project grants the role only for that project's pipeline run records;
an unscoped one grants it everywhere. Everything here reads one snapshot and
tolerates malformed files (they are validation's business): a value of the
wrong shape grants nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Protocol

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


GrantRow = tuple[str, str, str | None, str | None]  # user, role, team, project
GrantTable = dict[str, list[GrantRow]]  # "operation\0ptype" -> grants, users not yet checked
Grants = Mapping[str, list[GrantRow]]  # a GrantTable, or one kept in parts (trust/held.py)


class UserIndex(Protocol):
    """Users found by what identifies them, without a pass over every user (a kept state
    holds such an index: :mod:`gitstore.trust.held`)."""

    def by_email(self, email: str) -> str | None:
        """The first user (by name) whose ``email``, lower-cased, is ``email``."""

    def by_account(self, account: str) -> list[str]:
        """The users (by name) whose ``accounts`` name ``account``, on any host."""

    def names(self) -> AbstractSet[str]:
        """Every user's name."""


class Authority:
    """The users, teams and roles of one snapshot, and the grants they make."""

    def __init__(self, snap: Snapshot) -> None:
        members = team_members(snap.of_kind("team"))
        self._setup({doc.ref.name: doc.data for doc in snap.of_kind("user")},
                    {doc.ref.name: members.get(doc.ref.name, []) for doc in snap.of_kind("team")},
                    {doc.ref.name: doc.data for doc in snap.of_kind("role")}, None, None)

    @classmethod
    def of(cls, users: Mapping[str, dict[str, Any]], teams: Mapping[str, list[str]],
           roles: Mapping[str, dict[str, Any]], table: Grants | None = None,
           index: UserIndex | None = None) -> Authority:
        """An authority from its parts: users' data, each team's ``members`` (as
        :func:`gitstore.references.team_members` reads them; [] when not a list), roles'
        data and, when known, their :func:`grant_table` and an index of the users. Teams
        and roles are read only when the table is built or :attr:`teams` is asked for."""
        self = cls.__new__(cls)
        self._setup(users, teams, roles, table, index)
        return self

    def _setup(self, users: Mapping[str, dict[str, Any]], teams: Mapping[str, list[str]],
               roles: Mapping[str, dict[str, Any]], table: Grants | None,
               index: UserIndex | None) -> None:
        self.users = users
        self._members = teams
        self._teams: dict[str, list[str]] | None = None
        self._roles = roles
        self._table = table
        self._index = index
        self._grants: dict[tuple[str, str], list[Grant]] = {}
        self._emails: dict[str, str] | None = None
        self._asked_email = False
        self._holders: dict[tuple[str, str, str | None], dict[str, list[Grant]]] = {}

    @property
    def teams(self) -> dict[str, list[str]]:
        """Each team's members that are users."""
        if self._teams is None:
            users = self.users
            self._teams = {team: [m for m in members if m in users]
                           for team, members in self._members.items()}
        return self._teams

    def table(self) -> Grants:
        """Every grant of every permission (built once; see :func:`grant_table`)."""
        if self._table is None:
            self._table = grant_table(self._roles, self._members)
        return self._table

    @property
    def built_table(self) -> Grants | None:
        """The grant table, if it was given or built."""
        return self._table

    def user_by_email(self, email: str) -> str | None:
        """The first user (by name) whose ``email`` is ``email``, compared without regard
        to case. The first question is answered by one pass over the users (a push by one
        author asks once); an index is built for the next ones."""
        wanted = email.strip().lower()
        if self._index is not None:
            return self._index.by_email(wanted)
        if self._emails is None:
            if not self._asked_email:
                self._asked_email = True
                found = [name for name, data in self.users.items()
                         if isinstance(value := data.get("email"), str)
                         and value.lower() == wanted]
                return min(found) if found else None
            self._emails = {}
            for name in sorted(self.users):
                value = self.users[name].get("email")
                if isinstance(value, str):
                    self._emails.setdefault(value.lower(), name)
        return self._emails.get(wanted)

    def user_by_account(self, host: str, account: str) -> str | None:
        """The first user (by name) whose ``accounts`` name ``account`` on ``host`` (a key
        such as ``gitlab`` or ``gitlab.example.com``)."""
        names = self._index.by_account(account) if self._index is not None else sorted(self.users)
        for name in names:
            accounts = self.users[name].get("accounts")
            if not isinstance(accounts, dict):
                continue
            if any(host in str(k).lower() and v == account for k, v in accounts.items()):
                return name
        return None

    def grants(self, operation: str, ptype: str) -> list[Grant]:
        """Every grant of ``operation: ptype``, scoped or not, sorted by user."""
        key = (operation, ptype)
        found = self._grants.get(key)
        if found is None:
            users = self.users
            rows = self.table().get(f"{operation}\0{ptype}", [])  # distinct, in grant order
            found = [Grant(*row) for row in rows if row[0] in users]
            self._grants[key] = found
        return list(found)

    def holders(self, operation: str, ptype: str, project: str | None = None
                ) -> dict[str, list[Grant]]:
        """The users holding ``operation: ptype`` (in ``project``, for run records), with how
        (found once per permission; each call gets its own lists)."""
        key = (operation, ptype, project)
        found = self._holders.get(key)
        if found is None:
            found = {}
            for grant in self.grants(operation, ptype):
                if applies(grant, operation, project):
                    found.setdefault(grant.user, []).append(grant)
            self._holders[key] = found
        return {user: list(grants) for user, grants in found.items()}

    def holder_names(self, operation: str, ptype: str, project: str | None = None) -> set[str]:
        """The users holding ``operation: ptype`` (in ``project``, for run records): the
        keys of :meth:`holders`, found from the table's rows without making their grants."""
        rows = self.table().get(f"{operation}\0{ptype}", [])
        if operation == RUN_OPERATION:
            found = {row[0] for row in rows if row[3] is None or row[3] == project}
        else:
            found = {row[0] for row in rows if row[3] is None}
        return found & (self._index.names() if self._index is not None else self.users.keys())

    def holds(self, user: str, operation: str, ptype: str, project: str | None = None) -> bool:
        return user in self.holder_names(operation, ptype, project)


def grant_table(roles: Mapping[str, dict[str, Any]], teams: Mapping[str, list[str]]) -> GrantTable:
    """The grants every role makes, by permission (each once, sorted as grants are sorted),
    before users are checked: a user named in an assignment (with no team), or each member
    of a team that exists (with no user). A grant counts only for a user who exists
    (:meth:`Authority.grants`), so the table depends on the roles and teams alone."""
    table: GrantTable = {}
    for role, data in roles.items():
        rows: list[GrantRow] | None = None
        for operation, types in _mapping(data.get("permissions")).items():
            if not isinstance(operation, str):
                continue
            for ptype in dict.fromkeys(_strings(types)):
                if rows is None:
                    rows = _assignment_rows(role, data, teams)
                if rows:
                    table.setdefault(f"{operation}\0{ptype}", []).extend(rows)
    return {key: sorted(set(rows), key=_row_order) for key, rows in table.items()}


def _row_order(row: GrantRow) -> tuple[str, str, bool, str, bool, str]:
    """:meth:`Grant.sort_key` of a row."""
    user, role, team, project = row
    return (user, role, team is not None, team or "", project is not None, project or "")


def _assignment_rows(role: str, data: dict[str, Any], teams: Mapping[str, list[str]]
                     ) -> list[GrantRow]:
    rows: list[GrantRow] = []
    for _, item in role_assignments(data):
        project = assignment_project(item)
        user, team = item.get("user"), item.get("team")
        if isinstance(user, str) and team is None:
            rows.append((user, role, None, project))
        elif isinstance(team, str) and user is None:
            rows.extend((member, role, team, project) for member in teams.get(team, []))
    return rows


def applies(grant: Grant, operation: str, project: str | None) -> bool:
    """Whether a grant counts for ``operation`` in ``project``: unscoped grants always do;
    a project-scoped one only for that project's run records."""
    if grant.project is None:
        return True
    return operation == RUN_OPERATION and grant.project == project


def permission_label(operation: str, ptype: str, project: str | None = None) -> str:
    where = f" in project {project}" if project else ""
    return f"`{operation}: {ptype}`{where}"
