"""Round-trip editing of entity files: comments, key order and quoting survive.

A file is loaded with ruamel.yaml's round-trip loader, changed in place by
the smallest edits that reach the wanted data (a value equal to the one on
disk keeps its node, so its comment and quoting stay), and dumped with the
indentation the file already uses. The diff of a write shows the lines that
changed and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gitstore.plumbing import yamlio

Edit = Callable[[Any], None]  # changes a loaded round-trip mapping in place

def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes them."""
    lines = text.splitlines()
    mapping = 2
    for prev, line in zip(lines, lines[1:], strict=False):
        stripped = prev.rstrip()
        if stripped.endswith(":") and not prev.lstrip().startswith(("#", "-")):
            base = len(prev) - len(prev.lstrip())
            inner = len(line) - len(line.lstrip())
            if line.strip() and not line.lstrip().startswith(("-", "#")) and inner > base:
                mapping = inner - base
                break
    for prev, line in zip(lines, lines[1:], strict=False):
        if prev.rstrip().endswith(":") and line.lstrip().startswith("- "):
            base = len(prev) - len(prev.lstrip())
            offset = len(line) - len(line.lstrip()) - base
            return mapping, max(offset + 2, 2), max(offset, 0)
    return mapping, mapping + 2, mapping


def dump(data: Any, like: str = "") -> str:
    indent, sequence, offset = _guess_indent(like) if like else (2, 4, 2)
    return yamlio.dump_text(data, indent, sequence, offset)


def load(text: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    data = yamlio.round_trip().load(text) if text.strip() else None
    return data if isinstance(data, CommentedMap) else CommentedMap()


def edit(text: str, *edits: Edit) -> str:
    """``text`` with the edits applied; unchanged when they change nothing."""
    data = load(text)
    before = dump(data, like=text)
    for change in edits:
        change(data)
    after = dump(data, like=text)
    return text if after == before else after


def new_file(path: str, data: Mapping[str, Any]) -> str:
    """The text of the new entity file at ``path``, in the canonical style (``gitstore fmt``)."""
    from gitstore.canonical import dump_canonical

    return dump_canonical(path, data)


def to_round_trip(value: Any) -> Any:
    """Plain data as ruamel.yaml nodes (mappings keep their order, block style)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = to_round_trip(item)
        return node
    if isinstance(value, (list, tuple)):
        return CommentedSeq(to_round_trip(item) for item in value)
    return value


def merge_into(node: Any, wanted: Mapping[str, Any]) -> None:
    """Make mapping ``node`` equal ``wanted`` with the fewest changes (recursively)."""
    for key in [k for k in node if k not in wanted]:
        del node[key]
    for key, value in wanted.items():
        current = node.get(key) if key in node else _MISSING
        if current is _MISSING:
            node[key] = to_round_trip(value)
        elif isinstance(value, Mapping) and isinstance(current, Mapping):
            merge_into(current, value)
        elif isinstance(value, (list, tuple)) and isinstance(current, list):
            merge_sequence(current, value)
        elif not _same(current, value):
            node[key] = to_round_trip(value)


def merge_sequence(node: list[Any], wanted: list[Any] | tuple[Any, ...]) -> None:
    """Make sequence ``node`` equal ``wanted``, keeping the items (and comments) that stay."""
    from difflib import SequenceMatcher

    keys_now = [_key(item) for item in node]
    keys_wanted = [_key(item) for item in wanted]
    opcodes = SequenceMatcher(a=keys_now, b=keys_wanted, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(opcodes):
        if tag == "equal":
            continue
        del node[i1:i2]
        for offset, item in enumerate(wanted[j1:j2]):
            node.insert(i1 + offset, to_round_trip(item))


def _key(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_key(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_key(v) for v in value) + "]"
    return repr(plain(value))


def _same(current: Any, value: Any) -> bool:
    if isinstance(current, (list, tuple)) and isinstance(value, (list, tuple)):
        pairs = zip(current, value, strict=False)
        return len(current) == len(value) and all(_same(a, b) for a, b in pairs)
    if isinstance(current, Mapping) and isinstance(value, Mapping):
        return current.keys() == value.keys() and all(_same(current[k], value[k]) for k in value)
    if isinstance(current, bool) or isinstance(value, bool):
        return current is value or (
            isinstance(current, bool) and isinstance(value, bool) and bool(current) == bool(value)
        )
    return type(plain(current)) is type(plain(value)) and plain(current) == plain(value)


def plain(value: Any) -> Any:
    """A round-trip scalar as the plain Python value it stands for."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


class _Missing:
    pass


_MISSING = _Missing()


def set_key(key: str, value: Any) -> Edit:
    def change(data: Any) -> None:
        if key in data and _same(data[key], value):
            return
        if isinstance(value, Mapping) and isinstance(data.get(key), Mapping):
            merge_into(data[key], value)
        elif isinstance(value, (list, tuple)) and isinstance(data.get(key), list):
            merge_sequence(data[key], value)
        else:
            data[key] = to_round_trip(value)

    return change


def drop_key(key: str) -> Edit:
    def change(data: Any) -> None:
        if key in data:
            del data[key]

    return change


def keep_only(keys: Mapping[str, Any]) -> Edit:
    """Make the whole mapping equal ``keys`` (used to rewrite an entity's body)."""

    def change(data: Any) -> None:
        merge_into(data, keys)

    return change


def edit_list(key: str, change: Callable[[list[Any]], list[Any]]) -> Edit:
    """Replace the list under ``key`` by ``change(list)``, keeping the items that stay."""

    def apply(data: Any) -> None:
        current = [plain(v) if not isinstance(v, dict) else dict(v) for v in data.get(key) or []]
        wanted = change(current)
        if key in data:
            merge_sequence(data[key], wanted)
        else:
            data[key] = to_round_trip(wanted)

    return apply
