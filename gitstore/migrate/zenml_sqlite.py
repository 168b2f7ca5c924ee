"""ZenML 0.10's SQLite store (SqlZenStore), read and written with the standard library.

UUIDs are stored as 32 hex digits, timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff``,
component configurations as base64 of the component's YAML, run pipelines and
stacks as JSON text.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

from gitstore.migrate.model import (
    DanglingReference,
    Flavor,
    Run,
    SourceError,
    StoreData,
    canonical_uuid,
)
from gitstore.migrate.zenml_folder import (
    assignment_row,
    check_run,
    component_fields,
    component_from_fields,
    entity_from_row,
    expect,
    read_assignments,
)
from gitstore.plumbing.layout import COMPONENT_TYPES

_ID = "CHAR(32) NOT NULL"
_TEXT = "VARCHAR NOT NULL"
_STAMP = "DATETIME NOT NULL"
# table -> ([(column, type), ...], primary key columns)
TABLES: dict[str, tuple[list[tuple[str, str]], tuple[str, ...]]] = {
    "zenuser": ([("id", "INTEGER NOT NULL"), ("name", _TEXT)], ("id",)),
    "zenstack": ([("name", _TEXT), ("created_by", "INTEGER NOT NULL"), ("create_time", _STAMP)],
                 ("name",)),
    "zenstackcomponent": ([("component_type", _TEXT), ("name", _TEXT),
                           ("component_flavor", _TEXT), ("configuration", "BLOB NOT NULL")],
                          ("component_type", "name")),
    "zenstackdefinition": ([("stack_name", _TEXT), ("component_type", _TEXT),
                            ("component_name", _TEXT)],
                           ("stack_name", "component_type", "component_name")),
    "zenflavor": ([("type", _TEXT), ("name", _TEXT), ("source", _TEXT),
                   ("integration", "VARCHAR")], ("type", "name")),
    "usertable": ([("id", _ID), ("creation_date", _STAMP), ("name", _TEXT)], ("id",)),
    "teamtable": ([("id", _ID), ("creation_date", _STAMP), ("name", _TEXT)], ("id",)),
    "roletable": ([("id", _ID), ("creation_date", _STAMP), ("name", _TEXT)], ("id",)),
    "projecttable": ([("id", _ID), ("creation_date", _STAMP), ("name", _TEXT),
                      ("description", "VARCHAR")], ("id",)),
    "teamassignmenttable": ([("user_id", _ID), ("team_id", _ID)], ("user_id", "team_id")),
    "roleassignmenttable": ([("id", _ID), ("creation_date", _STAMP), ("role_id", _ID),
                             ("project_id", "CHAR(32)"), ("team_id", "CHAR(32)"),
                             ("user_id", "CHAR(32)")], ("id",)),
    "pipelineruntable": ([("name", _TEXT), ("zenml_version", _TEXT), ("git_sha", "VARCHAR"),
                          ("pipeline_name", _TEXT), ("pipeline", _TEXT), ("stack", _TEXT),
                          ("runtime_configuration", _TEXT), ("user_id", _ID),
                          ("project_name", "VARCHAR")], ("name",)),
}
ENTITY_TABLES = {"users": "usertable", "teams": "teamtable", "roles": "roletable",
                 "projects": "projecttable"}


def create_statement(table: str) -> str:
    columns, key = TABLES[table]
    body = ", ".join(f"{name} {type_}" for name, type_ in columns)
    return f"CREATE TABLE {table} ({body}, PRIMARY KEY ({', '.join(key)}))"


def sqlite_path(url: str) -> Path:
    """The file of ``sqlite:///path`` (``sqlite:////abs/path`` for an absolute one)."""
    return Path(url.removeprefix("sqlite:///"))


def read_sqlite(path: Path) -> StoreData:
    if not path.is_file():
        raise SourceError(f"{path}: no such SQLite file")
    try:
        conn = sqlite3.connect(f"file:{path.absolute()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot be opened as SQLite ({exc})") from exc
    try:
        return _read(conn, str(path))
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: not a readable ZenML SQLite store ({exc})") from exc
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, where: str) -> StoreData:
    conn.row_factory = sqlite3.Row
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = sorted(set(TABLES) - {"zenuser"} - present)
    if missing:
        raise SourceError(f"{where} is not a ZenML SQLite store: it has no table "
                          + ", ".join(missing))
    for table in sorted(set(TABLES) - {"zenuser"}):
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        lacking = [c for c, _ in TABLES[table][0] if c not in have]
        if lacking:
            raise SourceError(f"{where} is not a ZenML SQLite store: table {table} has no "
                              "column " + ", ".join(lacking))
    data = StoreData()
    for row in conn.execute("SELECT * FROM zenstackcomponent ORDER BY component_type, name"):
        label = f"{row['component_type']}/{row['name']}"
        _add_component(data, row, f"{where}: zenstackcomponent {label}")
    _read_stacks(conn, data, where)
    for row in conn.execute("SELECT * FROM zenflavor ORDER BY type, name"):
        data.flavors[(row["type"], row["name"])] = Flavor(row["type"], row["name"], row["source"],
                                                           row["integration"])
    for attr, table in ENTITY_TABLES.items():
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY name"):  # noqa: S608
            entity = entity_from_row(dict(row), attr, f"{where}: {table} `{row['name']}`")
            getattr(data, attr)[entity.name] = entity
    _read_members(conn, data, where)
    rows = [dict(r) for r in conn.execute(
        "SELECT * FROM roleassignmenttable ORDER BY creation_date, rowid")]
    data.assignments = read_assignments(rows, data, f"{where}: roleassignmenttable")
    for row in conn.execute("SELECT * FROM pipelineruntable ORDER BY pipeline_name, rowid"):
        data.runs.append(_run(dict(row), f"{where}: pipelineruntable `{row['name']}`"))
    return data


def _add_component(data: StoreData, row: sqlite3.Row, where: str) -> None:
    import yaml

    type_ = row["component_type"]
    if type_ not in COMPONENT_TYPES:
        raise SourceError(f"{where}: `{type_}` is not a stack component type")
    try:
        fields = yaml.safe_load(base64.b64decode(row["configuration"], validate=True))
    except (ValueError, yaml.YAMLError) as exc:
        raise SourceError(f"{where}: `configuration` is not base64 of YAML ({exc})") from exc
    fields = dict(expect(fields, dict, f"{where}: `configuration`"))
    data.components[(type_, row["name"])] = component_from_fields(
        fields, type_, row["name"], row["component_flavor"], where)


def _read_stacks(conn: sqlite3.Connection, data: StoreData, where: str) -> None:
    for row in conn.execute("SELECT name FROM zenstack ORDER BY name"):
        data.stacks[row["name"]] = {}
    for row in conn.execute("SELECT * FROM zenstackdefinition "
                            "ORDER BY stack_name, component_type"):
        stack = data.stacks.get(row["stack_name"])
        if stack is None:
            raise DanglingReference(f"{where}: zenstackdefinition names stack "
                                    f"`{row['stack_name']}`, which is not in zenstack")
        stack[row["component_type"]] = row["component_name"]


def _read_members(conn: sqlite3.Connection, data: StoreData, where: str) -> None:
    users = {e.id: e.name for e in data.users.values()}
    teams = {e.id: e.name for e in data.teams.values()}
    for row in conn.execute("SELECT * FROM teamassignmenttable ORDER BY rowid"):
        here = f"{where}: teamassignmenttable"
        user = users.get(canonical_uuid(row["user_id"], f"{here}: `user_id`"))
        team = teams.get(canonical_uuid(row["team_id"], f"{here}: `team_id`"))
        if user is None or team is None:
            raise DanglingReference(f"{here}: the row ({row['user_id']}, {row['team_id']}) names a "
                              "user or team the store does not hold")
        data.members.setdefault(team, []).append(user)


def _run(row: dict[str, Any], where: str) -> Run:
    data = dict(row)
    pipeline_name = data.pop("pipeline_name")
    for key in ("pipeline", "stack", "runtime_configuration"):
        try:
            data[key] = json.loads(data[key]) if data[key] is not None else None
        except (TypeError, ValueError) as exc:
            raise SourceError(f"{where}: `{key}` is not JSON ({exc})") from exc
    return Run(pipeline_name, check_run(data, where))


# ---- writing ------------------------------------------------------------------------------


def _hex(uid: str | None) -> str | None:
    return uid.replace("-", "") if uid else None


def _stamp(value: Any) -> str | None:
    return value.isoformat(sep=" ", timespec="microseconds") if value is not None else None


def write_sqlite(data: StoreData, path: Path) -> None:
    """Write ``data`` as a new SQLite store at ``path`` (which must not exist)."""
    from gitstore.migrate.zenml_folder import dump_yaml

    conn = sqlite3.connect(path)
    try:
        with conn:
            for table in TABLES:
                conn.execute(create_statement(table))
            conn.execute("INSERT INTO zenuser (id, name) VALUES (1, 'LocalZenUser')")
            _insert_entities(conn, data)
            for (type_, name), c in sorted(data.components.items()):
                config = base64.b64encode(dump_yaml(component_fields(c)).encode("utf-8"))
                conn.execute("INSERT INTO zenstackcomponent VALUES (?, ?, ?, ?)",
                             (type_, name, c.flavor, config))
            _insert_stacks(conn, data)
            for f in data.flavors.values():
                conn.execute("INSERT INTO zenflavor VALUES (?, ?, ?, ?)",
                             (f.type, f.name, f.source, f.integration))
            _insert_runs(conn, data)
    finally:
        conn.close()


def _insert_entities(conn: sqlite3.Connection, data: StoreData) -> None:
    for attr, table in ENTITY_TABLES.items():
        for e in getattr(data, attr).values():
            row: tuple[Any, ...] = (_hex(e.id), _stamp(e.creation_date), e.name)
            if attr == "projects":
                row = (*row, e.description)
            conn.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)  # noqa: S608
    for team, users in data.members.items():
        for user in users:
            conn.execute("INSERT INTO teamassignmenttable VALUES (?, ?)",
                         (_hex(data.users[user].id), _hex(data.teams[team].id)))
    for a in data.assignments:
        fields = assignment_row(a, data, _stamp)
        conn.execute("INSERT INTO roleassignmenttable VALUES (?, ?, ?, ?, ?, ?)",
                     (_hex(fields["id"]), fields["creation_date"], _hex(fields["role_id"]),
                      _hex(fields["project_id"]), _hex(fields["team_id"]), _hex(fields["user_id"])))


def _insert_stacks(conn: sqlite3.Connection, data: StoreData) -> None:
    from datetime import datetime

    created = _stamp(min((e.creation_date for e in data.users.values() if e.creation_date),
                         default=datetime(1970, 1, 1)))
    for stack, parts in sorted(data.stacks.items()):
        conn.execute("INSERT INTO zenstack VALUES (?, 1, ?)", (stack, created))
        for type_, name in sorted(parts.items()):
            conn.execute("INSERT INTO zenstackdefinition VALUES (?, ?, ?)", (stack, type_, name))


def _insert_runs(conn: sqlite3.Connection, data: StoreData) -> None:
    for run in data.runs:
        d = run.data
        conn.execute("INSERT INTO pipelineruntable VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (d["name"], d.get("zenml_version") or "", d.get("git_sha"), run.pipeline_name,
                      json.dumps(d.get("pipeline")), json.dumps(d.get("stack")),
                      json.dumps(d.get("runtime_configuration") or {}),
                      _hex(str(d.get("user_id"))), d.get("project_name")))
