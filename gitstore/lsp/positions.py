"""Columns as the client counts them.

Inside the server a character offset counts code points (Python's ``str``
indices, and the columns ``gitstore validate`` reports). LSP counts UTF-16 code
units unless client and server agree on UTF-8 or UTF-32 at ``initialize``
(``general.positionEncodings``; pygls picks the client's first choice it
supports and announces it as ``positionEncoding``). A character outside the
Basic Multilingual Plane (most emoji) is one code point but two UTF-16 units and
four UTF-8 units. :class:`Codec` converts one line's offsets both ways, and
:func:`outward` converts every range of a result about to be sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from lsprotocol import types as lsp

Lines = Callable[[str], list[str]]  # document uri -> its lines, as the server holds them


def _utf16(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _utf8(char: str) -> int:
    return len(char.encode("utf-8", "surrogatepass"))


def _utf32(char: str) -> int:
    return 1


_UNITS: dict[str, Callable[[str], int]] = {
    lsp.PositionEncodingKind.Utf16.value: _utf16,
    lsp.PositionEncodingKind.Utf8.value: _utf8,
    lsp.PositionEncodingKind.Utf32.value: _utf32,
}


class Codec:
    """Character offsets of one negotiated encoding, to and from code points."""

    def __init__(self, encoding: lsp.PositionEncodingKind | str | None) -> None:
        self.negotiated = encoding
        self.encoding = str(getattr(encoding, "value", encoding) or lsp.PositionEncodingKind.Utf16.value)
        self._units = _UNITS.get(self.encoding, _utf16)
        self.identity = self._units is _utf32

    def to_client(self, line: str, character: int) -> int:
        """The client's offset of code point ``character`` of ``line`` (past its end: counted on
        as if the line went on in ASCII)."""
        head = line[:character]
        if self.identity or head.isascii():
            return character
        return sum(map(self._units, head)) + max(0, character - len(line))

    def from_client(self, line: str, units: int) -> int:
        """The code point at the client's offset ``units`` of ``line``; an offset inside a
        character (half a surrogate pair) stands for the character's end."""
        if self.identity or line.isascii():
            return units
        counted = 0
        for index, char in enumerate(line):
            if counted >= units:
                return index
            counted += self._units(char)
        return len(line) + max(0, units - counted)

    def position_to_client(self, lines: list[str], position: lsp.Position) -> lsp.Position:
        text = lines[position.line] if 0 <= position.line < len(lines) else ""
        return lsp.Position(position.line, self.to_client(text, position.character))

    def position_from_client(self, lines: list[str], position: lsp.Position) -> lsp.Position:
        text = lines[position.line] if 0 <= position.line < len(lines) else ""
        return lsp.Position(position.line, self.from_client(text, position.character))

    def range_to_client(self, lines: list[str], rng: lsp.Range) -> lsp.Range:
        return lsp.Range(self.position_to_client(lines, rng.start),
                         self.position_to_client(lines, rng.end))

    def range_from_client(self, lines: list[str], rng: lsp.Range) -> lsp.Range:
        return lsp.Range(self.position_from_client(lines, rng.start),
                         self.position_from_client(lines, rng.end))


def outward(result: Any, codec: Codec, lines: Lines, uri: str | None = None) -> Any:
    """``result`` (an lsprotocol object, or a list of them) with every range converted from code
    points to the client's units, each by the lines of the document it lies in: a location's or
    an edited document's own uri, else ``uri`` (the document the request was about). Ranges are
    replaced, never changed in place, so a range shared between results is never converted
    twice."""
    if not codec.identity and result is not None:
        memo: dict[str, list[str]] = {}

        def remembered(doc_uri: str) -> list[str]:
            if doc_uri not in memo:
                memo[doc_uri] = lines(doc_uri)
            return memo[doc_uri]

        _walk(result, codec, remembered, uri)
    return result


def _walk(node: Any, codec: Codec, lines: Lines, uri: str | None) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, lsp.Range):
                node[index] = _convert(item, codec, lines, uri)
            else:
                _walk(item, codec, lines, uri)
        return
    if isinstance(node, dict):  # WorkspaceEdit.changes: uri -> edits
        for key, value in node.items():
            _walk(value, codec, lines, key if isinstance(key, str) and ":" in key else uri)
        return
    if not attrs.has(type(node)):
        return
    own = getattr(node, "uri", None)
    if isinstance(node, lsp.TextDocumentEdit):
        own = node.text_document.uri
    here = own if isinstance(own, str) else uri
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, lsp.Range):
            setattr(node, field.name, _convert(value, codec, lines, here))
        elif isinstance(value, (list, dict)) or attrs.has(type(value)):
            _walk(value, codec, lines, here)


def _convert(rng: lsp.Range, codec: Codec, lines: Lines, uri: str | None) -> lsp.Range:
    return codec.range_to_client(lines(uri), rng) if uri is not None else rng
