"""A warm model of one configuration repository: the working tree with open buffers laid over it.

The model is loaded once (per-file results come from the validation cache by
blob id) and then kept up to date one file at a time. A change re-parses only
that file and re-runs the cross-file checks only of the entities it can
affect: itself, whoever refers to it (the reference index says who), and,
when a file appears or disappears, every entity whose broken references could
now resolve or whose hints could change. The problems it holds for each file
are exactly those ``gitstore validate`` reports for the same contents.
"""

from __future__ import annotations

import gc
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitstore.checks.integrity import check_entity, check_repository_wide
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import EntityRef, classify, is_layout_path
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.snapshot import Document, Snapshot, load_snapshot
from gitstore.plumbing.sources import WorkTreeSource, read_head
from gitstore.problems import Problem
from gitstore.references import ReferenceIndex

# codes of the cross-file problems whose message or hint depends on which names exist
_NAME_DEPENDENT = frozenset({"GS201", "GS203", "GS205", "GS206", "GS207", "GS208"})
CASE_COLLISION = "GS024"
_PARSED_KEPT = 256  # parse results of recent buffer contents, by path and blob id


class LiveSnapshot(Snapshot):
    """A snapshot that changes file by file; the names of each kind are kept between changes
    of which files exist (every did-you-mean hint asks for them)."""

    def __init__(self, snap: Snapshot) -> None:
        super().__init__(snap.label, snap.entries, snap.documents, snap.present, snap.problems)
        self._names: dict[tuple[str, str | None], list[str]] = {}

    def names(self, kind: str, type_: str | None = None) -> list[str]:
        key = (kind, type_)
        if key not in self._names:
            self._names[key] = super().names(kind, type_)
        return self._names[key]

    def presence_changed(self) -> None:
        self._names.clear()


class Model:
    """Documents, problems and references of a repository, updated file by file."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.root = root
        self._cache_dir = cache_dir
        self.snap = LiveSnapshot(Snapshot("working tree", []))
        self.index = ReferenceIndex()
        self.checks_cache = ResultCache(None)
        self.file_problems: dict[str, list[Problem]] = {}  # layout, parse and schema problems
        self.entity_problems: dict[EntityRef, list[Problem]] = {}  # cross-file, by entity checked
        self.case_problems: dict[str, list[Problem]] = {}  # names differing only in case
        self.id_problems: dict[str, list[Problem]] = {}  # duplicate ids
        self._case_groups: dict[tuple[str, str | None, str], set[EntityRef]] = defaultdict(set)
        self.texts: dict[str, bytes] = {}  # the contents the model holds for each layout file
        self.generation = 0  # bumped on every change, for whoever caches derived views
        self._parsed: OrderedDict[tuple[str, str], tuple[Any, ...]] = OrderedDict()

    # loading -----------------------------------------------------------------------------

    def load(self) -> None:
        """Read the working tree (from the validation cache where it can) and check it all.

        The cyclic garbage collector is paused meanwhile (loading builds many small containers
        and frees none), and what was loaded is then frozen out of its sight: the model lives as
        long as the server, so later collections need not walk it again and again.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._load()
        finally:
            if collecting:
                gc.enable()
        gc.freeze()

    def _load(self) -> None:
        source = WorkTreeSource("working tree", self._cache_dir, root=self.root)
        disk_cache = ResultCache(self._cache_dir)
        entries = source.entries()
        snap = load_snapshot(source, disk_cache, entries=entries)
        self.texts = source.read([e for e in entries if e.is_file])
        snap = self.snap = LiveSnapshot(snap)
        self.file_problems = _by_path(snap.problems)
        snap.problems = []
        self.index = ReferenceIndex(snap.documents.values())
        self.entity_problems = {doc.ref: check_entity(snap, doc, disk_cache)
                                for doc in snap.documents.values()}
        disk_cache.save()
        wide = check_repository_wide(snap)
        self.case_problems = _by_path(p for p in wide if p.code == CASE_COLLISION)
        self.id_problems = _by_path(p for p in wide if p.code != CASE_COLLISION)
        for ref in snap.present:
            self._case_groups[_case_key(ref)].add(ref)
        self.generation += 1

    # queries -----------------------------------------------------------------------------

    def problems(self, path: str) -> list[Problem]:
        """Every problem ``gitstore validate`` would report in ``path``, sorted."""
        found = set(self.file_problems.get(path, ()))
        found.update(self.case_problems.get(path, ()))
        found.update(self.id_problems.get(path, ()))
        ref = self.ref_of(path)
        if ref is not None and self.snap.present.get(ref) == path:
            found.update(self.entity_problems.get(ref, ()))
        return sorted(found, key=Problem.sort_key)

    def paths_with_problems(self) -> set[str]:
        paths = {p for p, items in self.file_problems.items() if items}
        paths.update(p for p, items in self.case_problems.items() if items)
        paths.update(p for p, items in self.id_problems.items() if items)
        paths.update(self.snap.present[ref] for ref, items in self.entity_problems.items()
                     if items and ref in self.snap.present)
        return paths

    def all_problems(self) -> list[Problem]:
        return sorted({p for path in self.paths_with_problems() for p in self.problems(path)},
                      key=Problem.sort_key)

    def ref_of(self, path: str) -> EntityRef | None:
        if not is_layout_path(path):
            return None
        ref = classify(path)
        return ref if isinstance(ref, EntityRef) else None

    def document(self, path: str) -> Document | None:
        ref = self.ref_of(path)
        return self.snap.documents.get(ref) if ref is not None else None

    def text(self, path: str) -> bytes | None:
        return self.texts.get(path)

    def exists(self, ref: EntityRef) -> bool:
        return ref in self.snap.present

    # changes -----------------------------------------------------------------------------

    def set_text(self, path: str, raw: bytes | None) -> set[str]:
        """Lay ``raw`` over ``path`` (None: the file is gone); the paths whose problems may
        have changed."""
        if not is_layout_path(path):
            return set()
        if raw is not None and self.texts.get(path) == raw and path in self.file_problems:
            return set()
        self.generation += 1
        ref = self.ref_of(path)
        old_doc = self.snap.documents.get(ref) if ref is not None else None
        was_present = ref is not None and self.snap.present.get(ref) == path
        touched = {path}
        self._forget(path, ref)
        if raw is not None:
            self._read(path, ref, raw)
        if ref is None:
            return touched
        is_present = self.snap.present.get(ref) == path
        if was_present != is_present:
            self.snap.presence_changed()
            touched.update(self._recheck_case_group(ref, path))
        new_doc = self.snap.documents.get(ref)
        affected = self._affected(ref, old_doc, new_doc, was_present != is_present)
        touched.update(self._recheck(affected))
        if was_present != is_present or _id_of(old_doc) != _id_of(new_doc):
            touched.update(self._recheck_ids())
        return touched

    def _forget(self, path: str, ref: EntityRef | None) -> None:
        self.file_problems.pop(path, None)
        self.texts.pop(path, None)
        if ref is None:
            return
        if self.snap.present.get(ref) == path:
            del self.snap.present[ref]
        self.snap.documents.pop(ref, None)
        self.index.remove(ref)
        self.entity_problems.pop(ref, None)

    def _read(self, path: str, ref: EntityRef | None, raw: bytes) -> None:
        self.texts[path] = raw
        if ref is None:
            problem = classify(path)
            self.file_problems[path] = [problem] if isinstance(problem, Problem) else []
            return
        oid = vcs.blob_oid(raw)
        problems, data, positions = self._parse(ref, path, oid, raw)
        self.snap.present[ref] = path
        self.file_problems[path] = [Problem(*p) for p in problems]
        if data is not None:
            doc = Document(ref, path, oid, data, positions)
            self.snap.documents[ref] = doc
            self.index.update(doc)

    def _parse(self, ref: EntityRef, path: str, oid: str, raw: bytes) -> tuple[Any, ...]:
        from gitstore.checks.files import check_file

        key = (path, oid)
        result = self._parsed.get(key)
        if result is None:
            problems, parsed = check_file(ref, path, raw)
            result = ([p.to_tuple() for p in problems],
                      parsed.data if parsed else None, parsed.positions if parsed else None)
            self._parsed[key] = result
            if len(self._parsed) > _PARSED_KEPT:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(key)
        return result

    def _affected(self, ref: EntityRef, old: Document | None, new: Document | None,
                  presence_changed: bool) -> set[EntityRef]:
        """The entities whose cross-file checks can see this change."""
        affected = {ref}
        if presence_changed or ref.kind == "flavor":
            affected.update(r.source for r in self.index.referrers(ref))
        if presence_changed:  # a name came or went: broken references elsewhere may resolve,
            # or be hinted differently
            affected.update(r for r, items in self.entity_problems.items()
                            if any(p.code in _NAME_DEPENDENT for p in items))
        if ref.kind == "settings" and _required(old) != _required(new):
            affected.update(r for r in self.snap.documents if r.kind == "stack")
        if presence_changed and ref.kind == "stack":
            affected.add(EntityRef("settings", None, "gitstore"))
        return affected

    def _recheck(self, refs: Iterable[EntityRef]) -> set[str]:
        touched: set[str] = set()
        for ref in refs:
            doc = self.snap.documents.get(ref)
            before = self.entity_problems.pop(ref, [])
            if doc is None:
                continue
            after = check_entity(self.snap, doc, self.checks_cache)
            self.entity_problems[ref] = after
            if after != before:
                touched.add(doc.path)
        return touched

    def _recheck_case_group(self, ref: EntityRef, path: str) -> set[str]:
        """Names that differ only in case, checked again for the one group ``ref`` belongs to."""
        group = self._case_groups[_case_key(ref)]
        if ref in self.snap.present:
            group.add(ref)
        else:
            group.discard(ref)
        paths = {path, *(self.snap.present[r] for r in group)}
        before = {p: self.case_problems.pop(p, []) for p in paths}
        members = Snapshot("case group", [], {}, {r: self.snap.present[r] for r in group})
        for problem in check_repository_wide(members):
            self.case_problems.setdefault(problem.path, []).append(problem)
        return {p for p in paths if before[p] != self.case_problems.get(p, [])}

    def _recheck_ids(self) -> set[str]:
        """Duplicate ids, checked again over every document (cheap: only kinds that hold an
        explicit id are compared)."""
        before = self.id_problems
        documents = Snapshot("documents", [], self.snap.documents, {})
        self.id_problems = _by_path(check_repository_wide(documents))
        return {p for p in set(before) | set(self.id_problems)
                if before.get(p) != self.id_problems.get(p)}

    def reload_from_disk(self, path: str) -> set[str]:
        """What the working tree now holds at ``path`` (a file changed outside the editor)."""
        full = self.root / path
        try:
            raw = read_head(full) if full.is_file() and not full.is_symlink() else None
        except OSError:
            raw = None
        return self.set_text(path, raw)


def _by_path(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.path].append(problem)
    return dict(grouped)


def _case_key(ref: EntityRef) -> tuple[str, str | None, str]:
    return (ref.kind, ref.type, ref.name.lower())


def _id_of(doc: Document | None) -> Any:
    return doc.data.get("id") if doc is not None else None


def _required(doc: Document | None) -> list[str] | None:
    return Settings.of(doc.data).required_components if doc is not None else None
