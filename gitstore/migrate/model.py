"""What a ZenML 0.10 zen store holds, read from any of its formats.

Readers (folder store, SQLite store, single-stack file) produce a
:class:`StoreData`; the repository writer and the store writers consume it.
Everything is plain data: ids are dashed lower-case UUID strings, timestamps
are :class:`datetime.datetime` values (naive, as ZenML writes them), component
configs are mappings without ``name`` and ``uuid``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitstore.exceptions import (  # defined there with every other error
    DanglingReference,
    SourceError,
    SourceProblems,
)

__all__ = [
    "ZENML_VERSION", "Assignment", "Component", "DanglingReference", "Entity", "Flavor", "Run",
    "SourceError", "SourceProblems", "StoreData", "canonical_uuid", "derived_uuid",
    "parse_timestamp",
]

ZENML_VERSION = "0.10.0"


@dataclass
class Component:
    type: str
    name: str
    flavor: str
    uuid: str | None
    config: dict[str, Any]


@dataclass
class Flavor:
    type: str
    name: str
    source: str
    integration: str | None = None


@dataclass
class Entity:
    """A user, team, project or role."""

    id: str | None
    name: str
    creation_date: datetime | None = None
    description: str | None = None  # projects
    permissions: dict[str, list[str]] = field(default_factory=dict)  # roles


@dataclass
class Assignment:
    role: str
    user: str | None
    team: str | None
    project: str | None
    id: str | None = None
    creation_date: datetime | None = None


@dataclass
class Run:
    """A pipeline run as ZenML stores it; component configs are base64 text."""

    pipeline_name: str
    data: dict[str, Any]


@dataclass
class StoreData:
    components: dict[tuple[str, str], Component] = field(default_factory=dict)
    stacks: dict[str, dict[str, str]] = field(default_factory=dict)
    flavors: dict[tuple[str, str], Flavor] = field(default_factory=dict)
    users: dict[str, Entity] = field(default_factory=dict)
    teams: dict[str, Entity] = field(default_factory=dict)
    projects: dict[str, Entity] = field(default_factory=dict)
    roles: dict[str, Entity] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # team -> user names
    assignments: list[Assignment] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    def check_references(self) -> list[str]:
        """Every reference between entities that names nothing."""
        found = []
        for stack, parts in sorted(self.stacks.items()):
            for type_, name in sorted(parts.items()):
                if (type_, name) not in self.components:
                    found.append(f"stack `{stack}` uses {type_} `{name}`, which does not exist")
        for team, users in sorted(self.members.items()):
            if team not in self.teams:
                found.append(f"team assignments name team `{team}`, which does not exist")
            found += [f"team `{team}` has member `{u}`, who does not exist"
                      for u in users if u not in self.users]
        return found


def canonical_uuid(value: Any, what: str) -> str:
    """A UUID written either way (dashed or 32 hex digits) as a dashed lower-case string."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise SourceError(f"{what}: `{value}` is not a UUID") from exc


def parse_timestamp(value: Any, what: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise SourceError(f"{what}: `{value}` is not a timestamp") from exc


def derived_uuid(*parts: str) -> str:
    """A stable id for something the repository keeps no id for (exported assignments)."""
    from gitstore.plumbing.layout import ID_NAMESPACE

    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))
