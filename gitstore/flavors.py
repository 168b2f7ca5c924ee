"""Built-in flavors and the config schemas built from their declared fields.

ZenML 0.10 declares each built-in flavor's config as typed fields; the list
ships as ``schemas/builtin-flavors.json``. These are all the fields a flavor
has, so an unknown key is an error; whether a field is required is not
recorded, so every field is optional.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from gitstore.resources import builtin_flavors

_SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "Any": {},
}
SECRET_REF = re.compile(r"^\{\{\s*[A-Za-z0-9_.-]+\.[A-Za-z0-9_-]+\s*\}\}$")


def python_type_schema(annotation: str) -> dict[str, Any]:
    """A JSON Schema for a Python type annotation as written in builtin-flavors.json."""
    annotation = annotation.replace(" ", "")
    optional = re.fullmatch(r"Optional\[(.*)\]", annotation)
    if optional:
        inner = python_type_schema(optional.group(1))
        if "type" in inner:
            return {**inner, "type": [inner["type"], "null"]}
        return inner
    mapping = re.fullmatch(r"Dict\[str,(.*)\]", annotation)
    if mapping:
        return {"type": "object", "additionalProperties": python_type_schema(mapping.group(1))}
    listing = re.fullmatch(r"List\[(.*)\]", annotation)
    if listing:
        return {"type": "array", "items": python_type_schema(listing.group(1))}
    return dict(_SCALARS.get(annotation, {}))


def is_builtin(type_: str, flavor: str) -> bool:
    return flavor in builtin_flavors().get(type_, {})


def builtin_names(type_: str) -> list[str]:
    return sorted(builtin_flavors().get(type_, {}))


def builtin_integration(type_: str, flavor: str) -> str | None:
    integration: str | None = builtin_flavors()[type_][flavor].get("integration")
    return integration


def field_names(type_: str, flavor: str) -> frozenset[str]:
    return frozenset(builtin_flavors()[type_][flavor]["fields"])


def secret_fields(type_: str, flavor: str) -> frozenset[str]:
    return frozenset(builtin_flavors()[type_][flavor].get("secret_fields", ()))


def write_only_fields(flavor_data: dict[str, Any]) -> frozenset[str]:
    """The config fields a custom flavor's file marks as holding secrets (``writeOnly``)."""
    schema = flavor_data.get("config_schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return frozenset()
    return frozenset(k for k, v in props.items() if isinstance(v, dict) and v.get("writeOnly") is True)


@cache
def builtin_config_schema(type_: str, flavor: str) -> dict[str, Any]:
    fields = builtin_flavors()[type_][flavor]["fields"]
    secret = secret_fields(type_, flavor)
    properties = {name: python_type_schema(t) | ({"writeOnly": True} if name in secret else {})
                  for name, t in fields.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"config of the built-in {type_} flavor `{flavor}`",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


def is_secret_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(SECRET_REF.match(value))
