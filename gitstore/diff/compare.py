"""Entity-level comparison of two snapshots.

Entities are matched first by kind, type and name (the same file); what is
left is matched by id, which finds renames of entities with an explicit
``id`` (a derived id follows the name, so renaming such an entity is a
removal and an addition). Matched entities whose data differ are compared
field by field; mappings are followed, lists are compared as whole values.
"""

from __future__ import annotations

from typing import Any

from gitstore.diff.model import (
    ADDED,
    CHANGED,
    KIND_ORDER,
    REMOVED,
    RENAMED,
    Change,
    EntityChange,
    FieldChange,
)
from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.snapshot import Document, Snapshot

MASK = "•••"  # shown instead of a plain value in a field that should hold a secret reference


def compare(old: Snapshot, new: Snapshot) -> Change:
    """What changed from ``old`` to ``new``, with its consequences."""
    from gitstore.diff.consequences import memberships, role_grants, stack_impacts

    change = Change(old.label, new.label, entity_changes(old, new))
    change.stacks = stack_impacts(old, new, change.entities)
    change.roles = role_grants(old, new)
    change.memberships = memberships(old, new)
    return change


def entity_changes(old: Snapshot, new: Snapshot) -> list[EntityChange]:
    found: list[EntityChange] = []
    gone = [ref for ref in old.present if ref not in new.present]
    came = [ref for ref in new.present if ref not in old.present]
    for ref in old.present:
        if ref in new.present:
            found.extend(_same_file(ref, old, new))
    renamed = _renames(gone, came, old, new)
    for before, after in renamed:
        found.append(_changed(old.documents[before], new.documents[after], RENAMED))
    paired_old = {b for b, _ in renamed}
    paired_new = {a for _, a in renamed}
    found.extend(_one_sided(ref, old, REMOVED) for ref in gone if ref not in paired_old)
    found.extend(_one_sided(ref, new, ADDED) for ref in came if ref not in paired_new)
    return sorted(found, key=_order)


def _order(change: EntityChange) -> tuple[int, str, str]:
    return (KIND_ORDER.index(change.kind), change.type or "", change.name)


def _same_file(ref: EntityRef, old: Snapshot, new: Snapshot) -> list[EntityChange]:
    before, after = old.documents.get(ref), new.documents.get(ref)
    if before is not None and after is not None:
        if before.oid == after.oid or before.data == after.data:
            return []
        return [_changed(before, after, CHANGED)]
    if before is None and after is None and old.present[ref] == new.present[ref]:
        return []  # unreadable on both sides: the validator reports it
    doc = after or before
    assert doc is not None
    return [EntityChange(ref.kind, ref.type, ref.name, CHANGED, doc.id, new.present[ref],
                         unreadable=True)]


def _renames(gone: list[EntityRef], came: list[EntityRef], old: Snapshot,
             new: Snapshot) -> list[tuple[EntityRef, EntityRef]]:
    """(old ref, new ref) pairs that are one entity under another name (same explicit id)."""
    by_id: dict[tuple[str, str], EntityRef] = {}
    for ref in gone:
        doc = old.documents.get(ref)
        if doc is not None and doc.explicit_id:
            by_id.setdefault((ref.kind, doc.id), ref)
    pairs = []
    for ref in came:
        doc = new.documents.get(ref)
        if doc is None or not doc.explicit_id:
            continue
        before = by_id.pop((ref.kind, doc.id), None)
        if before is not None:
            pairs.append((before, ref))
    return pairs


def _changed(before: Document, after: Document, status: str) -> EntityChange:
    ref = after.ref
    renamed = status == RENAMED
    return EntityChange(ref.kind, ref.type, ref.name, status, after.id, after.path,
                        old_name=before.ref.name if renamed else None,
                        old_path=before.path if renamed else None,
                        fields=tuple(field_changes(before.data, after.data, _secret_keys(after))))


def _one_sided(ref: EntityRef, snap: Snapshot, status: str) -> EntityChange:
    from gitstore.plumbing.layout import derive_id

    doc = snap.documents.get(ref)
    ident = doc.id if doc else derive_id(ref.kind, ref.name, ref.type)
    return EntityChange(ref.kind, ref.type, ref.name, status, ident, snap.present[ref],
                        unreadable=doc is None)


def field_changes(before: Any, after: Any, secret: frozenset[str] = frozenset(),
                  prefix: str = "") -> list[FieldChange]:
    """Every differing leaf of two mappings, by dotted path; secret-looking values masked."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[FieldChange] = []
        for key in list(before) + [k for k in after if k not in before]:
            path = f"{prefix}{key}"
            if key not in after:
                found.append(FieldChange(path, REMOVED, _shown(key, before[key], secret), None))
            elif key not in before:
                found.append(FieldChange(path, ADDED, None, _shown(key, after[key], secret)))
            elif before[key] != after[key]:
                found.extend(field_changes(before[key], after[key], secret, path + "."))
        return found
    key = prefix[:-1].rsplit(".", 1)[-1]
    return [FieldChange(prefix[:-1], CHANGED, _shown(key, before, secret),
                        _shown(key, after, secret))]


def _secret_keys(doc: Document) -> frozenset[str]:
    if doc.ref.kind != "component":
        return frozenset()
    from gitstore import flavors

    flavor = doc.data.get("flavor")
    if isinstance(flavor, str) and doc.ref.type and flavors.is_builtin(doc.ref.type, flavor):
        return flavors.secret_fields(doc.ref.type, flavor)
    return frozenset()


def _shown(key: Any, value: Any, secret: frozenset[str]) -> Any:
    """The value, unless it is a plain value where a secret belongs (then a mask)."""
    from gitstore import flavors
    from gitstore.checks.integrity import SECRET_NAME

    if isinstance(value, dict):
        return {k: _shown(k, v, frozenset()) for k, v in value.items()}
    if isinstance(value, list) or value is None or flavors.is_secret_reference(value):
        return value
    if key in secret or (isinstance(value, str) and SECRET_NAME.search(str(key))):
        return MASK
    return value
