"""Package data: the JSON Schemas and the built-in flavors, read through importlib.resources."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_KINDS = ("gitstore", "flavor", "component", "stack", "user", "team", "project", "role", "run")
# the schema of each entity kind (the settings file's schema is called "gitstore")
SCHEMA_OF_KIND = {"settings": "gitstore", **{k: k for k in SCHEMA_KINDS if k != "gitstore"}}


def _read(name: str) -> str:
    return resources.files("gitstore.schemas").joinpath(name).read_text(encoding="utf-8")


def schema_text(kind: str) -> str:
    """The JSON text of one kind's schema, as shipped."""
    return _read(f"{kind}.schema.json")


def available_schemas() -> list[str]:
    names = [p.name for p in resources.files("gitstore.schemas").iterdir()]
    return [k for k in SCHEMA_KINDS if f"{k}.schema.json" in names]


@cache
def schema(kind: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(schema_text(kind))
    return result


@cache
def builtin_flavors() -> dict[str, dict[str, dict[str, Any]]]:
    """type -> flavor -> {"fields": {name: python type}, "integration", "secret_fields"}."""
    result: dict[str, dict[str, dict[str, Any]]] = json.loads(_read("builtin-flavors.json"))
    return result


def hook_script(name: str) -> str:
    return resources.files("gitstore.hooks").joinpath(name).read_text(encoding="utf-8")
