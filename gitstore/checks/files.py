"""Checks of one file on its own: parsing, its kind's schema, its flavor's fields.

Everything here depends only on a file's path and bytes, so results can be
kept by git object id and reused until either changes.
"""

from __future__ import annotations

from typing import Any

from gitstore import flavors
from gitstore.checks.schema import make_validator, schema_problems, validator_for_kind
from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.yamlio import Parsed, Positions, read_document
from gitstore.problems import Problem

_builtin_validators: dict[tuple[str, str], Any] = {}


def check_file(ref: EntityRef, path: str, raw: bytes) -> tuple[list[Problem], Parsed | None]:
    """Problems of one file, and its parsed contents when it could be read."""
    parsed = read_document(path, raw)
    if isinstance(parsed, Problem):
        return [parsed], None
    problems = schema_problems(validator_for_kind(ref.kind), parsed.data, parsed.positions, path)
    if ref.kind == "component":
        problems.extend(_builtin_config_problems(ref, path, parsed.data, parsed.positions))
    return problems, parsed


def _builtin_config_problems(ref: EntityRef, path: str, data: dict[str, Any],
                             positions: Positions) -> list[Problem]:
    flavor = data.get("flavor")
    config = data.get("config", {})
    if not isinstance(flavor, str) or not isinstance(config, dict):
        return []
    assert ref.type is not None
    if not flavors.is_builtin(ref.type, flavor):
        return []
    key = (ref.type, flavor)
    validator = _builtin_validators.get(key)
    if validator is None:
        validator = make_validator(flavors.builtin_config_schema(ref.type, flavor))
        _builtin_validators[key] = validator
    return config_problems(validator, config, positions, path, f"`{flavor}` {ref.type}")


def config_problems(validator: Any, config: dict[str, Any], positions: Positions, path: str,
                    subject: str) -> list[Problem]:
    """A component config checked against its flavor's config schema (rule GS202)."""
    problems = schema_problems(validator, config, positions, path, base=("config",), code="GS202",
                               subject="config")
    return [
        Problem(p.path, p.line, p.column, p.code, f"{p.message} for the {subject} flavor", p.hint)
        if p.message.startswith("unknown config key") else p
        for p in problems
    ]
