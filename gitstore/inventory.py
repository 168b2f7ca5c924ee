"""What ``gitstore list`` and ``gitstore show`` tell: entities as plain data.

Rows and descriptions are JSON-able dicts; the CLI prints them as text,
YAML or JSON. What an entity resolves to and what refers to it come from
:mod:`gitstore.references`, the one reference walker.
"""

from __future__ import annotations

from typing import Any

from gitstore.errors import UsageError
from gitstore.flavors import builtin_names, is_builtin
from gitstore.plumbing.layout import COMPONENT_TYPES, FOLDERS, EntityRef
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.problems import did_you_mean
from gitstore.references import Reference, ReferenceIndex

# what a person may type -> kind
KIND_NAMES = {**{k: k for k in FOLDERS}, **{v: k for k, v in FOLDERS.items()}}


def parse_kind(text: str) -> str:
    """The entity kind KIND names (singular or plural), or a usage error with a hint."""
    kind = KIND_NAMES.get(text.strip().lower())
    if kind is None:
        hint = did_you_mean(text, KIND_NAMES) or "kinds are: " + ", ".join(FOLDERS.values())
        raise UsageError(f"unknown kind `{text}`; {hint}")
    return kind


def parse_type(kind: str, type_: str | None) -> str | None:
    if type_ is None:
        return None
    if kind not in ("component", "flavor"):
        raise UsageError(f"--type applies to components and flavors, not to {FOLDERS[kind]}")
    if type_ not in COMPONENT_TYPES:
        hint = did_you_mean(type_, COMPONENT_TYPES) or "types are: " + ", ".join(COMPONENT_TYPES)
        raise UsageError(f"unknown component type `{type_}`; {hint}")
    return type_


def list_entities(snap: Snapshot, kind: str, type_: str | None = None) -> list[dict[str, Any]]:
    """One row per entity of ``kind`` (built-in flavors included), by type then name."""
    rows = []
    for ref, path in snap.present.items():
        if ref.kind != kind or (type_ is not None and ref.type != type_):
            continue
        doc = snap.documents.get(ref)
        rows.append({"name": ref.name, "type": ref.type, "path": path,
                     "summary": _summary(doc) if doc else "(unreadable: run `gitstore validate`)"})
    if kind == "flavor":
        for t in [type_] if type_ else COMPONENT_TYPES:
            for name in builtin_names(t):
                if EntityRef("flavor", t, name) not in snap.present:
                    rows.append({"name": name, "type": t, "path": None, "summary": "built-in"})
    return sorted(rows, key=lambda r: (r["type"] or "", r["name"]))


def _summary(doc: Document) -> str:
    data, kind = doc.data, doc.ref.kind
    if kind == "stack":
        comps = data.get("components")
        return ", ".join(f"{t}={n}" for t, n in comps.items()) if isinstance(comps, dict) else ""
    if kind == "component":
        return f"flavor={data.get('flavor')}"
    if kind == "flavor":
        return f"source={data.get('source')}"
    if kind == "user":
        return str(data.get("email") or "")
    if kind == "team":
        members = data.get("members")
        return "members=" + ", ".join(str(m) for m in members) if isinstance(members, list) else ""
    if kind == "role":
        assignments = data.get("assignments")
        return f"{len(assignments) if isinstance(assignments, list) else 0} assignment(s)"
    return str(data.get("description") or "")


def show_entity(snap: Snapshot, ref: EntityRef) -> dict[str, Any]:
    """An entity's file, what it resolves to and what refers to it."""
    doc = snap.documents.get(ref)
    if doc is None:
        if ref.kind == "flavor" and ref.type and is_builtin(ref.type, ref.name):
            return {"entity": ref.label(), "path": None, "builtin": True,
                    "referred_by": _referrers(ReferenceIndex(snap.documents.values()), ref)}
        if ref in snap.present:
            raise UsageError(f"{snap.present[ref]} cannot be read; `gitstore validate` says why")
        names = snap.names(ref.kind, ref.type)
        folder = FOLDERS[ref.kind]
        hint = did_you_mean(ref.name, names) or (
            f"{folder} here: " + ", ".join(names[:10]) if names else f"there are no {folder}")
        raise UsageError(f"no {ref.label()} ({ref.path}); {hint}")
    index = ReferenceIndex(snap.documents.values())
    body: dict[str, Any] = {"entity": ref.label(), "path": doc.path, "id": doc.id, "file": doc.data,
                            "resolves_to": [_resolved(snap, r) for r in index.held_by(ref)],
                            "referred_by": _referrers(index, ref)}
    if ref.kind == "user":
        body["roles_through_teams"] = _roles_through_teams(index, ref)
    return body



def _resolved(snap: Snapshot, r: Reference) -> dict[str, Any]:
    target = r.target
    doc = snap.documents.get(target)
    item: dict[str, Any] = {"key": ".".join(str(k) for k in r.key), "line": r.line,
                            "entity": target.label(), "path": target.path}
    if target.kind == "flavor" and doc is None and target.type and is_builtin(target.type, target.name):
        item.update(path=None, builtin=True)
    elif target not in snap.present:
        item["missing"] = True
    if target.kind == "component" and doc is not None:
        flavor = doc.data.get("flavor")
        item["flavor"] = flavor
        if isinstance(flavor, str) and target.type:
            item["flavor_path"] = (None if is_builtin(target.type, flavor)
                                   else EntityRef("flavor", target.type, flavor).path)
    return item


def _referrers(index: ReferenceIndex, ref: EntityRef) -> list[dict[str, Any]]:
    return [{"path": r.path, "line": r.line, "column": r.column, "entity": r.source.label(),
             "key": ".".join(str(k) for k in r.key)} for r in index.referrers(ref)]


def _roles_through_teams(index: ReferenceIndex, user: EntityRef) -> list[dict[str, Any]]:
    found = []
    for via in index.referrers(user):
        if via.source.kind != "team":
            continue
        for r in index.referrers(via.source):
            if r.source.kind == "role":
                found.append({"role": r.source.name, "team": via.source.name, "path": r.path, "line": r.line})
    return found
