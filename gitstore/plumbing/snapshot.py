"""A configuration repository read at one point: its entities, parsed, with file-level problems.

Loading a snapshot runs every check that depends on a single file and keeps
those results by blob id; :mod:`gitstore.checks.integrity` then checks the
whole from the snapshot alone, without reading any file again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS, EntityRef, classify, derive_id
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.sources import FileEntry, Source
from gitstore.plumbing.yamlio import Positions
from gitstore.problems import Problem

Progress = Callable[[int, int], None]


@dataclass
class Document:
    """One readable entity file."""

    ref: EntityRef
    path: str
    oid: str
    data: dict[str, Any]
    positions: Positions

    @property
    def id(self) -> str:
        explicit = self.data.get("id")
        if isinstance(explicit, str):
            return explicit.lower() if "-" in explicit else _dashed(explicit.lower())
        return derive_id(self.ref.kind, self.ref.name, self.ref.type)

    @property
    def explicit_id(self) -> bool:
        return isinstance(self.data.get("id"), str)


def _dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


@dataclass
class Snapshot:
    label: str
    entries: list[FileEntry]
    documents: dict[EntityRef, Document] = field(default_factory=dict)
    present: dict[EntityRef, str] = field(default_factory=dict)  # every entity file, readable or not
    problems: list[Problem] = field(default_factory=list)
    _by_path: dict[str, FileEntry] | None = field(default=None, repr=False, compare=False)
    _kinds: dict[str, dict[EntityRef, Document]] | None = field(default=None, repr=False,
                                                                 compare=False)

    def by_path(self) -> dict[str, FileEntry]:
        """The entries by path (built once; a snapshot's entries never change)."""
        if self._by_path is None:
            self._by_path = {e.path: e for e in self.entries}
        return self._by_path

    @property
    def settings(self) -> Settings:
        doc = self.get("settings", "gitstore")
        return Settings.of(doc.data if doc else None)

    @property
    def has_settings(self) -> bool:
        return any(e.path == CONFIG_FILE for e in self.entries)

    def get(self, kind: str, name: str, type_: str | None = None) -> Document | None:
        return self.documents.get(EntityRef(kind, type_, name))

    def exists(self, kind: str, name: str, type_: str | None = None) -> bool:
        return EntityRef(kind, type_, name) in self.present

    def names(self, kind: str, type_: str | None = None) -> list[str]:
        return sorted(r.name for r in self.present if r.kind == kind and r.type == type_)

    def has_any(self, kind: str) -> bool:
        """Whether any entity of ``kind`` is present."""
        if self._kinds is not None:
            return bool(self._kinds.get(kind))
        return any(r.kind == kind for r in self.present)

    def of_kind(self, kind: str) -> Iterator[Document]:
        yield from self.kinds().get(kind, {}).values()

    def kinds(self) -> dict[str, dict[EntityRef, Document]]:
        """The documents by kind (built once, when first asked for: a snapshot is complete by then)."""
        if self._kinds is None:
            kinds: dict[str, dict[EntityRef, Document]] = {}
            for ref, doc in self.documents.items():
                kinds.setdefault(ref.kind, {})[ref] = doc
            self._kinds = kinds
        return self._kinds


def load_snapshot(source: Source, cache: ResultCache | None = None,
                  progress: Progress | None = None, entries: list[FileEntry] | None = None
                  ) -> Snapshot:
    """Read ``source`` (or a given listing of it), running or recalling each single-file check."""
    from gitstore.checks.files import check_file

    cache = cache or ResultCache(None)
    entries = source.entries() if entries is None else entries
    snap = Snapshot(source.label, entries)
    pending: list[tuple[FileEntry, EntityRef]] = []
    seen_unmerged: set[str] = set()
    for entry in entries:
        ref = _entry_ref(entry, snap, seen_unmerged)
        if ref is None:
            continue
        snap.present[ref] = entry.path
        cached = cache.get(f"{entry.path}\0{entry.oid}")
        if cached is None:
            pending.append((entry, ref))
        else:
            _add(snap, entry, ref, cached)
    if pending:
        total = len(pending)
        contents = source.read([e for e, _ in pending])
        for done, (entry, ref) in enumerate(pending, 1):
            problems, parsed = check_file(ref, entry.path, contents[entry.path])
            result = ([p.to_tuple() for p in problems],
                      parsed.data if parsed else None, parsed.positions if parsed else None)
            cache.put(f"{entry.path}\0{entry.oid}", result)
            _add(snap, entry, ref, result)
            if progress and done % 500 == 0:
                progress(done, total)
    return snap


def _entry_ref(entry: FileEntry, snap: Snapshot, seen_unmerged: set[str]) -> EntityRef | None:
    path = entry.path
    if entry.stage:
        if path not in seen_unmerged:
            seen_unmerged.add(path)
            snap.problems.append(Problem(path, None, None, "GS012",
                                         "unmerged path: this file has an unresolved merge conflict",
                                         "resolve the conflict and `git add` the file"))
        return None
    if entry.mode == vcs.MODE_SYMLINK:
        snap.problems.append(Problem(path, None, None, "GS011",
                                     "symbolic link: links are never followed, so nothing here is read",
                                     "replace the link with the file or folder itself"))
        return None
    if path in FOLDERS.values():
        snap.problems.append(Problem(path, None, None, "GS021", f"`{path}` must be a folder"))
        return None
    if not entry.mode.startswith("100"):
        snap.problems.append(Problem(path, None, None, "GS012",
                                     "not a regular file (a submodule, folder or special file)"))
        return None
    ref = classify(path)
    if isinstance(ref, Problem):
        snap.problems.append(ref)
        return None
    return ref


def _add(snap: Snapshot, entry: FileEntry, ref: EntityRef, result: Any) -> None:
    problems, data, positions = result
    if problems:
        snap.problems.extend(Problem(*p) for p in problems)
    if data is not None:
        snap.documents[ref] = Document(ref, entry.path, entry.oid, data, positions)
