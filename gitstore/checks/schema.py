"""JSON Schema errors turned into located problems.

jsonschema reports a path into the data; the reader kept the line and column
of every key and value, so each error lands where a person would look: an
unknown key at that key, a wrong value at that value, a missing key at the
mapping that lacks it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from gitstore.checks.fastschema import surely_valid
from gitstore.plumbing.yamlio import Positions, locate
from gitstore.problems import Problem, did_you_mean

# Words for the patterns of the shipped schemas, so a mismatch reads as what was meant.
PATTERN_WORDS = {
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$":
        "a valid name (letters, digits, `.`, `_` and `-`, starting with a letter or digit)",
    "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$": "a UUID",
    "^[^@\\s]+@[^@\\s]+$": "an email address",
    "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$":
        "a dotted import path such as `package.module.Class`",
    "^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/=]+( .*)?$":
        "an SSH public key (`ssh-ed25519 AAAA... comment`)",
    "^(?!/)(?!.*\\.\\.)(?!.*//)(?!.*@\\{)[^\\s~^:?*\\[\\\\]+(?<!/)(?<!\\.lock)(?<!\\.)$":
        "a valid git branch name",
}
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


@cache
def validator_for_kind(kind: str) -> Any:
    from gitstore.resources import SCHEMA_OF_KIND, schema

    return make_validator(schema(SCHEMA_OF_KIND[kind]))


def make_validator(schema: dict[str, Any]) -> Any:
    """A draft 2020-12 validator; nothing it meets is ever fetched from a network."""
    from gitstore.checks.fastschema import LazyValidator

    return LazyValidator(schema)


def schema_problems(
    validator: Any,
    data: Any,
    positions: Positions,
    path: str,
    base: tuple[Any, ...] = (),
    code: str | None = None,
    subject: str = "",
) -> list[Problem]:
    """Every way ``data`` (found at ``base`` in the file) breaks the schema, located.

    ``code`` overrides the rule code (used for component configs, which all
    report under one rule); ``subject`` names what the schema describes.
    """
    if surely_valid(validator.schema, data):  # the common case, without jsonschema's cost
        return []
    problems: list[Problem] = []
    for error in validator.iter_errors(data):
        problems.extend(_convert(error, positions, path, base, code, subject))
    return problems


def _dotted(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def _convert(error: Any, positions: Positions, path: str, base: tuple[Any, ...],
             code: str | None, subject: str) -> list[Problem]:
    where = (*base, *error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key in known:
                continue
            line, col = locate(positions, (*where, key), key=True)
            what = f"{subject} " if subject else ""
            hint = did_you_mean(key, known) or (
                "allowed keys: " + ", ".join(f"`{k}`" for k in known) if known else None)
            out.append(Problem(path, line, col, code or "GS102", f"unknown {what}key `{key}`", hint))
        return out
    if kind == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        line, col = locate(positions, where, key=True) if where else (1, 1)
        return [Problem(path, line, col, code or "GS103", f"missing required key `{key}`"
                        + (f" in `{_dotted(where)}`" if where else ""))
                for key in missing]
    if "propertyNames" in error.relative_schema_path:
        return _property_name(error, positions, path, where, code)
    line, col = locate(positions, where)
    custom = schema.get("x-message")
    secret = _holds_secret(schema, where)
    if not custom and kind == "pattern" and error.validator_value in PATTERN_WORDS:
        shown = "the value" if secret else repr(error.instance)
        custom = f"{shown} is not {PATTERN_WORDS[error.validator_value]}"
    elif not custom and kind == "type":
        custom = f"expected {_type_words(error.validator_value)}, not {_describe(error.instance, secret)}"
    elif not custom and kind == "const":
        custom = f"must be {json.dumps(error.validator_value)}, not {_describe(error.instance, secret)}"
    elif not custom and secret:
        custom = f"the value does not match the schema's `{kind}`"
    message = f"`{_dotted(where)}`: {custom or error.message}"
    hint = None
    if kind == "enum" and isinstance(error.instance, str):
        hint = did_you_mean(error.instance, error.validator_value)
    elif kind == "type" and isinstance(error.instance, str) and _wants_boolean(error.validator_value):
        if error.instance.lower() in YAML11_BOOLEANS:
            hint = f"YAML 1.2 reads `{error.instance}` as a string; write `true` or `false`"
    return [Problem(path, line, col, code or "GS101", message, hint)]


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string",
               "integer": "an integer", "number": "a number", "boolean": "true or false",
               "null": "null"}


def _type_words(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)


def _holds_secret(schema: dict[str, Any], where: tuple[Any, ...]) -> bool:
    """Whether the value at ``where`` carries a secret (a ``writeOnly`` field, or a key named
    like one), so that a message names its type but never repeats it."""
    if schema.get("writeOnly") is True:
        return True
    from gitstore.checks.integrity import looks_secret

    return looks_secret(next((p for p in reversed(where) if isinstance(p, str)), None))


def _describe(value: Any, secret: bool = False) -> str:
    """A value as a person would name it: ``the string 'x'``, ``a list``, ``null``; a
    secret's type only (``a string``)."""
    if secret and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return "a string" if isinstance(value, str) else "a number"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    return f"the number {value!r}"


def _wants_boolean(expected: Any) -> bool:
    return expected == "boolean" or (isinstance(expected, list) and "boolean" in expected)


def _property_name(error: Any, positions: Positions, path: str, where: tuple[Any, ...],
                   code: str | None) -> list[Problem]:
    key = error.instance
    names_schema = error.schema if isinstance(error.schema, dict) else {}
    title = names_schema.get("title", "key")
    allowed = names_schema.get("enum", [])
    line, col = locate(positions, (*where, key), key=True)
    hint = did_you_mean(str(key), allowed) or (
        f"{title}s are: " + ", ".join(allowed) if allowed else None)
    return [Problem(path, line, col, code or "GS102", f"unknown {title} `{key}`", hint)]
