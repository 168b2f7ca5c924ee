"""Which entity names which: the references held in entity files.

One place knows where references live in each kind of file (a stack's
components, a component's flavor, a team's members, a role's assignees and
projects, ``default_stack``). Integrity checks, renames, the language server,
the catalog site and ``show`` all ask this module rather than walking
documents themselves, so they agree on what refers to what. The walks of a
role's assignments and a team's members that the trust model and the diff
resolve to people are here too.
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

# kind -> the kinds whose files may name an entity of it (the slots below, by kind)
REFERRING_KINDS: dict[str, frozenset[str]] = {
    "component": frozenset({"stack"}), "flavor": frozenset({"component"}),
    "user": frozenset({"team", "role"}), "team": frozenset({"role"}), "project": frozenset({"role"}),
    "stack": frozenset({"settings"}), "role": frozenset()}


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
    for key, value in _slots(ref.kind, data):
        if isinstance(value, str):
            target = target_at(ref, key, value)
            if target is not None:
                yield key, target


def _slots(kind: str, data: dict[str, Any]) -> Iterator[tuple[KeyPath, Any]]:
    """The places in a file of ``kind`` that may hold a reference, with what they hold."""
    if kind == "settings":
        yield ("default_stack",), Settings.of(data).default_stack
    elif kind == "component":
        yield ("flavor",), data.get("flavor")
    elif kind == "stack":
        components = data.get("components")
        if isinstance(components, dict):
            for type_, name in components.items():
                yield ("components", type_), name
    elif kind == "team":
        members = data.get("members")
        if isinstance(members, list):
            for index, member in enumerate(members):
                yield ("members", index), member
    elif kind == "role":
        for index, item in role_assignments(data):
            for target_kind in ("user", "team", "project"):
                if target_kind in item:
                    yield ("assignments", index, target_kind), item[target_kind]


def role_assignments(data: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The entries of a role's ``assignments`` that are mappings, with their index: the one
    walk of role assignments (checks, the trust model, the diff, the store read them here)."""
    assignments = data.get("assignments")
    if isinstance(assignments, list):
        for index, item in enumerate(assignments):
            if isinstance(item, dict):
                yield index, item


def team_members(teams: Iterable[Document]) -> dict[str, list[str]]:
    """Team name -> the names its ``members`` list holds (a team whose ``members`` is not a
    list is left out; an entry that is not a string is passed over)."""
    found: dict[str, list[str]] = {}
    for doc in teams:
        members = doc.data.get("members")
        if isinstance(members, list):
            found[doc.ref.name] = [m for m in members if isinstance(m, str)]
    return found


def assignment_project(item: dict[str, Any]) -> str | None:
    """The project an assignment is scoped to, or None (everywhere) when it names none."""
    project = item.get("project")
    return project if isinstance(project, str) else None


def target_at(source: EntityRef, key: KeyPath, name: str) -> EntityRef | None:
    """The entity ``name`` stands for when written at ``key`` in ``source``'s file, if that
    place holds a reference (an editor asks this of a slot before anything is typed there)."""
    kind = source.kind
    if kind == "settings" and key == ("default_stack",):
        return EntityRef("stack", None, name)
    if kind == "component" and key == ("flavor",):
        return EntityRef("flavor", source.type, name)
    if kind == "stack" and len(key) == 2 and key[0] == "components" and key[1] in COMPONENT_TYPES:
        return EntityRef("component", key[1], name)
    if kind == "team" and len(key) == 2 and key[0] == "members" and isinstance(key[1], int):
        return EntityRef("user", None, name)
    if (kind == "role" and len(key) == 3 and key[0] == "assignments" and isinstance(key[1], int)
            and key[2] in ("user", "team", "project")):
        return EntityRef(key[2], None, name)
    return None


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

    def sources_referring(self, target: EntityRef) -> list[EntityRef]:
        """The entities whose files refer to ``target`` (unordered, each once)."""
        return list(self._by_target.get(target, ()))

    def held_by(self, source: EntityRef) -> list[Reference]:
        """The references ``source``'s file holds."""
        return list(self._by_source.get(source, ()))
