"""A warm model of one configuration repository: the working tree with open buffers laid over it.

The model is loaded once (per-file results come from the validation cache by
blob id) and then kept up to date one file at a time. A change re-parses only
that file; the cross-file checks are the library's own incremental ones
(:class:`gitstore.checks.incremental.IntegrityIndex`), which re-check only what
the change can affect. A generated CODEOWNERS is checked against the roles
(GS520) whenever it, or a user, team or role, changes. The problems it holds
for each file are exactly those ``gitstore validate`` reports for the same
contents.
"""

from __future__ import annotations

import gc
import stat
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gitstore.checks.incremental import SETTINGS, IntegrityIndex
from gitstore.checks.integrity import case_key, collision_problems, duplicate_id_problems
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import EntityRef, classify, is_layout_path
from gitstore.plumbing.snapshot import Document, Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, WorkTreeSource, read_head
from gitstore.problems import Problem
from gitstore.references import ReferenceIndex
from gitstore.trust.codeowners import HEADER, LOCATIONS, stale_problems

_PARSED_KEPT = 256  # parse results of recent buffer contents, by path and blob id
_OWNERS_INPUTS = frozenset({"user", "team", "role"})  # what CODEOWNERS is generated from


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

    def set_document(self, ref: EntityRef, doc: Document | None) -> None:
        """Put (or, with None, drop) the document of ``ref``, keeping the by-kind view true."""
        if doc is None:
            self.documents.pop(ref, None)
        else:
            self.documents[ref] = doc
        if self._kinds is not None:
            of_kind = self._kinds.setdefault(ref.kind, {})
            if doc is None:
                of_kind.pop(ref, None)
            else:
                of_kind[ref] = doc


class Model:
    """Documents, problems and references of a repository, updated file by file."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.root = root
        self._cache_dir = cache_dir
        self.snap = LiveSnapshot(Snapshot("working tree", []))
        self.integrity = IntegrityIndex(self.snap)
        self.checks_cache = ResultCache(None)
        self.file_problems: dict[str, list[Problem]] = {}  # layout, parse and schema problems
        self.owners: dict[str, bytes] = {}  # CODEOWNERS files, by path
        self.owner_problems: list[Problem] = []  # GS520
        self.texts: dict[str, bytes] = {}  # the contents the model holds for each file
        self.generation = 0  # bumped on every change, for whoever caches derived views
        self._parsed: OrderedDict[tuple[str, str], tuple[Any, ...]] = OrderedDict()

    @property
    def index(self) -> ReferenceIndex:
        """Who refers to what: the integrity checks' own reference index."""
        return self.integrity.references

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
        self.integrity = IntegrityIndex(snap, disk_cache)
        disk_cache.save()
        for path in LOCATIONS:
            full = self.root / path
            if full.is_file() and not full.is_symlink():
                self.owners[path] = self.texts[path] = full.read_bytes()
        self._check_owners()
        self.generation += 1

    # queries -----------------------------------------------------------------------------

    def problems(self, path: str) -> list[Problem]:
        """Every problem ``gitstore validate`` would report in ``path``, sorted."""
        found = set(self.file_problems.get(path, ()))
        ref = self.ref_of(path)
        if ref is not None and self.snap.present.get(ref) == path:
            found.update(self._cross_file(ref))
        found.update(p for p in self.owner_problems if p.path == path)
        return sorted(found, key=Problem.sort_key)

    def _cross_file(self, ref: EntityRef) -> Iterable[Problem]:
        """The cross-file problems located in the file of ``ref`` (which is present)."""
        integrity = self.integrity
        path = self.snap.present[ref]
        yield from integrity.per_doc.get(ref, ())
        key = case_key(ref)
        if key in integrity.collided:
            yield from (p for p in collision_problems(self.snap, integrity.case_groups[key])
                        if p.path == path)
        doc = self.snap.documents.get(ref)
        if doc is not None and ref.kind != "settings" and (ref.kind, doc.id) in integrity.duplicated:
            docs = [self.snap.documents[r] for r in integrity.id_groups[(ref.kind, doc.id)]]
            yield from (p for p in duplicate_id_problems(docs) if p.path == path)
        if ref == SETTINGS:
            yield from integrity.settings

    def paths_with_problems(self) -> set[str]:
        present = self.snap.present
        integrity = self.integrity
        paths = {p for p, items in self.file_problems.items() if items}
        paths.update(present[ref] for ref in integrity.per_doc if ref in present)
        for key in integrity.collided:
            paths.update(present[ref] for ref in integrity.case_groups[key])
        for id_key in integrity.duplicated:
            paths.update(present[ref] for ref in integrity.id_groups[id_key] if ref in present)
        if integrity.settings:
            paths.add(present[SETTINGS])
        paths.update(p.path for p in self.owner_problems)
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
        if path in LOCATIONS:
            return self._set_owners(path, raw)
        if not is_layout_path(path):
            return set()
        if raw is not None and self.texts.get(path) == raw and path in self.file_problems:
            return set()
        self.generation += 1
        ref = self.ref_of(path)
        before = (ref is not None and self.snap.present.get(ref) == path,
                  self.snap.documents.get(ref) if ref is not None else None)
        self._forget(path, ref)
        if raw is not None:
            self._read(path, ref, raw)
        if ref is None:
            return {path}
        if before[0] != (self.snap.present.get(ref) == path):
            self.snap.presence_changed()
        changed = self.integrity.follow(self.snap, {ref: before}, self.checks_cache)
        touched = {path, *(self.snap.present[r] for r in changed if r in self.snap.present)}
        if ref.kind in _OWNERS_INPUTS and self.owners:
            touched.update(self._check_owners())
        return touched

    def _forget(self, path: str, ref: EntityRef | None) -> None:
        self.file_problems.pop(path, None)
        self.texts.pop(path, None)
        if ref is None:
            return
        if self.snap.present.get(ref) == path:
            del self.snap.present[ref]
        self.snap.set_document(ref, None)

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
            self.snap.set_document(ref, Document(ref, path, oid, data, positions))

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

    def _set_owners(self, path: str, raw: bytes | None) -> set[str]:
        if self.owners.get(path) == raw:
            return set()
        self.generation += 1
        if raw is None:
            self.owners.pop(path, None)
            self.texts.pop(path, None)
        else:
            self.owners[path] = self.texts[path] = raw
        return {path, *self._check_owners()}

    def _check_owners(self) -> set[str]:
        """GS520 for the generated CODEOWNERS (the first of its places whose text starts with
        the generated header, as ``validate`` picks it); the paths whose problems changed."""
        before = self.owner_problems
        self.owner_problems = []
        for path in LOCATIONS:
            text = self.owners.get(path, b"").decode("utf-8", "replace")
            if path in self.owners and text.startswith(HEADER):
                self.owner_problems = stale_problems(path, text, self.snap)
                break
        return {p.path for p in (*before, *self.owner_problems)} if before != self.owner_problems \
            else set()

    def reload_from_disk(self, path: str) -> set[str]:
        """What the working tree now holds at ``path`` (a file changed outside the editor). A
        link or a special file is reported as validate lists it (GS011, GS012), never read."""
        full = self.root / path
        kind = _file_kind(full)
        raw = None
        if kind == "file":
            try:
                raw = read_head(full)
            except OSError:
                raw = None
        touched = self.set_text(path, raw)
        if kind in _NOT_READ and is_layout_path(path):
            self.file_problems[path] = _listing_problems(self.root, path, kind)
            touched.add(path)
        return touched


def _file_kind(full: Path) -> str | None:
    """"file", "link", "special" (a FIFO, socket or device), or None (missing, or a folder)."""
    try:
        mode = full.lstat().st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    return None if stat.S_ISDIR(mode) else "special"


_NOT_READ = {"link": vcs.MODE_SYMLINK, "special": vcs.MODE_SUBMODULE}  # as the listing has them


def _listing_problems(root: Path, path: str, kind: str) -> list[Problem]:
    """What validate's listing says of a link or special file at ``path``: the snapshot's own
    reading of such an entry (it is never read)."""
    entry = FileEntry(path, "0" * 40, _NOT_READ[kind])
    return load_snapshot(WorkTreeSource("working tree", None, root=root), entries=[entry]).problems


def _by_path(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.path].append(problem)
    return dict(grouped)
