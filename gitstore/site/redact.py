"""Component configs as the site may show them: secret references as references, and no
plain-text secret value, even where the repository (wrongly) holds one.

Which fields carry secrets is what validation knows
(:func:`gitstore.checks.integrity.secret_keys` and ``looks_secret``): a
flavor's secret fields, and any key whose name suggests a secret. A plain
value there is withheld; so is anything that problem messages quote of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitstore.checks.integrity import looks_secret, secret_keys
from gitstore.flavors import is_secret_reference
from gitstore.plumbing.snapshot import Snapshot
from gitstore.problems import Problem


@dataclass(frozen=True)
class SecretRef:
    """A ``{{ <secret>.<key> }}`` reference, shown as such."""

    text: str


@dataclass(frozen=True)
class Withheld:
    """A plain value in a secret field: never shown."""


WITHHELD = Withheld()


def _plain(value: Any) -> bool:
    return value is not None and value != "" and not is_secret_reference(value)


def clean_config(snap: Snapshot, type_: str | None, flavor: Any, config: Any
                 ) -> tuple[Any, list[str]]:
    """``config`` with secret references marked and plain secrets withheld, and the text of
    every withheld value (to keep it out of problem messages too)."""
    secret: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    if isinstance(type_, str) and isinstance(flavor, str):
        secret, declared = secret_keys(snap, type_, flavor)
    withheld: list[str] = []
    if not isinstance(config, dict):
        return _clean(config, False, withheld), withheld
    cleaned = {}
    for key, value in config.items():
        hidden = key in secret or (key not in declared and looks_secret(key))
        cleaned[key] = _clean(value, hidden, withheld)
    return cleaned, withheld


def _clean(value: Any, hidden: bool, withheld: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v, hidden or looks_secret(k), withheld) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, hidden, withheld) for v in value]
    if is_secret_reference(value):
        return SecretRef(str(value).strip())
    if hidden and _plain(value):
        withheld.append(str(value))
        return WITHHELD
    return value


def scrub(problem: Problem, withheld: list[str]) -> Problem:
    """``problem`` with any withheld value it quotes taken out of its message and hint."""
    message: str = problem.message
    hint = problem.hint
    for value in withheld:
        message, hint = _without(message, value) or "", _without(hint, value)
    if (message, hint) == (problem.message, problem.hint):
        return problem
    return Problem(problem.path, problem.line, problem.column, problem.code, message, hint)


def _without(text: str | None, value: str) -> str | None:
    if text is None or value not in text:
        return text
    if len(value) >= 4:
        return text.replace(value, "••••")
    return "(not shown: the message quotes a secret value)"
