"""Cross-file checks that cost what a change costs.

:class:`IntegrityIndex` holds the cross-file problems of one snapshot, per
document, with the index of references (:class:`gitstore.references.ReferenceIndex`)
and the groups that name collisions and duplicate ids are found in. After a
change it re-checks only:

- the documents the change touched;
- the documents that refer to a touched entity (found in the reference index);
- when an entity appeared or disappeared, the documents whose problems carry
  a "did you mean" hint drawn from the names of a kind;
- when gitstore.yaml changed, every stack (``required_components``).

Its problems always equal :func:`gitstore.checks.integrity.check_integrity`
of the same snapshot (tests/test_incremental.py checks it on random changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gitstore.checks.integrity import (
    NAME_HINTED,
    case_key,
    check_document,
    collision_problems,
    duplicate_id_problems,
    settings_problems,
)
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import EntityRef, classify
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.problems import Problem
from gitstore.references import ReferenceIndex

SETTINGS = EntityRef("settings", None, "gitstore")

CaseKey = tuple[str, str | None, str]
IdKey = tuple[str, str]
Before = tuple[bool, Document | None]  # (present, document) of an entity before a change


class IntegrityIndex:
    """The cross-file problems of a snapshot, kept up to date change by change."""

    def __init__(self, snap: Snapshot, cache: ResultCache | None = None) -> None:
        cache = cache or ResultCache(None)
        self.snap = snap
        self.references = ReferenceIndex(snap.documents.values())
        self.per_doc: dict[EntityRef, list[Problem]] = {}
        self.hinted: set[EntityRef] = set()
        self.case_groups: dict[CaseKey, set[EntityRef]] = {}
        self.id_groups: dict[IdKey, set[EntityRef]] = {}
        self.collided: set[CaseKey] = set()
        self.duplicated: set[IdKey] = set()
        for ref in snap.present:
            self._join_case(ref)
        for doc in snap.documents.values():
            self._join_id(doc)
            self._check(doc, cache)
        self.settings = list(settings_problems(snap))

    # --- the answer ------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Every cross-file problem of the current snapshot (unsorted)."""
        found = [p for problems in self.per_doc.values() for p in problems]
        for key in self.collided:
            found.extend(collision_problems(self.snap, self.case_groups[key]))
        for id_key in self.duplicated:
            docs = [self.snap.documents[r] for r in self.id_groups[id_key]]
            found.extend(duplicate_id_problems(docs))
        found.extend(self.settings)
        return found

    # --- following a change ----------------------------------------------------

    def update(self, snap: Snapshot, touched_paths: Iterable[str],
               cache: ResultCache | None = None) -> set[EntityRef]:
        """Move to ``snap``, which differs from the current snapshot only in ``touched_paths``."""
        old = self.snap
        touched = {ref for ref in map(_entity, touched_paths) if ref is not None}
        return self.follow(snap, {ref: (ref in old.present, old.documents.get(ref))
                                  for ref in touched}, cache)

    def follow(self, snap: Snapshot, before: Mapping[EntityRef, Before],
               cache: ResultCache | None = None) -> set[EntityRef]:
        """Move to ``snap``, given what changed: for each changed entity, whether it was present
        and its document before (so ``snap`` may be the current snapshot, changed in place).

        Returns the entities whose problems may have changed: the changed ones, those whose
        re-check found something else, the members of the name-collision and id groups a
        change joined or left, and gitstore.yaml when its problems changed.
        """
        cache = cache or ResultCache(None)
        names_changed = False
        changed: set[EntityRef] = set()
        for ref, (was, old_doc) in before.items():
            now = ref in snap.present
            names_changed |= was != now
            if was != now:
                if was:
                    self._leave_case(ref)
                else:
                    self._join_case(ref)
                changed |= self.case_groups.get(case_key(ref), set())
            if old_doc is not None:
                changed |= self._id_members(old_doc)
                self._leave_id(old_doc)
            after = snap.documents.get(ref)
            if after is not None:
                self._join_id(after)
                changed |= self._id_members(after)
                self.references.update(after)
            else:
                self.references.remove(ref)
                self.per_doc.pop(ref, None)
                self.hinted.discard(ref)
        self.snap = snap
        recheck = {ref for ref in before if ref in snap.documents}
        for ref in before:
            recheck.update(self.references.sources_referring(ref))
        if names_changed:
            recheck |= self.hinted
        if SETTINGS in before:
            recheck.update(r for r in snap.documents if r.kind == "stack")
        for ref in recheck:
            doc = snap.documents.get(ref)
            found = self.per_doc.get(ref)
            if doc is None:
                self.per_doc.pop(ref, None)
                self.hinted.discard(ref)
            else:
                self._check(doc, cache)
            if self.per_doc.get(ref) != found:
                changed.add(ref)
        settings = list(settings_problems(snap))
        if settings != self.settings:
            changed.add(SETTINGS)
        self.settings = settings
        return changed | set(before)

    def _id_members(self, doc: Document) -> set[EntityRef]:
        if doc.ref.kind == "settings":
            return set()
        return set(self.id_groups.get((doc.ref.kind, doc.id), ()))

    def _check(self, doc: Document, cache: ResultCache) -> None:
        found = check_document(self.snap, doc, cache)
        if found:
            self.per_doc[doc.ref] = found
        else:
            self.per_doc.pop(doc.ref, None)
        if any(p.code in NAME_HINTED for p in found):
            self.hinted.add(doc.ref)
        else:
            self.hinted.discard(doc.ref)

    def _join_case(self, ref: EntityRef) -> None:
        key = case_key(ref)
        group = self.case_groups.setdefault(key, set())
        group.add(ref)
        if len(group) >= 2:
            self.collided.add(key)

    def _leave_case(self, ref: EntityRef) -> None:
        key = case_key(ref)
        group = self.case_groups.get(key)
        if group is None:
            return
        group.discard(ref)
        if len(group) < 2:
            self.collided.discard(key)
        if not group:
            del self.case_groups[key]

    def _join_id(self, doc: Document) -> None:
        if doc.ref.kind == "settings":
            return
        key = (doc.ref.kind, doc.id)
        group = self.id_groups.setdefault(key, set())
        group.add(doc.ref)
        if len(group) >= 2:
            self.duplicated.add(key)

    def _leave_id(self, doc: Document) -> None:
        if doc.ref.kind == "settings":
            return
        key = (doc.ref.kind, doc.id)
        group = self.id_groups.get(key)
        if group is None:
            return
        group.discard(doc.ref)
        if len(group) < 2:
            self.duplicated.discard(key)
        if not group:
            del self.id_groups[key]


def _entity(path: str) -> EntityRef | None:
    try:
        ref = classify(path)
    except KeyError:  # outside the layout's folders
        return None
    return ref if isinstance(ref, EntityRef) else None
