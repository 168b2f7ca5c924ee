"""The one canonical style of an entity file, and the writer that produces it.

``gitstore fmt`` rewrites files into this style, and everything gitstore
writes (the library, ``import``, ``init``, ``mv``) goes through
:func:`canonical_text` or keeps a canonical file canonical, so ``fmt`` never
fights them. The style:

- keys in the order the kind's JSON Schema lists them (nested objects too,
  where the schema lists their keys); keys it does not know keep their order
  after the known ones; a component's ``config`` and a flavor's
  ``config_schema`` keep the author's order;
- two spaces per mapping level, sequence items indented two spaces under
  their key (``  - item``);
- strings unquoted unless YAML 1.2 needs quotes to read them back as the
  same string, or a YAML 1.1 reader (PyYAML, ZenML) would read something else
  (``on``, ``no``, ``2024-01-01``) (then double quotes); block scalars (``|``, ``>``) stay;
- ``null`` written out; flow or block style of each collection as written;
- comments kept where ruamel.yaml's round trip keeps them (with the key or
  item they follow).

Running it on its own output changes nothing.
"""

from __future__ import annotations

import io
import re
from functools import cache, lru_cache
from typing import Any

from gitstore.plumbing.layout import EntityRef, classify, is_layout_path
from gitstore.problems import Problem

_KEEP_ORDER = frozenset({"config", "config_schema"})


@cache
def _yaml() -> Any:
    """The round-trip YAML of the canonical style: the one writer factory, with ``null`` spelled out."""
    from gitstore.plumbing import yamlio

    base = yamlio.round_trip(indent=2, sequence=4, offset=2)

    class Representer(base.Representer):  # type: ignore[name-defined]
        pass

    Representer.add_representer(
        type(None), lambda rep, _v: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    base.Representer = Representer
    return base


def entity_of(path: str) -> EntityRef | None:
    """The entity a repository path holds, or None outside the layout."""
    if not is_layout_path(path):
        return None
    ref = classify(path)
    return None if isinstance(ref, Problem) else ref


def _schema_for(ref: EntityRef | None) -> dict[str, Any]:
    from gitstore.resources import SCHEMA_OF_KIND, schema

    if ref is None:
        return {}
    return schema(SCHEMA_OF_KIND[ref.kind])


def canonical_text(path: str, text: str) -> str:
    """``text`` of the file at ``path`` in the canonical style (ValueError if it is not YAML)."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    writer = _yaml()  # the round trip of the one writer factory (editing, not reading values)
    try:
        data = writer.load(text) if text.strip() else CommentedMap()
    except YAMLError as exc:
        raise ValueError(f"{path}: not YAML: {exc}") from exc
    if data is None:
        data = CommentedMap()
    root_schema = _schema_for(entity_of(path))
    _canonicalize(data, root_schema, root_schema, in_flow=False)
    out = io.StringIO()
    writer.dump(data, out)
    return _tidy(out.getvalue())


class CanonicalText(str):
    """Text already in the canonical style (made by :func:`dump_canonical`): writers that
    keep files canonical take it as it is, without reading it back."""


def dump_canonical(path: str, data: Any) -> CanonicalText:
    """Plain data (a new file's body) as the canonical text of the file at ``path``."""
    root_schema = _schema_for(entity_of(path))
    lines: list[str] = []
    if data and _plain_mapping(data, root_schema, root_schema, "", lines):
        return CanonicalText("\n".join(lines) + "\n")  # what the round trip would write
    return dump_round_trip(path, data)


def dump_round_trip(path: str, data: Any) -> CanonicalText:
    """:func:`dump_canonical` through the round trip, for any plain data."""
    from gitstore.store.writer import to_round_trip

    yaml = _yaml()
    out = io.StringIO()
    node = to_round_trip(data)
    root_schema = _schema_for(entity_of(path))
    _canonicalize(node, root_schema, root_schema, in_flow=False)
    yaml.dump(node, out)
    return CanonicalText(_tidy(out.getvalue()))


def _plain_mapping(node: Any, schema: dict[str, Any], root: dict[str, Any], pad: str,
                   lines: list[str]) -> bool:
    """Append the canonical lines of plain data made of names, numbers, booleans, nulls, lists
    of those and mappings of all these, as the round trip writes them; False (lines then
    unusable) for anything else, which goes through the round trip."""
    if not isinstance(node, dict):
        return False
    schema = _resolve(schema, root)
    props: dict[str, Any] = _dict(schema.get("properties"))
    extra = _dict(schema.get("additionalProperties"))
    keys = [k for k in props if k in node] + [k for k in node if k not in props]
    for key in keys:
        value = node[key]
        if not isinstance(key, str) or _plain_scalar(key) != key:
            return False
        if isinstance(value, dict):
            if not value:
                return False
            lines.append(f"{pad}{key}:")
            sub = {} if key in _KEEP_ORDER and props else (
                _dict(props.get(key)) if key in props else extra)
            if not _plain_mapping(value, sub, root, pad + "  ", lines):
                return False
        elif isinstance(value, (list, tuple)):
            if not value:
                return False
            lines.append(f"{pad}{key}:")
            for item in value:
                text = _plain_scalar(item)
                if text is None:
                    return False
                lines.append(f"{pad}  - {text}")
        else:
            text = _plain_scalar(value)
            if text is None:
                return False
            lines.append(f"{pad}{key}: {text}")
    return True


def _plain_scalar(value: Any) -> str | None:
    """A scalar as the canonical style writes it plain, or None when it is not that simple."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str and _SAFE_PLAIN.fullmatch(value) and not needs_quotes(value):
        return value
    return None


def _tidy(text: str) -> str:
    """One newline at the end (a moved key can drag the file's last newline along)."""
    return text.rstrip("\n") + "\n" if text.strip() else "{}\n"


def is_canonical(path: str, text: str) -> bool:
    try:
        return canonical_text(path, text) == text
    except ValueError:
        return False


def keep_canonical(path: str, before: str | None, after: str) -> str:
    """The text to write: canonical when the file is new or was canonical, else as edited."""
    if isinstance(after, CanonicalText):
        return str(after)
    if before is None or is_canonical(path, before):
        try:
            return canonical_text(path, after)
        except ValueError:
            return after
    return after


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}
    return schema


def _canonicalize(node: Any, schema: dict[str, Any], root: dict[str, Any], in_flow: bool) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    schema = _resolve(schema, root)
    if isinstance(node, CommentedMap):
        flow = in_flow or bool(node.fa.flow_style())
        props: dict[str, Any] = _dict(schema.get("properties"))
        _order_keys(node, list(props))
        extra = _dict(schema.get("additionalProperties"))
        for key in list(node.keys()):
            value = node[key]
            if isinstance(value, str):
                _set(node, key, _requote(value, flow))
            elif key in _KEEP_ORDER and props:
                _requote_all(value, flow)
            else:
                _canonicalize(value, _dict(props.get(key)) if key in props else extra, root, flow)
    elif isinstance(node, CommentedSeq):
        flow = in_flow or bool(node.fa.flow_style())
        items = _dict(schema.get("items"))
        for index, value in enumerate(node):
            if isinstance(value, str):
                _set(node, index, _requote(value, flow))
            else:
                _canonicalize(value, items, root, flow)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _set(node: Any, key: Any, value: Any) -> None:
    """Replace a scalar, style included (ruamel's own ``__setitem__`` keeps the old style)."""
    from ruamel.yaml.comments import CommentedMap

    if node[key] is value:
        return
    if isinstance(node, CommentedMap):
        super(CommentedMap, node).__setitem__(key, value)
    else:
        list.__setitem__(node, key, value)


def _requote_all(node: Any, in_flow: bool) -> None:
    """Quoting only, at any depth (for subtrees whose key order is the author's)."""
    _canonicalize(node, {}, {}, in_flow)


def _order_keys(node: Any, order: list[str]) -> None:
    known = [k for k in order if k in node]
    rest = [k for k in node if k not in order]
    if list(node.keys()) == known + rest:
        return
    for key in known + rest:
        node.move_to_end(key)


def _requote(value: str, in_flow: bool) -> Any:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        FoldedScalarString,
        LiteralScalarString,
    )

    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return value
    if needs_quotes(str(value), in_flow):
        return DoubleQuotedScalarString(str(value))
    return str(value)


# Characters that never need quotes in a plain scalar, in block or flow context
# (no spaces, `:`, `#`, `,`, brackets, quotes or indicators at the start).
_SAFE_PLAIN = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./@+=-]*")


@lru_cache(maxsize=8192)
def needs_quotes(value: str, in_flow: bool = False) -> bool:
    """True when ``value`` written plain would not read back as this string."""
    from gitstore.plumbing.yamlio import resolve_plain, yaml11_reads_otherwise

    if value == "" or resolve_plain(value) != value or not isinstance(resolve_plain(value), str):
        return True
    if yaml11_reads_otherwise(value):  # `on`, `no`, dates: the same value for YAML 1.1 readers too
        return True
    if _SAFE_PLAIN.fullmatch(value):  # names, ids, simple paths: plain, without asking the emitter
        return False
    from gitstore.plumbing.yamlio import round_trip

    probe = round_trip()
    probe.default_flow_style = in_flow
    out = io.StringIO()
    probe.dump([value] if in_flow else {"k": value}, out)
    return out.getvalue() != (f"[{value}]\n" if in_flow else f"k: {value}\n")
