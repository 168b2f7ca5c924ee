"""Strict, fast reading of configuration files, and the one writer.

Files are YAML 1.2 mappings read from the events of libyaml's parser (through
PyYAML's C binding, which is about twenty times faster than a round-trip
loader). Every read of a repository file goes through :func:`read_document`
(or :func:`load_mapping`), so validation, the library, run pinning, the hooks
and export see the same values. Writing, where comments must survive, uses
the ruamel.yaml instance :func:`round_trip` returns; it quotes every string
this reader would take for another type, so what is written reads back as it
was meant. (ZenML's own files and payloads, which ZenML reads with PyYAML,
are written and read with PyYAML in ``gitstore.migrate`` and the models.)
The reader builds plain data itself, so it can refuse what the format forbids
at the exact place it occurs: duplicate keys, anchors and aliases (a YAML bomb
is never expanded), tags (never constructed, never executed), more than one
document, non-string keys and very deep nesting. Plain scalars are resolved
with the YAML 1.2 core schema: ``yes``, ``no``, ``on`` and ``off`` are strings
and ``0755`` is the integer 755.

Every value's position is kept: ``positions[path] = (key_line, key_column,
value_line, value_column)``, 1-based, where ``path`` is the tuple of keys and
indices leading to the value and ``()`` is the document itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import yaml

from gitstore.problems import Problem

try:  # the C binding is what makes reading fast; fall back for odd builds
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment,unused-ignore]

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64

Position = tuple[int, int, int, int]
Positions = dict[tuple[Any, ...], Position]


class Parsed(NamedTuple):
    data: dict[str, Any]
    positions: Positions


_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_CONFLICT = re.compile(rb"^(<{7}|={7}|>{7}|\|{7})(?: |\r?$)", re.M)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INF = frozenset({".inf", ".Inf", ".INF"})
_NAN = frozenset({".nan", ".NaN", ".NAN"})
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:map": dict,
    "tag:yaml.org,2002:seq": list,
}


_YAML11 = yaml.resolver.Resolver()


def yaml11_reads_otherwise(text: str) -> bool:
    """Whether a YAML 1.1 reader (PyYAML, and so ZenML 0.10) would read this plain scalar
    as something other than a string: ``on``, ``no``, ``1_000``, ``1:30``, ``2024-01-01``.
    Writers quote such strings, so every reader of a written file sees the same value."""
    return _YAML11.resolve(yaml.ScalarNode, text, (True, False)) != "tag:yaml.org,2002:str"


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if first not in "0123456789+-.":
        return text
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    sign = -1.0 if text[0] == "-" else 1.0
    bare = text.lstrip("+-")
    if bare in _INF:
        return sign * float("inf")
    if text in _NAN:
        return float("nan")
    return text


class _Reject(Exception):
    def __init__(self, code: str, mark: Any, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.mark = mark
        self.message = message
        self.hint = hint


def read_document(path: str, raw: bytes) -> Parsed | Problem:
    """Parse one file's bytes into a mapping with positions, or say why not."""
    if len(raw) > MAX_BYTES:
        return Problem(path, None, None, "GS010",
                       f"file is larger than {MAX_BYTES:,} bytes, the most a configuration file may hold",
                       "keep large data out of the configuration repository")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        return Problem(path, line, col, "GS007",
                       f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                       "save the file as UTF-8")
    if b"=======" in raw or b"<<<<<<<" in raw or b">>>>>>>" in raw:
        found = _CONFLICT.search(raw)
        if found:
            line, _ = _line_col(raw, found.start())
            return Problem(path, line, 1, "GS008",
                           "merge-conflict marker: this file holds an unresolved merge conflict",
                           "resolve the conflict and remove the <<<<<<<, ======= and >>>>>>> lines")
    try:
        return _Builder(path, text).build()
    except _Reject as rej:
        return Problem(path, *_mark(rej.mark), rej.code, rej.message, rej.hint)
    except yaml.MarkedYAMLError as exc:
        return _syntax_problem(path, text, exc)
    except yaml.YAMLError as exc:  # reader errors carry no MarkedYAMLError base
        where = _mark(getattr(exc, "mark", None))
        if hasattr(exc, "position") and where[0] is None:
            where = _line_col(text.encode("utf-8"), int(exc.position))
        return Problem(path, *where, "GS001", str(getattr(exc, "reason", exc)) or "invalid YAML")


def _syntax_problem(path: str, text: str, exc: Any) -> Problem:
    """A libyaml syntax error as a located problem, with the words of a person."""
    mark = exc.problem_mark or exc.context_mark
    line, col = _mark(mark)
    problem = exc.problem or ""
    if "maximum nesting depth" in problem:
        return Problem(path, line, col, "GS009", f"nesting is deeper than {MAX_DEPTH} levels")
    message = problem or exc.context or "invalid YAML"
    start = exc.context_mark
    if exc.context and problem and start is not None and mark is not None and start.line != mark.line:
        message += f" ({exc.context} that starts at line {start.line + 1}, column {start.column + 1})"
    hint = None
    if mark is not None and text[mark.index:mark.index + 1] == "\t":
        message = "tab character: " + message
        hint = "YAML does not allow tabs for indentation; use spaces"
    return Problem(path, line, col, "GS001", message, hint)


def _shown_tag(tag: str) -> str:
    """A tag as it is written in a file: ``!!python/...`` rather than its full URI."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


def _mark(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[line_start:offset].decode("utf-8", "replace")) + 1


class _Builder:
    """Builds data and positions from libyaml events, refusing what the format forbids."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.events: Iterator[Any] = iter(yaml.parse(text, Loader=_Loader))
        self.positions: Positions = {}

    def build(self) -> Parsed | Problem:
        events = self.events
        next(events)  # StreamStart
        event = next(events)
        if isinstance(event, yaml.StreamEndEvent):
            return Problem(self.path, None, None, "GS006", "file is empty",
                           "a configuration file is a YAML mapping; write `{}` for one with no keys")
        # DocumentStart
        root_event = next(events)
        start = root_event.start_mark
        self.positions[()] = (1, 1, start.line + 1, start.column + 1)
        value = self._value(root_event, (), 0)
        next(events)  # DocumentEnd
        event = next(events)
        if not isinstance(event, yaml.StreamEndEvent):
            raise _Reject("GS005", event.start_mark, "more than one YAML document in this file",
                          "keep one entity per file and remove the `---` separator")
        if not isinstance(value, dict):
            line, col = self.positions[()][2:]
            kind = "empty" if value is None else type(value).__name__
            what = {"list": "a list", "str": "a string", "int": "a number", "float": "a number",
                    "bool": "a boolean", "empty": "empty"}.get(kind, kind)
            return Problem(self.path, line, col, "GS006", f"file must be a YAML mapping, not {what}",
                           "write `key: value` pairs" if value is not None else
                           "a configuration file is a YAML mapping; write `{}` for one with no keys")
        return Parsed(value, self.positions)

    def _check_node(self, event: Any) -> None:
        if event.anchor is not None:
            raise _Reject("GS003", event.start_mark, f"anchor `&{event.anchor}` is not allowed",
                          "write the value out in full; anchors and aliases are not part of the format")
        tag = event.tag
        if tag is not None and tag not in _PLAIN_TAGS and tag != "!":
            raise _Reject("GS004", event.start_mark, f"tag `{_shown_tag(tag)}` is not allowed",
                          "tags are never constructed or executed; write a plain value")

    def _value(self, event: Any, path: tuple[Any, ...], depth: int) -> Any:
        if isinstance(event, yaml.ScalarEvent):
            self._check_node(event)
            if event.tag is None and event.implicit[0]:
                return resolve_plain(event.value)
            return event.value
        if isinstance(event, yaml.AliasEvent):
            raise _Reject("GS003", event.start_mark, f"alias `*{event.anchor}` is not allowed",
                          "write the value out in full; anchors and aliases are not part of the format")
        self._check_node(event)
        if depth >= MAX_DEPTH:
            raise _Reject("GS009", event.start_mark, f"nesting is deeper than {MAX_DEPTH} levels")
        if isinstance(event, yaml.MappingStartEvent):
            return self._mapping(path, depth)
        return self._sequence(path, depth)

    def _mapping(self, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        events = self.events
        positions = self.positions
        while True:
            key_event = next(events)
            if isinstance(key_event, yaml.MappingEndEvent):
                return result
            if not isinstance(key_event, yaml.ScalarEvent):
                if isinstance(key_event, yaml.AliasEvent):
                    self._value(key_event, path, depth)
                hint = None
                if isinstance(key_event, yaml.MappingStartEvent) and key_event.flow_style:
                    hint = 'a secret reference must be quoted: "{{ <secret>.<key> }}"'
                raise _Reject("GS001", key_event.start_mark, "mapping keys must be plain strings", hint)
            self._check_node(key_event)
            key = key_event.value
            if key_event.implicit[0] and not isinstance(resolve_plain(key), str):
                raise _Reject("GS001", key_event.start_mark,
                              f"mapping key `{key or 'null'}` is not a string",
                              f'quote it: "{key}"')
            key_mark: Any = key_event.start_mark
            child = (*path, key)
            if key in result:
                first = positions[child]
                raise _Reject("GS002", key_mark, f"duplicate key `{key}` (first defined at line {first[0]})",
                              "each key may appear once in a mapping")
            value_event = next(events)
            vmark = value_event.start_mark
            positions[child] = (key_mark.line + 1, key_mark.column + 1, vmark.line + 1, vmark.column + 1)
            result[key] = self._value(value_event, child, depth + 1)

    def _sequence(self, path: tuple[Any, ...], depth: int) -> list[Any]:
        result: list[Any] = []
        events = self.events
        while True:
            event = next(events)
            if isinstance(event, yaml.SequenceEndEvent):
                return result
            child = (*path, len(result))
            mark = event.start_mark
            self.positions[child] = (mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1)
            result.append(self._value(event, child, depth + 1))


def load_mapping(raw: bytes | None, path: str = "") -> dict[str, Any] | None:
    """The mapping a repository file holds, read exactly as validation reads it; ``None``
    for no file or one that is not a valid configuration mapping (validation says why)."""
    if raw is None:
        return None
    parsed = read_document(path, raw)
    return parsed.data if isinstance(parsed, Parsed) else None


_WIDTH = 4096  # never re-wrap long lines


def round_trip(indent: int = 2, sequence: int = 4, offset: int = 2) -> Any:
    """The ruamel.yaml round-trip instance every writer uses: YAML 1.2, comments, key order
    and quoting kept, long lines never re-wrapped, no anchors, and every string the reader
    would take for another type (``0o17``, ``1e3``, ``true``, ``null``) quoted, and so is every
    string a YAML 1.1 reader would (``on``, ``no``, ``2024-01-01``)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.Representer = _representer()
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=indent, sequence=sequence, offset=offset)
    return yaml


_REPRESENTER: list[Any] = []


def _representer() -> Any:
    if _REPRESENTER:
        return _REPRESENTER[0]
    from ruamel.yaml.representer import RoundTripRepresenter

    class Representer(RoundTripRepresenter):
        def ignore_aliases(self, data: Any) -> bool:
            return True

        def represent_str(self, data: str) -> Any:
            style = "'" if must_quote(data) else None
            return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Representer.add_representer(str, Representer.represent_str)
    _REPRESENTER.append(Representer)
    return Representer


def must_quote(text: str) -> bool:
    """Whether a string must be quoted so that every reader reads it back as this string:
    the strict YAML 1.2 reader (``0o17``, ``1e3``, ``null``) and YAML 1.1 ones (``on``)."""
    return resolve_plain(text) != text or yaml11_reads_otherwise(text)


_PLAIN_DUMPER: list[Any] = []


def dump_plain(data: Any) -> str:
    """Plain data (mappings, lists, strings, numbers, booleans, null) as block YAML, with
    the same quoting rule as :func:`round_trip` (:func:`must_quote`), through libyaml's C
    emitter where PyYAML has it: machine-written files with no comments to keep (run
    records) are written about twenty times faster than through the round trip."""
    if not _PLAIN_DUMPER:
        base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

        class Dumper(base):  # type: ignore[misc, valid-type]
            def ignore_aliases(self, data: Any) -> bool:
                return True

        def represent_str(dumper: Any, value: str) -> Any:
            return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                           style="'" if must_quote(value) else None)

        Dumper.add_representer(str, represent_str)
        _PLAIN_DUMPER.append(Dumper)
    return yaml.dump(data, Dumper=_PLAIN_DUMPER[0], sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=_WIDTH)


def dump_text(data: Any, indent: int = 2, sequence: int = 4, offset: int = 2) -> str:
    """``data`` (plain or round-trip nodes) as YAML text from :func:`round_trip`."""
    import io

    out = io.StringIO()
    round_trip(indent, sequence, offset).dump(data, out)
    return out.getvalue()


def locate(positions: Positions, path: tuple[Any, ...], key: bool = False) -> tuple[int, int]:
    """The position of ``path`` (its key with ``key=True``), or of its nearest ancestor."""
    probe = tuple(path)
    while probe not in positions and probe:
        probe = probe[:-1]
    pos = positions.get(probe, (1, 1, 1, 1))
    return (pos[0], pos[1]) if key else (pos[2], pos[3])
