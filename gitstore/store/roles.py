"""Roles and role assignments: ``roles/<role>.yaml`` holds its permissions and who holds it."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from gitstore.models import Operation, Permission, PermissionType, Role, RoleAssignment
from gitstore.plumbing.layout import OPERATIONS, PERMISSION_TYPES, derive_id, entity_path
from gitstore.plumbing.snapshot import Document
from gitstore.references import role_assignments
from gitstore.store import writer
from gitstore.store.base import StoreBase, as_uuid, by_name, names_in
from gitstore.store.state import FileChanges, Tree

ASSIGNMENT_NAMESPACE = UUID("0b6f5e59-8a3e-5c64-9a4f-1d2f3b4c5d6e")


def _assignments(doc: Document) -> list[dict[str, str]]:
    return [dict(a) for _, a in role_assignments(doc.data)]


def _without_first(items: list[Any], entry: dict[str, str]) -> list[Any]:
    plain = [dict(item) if isinstance(item, dict) else item for item in items]
    if entry not in plain:
        return items
    index = plain.index(entry)
    return items[:index] + items[index + 1 :]


def drop_assignments(tree: Tree, matches: Callable[[dict[str, str]], bool]) -> FileChanges:
    changes: FileChanges = {}
    for role in by_name(tree.snapshot.of_kind("role")):
        if any(matches(a) for a in _assignments(role)):
            changes[role.path] = writer.edit(
                tree.read_text(role.path),
                writer.edit_list("assignments", lambda items: [a for a in items if not matches(a)]),
            )
    return changes


class RoleMethods(StoreBase):
    def _role(self, doc: Document) -> Role:
        permissions = set()
        granted = doc.data.get("permissions")
        for operation, types in granted.items() if isinstance(granted, dict) else ():
            if operation not in OPERATIONS or not isinstance(types, list):
                continue  # a broken file: validation reports it
            op = Operation(id=OPERATIONS.index(operation) + 1, name=operation)
            kinds = frozenset(PermissionType(t) for t in types if t in PERMISSION_TYPES)
            permissions.add(Permission(operation=op, types=kinds))
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
        return as_uuid(doc) if doc else UUID(derive_id(kind, name))

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
            edit = writer.edit_list("assignments", lambda current: change(current, entry))
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
                if user_name in names_in(t, "members")
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
