"""Which entity names which: the references held in entity files.

One place knows where references live in each kind of file (a stack's
components, a component's flavor, a team's members, a role's assignees and
projects, ``default_stack``). Integrity checks, renames, the language server,
the catalog site and ``show`` all ask this module rather than walking
documents themselves, so they agree on what refers to what.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from gitstore.plumbing.layout import COMPONENT_TYPES, EntityRef
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.snapshot import Document
from gitstore.plumbing.yamlio import locate

KeyPath = tuple[Any, ...]


class Reference(NamedTuple):
    """``source`` (the file at ``path``) names ``target`` at ``key`` (line/column of the value)."""

    source: EntityRef
    path: str
    key: KeyPath
    target: EntityRef
    line: int
    column: int


def references(doc: Document) -> Iterator[Reference]:
    """Every reference one document holds, in file order of its kind's fields."""
    for key, target in _targets(doc.ref, doc.data):
        line, column = locate(doc.positions, key)
        yield Reference(doc.ref, doc.path, key, target, line, column)


def _targets(ref: EntityRef, data: dict[str, Any]) -> Iterator[tuple[KeyPath, EntityRef]]:
    kind = ref.kind
    if kind == "settings":
        default = Settings.of(data).default_stack
        if default is not None:
            yield ("default_stack",), EntityRef("stack", None, default)
    elif kind == "component":
        flavor = data.get("flavor")
        if isinstance(flavor, str):
            yield ("flavor",), EntityRef("flavor", ref.type, flavor)
    elif kind == "stack":
        components = data.get("components")
        if isinstance(components, dict):
            for type_, name in components.items():
                if type_ in COMPONENT_TYPES and isinstance(name, str):
                    yield ("components", type_), EntityRef("component", type_, name)
    elif kind == "team":
        members = data.get("members")
        if isinstance(members, list):
            for index, member in enumerate(members):
                if isinstance(member, str):
                    yield ("members", index), EntityRef("user", None, member)
    elif kind == "role":
        assignments = data.get("assignments")
        if isinstance(assignments, list):
            for index, item in enumerate(assignments):
                if not isinstance(item, dict):
                    continue
                for target_kind in ("user", "team", "project"):
                    name = item.get(target_kind)
                    if isinstance(name, str):
                        yield ("assignments", index, target_kind), EntityRef(target_kind, None, name)


class ReferenceIndex:
    """References of many documents, looked up by target (``referrers``) or by source."""

    def __init__(self, documents: Iterable[Document] = ()) -> None:
        self._by_source: dict[EntityRef, list[Reference]] = {}
        self._by_target: dict[EntityRef, dict[EntityRef, list[Reference]]] = defaultdict(dict)
        for doc in documents:
            self.update(doc)

    def update(self, doc: Document) -> None:
        """(Re)index one document."""
        self.remove(doc.ref)
        refs = list(references(doc))
        self._by_source[doc.ref] = refs
        for ref in refs:
            self._by_target[ref.target].setdefault(doc.ref, []).append(ref)

    def remove(self, source: EntityRef) -> None:
        for ref in self._by_source.pop(source, ()):
            holders = self._by_target.get(ref.target)
            if holders is not None:
                holders.pop(source, None)
                if not holders:
                    del self._by_target[ref.target]

    def referrers(self, target: EntityRef) -> list[Reference]:
        """Every reference to ``target``, ordered by file path then position."""
        found = [ref for refs in self._by_target.get(target, {}).values() for ref in refs]
        return sorted(found, key=lambda r: (r.path, r.line, r.column))

    def held_by(self, source: EntityRef) -> list[Reference]:
        """The references ``source``'s file holds."""
        return list(self._by_source.get(source, ()))
