"""Users, teams and projects.

Team membership is a list of user names in ``teams/<team>.yaml``. Deleting a
user, team or project removes every reference to it (team memberships, role
assignments) in the same commit.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from gitstore import defaults
from gitstore.models import Project, Team, User
from gitstore.plumbing.layout import entity_path
from gitstore.plumbing.snapshot import Document
from gitstore.store import writer
from gitstore.store.base import StoreBase, as_uuid, by_name, names_in
from gitstore.store.roles import drop_assignments
from gitstore.store.state import FileChanges, Tree


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

        self._write(
            "create user default\n\n"
            "ZenML's stores register a user named `default` when they are opened without one;\n"
            "GitZenStore().initialize() does the same. Open the repository with\n"
            "initialize(path, skip_default_registrations=True) to leave it as it is.", plan)

    def delete_user(self, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "user", user_name)
            changes: FileChanges = {entity_path("user", user_name): None}
            for team in by_name(tree.snapshot.of_kind("team")):
                if user_name in names_in(team, "members"):
                    changes[team.path] = writer.edit(
                        tree.read_text(team.path),
                        writer.edit_list("members", lambda ms: [m for m in ms if m != user_name]),
                    )
            changes.update(drop_assignments(tree, lambda a: a.get("user") == user_name))
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
            changes.update(drop_assignments(tree, lambda a: a.get("team") == team_name))
            return changes

        self._write(f"delete team {team_name}", plan)

    def add_user_to_team(self, team_name: str, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            team = self._doc(tree, "team", team_name)
            self._doc(tree, "user", user_name)
            if user_name in names_in(team, "members"):
                return {}
            return {
                team.path: writer.edit(
                    tree.read_text(team.path),
                    writer.edit_list("members", lambda ms: [*ms, user_name]),
                )
            }

        self._write(f"add user {user_name} to team {team_name}", plan)

    def remove_user_from_team(self, team_name: str, user_name: str) -> None:
        def plan(tree: Tree) -> FileChanges:
            team = self._doc(tree, "team", team_name)
            self._doc(tree, "user", user_name)
            if user_name not in names_in(team, "members"):
                return {}
            return {
                team.path: writer.edit(
                    tree.read_text(team.path),
                    writer.edit_list("members", lambda ms: [m for m in ms if m != user_name]),
                )
            }

        self._write(f"remove user {user_name} from team {team_name}", plan)

    def get_users_for_team(self, team_name: str) -> list[User]:
        tree = self._tree()
        team = self._doc(tree, "team", team_name)
        return [
            self._user(doc)
            for name in names_in(team, "members")
            if (doc := tree.doc("user", name)) is not None
        ]

    def get_teams_for_user(self, user_name: str) -> list[Team]:
        tree = self._tree()
        self._doc(tree, "user", user_name)
        return [
            self._team(t)
            for t in by_name(tree.snapshot.of_kind("team"))
            if user_name in names_in(t, "members")
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
            changes.update(drop_assignments(tree, lambda a: a.get("project") == project_name))
            return changes

        self._write(f"delete project {project_name}", plan)
