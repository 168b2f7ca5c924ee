"""The working tree's model on disk: what a store knew of every file when it last looked.

Opening a store on a large repository used to cost a listing, the per-file
result cache (every file's parsed data) and a snapshot built file by file. The
model keeps, in one marshal file beside the result cache
(``.git/gitstore/worktree-model``):

- one row per listed file: its path and ``lstat`` (mode, times, size, inode),
  in listing order, with its blob id;
- the paths whose row is not to be trusted (changed too recently to rule out
  a later change within the same timestamp, or not a regular file);
- the snapshot's file problems, and its entities by group (a kind, and a type
  for components), each group packed apart so that a read unpacks only the
  groups it asks for (:class:`StoredSnapshot`).

A store opening the repository lists it (``lstat`` only) and compares the rows
with the model's: equal rows, with the untrusted files read again and found
unchanged, mean the model's snapshot is the working tree's, without parsing or
unpacking anything else. Any difference falls back to the stat-cache listing,
which starts from the model's snapshot and re-reads only what differs. The
model is only an accelerator: one that is missing, damaged, from another
version of gitstore or for another folder is ignored.
"""

from __future__ import annotations

import gc
import marshal
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gitstore.plumbing import vcs
from gitstore.plumbing.atomic import try_replace_file
from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.plumbing.sources import LAYOUT_ROOTS, FileEntry
from gitstore.plumbing.yamlio import Positions
from gitstore.problems import Problem

MODEL_FILE = "worktree-model"
MODEL_FORMAT = "gitstore-model-3"
# path, st_mode, st_mtime_ns, st_ctime_ns, st_size, st_ino
Row = tuple[str, int, int, int, int, int]
GroupKey = tuple[str, "str | None"]
StatKey = tuple[int, int, int, int, int]  # a row less its path

_ROOT_ORDER = {name: n for n, name in enumerate(LAYOUT_ROOTS)}


def entry_mode(st_mode: int) -> str:
    """The git mode a working-tree listing gives a file of this ``st_mode``."""
    if stat.S_ISREG(st_mode):
        return "100644"
    if stat.S_ISLNK(st_mode):
        return vcs.MODE_SYMLINK
    return vcs.MODE_SUBMODULE


def listing_order(path: str) -> tuple[int, list[str]]:
    """Sort key giving the order of a listing: the layout's roots, then folders by name."""
    parts = path.split("/")
    return _ROOT_ORDER.get(parts[0], len(_ROOT_ORDER)), parts


@contextmanager
def no_collection() -> Iterator[None]:
    """No garbage collection while building many small containers that all stay alive
    (a collection would walk every object the process holds, for nothing)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class StoredGroup:
    """One group of a stored snapshot's entities: its names, each document's data and the
    documents' positions are unpacked apart, when first asked for."""

    __slots__ = ("kind", "type", "_present_blob", "_docs_blob", "_positions_blob", "_present",
                 "_names", "_docs", "_positions", "_rows", "_at", "_built")

    def __init__(self, kind: str, type_: str | None, present_blob: bytes, docs_blob: bytes,
                 positions_blob: bytes) -> None:
        self.kind = kind
        self.type = type_
        self._present_blob = present_blob
        self._docs_blob = docs_blob
        self._positions_blob = positions_blob
        self._present: dict[EntityRef, str] | None = None
        self._names: set[str] | None = None  # the present names, for has() before present()
        self._docs: dict[EntityRef, Document] | None = None
        self._positions: list[Positions] | None = None
        self._rows: list[tuple[str, str, str, bytes]] | None = None  # name, path, id, data
        self._at: dict[str, int] | None = None  # name -> row
        self._built: dict[int, Document] = {}

    def present(self) -> dict[EntityRef, str]:
        if self._present is None:
            kind, type_ = self.kind, self.type
            with no_collection():
                self._present = {EntityRef(kind, type_, name): path
                                 for name, path in marshal.loads(self._present_blob)}
        return self._present

    def has(self, name: str) -> bool:
        """Whether an entity of this group is named ``name`` (its refs not built for it)."""
        if self._present is not None:
            return EntityRef(self.kind, self.type, name) in self._present
        if self._names is None:
            self._names = {row[0] for row in marshal.loads(self._present_blob)}
        return name in self._names

    def docs(self) -> dict[EntityRef, Document]:
        if self._docs is None:
            rows = self._doc_rows()
            with no_collection():
                built = [self._build(n) for n in range(len(rows))]
            self._docs = {doc.ref: doc for doc in built}
            self._rows = self._at = None  # every document is built: their packed data is not needed
            self._built = {}
        return self._docs

    def release(self) -> None:
        """Drop the packed documents once the snapshot's own tables hold them (they are
        written back only for a snapshot whose tables were never built)."""
        self.docs()
        self._docs_blob = b""

    def get(self, ref: EntityRef) -> Document | None:
        """One document, unpacking only its own data."""
        if self._docs is not None:
            return self._docs.get(ref)
        self._doc_rows()
        assert self._at is not None
        n = self._at.get(ref.name)
        return self._build(n) if n is not None else None

    def _doc_rows(self) -> list[tuple[str, str, str, bytes]]:
        if self._rows is None:
            with no_collection():
                self._rows = marshal.loads(self._docs_blob)
                self._at = {row[0]: n for n, row in enumerate(self._rows)}
        return self._rows

    def _build(self, n: int) -> Document:
        doc = self._built.get(n)
        if doc is None:
            assert self._rows is not None
            name, path, oid, data = self._rows[n]
            doc = StoredDocument(EntityRef(self.kind, self.type, name), path, oid,
                                 marshal.loads(data), self, n)
            self._built[n] = doc
        return doc

    def positions(self) -> list[Positions]:
        """The documents' positions (in the documents' order), unpacked when first asked for."""
        if self._positions is None:
            with no_collection():
                self._positions = marshal.loads(self._positions_blob)
        return self._positions

    def blobs(self) -> tuple[bytes, bytes, bytes]:
        return self._present_blob, self._docs_blob, self._positions_blob


class StoredDocument(Document):
    """A document of a stored group: where each of its values sits (its positions, only
    reports need them) is unpacked, for its whole group, when first asked for."""

    def __init__(self, ref: EntityRef, path: str, oid: str, data: dict[str, Any],
                 group: StoredGroup, index: int) -> None:
        # the dataclass's ``positions`` is a property here; Document.__init__ is not called
        self.ref, self.path, self.oid, self.data = ref, path, oid, data
        self._group: StoredGroup | None = group
        self._index = index
        self._positions: Positions | None = None

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            assert self._group is not None
            self._positions = self._group.positions()[self._index]
            self._group = None
        return self._positions

    @positions.setter
    def positions(self, value: Positions) -> None:
        self._positions, self._group = value, None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (self.ref, self.path, self.oid, self.data, self.positions) == (
            other.ref, other.path, other.oid, other.data, other.positions)

    __hash__ = None  # type: ignore[assignment]  # as Document's: mutable, compared by value


class StoredSnapshot(Snapshot):
    """A snapshot read back from the model: its tables are built when first used, and the
    lookups of one entity, one kind's names or one kind's documents unpack only that group."""

    def __init__(self, label: str, entries_of: Callable[[], list[FileEntry]],
                 problems: list[tuple[Any, ...]], groups: dict[GroupKey, StoredGroup]) -> None:
        # the dataclass fields are properties here; Snapshot.__init__ is not called
        self.label = label
        self._entries_of = entries_of
        self._entries: list[FileEntry] | None = None
        self._problem_rows = problems
        self._problems: list[Problem] | None = None
        self.groups = groups
        self._documents: dict[EntityRef, Document] | None = None
        self._present: dict[EntityRef, str] | None = None
        self._names: set[str] | None = None  # the present names, for has() before present()
        self._by_path = None
        self._kinds = None

    # --- the dataclass's fields, built when first used ----------------------------

    @property
    def entries(self) -> list[FileEntry]:
        if self._entries is None:
            with no_collection():
                self._entries = self._entries_of()
            self._entries_of = list  # the model's rows may go
        return self._entries

    @entries.setter
    def entries(self, value: list[FileEntry]) -> None:
        self._entries = value

    @property
    def documents(self) -> dict[EntityRef, Document]:
        if self._documents is None:
            documents: dict[EntityRef, Document] = {}
            for group in self.groups.values():
                documents.update(group.docs())
                group.release()
            self._documents = documents
        return self._documents

    @documents.setter
    def documents(self, value: dict[EntityRef, Document]) -> None:
        self._documents = value

    @property
    def present(self) -> dict[EntityRef, str]:
        if self._present is None:
            present: dict[EntityRef, str] = {}
            for group in self.groups.values():
                present.update(group.present())
            self._present = present
        return self._present

    @present.setter
    def present(self, value: dict[EntityRef, str]) -> None:
        self._present = value

    @property
    def problems(self) -> list[Problem]:
        if self._problems is None:
            with no_collection():
                self._problems = [Problem(*p) for p in self._problem_rows]
        return self._problems

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self._problems = value

    # --- lookups that unpack one group ----------------------------------------------

    def get(self, kind: str, name: str, type_: str | None = None) -> Document | None:
        ref = EntityRef(kind, type_, name)
        if self._documents is not None:
            return self._documents.get(ref)
        group = self.groups.get((kind, type_))
        return group.get(ref) if group is not None else None

    def exists(self, kind: str, name: str, type_: str | None = None) -> bool:
        ref = EntityRef(kind, type_, name)
        if self._present is not None:
            return ref in self._present
        group = self.groups.get((kind, type_))
        return group is not None and group.has(name)

    def names(self, kind: str, type_: str | None = None) -> list[str]:
        if self._present is not None:
            return super().names(kind, type_)
        group = self.groups.get((kind, type_))
        return sorted(r.name for r in group.present()) if group is not None else []

    def has_any(self, kind: str) -> bool:
        if self._present is not None or self._kinds is not None:
            return super().has_any(kind)
        return any(group.kind == kind for group in self.groups.values())  # none is empty

    def of_kind(self, kind: str) -> Iterator[Document]:
        if self._documents is not None or self._kinds is not None:
            yield from super().of_kind(kind)
            return
        for group in self.groups.values():
            if group.kind == kind:
                yield from group.docs().values()

    def kinds(self) -> dict[str, dict[EntityRef, Document]]:
        if self._kinds is None and self._documents is None:
            kinds: dict[str, dict[EntityRef, Document]] = {}
            for group in self.groups.values():
                kinds.setdefault(group.kind, {}).update(group.docs())
            self._kinds = kinds
        return super().kinds()


class Model:
    """A model read from disk: the rows it was made from and the snapshot they give."""

    def __init__(self, rows: list[Row], oids: list[str], untrusted: set[str],
                 snapshot: StoredSnapshot) -> None:
        self.rows = rows
        self.oids = oids
        self.untrusted = untrusted
        self.snapshot = snapshot

    def entries(self) -> list[FileEntry]:
        return [FileEntry(row[0], oid, entry_mode(row[1]))
                for row, oid in zip(self.rows, self.oids, strict=True)]

    def stat_cache(self) -> dict[str, tuple[StatKey, str]]:
        """path -> (stat key, blob id) of the regular files whose row is trusted."""
        untrusted = self.untrusted
        return {row[0]: (row[1:], oid) for row, oid in zip(self.rows, self.oids, strict=True)
                if row[0] not in untrusted and stat.S_ISREG(row[1])}


def load_model(path: Path, root: Path, cache_format: str, label: str) -> Model | None:
    """The model kept for ``root`` by this version of gitstore, or None."""
    try:
        blob = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    try:
        fmt, code, where, rows, oids, untrusted, problems, groups = blob
        if (fmt, code, where) != (MODEL_FORMAT, cache_format, str(root)):
            return None
        if len(rows) != len(oids):
            return None
        stored = {(kind, type_): StoredGroup(kind, type_, present, docs, positions)
                  for kind, type_, present, docs, positions in groups}
    except (TypeError, ValueError):
        return None
    model = Model(rows, oids, set(untrusted), None)  # type: ignore[arg-type]
    model.snapshot = StoredSnapshot(label, model.entries, problems, stored)
    return model


def save_model(path: Path, root: Path, cache_format: str, snap: Snapshot,
               stat_cache: dict[str, tuple[StatKey, str]]) -> tuple[int, int] | None:
    """Keep ``snap`` (the working tree as last read) and the stats it was read with.

    Groups of a stored snapshot that were never unpacked are written back as
    they were read. Atomic; a failure only costs speed. Returns (files, files
    not vouched for by their stat), or None when nothing was written.
    """
    rows: list[Row] = []
    oids: list[str] = []
    untrusted: list[str] = []
    entries = snap.entries
    if any(e.stage for e in entries):
        return None  # a working tree has no unmerged entries; never store one that claims so
    ordered = sorted(entries, key=lambda e: listing_order(e.path))
    for entry in ordered:
        known = stat_cache.get(entry.path)
        if known is not None and known[1] == entry.oid and entry.mode == "100644":
            rows.append((entry.path, *known[0]))
        else:
            try:
                st = os.lstat(os.path.join(root, entry.path))
            except OSError:
                continue  # gone: the next listing finds it missing anyway
            rows.append((entry.path, st.st_mode, st.st_mtime_ns, st.st_ctime_ns, st.st_size,
                         st.st_ino))
            untrusted.append(entry.path)
        oids.append(entry.oid)
    groups = [(kind, type_, *blobs) for (kind, type_), blobs in _group_blobs(snap).items()]
    problems = [p.to_tuple() for p in snap.problems]
    data = marshal.dumps((MODEL_FORMAT, cache_format, str(root), rows, oids, untrusted,
                          problems, groups))
    if not try_replace_file(path, data):
        return None
    return len(rows), len(untrusted)


def _group_blobs(snap: Snapshot) -> dict[GroupKey, tuple[bytes, bytes, bytes]]:
    """Each group's packed present files, documents and their positions, in listing order."""
    if isinstance(snap, StoredSnapshot) and snap._documents is None and snap._present is None:
        return {key: group.blobs() for key, group in snap.groups.items()}
    present: dict[GroupKey, list[tuple[str, str]]] = {}
    for ref, where in sorted(snap.present.items(), key=lambda item: listing_order(item[1])):
        present.setdefault((ref.kind, ref.type), []).append((ref.name, where))
    docs: dict[GroupKey, list[Document]] = {}
    for ref, doc in snap.documents.items():
        docs.setdefault((ref.kind, ref.type), []).append(doc)
    out = {}
    for key, names in present.items():
        listed = sorted(docs.get(key, []), key=lambda d: listing_order(d.path))
        out[key] = (marshal.dumps(names),
                    marshal.dumps([(d.ref.name, d.path, d.oid, marshal.dumps(d.data))
                                   for d in listed]),
                    marshal.dumps([d.positions for d in listed]))
    return out


REPO_MEMO = "repo-info"
# the environment that changes where git finds a repository or how it reads its configuration
_DISCOVERY_ENV = (*vcs.REPO_ENV, "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT")


def remembered_repo_info(root: Path) -> vcs.RepoInfo | None:
    """:func:`~gitstore.plumbing.vcs.repo_info` of a working tree whose ``.git`` is a folder,
    kept in that folder and asked of git again when the folder or its configuration file
    changes (or the git environment says where to look): opening a store starts no git."""
    if (any(os.environ.get(k) is not None for k in _DISCOVERY_ENV)
            or os.environ.get("GITSTORE_NO_CACHE") == "1"):
        return vcs.repo_info(root)
    dot = os.path.join(root, ".git")
    try:
        folder = os.lstat(dot)
        config = os.stat(os.path.join(dot, "config"))
    except OSError:
        return vcs.repo_info(root)
    if not stat.S_ISDIR(folder.st_mode):
        return vcs.repo_info(root)  # a linked worktree or submodule: its .git is a file
    key = (MODEL_FORMAT, str(root), os.getuid(), folder.st_ino, folder.st_dev, folder.st_uid,
           config.st_mtime_ns, config.st_ctime_ns, config.st_size, config.st_ino)
    memo = os.path.join(dot, "gitstore", REPO_MEMO)
    try:
        with open(memo, "rb") as fh:
            blob = marshal.loads(fh.read())
        if blob[0] == key:
            git_dir, common_dir, toplevel, prefix = blob[1]
            return vcs.RepoInfo(Path(git_dir), Path(common_dir), Path(toplevel), prefix)
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        pass
    info = vcs.repo_info(root)
    if (info is not None and info.toplevel is not None and info.prefix == ""
            and os.path.realpath(info.git_dir) == os.path.realpath(dot)
            and os.path.realpath(info.toplevel) == os.path.realpath(root)):
        try_replace_file(Path(memo), marshal.dumps(
            (key, (str(info.git_dir), str(info.common_dir), str(info.toplevel), info.prefix))))
    return info


