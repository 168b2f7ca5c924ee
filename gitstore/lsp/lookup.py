"""What is at a position of a file: a reference, a config key, or just the file's own entity.

Answers come from the parsed document and the reference walker
(:mod:`gitstore.references`); for a file that does not parse right now, the
reference is read from the line and the slot it sits in, through the same
:func:`~gitstore.references.target_at`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gitstore.lsp.model import Model
from gitstore.lsp.text import slot_at, token_span
from gitstore.plumbing.layout import EntityRef
from gitstore.references import target_at

_NAME_CHARS = re.compile(r"[A-Za-z0-9._-]")


@dataclass(frozen=True)
class Hit:
    """What the cursor is on. ``target`` is set for a reference (and its text spans
    ``line``/``start``..``end``); ``config_key`` for a key of a component's config."""

    source: EntityRef
    target: EntityRef | None = None
    line: int = 0
    start: int = 0
    end: int = 0
    config_key: str | None = None


def lines_of(model: Model, path: str) -> list[str]:
    raw = model.text(path)
    return raw.decode("utf-8", "replace").split("\n") if raw is not None else []


def hit_at(model: Model, path: str, line: int, character: int) -> Hit | None:
    """The hit at a 0-based position of ``path``, or None outside the layout."""
    source = model.ref_of(path)
    if source is None:
        return None
    lines = lines_of(model, path)
    doc = model.document(path)
    if doc is not None:
        for ref in model.index.held_by(source):
            if ref.line - 1 != line or ref.line - 1 >= len(lines):
                continue
            start, end, _ = token_span(lines[ref.line - 1], ref.column - 1)
            if start - 1 <= character <= end + 1:
                return Hit(source, ref.target, line, start, end)
        key = _config_key_at(doc.positions, line, character)
        if key is not None:
            return Hit(source, config_key=key)
        return Hit(source)
    return _hit_from_text(source, lines, line, character)


def _config_key_at(positions: dict[tuple[Any, ...], Any], line: int, character: int) -> str | None:
    for key_path, pos in positions.items():
        if len(key_path) == 2 and key_path[0] == "config" and isinstance(key_path[1], str):
            if pos[0] - 1 == line and pos[1] - 1 <= character <= pos[1] - 1 + len(key_path[1]):
                return key_path[1]
    return None


def _hit_from_text(source: EntityRef, lines: list[str], line: int, character: int) -> Hit:
    if line >= len(lines):
        return Hit(source)
    text = lines[line]
    start = character
    while start > 0 and _NAME_CHARS.match(text[start - 1]):
        start -= 1
    end = character
    while end < len(text) and _NAME_CHARS.match(text[end]):
        end += 1
    name = text[start:end]
    if not name:
        return Hit(source)
    slot = slot_at(lines, line, end)
    target = None if slot.is_key else target_at(source, slot.path, name)
    if target is None:
        if slot.is_key and slot.path == ("config",):
            return Hit(source, config_key=name)
        return Hit(source)
    return Hit(source, target, line, start, end)
