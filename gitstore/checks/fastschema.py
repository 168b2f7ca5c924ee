"""A quick, conservative answer to "is this document valid under this schema?".

Almost every configuration file is valid, and jsonschema spends most of a
full validation proving it. :func:`surely_valid` answers ``True`` only when
it has checked every keyword of the schema itself, with the same meaning
jsonschema (draft 2020-12, no format assertion) gives it; for anything it
does not fully understand (an unknown keyword, a float where an integer is
expected, a non-string enum value, ...) it answers ``False`` and the caller
asks jsonschema, which also words the errors. So a ``True`` here always
equals an empty error list there, and no error is ever worded here.
"""

from __future__ import annotations

import re
from typing import Any

# Keywords that never make an instance invalid.
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default",
                          "examples", "writeOnly", "readOnly", "deprecated", "x-message"})
_KNOWN = _ANNOTATIONS | {"type", "properties", "additionalProperties", "required", "pattern",
                         "enum", "const", "items", "uniqueItems", "propertyNames", "minLength",
                         "maxLength", "minimum", "maximum"}
_patterns: dict[str, re.Pattern[str]] = {}


class _Unsure(Exception):
    """The schema or the instance is outside what this module decides."""


def surely_valid(schema: Any, instance: Any) -> bool:
    """True only if ``instance`` is valid under ``schema`` (False means: ask jsonschema)."""
    try:
        return _valid(schema, instance)
    except _Unsure:
        return False


def _valid(schema: Any, value: Any) -> bool:
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict) or not _KNOWN.issuperset(schema):
        raise _Unsure
    if "type" in schema and not _type_ok(schema["type"], value):
        return False
    if "enum" in schema and not _one_of_strings(schema["enum"], value):
        return False
    if "const" in schema and not _one_of_strings([schema["const"]], value):
        return False
    if isinstance(value, str):
        return _string_ok(schema, value)
    if isinstance(value, dict):
        return _object_ok(schema, value)
    if isinstance(value, list):
        return _array_ok(schema, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_ok(schema, value)
    return True


def _type_ok(expected: Any, value: Any) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    for name in names:
        if name == "string" and isinstance(value, str):
            return True
        if name == "object" and isinstance(value, dict):
            return True
        if name == "array" and isinstance(value, list):
            return True
        if name == "boolean" and isinstance(value, bool):
            return True
        if name == "null" and value is None:
            return True
        if name in ("integer", "number") and isinstance(value, int) and not isinstance(value, bool):
            return True
        if name == "number" and isinstance(value, float):
            return True
        if name == "integer" and isinstance(value, float):
            raise _Unsure  # jsonschema counts 1.0 as an integer
    return False


def _one_of_strings(allowed: Any, value: Any) -> bool:
    """``value in allowed`` for strings, and for integers among integers only."""
    if not isinstance(allowed, list):
        raise _Unsure
    if isinstance(value, str):
        return value in allowed
    if isinstance(value, int) and not isinstance(value, bool) and all(
            type(item) in (int, str) for item in allowed):
        return value in allowed
    raise _Unsure  # equality of floats and booleans has rules of its own


def _string_ok(schema: dict[str, Any], value: str) -> bool:
    pattern = schema.get("pattern")
    if pattern is not None:
        compiled = _patterns.get(pattern)
        if compiled is None:
            if not isinstance(pattern, str):
                raise _Unsure
            compiled = _patterns[pattern] = re.compile(pattern)
        if not compiled.search(value):
            return False
    if "minLength" in schema and len(value) < _number(schema["minLength"]):
        return False
    return not ("maxLength" in schema and len(value) > _number(schema["maxLength"]))


def _number(limit: Any) -> float:
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise _Unsure
    return limit


def _number_ok(schema: dict[str, Any], value: float) -> bool:
    if "minimum" in schema and value < _number(schema["minimum"]):
        return False
    return not ("maximum" in schema and value > _number(schema["maximum"]))


def _object_ok(schema: dict[str, Any], value: dict[str, Any]) -> bool:
    required = schema.get("required", ())
    if not isinstance(required, (list, tuple)):
        raise _Unsure
    if any(key not in value for key in required):
        return False
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames", True)
    if not isinstance(properties, dict):
        raise _Unsure
    for key, item in value.items():
        if names is not True and not _valid(names, key):
            return False
        sub = properties[key] if key in properties else extra
        if sub is False:
            return False
        if not _valid(sub, item):
            return False
    return True


def _array_ok(schema: dict[str, Any], value: list[Any]) -> bool:
    items = schema.get("items", True)
    if items is not True and not all(_valid(items, item) for item in value):
        return False
    if schema.get("uniqueItems") is True:
        if not all(isinstance(item, str) for item in value):
            raise _Unsure
        return len(set(value)) == len(value)
    return True


class LazyValidator:
    """A draft 2020-12 validator built (and jsonschema imported) only when errors must be listed."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._real: Any = None

    def iter_errors(self, instance: Any) -> Any:
        if self._real is None:
            from jsonschema import Draft202012Validator

            self._real = Draft202012Validator(self.schema)
        return self._real.iter_errors(instance)


# --- is this a valid JSON Schema (draft 2020-12)? -------------------------------------------
# The same conservative bargain for a flavor's config_schema: True only when every keyword is
# one of these and its value has the shape the draft 2020-12 meta-schema asks for (with its
# "regex" format asserted, as jsonschema's check_schema does); anything else is left to
# check_schema, which also words the error.

_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_SCHEMA_KEYS = frozenset({"additionalProperties", "items", "not", "propertyNames", "contains"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems", "minProperties",
                     "maxProperties"})
_NUMBERS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_FLAGS = frozenset({"uniqueItems", "readOnly", "writeOnly", "deprecated"})
_TEXTS = frozenset({"title", "description", "$comment", "format"})
_ANYTHING = frozenset({"default", "const", "x-message"})


def surely_valid_schema(schema: Any) -> bool:
    """True only if ``schema`` is a valid draft 2020-12 JSON Schema (False means: ask
    jsonschema's ``check_schema``)."""
    try:
        return _schema_ok(schema)
    except (re.error, RecursionError):
        return False


def _schema_ok(schema: Any) -> bool:
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    return all(_keyword_ok(key, value) for key, value in schema.items())


def _keyword_ok(key: Any, value: Any) -> bool:
    if key in _ANYTHING:
        return True
    if key in _TEXTS:
        return isinstance(value, str)
    if key in _FLAGS:
        return isinstance(value, bool)
    if key in _COUNTS:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if key in _NUMBERS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in _SCHEMA_KEYS:
        return _schema_ok(value)
    if key in _SCHEMA_LISTS:
        return isinstance(value, list) and bool(value) and all(map(_schema_ok, value))
    if key == "type":
        return _type_list_ok(value)
    if key == "properties":
        return isinstance(value, dict) and all(map(_schema_ok, value.values()))
    if key in ("required", "enum", "examples"):
        return isinstance(value, list) and (key != "required" or _unique_strings(value))
    if key == "pattern":
        return isinstance(value, str) and bool(re.compile(value) or True)
    return False


def _type_list_ok(value: Any) -> bool:
    if isinstance(value, str):
        return value in _TYPES
    return (isinstance(value, list) and bool(value) and _unique_strings(value)
            and _TYPES.issuperset(value))


def _unique_strings(value: list[Any]) -> bool:
    return all(isinstance(item, str) for item in value) and len(set(value)) == len(value)
