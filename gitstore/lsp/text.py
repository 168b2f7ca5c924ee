"""Where the cursor is in a YAML file, read from the lines themselves.

The parser's positions answer for a file that parses; while someone types, the
file often does not, so completion reads the cursor's place from indentation:
the keys leading to it, whether a key or a value is being written there, and
the word typed so far. Positions here are 0-based lines and characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ITEM = re.compile(r"^(\s*)(-\s+)?")
_KEY_VALUE = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|[^\s:#"'\[\]{},][^:#]*?)\s*:(?:\s+(?P<value>.*))?$""")
_STOP = set(",]}#")


@dataclass(frozen=True)
class Slot:
    """The place being written: ``path`` leads to it (a key's path, or the mapping's whose key
    is being written when ``is_key``); ``prefix`` is what is typed of the word, which starts
    at character ``start``."""

    path: tuple[Any, ...]
    is_key: bool
    prefix: str
    start: int


def token_span(line: str, start: int) -> tuple[int, int, str]:
    """The scalar written at ``start`` of ``line``: (start, end, text) of its inside (without
    quotes)."""
    if start < len(line) and line[start] in "\"'":
        quote = line[start]
        end = line.find(quote, start + 1)
        end = len(line) if end < 0 else end
        return start + 1, end, line[start + 1:end]
    end = start
    while end < len(line) and line[end] not in _STOP and not line.startswith(": ", end):
        if line[end] == ":" and end + 1 == len(line):
            break
        end += 1
    text = line[start:end].rstrip()
    return start, start + len(text), text


def _indent(line: str) -> tuple[int, bool]:
    """Where the content of ``line`` starts (after any ``- ``), and whether it is a list item."""
    match = _ITEM.match(line)
    assert match is not None
    return match.end(), bool(match.group(2))


def _meaningful(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def slot_at(lines: list[str], line: int, character: int) -> Slot:
    """The slot at the cursor, from the text alone."""
    current = lines[line][:character] if line < len(lines) else ""
    own = len(current) - len(current.lstrip())
    content_at, is_item = _indent(current)
    rest = current[content_at:]
    if is_item:
        container: tuple[Any, ...] = (*_container(lines, line, own, True), 0)
    else:
        container = _container(lines, line, content_at, False)
    pair = _KEY_VALUE.match(rest) if ":" in rest else None
    if pair is not None and pair.group("value") is not None:
        return _value_slot((*container, _unquote(pair.group("key"))), pair.group("value"), character)
    if is_item:
        return _value_slot(container, rest, character)
    word = re.search(r"[^\s{,]*$", rest)
    prefix = word.group(0) if word else ""
    return Slot(container, True, prefix, character - len(prefix))


def _unquote(key: str) -> str:
    return key.strip().strip("\"'")


def _value_slot(path: tuple[Any, ...], value: str, character: int) -> Slot:
    if value.lstrip().startswith("["):
        tail = re.split(r"[\[,]", value)[-1]
        typed = tail.lstrip().lstrip("\"'")
        return Slot((*path, 0), False, typed.strip(), character - len(typed))
    typed = value.lstrip().lstrip("\"'")
    return Slot(path, False, typed.strip(), character - len(typed))


def _key_of(text: str) -> str | None:
    """The key of a line that opens a collection (``key:`` with nothing after it)."""
    match = _KEY_VALUE.match(text.rstrip())
    if match is None or (match.group("value") or "").strip() not in ("", "|", ">"):
        return None
    return _unquote(match.group("key"))


def _container(lines: list[str], line: int, col: int, is_item: bool) -> tuple[Any, ...]:
    """The path of the collection holding what line ``line`` writes at column ``col``: a list
    item whose dash is there (``is_item``), or a mapping key that starts there."""
    for number in range(line - 1, -1, -1):
        text = lines[number]
        if not _meaningful(text):
            continue
        own = len(text) - len(text.lstrip())
        content_at, item = _indent(text)
        if is_item:
            if own > col or (own == col and item):
                continue  # deeper lines, or an earlier item of the same list
        else:
            if item and content_at == col and own < col:  # a key of this item's mapping
                return (*_container(lines, number, own, True), 0)
            if own >= col:
                continue  # deeper lines, or an earlier key of the same mapping
        key = _key_of(text[content_at:])
        if key is None:
            return ()
        if item:
            return (*_container(lines, number, own, True), 0, key)
        return (*_container(lines, number, content_at, False), key)
    return ()
