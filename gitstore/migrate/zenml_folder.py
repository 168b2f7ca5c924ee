"""ZenML 0.10's folder store (LocalZenStore): ``stacks.yaml``, one file per component, runs.

:func:`read_folder` reads a folder store into :class:`StoreData`, refusing
anything that is not the documented format with a :class:`SourceError` that
names the file and the key; :func:`write_folder` writes one the way ZenML
does (keys sorted, component files with ``name``, ``uuid`` and nulls).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from gitstore.migrate.model import (
    Assignment,
    Component,
    DanglingReference,
    Entity,
    Flavor,
    Run,
    SourceError,
    StoreData,
    canonical_uuid,
    parse_timestamp,
)
from gitstore.plumbing.layout import COMPONENT_TYPES

STACKS_FILE = "stacks.yaml"
RUNS_FILE = "pipeline_runs.yaml"


def plural(type_: str) -> str:
    return "container_registries" if type_ == "container_registry" else f"{type_}s"


def load_yaml_file(path: Path) -> Any:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from exc
    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceError(f"{path}{where}: not valid YAML ({problem})") from exc


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        wanted = {"dict": "a mapping", "list": "a list", "str": "a string"}.get(names, names)
        raise SourceError(f"{where}: expected {wanted}, found {type(value).__name__}")
    return value


def read_folder(root: Path) -> StoreData:
    """Read the folder store at ``root``."""
    if not root.is_dir():
        raise SourceError(f"{root}: no such folder")
    if not (root / STACKS_FILE).is_file():
        raise SourceError(f"{root} is not a ZenML folder store: it has no {STACKS_FILE}")
    where = str(root / STACKS_FILE)
    doc = expect(load_yaml_file(root / STACKS_FILE), dict, where)
    data = StoreData()
    _read_components(root, doc, data, where)
    _read_stacks(doc, data, where)
    _read_flavors(doc, data, where)
    for section in ("users", "teams", "projects", "roles"):
        getattr(data, section).update(_read_entities(doc, section, where))
    _read_members(doc, data, where)
    data.assignments = read_assignments(_section(doc, "role_assignments", list, where), data, where)
    if (root / RUNS_FILE).exists():
        data.runs = read_runs(root / RUNS_FILE)
    return data


def _section(doc: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = doc.get(key)
    if value is None:
        return kind()
    return expect(value, kind, f"{where}: `{key}`")


def _read_components(root: Path, doc: dict[str, Any], data: StoreData, where: str) -> None:
    for type_, names in sorted(_section(doc, "stack_components", dict, where).items()):
        here = f"{where}: `stack_components.{type_}`"
        if type_ not in COMPONENT_TYPES:
            raise SourceError(f"{here}: `{type_}` is not a stack component type")
        for name, flavor in sorted(expect(names or {}, dict, here).items()):
            expect(flavor, str, f"{here}.{name}")
            data.components[(type_, str(name))] = _read_component_file(
                root / plural(type_) / f"{name}.yaml", type_, str(name), flavor)


def _read_component_file(path: Path, type_: str, name: str, flavor: str) -> Component:
    fields = dict(expect(load_yaml_file(path), dict, str(path)))
    return component_from_fields(fields, type_, name, flavor, str(path))


def component_from_fields(fields: dict[str, Any], type_: str, name: str, flavor: str,
                          where: str) -> Component:
    """A component from its full configuration mapping (with ``name`` and ``uuid``)."""
    if "uuid" not in fields:
        raise SourceError(f"{where}: the component has no `uuid`")
    uid = canonical_uuid(fields.pop("uuid"), f"{where}: `uuid`")
    stated = fields.pop("name", name)
    if stated != name:
        raise SourceError(f"{where}: `name` is `{stated}`, but the store lists it as `{name}`")
    return Component(type_, name, flavor, uid, fields)


def _read_stacks(doc: dict[str, Any], data: StoreData, where: str) -> None:
    for stack, parts in sorted(_section(doc, "stacks", dict, where).items()):
        parts = expect(parts or {}, dict, f"{where}: `stacks.{stack}`")
        for type_, name in parts.items():
            if type_ not in COMPONENT_TYPES:
                raise SourceError(f"{where}: `stacks.{stack}`: `{type_}` is not a stack "
                                  "component type")
            expect(name, str, f"{where}: `stacks.{stack}.{type_}`")
        data.stacks[str(stack)] = {t: parts[t] for t in sorted(parts)}


def _read_flavors(doc: dict[str, Any], data: StoreData, where: str) -> None:
    for i, item in enumerate(_section(doc, "stack_component_flavors", list, where)):
        here = f"{where}: `stack_component_flavors[{i}]`"
        item = expect(item, dict, here)
        flavor = Flavor(_field(item, "type", here), _field(item, "name", here),
                        _field(item, "source", here), item.get("integration"))
        if flavor.type not in COMPONENT_TYPES:
            raise SourceError(f"{here}: `{flavor.type}` is not a stack component type")
        data.flavors[(flavor.type, flavor.name)] = flavor


def _field(item: dict[str, Any], key: str, where: str) -> str:
    if key not in item:
        raise SourceError(f"{where}: `{key}` is missing")
    return str(expect(item[key], str, f"{where}: `{key}`"))


def _read_entities(doc: dict[str, Any], section: str, where: str) -> dict[str, Entity]:
    found: dict[str, Entity] = {}
    for i, item in enumerate(_section(doc, section, list, where)):
        found_entity = entity_from_row(expect(item, dict, f"{where}: `{section}[{i}]`"),
                                       section, f"{where}: `{section}[{i}]`")
        if found_entity.name in found:
            raise SourceError(f"{where}: `{section}`: `{found_entity.name}` is listed twice")
        found[found_entity.name] = found_entity
    return found


def entity_from_row(item: dict[str, Any], section: str, where: str) -> Entity:
    entity = Entity(canonical_uuid(item.get("id"), f"{where}: `id`"), _field(item, "name", where),
                    parse_timestamp(item.get("creation_date"), f"{where}: `creation_date`"))
    if section == "projects":
        entity.description = item.get("description")
    if section == "roles":
        entity.permissions = read_permissions(item.get("permissions"), where)
    return entity


def read_permissions(value: Any, where: str) -> dict[str, list[str]]:
    """``permissions`` of a role: a list of {operation, types}, usually empty."""
    found: dict[str, list[str]] = {}
    for i, item in enumerate(expect(value or [], list, f"{where}: `permissions`")):
        here = f"{where}: `permissions[{i}]`"
        item = expect(item, dict, here)
        operation = item.get("operation")
        if isinstance(operation, dict):
            operation = operation.get("name")
        types = expect(item.get("types") or [], list, f"{here}: `types`")
        found[str(expect(operation, str, f"{here}: `operation`"))] = sorted(str(t) for t in types)
    return found


def _read_members(doc: dict[str, Any], data: StoreData, where: str) -> None:
    for team, users in sorted(_section(doc, "team_assignments", dict, where).items()):
        users = expect(users or [], list, f"{where}: `team_assignments.{team}`")
        data.members[str(team)] = [str(expect(u, str, f"{where}: `team_assignments.{team}`"))
                                   for u in users]


def read_assignments(rows: list[Any], data: StoreData, where: str) -> list[Assignment]:
    """Role assignments by id, resolved to names; a dangling id is an error."""
    by_id = {kind: {e.id: e.name for e in getattr(data, kind).values()}
             for kind in ("users", "teams", "projects", "roles")}
    found = []
    for i, row in enumerate(rows):
        here = f"{where}: `role_assignments[{i}]`"
        row = expect(row, dict, here)
        names: dict[str, str | None] = {}
        for key, kind in (("role_id", "roles"), ("user_id", "users"), ("team_id", "teams"),
                          ("project_id", "projects")):
            if row.get(key) is None:
                names[key] = None
                continue
            uid = canonical_uuid(row[key], f"{here}: `{key}`")
            if uid not in by_id[kind]:
                raise DanglingReference(f"{here}: `{key}` {uid} names no {kind[:-1]} of the store")
            names[key] = by_id[kind][uid]
        if names["role_id"] is None or (names["user_id"] is None) == (names["team_id"] is None):
            raise SourceError(f"{here}: an assignment names a role and exactly one of user_id "
                              "or team_id")
        found.append(Assignment(str(names["role_id"]), names["user_id"], names["team_id"],
                                names["project_id"],
                                canonical_uuid(row.get("id"), f"{here}: `id`"),
                                parse_timestamp(row.get("creation_date"),
                                                f"{here}: `creation_date`")))
    return found


def read_runs(path: Path) -> list[Run]:
    doc = expect(load_yaml_file(path), dict, str(path))
    runs = []
    for pipeline, items in sorted(_section(doc, "pipeline_runs", dict, str(path)).items()):
        for i, run in enumerate(expect(items or [], list, f"{path}: `pipeline_runs.{pipeline}`")):
            here = f"{path}: `pipeline_runs.{pipeline}[{i}]`"
            runs.append(Run(str(pipeline), check_run(expect(run, dict, here), here)))
    return runs


def check_run(run: dict[str, Any], where: str) -> dict[str, Any]:
    """A run mapping whose stack's component configs decode; raises SourceError otherwise."""
    _field(run, "name", where)
    run = {**run, "user_id": canonical_uuid(run.get("user_id"), f"{where}: `user_id`")}
    stack = expect(run.get("stack"), dict, f"{where}: `stack`")
    components = expect(stack.get("components") or [], list, f"{where}: `stack.components`")
    for i, comp in enumerate(components):
        here = f"{where}: `stack.components[{i}]`"
        config = _field(expect(comp, dict, here), "config", here)
        try:
            base64.b64decode(config, validate=True)
        except ValueError as exc:
            raise SourceError(f"{here}: `config` is not base64 ({exc})") from exc
    return run


# ---- writing ------------------------------------------------------------------------------


def dump_yaml(value: Any) -> str:
    import yaml

    return str(yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True))


def timestamp_text(value: Any) -> str | None:
    return value.isoformat(timespec="microseconds") if value is not None else None


def component_fields(component: Component) -> dict[str, Any]:
    return {**component.config, "name": component.name, "uuid": component.uuid}


def write_folder(data: StoreData, root: Path) -> list[str]:
    """Write ``data`` as a folder store into the empty folder ``root``; return the files written."""
    files = {STACKS_FILE: dump_yaml(stacks_document(data))}
    for (type_, name), component in sorted(data.components.items()):
        files[f"{plural(type_)}/{name}.yaml"] = dump_yaml(component_fields(component))
    if data.runs:
        runs: dict[str, list[dict[str, Any]]] = {}
        for run in data.runs:
            runs.setdefault(run.pipeline_name, []).append(run.data)
        files[RUNS_FILE] = dump_yaml({"pipeline_runs": runs})
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return sorted(files)


def stacks_document(data: StoreData) -> dict[str, Any]:
    components: dict[str, dict[str, str]] = {}
    for (type_, name), component in sorted(data.components.items()):
        components.setdefault(type_, {})[name] = component.flavor
    return {
        "stacks": data.stacks,
        "stack_components": components,
        "stack_component_flavors": [
            {"name": f.name, "type": f.type, "source": f.source, "integration": f.integration}
            for _, f in sorted(data.flavors.items())],
        "users": [_entity_row(e) for e in data.users.values()],
        "teams": [_entity_row(e) for e in data.teams.values()],
        "projects": [{**_entity_row(e), "description": e.description}
                     for e in data.projects.values()],
        "roles": [{**_entity_row(e), "permissions": _permission_rows(e)}
                  for e in data.roles.values()],
        "role_assignments": [assignment_row(a, data, timestamp_text) for a in data.assignments],
        "team_assignments": {team: list(users) for team, users in data.members.items()},
    }


def _entity_row(entity: Entity) -> dict[str, Any]:
    return {"id": entity.id, "creation_date": timestamp_text(entity.creation_date),
            "name": entity.name}


def _permission_rows(role: Entity) -> list[dict[str, Any]]:
    return [{"operation": op, "types": types} for op, types in sorted(role.permissions.items())]


def assignment_row(a: Assignment, data: StoreData, stamp: Any) -> dict[str, Any]:
    def ref(kind: str, name: str | None) -> str | None:
        return getattr(data, kind)[name].id if name is not None else None

    return {"id": a.id, "creation_date": stamp(a.creation_date), "role_id": ref("roles", a.role),
            "project_id": ref("projects", a.project), "team_id": ref("teams", a.team),
            "user_id": ref("users", a.user)}
