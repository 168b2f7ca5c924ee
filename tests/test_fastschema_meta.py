"""The quick meta-schema check never calls valid a config_schema jsonschema refuses.

:func:`surely_valid_schema` spares a repository's custom flavors the draft 2020-12
meta-schema walk. The flavors of a generated repository, and seeded random mutations of
them (every keyword given odd values, unknown keywords, nested schemas broken), are checked
against ``Draft202012Validator.check_schema``: when the quick check says valid, check_schema
must agree; and the untouched schemas must take the quick path.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import build_files  # noqa: E402
from gitstore.checks.fastschema import surely_valid_schema  # noqa: E402
from gitstore.plumbing.yamlio import read_document  # noqa: E402

KEYWORDS = ["type", "properties", "additionalProperties", "items", "not", "propertyNames",
            "contains", "allOf", "anyOf", "oneOf", "minLength", "maxLength", "minItems",
            "maxItems", "minProperties", "maxProperties", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "uniqueItems", "readOnly", "writeOnly",
            "deprecated", "title", "description", "$comment", "format", "default", "const",
            "required", "enum", "examples", "pattern", "$ref", "$defs", "unknownKeyword",
            "multipleOf", "patternProperties", "if", "dependentRequired"]
ODD: list[Any] = [None, True, False, 0, 1, -1, 1.5, "", "string", "strin", "(", "[a-z]+",
                  ["string"], ["string", "string"], ["string", "null"], [], ["x"], [1],
                  {}, {"type": "string"}, {"type": 7}, {"a": {"type": "integer"}},
                  {"a": 1}, [{"type": "string"}], [{"type": "bogus"}], "#/$defs/x",
                  float("inf")]


def flavor_schemas() -> list[Any]:
    gen = build_files(2000, seed=5)
    found = []
    for path, text in sorted(gen.files.items()):
        if path.startswith("flavors/"):
            parsed = read_document(path, text.encode())
            if parsed.data is not None and isinstance(parsed.data, dict):
                schema = parsed.data.get("config_schema")
                if isinstance(schema, dict):
                    found.append(schema)
    return found


SCHEMAS = flavor_schemas()


def valid(schema: Any) -> bool:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


def subschemas(schema: Any) -> list[dict[str, Any]]:
    """Every mapping inside ``schema`` (itself included), where a mutation can land."""
    out = [schema] if isinstance(schema, dict) else []
    if isinstance(schema, dict):
        for value in schema.values():
            out.extend(subschemas(value))
    elif isinstance(schema, list):
        for value in schema:
            out.extend(subschemas(value))
    return out


def test_generated_flavor_schemas_take_the_quick_path() -> None:
    assert len(SCHEMAS) >= 20
    for schema in SCHEMAS:
        assert surely_valid_schema(schema), schema
        assert valid(schema)


@pytest.mark.parametrize("seed", range(4))
def test_quick_valid_implies_check_schema_valid(seed: int) -> None:
    rng = random.Random(seed)
    quick = refused = 0
    for _ in range(1000):
        schema = copy.deepcopy(rng.choice(SCHEMAS))
        for _ in range(rng.randint(1, 3)):
            target = rng.choice(subschemas(schema))
            target[rng.choice(KEYWORDS)] = copy.deepcopy(rng.choice(ODD))
        if surely_valid_schema(schema):
            quick += 1
            assert valid(schema), schema
        elif not valid(schema):
            refused += 1
    assert quick > 40 and refused > 100, (quick, refused)  # both sides were exercised
