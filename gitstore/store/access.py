"""Users, teams, projects, roles and role assignments.

Team membership is a list of user names in ``teams/<team>.yaml``; who holds a
role is the ``assignments`` list in ``roles/<role>.yaml``. Deleting an entity
removes every reference to it in the same commit.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from gitstore import defaults
from gitstore.exceptions import EntityExistsError
from gitstore.layout import OPERATIONS, entity_path
from gitstore.models import (
    Operation,
    Permission,
    PermissionType,
    Project,
    Role,
    RoleAssignment,
    Team,
    User,
)
from gitstore.snapshot import Document
from gitstore.store import writer
from gitstore.store.base import StoreBase, as_uuid, by_name, require_absent, require_name
from gitstore.store.state import FileChanges, Tree

ASSIGNMENT_NAMESPACE = UUID("0b6f5e59-8a3e-5c64-9a4f-1d2f3b4c5d6e")


def _names(doc: Document, key: str) -> list[str]:
    value = doc.data.get(key) or []
    return [str(v) for v in value]


def _assignments(doc: Document) -> list[dict[str, str]]:
    return [dict(a) for a in doc.data.get("assignments") or [] if isinstance(a, dict)]


def _edit_list(key: str, change: Callable[[list[Any]], list[Any]]) -> writer.Edit:
    def apply(data: Any) -> None:
        current = [
            writer.plain(v) if not isinstance(v, dict) else dict(v) for v in data.get(key) or []
        ]
        wanted = change(current)
        if key in data:
            writer.merge_sequence(data[key], wanted)
        else:
            data[key] = writer.to_round_trip(wanted)

    return apply


def _without_first(items: list[Any], entry: dict[str, str]) -> list[Any]:
    plain = [dict(item) if isinstance(item, dict) else item for item in items]
    if entry not in plain:
        return items
    index = plain.index(entry)
    return items[:index] + items[index + 1 :]


class AccessMethods(StoreBase):
    # --- conversions -----------------------------------------------------------

    def _user(self, doc: Document) -> User:
        return User(id=as_uuid(doc), creation_date=self._created(doc), name=doc.ref.name)

    def _team(self, doc: Document) -> Team:
        return Team(id=as_uuid(doc), creation_date=self._created(doc), name=doc.ref.name)

    def _project(self, doc: Document) -> Project:
        description = doc.data.get("description")
        return Project(
            id=as_uuid(doc),
            creation_date=self._created(doc),
            name=doc.ref.name,
            description=None if description is None else str(description),
        )

    def _role(self, doc: Document) -> Role:
        permissions = set()
        for operation, types in (doc.data.get("permissions") or {}).items():
            op = Operation(id=OPERATIONS.index(operation) + 1, name=operation)
            permissions.add(
                Permission(operation=op, types=frozenset(PermissionType(t) for t in types))
            )
        return Role(
            id=as_uuid(doc),
            creation_date=self._created(doc),
            name=doc.ref.name,
            permissions=permissions,
        )

    def _role_assignments(self, tree: Tree) -> list[RoleAssignment]:
        found = []
        for role in by_name(tree.snapshot.of_kind("role")):
            created = self._created(role)
            for n, entry in enumerate(_assignments(role)):
                ids = {
                    f"{kind}_id": self._id_of(tree, kind, entry.get(kind))
                    for kind in ("user", "team", "project")
                }
                key = (
                    f"{role.id}/{n}/{entry.get('user')}/{entry.get('team')}/{entry.get('project')}"
                )
                found.append(
                    RoleAssignment(
                        id=uuidlib.uuid5(ASSIGNMENT_NAMESPACE, key),
                        creation_date=created,
                        role_id=as_uuid(role),
                        **ids,
                    )
                )
        return found

    def _id_of(self, tree: Tree, kind: str, name: str | None) -> UUID | None:
        if name is None:
            return None
        doc = tree.doc(kind, name)
        from gitstore.layout import derive_id

        return as_uuid(doc) if doc else UUID(derive_id(kind, name))

    def _all(self, kind: str, convert: Callable[[Document], Any]) -> list[Any]:
        return [convert(doc) for doc in by_name(self._tree().snapshot.of_kind(kind))]

    def _create(self, kind: str, name: str, body: dict[str, Any]) -> None:
        require_name(name, kind)

        def plan(tree: Tree) -> FileChanges:
            require_absent(tree, kind, name)
            return {entity_path(kind, name): writer.new_file(body)}

        self._write(f"create {kind} {name}", plan)

    # --- users -----------------------------------------------------------------

    @property
    def users(self) -> list[User]:
        return self._all("user", self._user)

    def get_user(self, user_name: str) -> User:
        return self._user(self._doc(self._tree(), "user", user_name))

    def create_user(self, user_name: str) -> User:
        self._create("user", user_name, {"id": str(uuid4())})
        return self.get_user(user_name)

    def create_default_user(self) -> None:
        if self._tree().snapshot.exists("user", "default"):
            return  # seen in the working tree: no need to take the write lock

        def plan(tree: Tree) -> FileChanges:
            if tree.snapshot.exists("user", "default"):
                return {}
            return {entity_path("user", "default"): defaults.user_text()}

        self._write("create user default", plan)

    def delete_user(self, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "user", user_name)
            changes: FileChanges = {entity_path("user", user_name): None}
            for team in by_name(tree.snapshot.of_kind("team")):
                if user_name in _names(team, "members"):
                    changes[team.path] = writer.edit(
                        tree.read_text(team.path),
                        _edit_list("members", lambda ms: [m for m in ms if m != user_name]),
                    )
            changes.update(_drop_assignments(tree, lambda a: a.get("user") == user_name))
            return changes

        self._write(f"delete user {user_name}", plan)

    # --- teams -----------------------------------------------------------------

    @property
    def teams(self) -> list[Team]:
        return self._all("team", self._team)

    def get_team(self, team_name: str) -> Team:
        return self._team(self._doc(self._tree(), "team", team_name))

    def create_team(self, team_name: str) -> Team:
        self._create("team", team_name, {"id": str(uuid4()), "members": []})
        return self.get_team(team_name)

    def delete_team(self, team_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "team", team_name)
            changes: FileChanges = {entity_path("team", team_name): None}
            changes.update(_drop_assignments(tree, lambda a: a.get("team") == team_name))
            return changes

        self._write(f"delete team {team_name}", plan)

    def add_user_to_team(self, team_name: str, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            team = self._doc(tree, "team", team_name)
            self._doc(tree, "user", user_name)
            if user_name in _names(team, "members"):
                return {}
            return {
                team.path: writer.edit(
                    tree.read_text(team.path), _edit_list("members", lambda ms: [*ms, user_name])
                )
            }

        self._write(f"add user {user_name} to team {team_name}", plan)

    def remove_user_from_team(self, team_name: str, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            team = self._doc(tree, "team", team_name)
            self._doc(tree, "user", user_name)
            if user_name not in _names(team, "members"):
                return {}
            return {
                team.path: writer.edit(
                    tree.read_text(team.path),
                    _edit_list("members", lambda ms: [m for m in ms if m != user_name]),
                )
            }

        self._write(f"remove user {user_name} from team {team_name}", plan)

    def get_users_for_team(self, team_name: str) -> list[User]:
        tree = self._tree()
        team = self._doc(tree, "team", team_name)
        return [
            self._user(doc)
            for name in _names(team, "members")
            if (doc := tree.doc("user", name)) is not None
        ]

    def get_teams_for_user(self, user_name: str) -> list[Team]:
        tree = self._tree()
        self._doc(tree, "user", user_name)
        return [
            self._team(t)
            for t in by_name(tree.snapshot.of_kind("team"))
            if user_name in _names(t, "members")
        ]

    # --- projects --------------------------------------------------------------

    @property
    def projects(self) -> list[Project]:
        return self._all("project", self._project)

    def get_project(self, project_name: str) -> Project:
        return self._project(self._doc(self._tree(), "project", project_name))

    def create_project(self, project_name: str, description: str | None = None) -> Project:
        body: dict[str, Any] = {"id": str(uuid4())}
        if description is not None:
            body["description"] = description
        self._create("project", project_name, body)
        return self.get_project(project_name)

    def delete_project(self, project_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "project", project_name)
            changes: FileChanges = {entity_path("project", project_name): None}
            changes.update(_drop_assignments(tree, lambda a: a.get("project") == project_name))
            return changes

        self._write(f"delete project {project_name}", plan)

    # --- roles -----------------------------------------------------------------

    @property
    def roles(self) -> list[Role]:
        return self._all("role", self._role)

    @property
    def role_assignments(self) -> list[RoleAssignment]:
        return self._role_assignments(self._tree())

    def get_role(self, role_name: str) -> Role:
        return self._role(self._doc(self._tree(), "role", role_name))

    def create_role(self, role_name: str) -> Role:
        self._create("role", role_name, {"id": str(uuid4()), "permissions": {}, "assignments": []})
        return self.get_role(role_name)

    def delete_role(self, role_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "role", role_name)
            return {entity_path("role", role_name): None}

        self._write(f"delete role {role_name}", plan)

    def assign_role(
        self,
        role_name: str,
        entity_name: str,
        project_name: str | None = None,
        is_user: bool = True,
    ) -> None:
        """Add an assignment (not deduplicated, as in ZenML's stores)."""
        self._change_assignments(
            "assign",
            role_name,
            entity_name,
            project_name,
            is_user,
            lambda current, entry: [*current, entry],
        )

    def revoke_role(
        self,
        role_name: str,
        entity_name: str,
        project_name: str | None = None,
        is_user: bool = True,
    ) -> None:
        """Remove one matching assignment; silent (and no commit) when there is none."""
        self._change_assignments(
            "revoke", role_name, entity_name, project_name, is_user, _without_first
        )

    def _change_assignments(
        self,
        verb: str,
        role_name: str,
        entity_name: str,
        project_name: str | None,
        is_user: bool,
        change: Callable[[list[Any], dict[str, str]], list[Any]],
    ) -> None:
        entry = {"user" if is_user else "team": entity_name}
        if project_name:
            entry["project"] = project_name

        def plan(tree: Tree) -> FileChanges:
            role = self._check_assignment(tree, role_name, entity_name, project_name, is_user)
            edit = _edit_list("assignments", lambda current: change(current, entry))
            return {role.path: writer.edit(tree.read_text(role.path), edit)}

        who = f"{'user' if is_user else 'team'} {entity_name}"
        where = f" in project {project_name}" if project_name else ""
        preposition = "to" if verb == "assign" else "from"
        self._write(f"{verb} role {role_name} {preposition} {who}{where}", plan)

    def _check_assignment(
        self, tree: Tree, role_name: str, entity_name: str, project_name: str | None, is_user: bool
    ) -> Document:
        role = self._doc(tree, "role", role_name)
        self._doc(tree, "user" if is_user else "team", entity_name)
        if project_name is not None:
            self._doc(tree, "project", project_name)
        return role

    def get_role_assignments_for_user(
        self, user_name: str, project_name: str | None = None, include_team_roles: bool = True
    ) -> list[RoleAssignment]:
        tree = self._tree()
        user_id = as_uuid(self._doc(tree, "user", user_name))
        project_id = as_uuid(self._doc(tree, "project", project_name)) if project_name else None
        team_ids = set()
        if include_team_roles:
            team_ids = {
                as_uuid(t)
                for t in tree.snapshot.of_kind("team")
                if user_name in _names(t, "members")
            }
        return [
            a
            for a in self._role_assignments(tree)
            if (a.user_id == user_id or (a.team_id is not None and a.team_id in team_ids))
            and (project_id is None or a.project_id == project_id)
        ]

    def get_role_assignments_for_team(
        self, team_name: str, project_name: str | None = None
    ) -> list[RoleAssignment]:
        tree = self._tree()
        team_id = as_uuid(self._doc(tree, "team", team_name))
        project_id = as_uuid(self._doc(tree, "project", project_name)) if project_name else None
        return [
            a
            for a in self._role_assignments(tree)
            if a.team_id == team_id and (project_id is None or a.project_id == project_id)
        ]


def _drop_assignments(tree: Tree, matches: Callable[[dict[str, str]], bool]) -> FileChanges:
    changes: FileChanges = {}
    for role in by_name(tree.snapshot.of_kind("role")):
        if any(matches(a) for a in _assignments(role)):
            changes[role.path] = writer.edit(
                tree.read_text(role.path),
                _edit_list("assignments", lambda items: [a for a in items if not matches(a)]),
            )
    return changes




__all__ = ["AccessMethods", "EntityExistsError"]
