"""The files of a configuration repository for a zen store's content, as deterministic text.

The same :class:`StoreData` always gives the same bytes: keys in a fixed
order, component config keys sorted, entities in name order, role
assignments in the store's order. The files are written by the one writer
(:func:`gitstore.plumbing.yamlio.round_trip`), which quotes every string the
reader would take for something else (``0o17``, ``1e3``, ``true``).
"""

from __future__ import annotations

from typing import Any

from gitstore.migrate.model import Entity, StoreData
from gitstore.plumbing.layout import CONFIG_FILE, entity_path


def dump(mapping: dict[str, Any]) -> str:
    """A mapping as block-style YAML, keys in the order given, by the one writer."""
    from gitstore.plumbing.yamlio import dump_text

    if not mapping:
        return "{}\n"
    return dump_text(mapping, indent=2, sequence=2, offset=0)


def settings_text(data: StoreData) -> str:
    body: dict[str, Any] = {"format": 1}
    if "default" in data.stacks:
        body["default_stack"] = "default"
    return dump(body)


def repo_files(data: StoreData, with_settings: bool) -> dict[str, str]:
    """Repository path -> text for everything in ``data``."""
    files: dict[str, str] = {CONFIG_FILE: settings_text(data)} if with_settings else {}
    for (type_, name), flavor in sorted(data.flavors.items()):
        body: dict[str, Any] = {"source": flavor.source}
        if flavor.integration is not None:
            body["integration"] = flavor.integration
        files[entity_path("flavor", name, type_)] = dump(body)
    for (type_, name), component in sorted(data.components.items()):
        body = {"id": component.uuid} if component.uuid else {}
        body["flavor"] = component.flavor
        body["config"] = {k: component.config[k] for k in sorted(component.config)}
        files[entity_path("component", name, type_)] = dump(body)
    for name, parts in sorted(data.stacks.items()):
        files[entity_path("stack", name)] = dump({"components": dict(sorted(parts.items()))})
    for name, user in sorted(data.users.items()):
        files[entity_path("user", name)] = _with_id(user, {})
    for name, team in sorted(data.teams.items()):
        members = data.members.get(name)
        files[entity_path("team", name)] = _with_id(team, {"members": members} if members else {})
    for name, project in sorted(data.projects.items()):
        extra = {"description": project.description} if project.description is not None else {}
        files[entity_path("project", name)] = _with_id(project, extra)
    for name, role in sorted(data.roles.items()):
        files[entity_path("role", name)] = _with_id(role, _role_body(data, role))
    return files


def _with_id(entity: Entity, body: dict[str, Any]) -> str:
    return dump({"id": entity.id, **body} if entity.id else body)


def _role_body(data: StoreData, role: Entity) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if role.permissions:
        body["permissions"] = {op: list(types) for op, types in sorted(role.permissions.items())}
    assignments = []
    for a in data.assignments:
        if a.role != role.name:
            continue
        item = {"user": a.user} if a.user is not None else {"team": a.team}
        if a.project is not None:
            item["project"] = a.project
        assignments.append(item)
    if assignments:
        body["assignments"] = assignments
    return body
