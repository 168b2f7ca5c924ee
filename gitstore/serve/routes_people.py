"""Users, teams and their members, projects, roles and role assignments.

Paths, methods, bodies and answers are those of ZenML 0.10.0's
``zen_server_api.py``. Bodies are ZenML's ``User``, ``Team``, ``Project`` and
``Role`` models, of which the server reads the name (and a project's
description); a role assignment is ``{role_name, entity_name, project_name,
is_user}``, checked here rather than failing with a 500 as ZenML's did.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gitstore.serve.calls import Call, need

router = APIRouter()

NAME = Field(min_length=1, max_length=256)


class Named(BaseModel):
    """ZenML's User, Team or Role as sent: only the name is used (id and date are the store's)."""

    name: str = NAME


class ProjectBody(Named):
    description: str | None = None


class AssignmentBody(BaseModel):
    role_name: str = NAME
    entity_name: str = NAME
    project_name: str | None = None
    is_user: bool = True


# --- users -----------------------------------------------------------------------------


@router.get("/users")
async def users(call: Call = need("user", "read")) -> Response:
    return await call.read(lambda s: s.users)


@router.get("/users/{name}")
async def get_user(name: str, call: Call = need("user", "read")) -> Response:
    return await call.read(lambda s: s.get_user(name))


@router.post("/users")
async def create_user(user: Named, call: Call = need("user", "create")) -> Response:
    return await call.run(lambda s: s.create_user(user.name))


@router.delete("/users/{name}")
async def delete_user(name: str, call: Call = need("user", "delete")) -> Response:
    return await call.run(lambda s: s.delete_user(name))


@router.get("/users/{name}/teams")
async def teams_for_user(name: str, call: Call = need("team", "read")) -> Response:
    return await call.read(lambda s: s.get_teams_for_user(name))


@router.get("/users/{name}/role_assignments")
async def role_assignments_for_user(name: str, project_name: str | None = None,
                                    call: Call = need("role", "read")) -> Response:
    return await call.read(lambda s: s.get_role_assignments_for_user(
        name, project_name=project_name, include_team_roles=False))


# --- teams -----------------------------------------------------------------------------


@router.get("/teams")
async def teams(call: Call = need("team", "read")) -> Response:
    return await call.read(lambda s: s.teams)


@router.get("/teams/{name}")
async def get_team(name: str, call: Call = need("team", "read")) -> Response:
    return await call.read(lambda s: s.get_team(name))


@router.post("/teams")
async def create_team(team: Named, call: Call = need("team", "create")) -> Response:
    return await call.run(lambda s: s.create_team(team.name))


@router.delete("/teams/{name}")
async def delete_team(name: str, call: Call = need("team", "delete")) -> Response:
    return await call.run(lambda s: s.delete_team(name))


@router.get("/teams/{name}/users")
async def users_for_team(name: str, call: Call = need("team", "read")) -> Response:
    return await call.read(lambda s: s.get_users_for_team(name))


@router.post("/teams/{name}/users")
async def add_user_to_team(name: str, user: Named, call: Call = need("team", "update")) -> Response:
    return await call.run(lambda s: s.add_user_to_team(name, user.name))


@router.delete("/teams/{team_name}/users/{user_name}")
async def remove_user_from_team(team_name: str, user_name: str,
                                call: Call = need("team", "update")) -> Response:
    return await call.run(lambda s: s.remove_user_from_team(team_name, user_name))


@router.get("/teams/{name}/role_assignments")
async def role_assignments_for_team(name: str, project_name: str | None = None,
                                    call: Call = need("role", "read")) -> Response:
    return await call.read(lambda s: s.get_role_assignments_for_team(name, project_name=project_name))


# --- projects --------------------------------------------------------------------------


@router.get("/projects")
async def projects(call: Call = need("project", "read")) -> Response:
    return await call.read(lambda s: s.projects)


@router.get("/projects/{project_name}")
async def get_project(project_name: str, call: Call = need("project", "read")) -> Response:
    return await call.read(lambda s: s.get_project(project_name))


@router.post("/projects")
async def create_project(project: ProjectBody, call: Call = need("project", "create")) -> Response:
    return await call.run(lambda s: s.create_project(project.name, description=project.description))


@router.delete("/projects/{name}")
async def delete_project(name: str, call: Call = need("project", "delete")) -> Response:
    return await call.run(lambda s: s.delete_project(name))


# --- roles and role assignments --------------------------------------------------------


@router.get("/roles")
async def roles(call: Call = need("role", "read")) -> Response:
    return await call.read(lambda s: s.roles)


@router.get("/roles/{name}")
async def get_role(name: str, call: Call = need("role", "read")) -> Response:
    return await call.read(lambda s: s.get_role(name))


@router.post("/roles")
async def create_role(role: Named, call: Call = need("role", "create")) -> Response:
    return await call.run(lambda s: s.create_role(role.name))


@router.delete("/roles/{name}")
async def delete_role(name: str, call: Call = need("role", "delete")) -> Response:
    return await call.run(lambda s: s.delete_role(name))


@router.get("/role_assignments")
async def role_assignments(call: Call = need("role", "read")) -> Response:
    return await call.read(lambda s: s.role_assignments)


@router.post("/role_assignments")
async def assign_role(data: AssignmentBody, call: Call = need("role", "update")) -> Response:
    return await call.run(lambda s: s.assign_role(data.role_name, data.entity_name,
                                            project_name=data.project_name, is_user=data.is_user))


@router.delete("/role_assignments")
async def revoke_role(data: AssignmentBody, call: Call = need("role", "update")) -> Response:
    return await call.run(lambda s: s.revoke_role(data.role_name, data.entity_name,
                                            project_name=data.project_name, is_user=data.is_user))
