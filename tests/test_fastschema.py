"""The quick schema check never calls valid what jsonschema finds errors in.

Documents of a generated repository, and thousands of seeded random
mutations of them (wrong types, floats for integers, booleans for strings,
unknown and missing keys, repeated list items, odd strings), are checked
against every shipped schema and every built-in flavor's config schema: when
:func:`surely_valid` says valid, jsonschema must find no error; and the
untouched documents must take the quick path.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import build_files  # noqa: E402
from gitstore import flavors  # noqa: E402
from gitstore.checks.fastschema import surely_valid  # noqa: E402
from gitstore.plumbing.layout import classify  # noqa: E402
from gitstore.plumbing.yamlio import read_document  # noqa: E402
from gitstore.resources import SCHEMA_OF_KIND, builtin_flavors, schema  # noqa: E402

ODD_VALUES: list[Any] = [None, True, False, 0, 1, -1, 1.0, 2.5, float("nan"), "", "x", "0755",
                         "a b", "ssh-rsa AAAA", "a@b", "-bad", {}, [], ["a", "a"], [1, 1.0],
                         {"k": None}, [True, 1]]


def documents() -> list[tuple[str, Any, dict[str, Any]]]:
    """(label, schema, data) for every file of a small generated repository and its config."""
    out = []
    gen = build_files(300, seed=3)
    for path, text in sorted(gen.files.items()):
        ref = classify(path)
        assert not isinstance(ref, Exception) and hasattr(ref, "kind")
        parsed = read_document(path, text.encode() if isinstance(text, str) else text)
        assert hasattr(parsed, "data"), parsed
        out.append((path, schema(SCHEMA_OF_KIND[ref.kind]), parsed.data))
        config = parsed.data.get("config")
        flavor = parsed.data.get("flavor")
        builtin = ref.kind == "component" and flavors.is_builtin(ref.type, flavor)
        if builtin and isinstance(config, dict):
            out.append((f"{path}#config", flavors.builtin_config_schema(ref.type, flavor), config))
        if ref.kind == "flavor":
            custom = parsed.data["config_schema"]
            out.append((f"{path}#schema", custom, {"endpoint": "https://x", "replicas": 2}))
    return out


def mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(sorted(value))
        choice = rng.random()
        if choice < 0.15:
            del value[key]
        elif choice < 0.3:
            value[key + rng.choice(["x", "_", ""])] = rng.choice(ODD_VALUES)
        else:
            value[key] = mutate(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        index = rng.randrange(len(value))
        if rng.random() < 0.3:
            value.append(value[index])
        else:
            value[index] = mutate(rng, value[index], depth + 1)
        return value
    return copy.deepcopy(rng.choice(ODD_VALUES))


_validators: dict[int, tuple[Any, Draft202012Validator]] = {}


def has_errors(schema_: Any, data: Any) -> bool:
    if id(schema_) not in _validators:
        _validators[id(schema_)] = (schema_, Draft202012Validator(schema_))
    return next(iter(_validators[id(schema_)][1].iter_errors(data)), None) is not None


def test_untouched_documents_take_the_quick_path() -> None:
    docs = documents()
    slow = [label for label, schema_, data in docs if not surely_valid(schema_, data)]
    assert all(label.startswith("roles/") for label in slow), slow  # oneOf: left to jsonschema
    assert len(docs) - len(slow) > 300


@pytest.mark.parametrize("seed", range(3))
def test_quick_valid_implies_jsonschema_valid(seed: int) -> None:
    rng = random.Random(seed)
    checked = quick = 0
    for label, schema_, data in documents():
        for _ in range(6):
            mutated = mutate(rng, copy.deepcopy(data))
            checked += 1
            if surely_valid(schema_, mutated):
                quick += 1
                assert not has_errors(schema_, mutated), (label, mutated)
            elif not isinstance(mutated, dict):
                assert has_errors(schema_, mutated) or not isinstance(schema_.get("type"), str)
    assert quick > checked // 10  # the property was exercised on valid mutations too


@pytest.mark.parametrize("kind", sorted(set(SCHEMA_OF_KIND.values()) - {"run"}))
def test_each_shipped_schema_agrees_on_odd_values(kind: str) -> None:
    shipped = schema(kind)
    for value in ODD_VALUES:
        if surely_valid(shipped, value):
            assert not has_errors(shipped, value)
    for type_, names in builtin_flavors().items():
        for flavor in names:
            config_schema = flavors.builtin_config_schema(type_, flavor)
            for field_name in config_schema["properties"]:
                for value in ODD_VALUES:
                    if surely_valid(config_schema, {field_name: value}):
                        assert not has_errors(config_schema, {field_name: value}), (flavor, value)
