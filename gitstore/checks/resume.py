"""Validation that resumes from the last whole result, so that its cost follows the change.

After a whole check, :func:`full_check` keeps (in ``.git/gitstore/validate-state-<source>``)
the file listing it checked (path -> blob id and mode) with what a re-check
needs: each file's own problems, each document's parsed content (marshalled
on its own, unmarshalled only when asked for), each document's cross-file
problems, the references between documents (both ways), the documents whose
problems carry a "did you mean" hint, the ids of the kinds that have explicit
ids, and the repository-wide problems (case collisions, duplicate ids).

:func:`resume` diffs a new listing against it, reads and checks only the
changed files, and re-runs the cross-file checks of the documents the change
touched and of those that refer to a touched entity (plus the hinted ones when
a name came or went), the same rule :class:`gitstore.checks.incremental.IntegrityIndex`
follows. Everything it cannot follow cheaply (gitstore.yaml changed, a kind
gained or lost its first explicit id, an unmerged path, a large change, a
damaged or foreign state file) answers None, and the caller checks the whole.
:func:`resume_tree` does the same for a commit from what ``git diff-tree`` lists between
the tree the state was kept for (``State.tree``) and the commit's, without listing the tree;
:func:`resume_raw` for the index from ``git ls-files -s -z``'s output as printed, compared
with the one the state was kept for (:func:`changed_records`), without parsing either whole.

The state is read in parts (see :class:`State`), each with a checksum, so that a one-file
change reads the parts it needs: the 25 MB a 50,000-file repository keeps are mostly parsed
documents and referrers, in BUCKETS parts each, read when a path of them is asked for.
tests/test_resume.py proves its reports equal a full check on random changes, and that a
damaged, missing or older part (or state) means a whole check.
"""

from __future__ import annotations

import contextlib
import marshal
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gitstore.checks.integrity import (
    NAME_HINTED,
    check_document,
    collision_problems,
    duplicate_id_problems,
    settings_problems,
)
from gitstore.plumbing.atomic import try_replace_file
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, EntityRef, classify, entity_path
from gitstore.plumbing.parts import (
    BUCKETS,
    DamagedState,
    Parts,
    PartSet,
    Raw,
    decode,
    pack,
    read_parts,
)
from gitstore.plumbing.snapshot import Document, Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, Source
from gitstore.plumbing.vcs import ZERO_OID, TreeChange
from gitstore.problems import Problem
from gitstore.references import references

STATE_FILE = "validate-state-"
STATE_TAG = "gitstore-state-4"
PLAIN = "100644"
AUX_PREFIXES = ("cfg\0", "flv\0")  # cross-file results kept by blob ids (see integrity.py)

PTuple = tuple[Any, ...]


def state_path(directory: Path, source: Source) -> Path:
    """One state per kind of source: the working tree, the index and commits move apart."""
    return directory / (STATE_FILE + type(source).__name__.lower())


class State:
    """What a re-check needs; entities are named by their files' paths (one path per entity).

    On disk (see :meth:`dump`): a small header naming each part's size and checksum, then
    the parts: what every run needs (the problems, the ids, the entity files, the listing as
    git printed it), the listing by path (read when asked for), and the parsed documents and
    the referrers in BUCKETS parts each, read when asked for (:class:`Parts`). A part that
    does not match its checksum raises DamagedState, and the caller checks the whole."""

    def __init__(self, listing: dict[str, str] | None, present: PartSet, results: Parts,
                 file_problems: dict[str, list[PTuple]], cross: dict[str, list[PTuple]],
                 hinted: set[str], by_target: Parts, explicit: dict[str, str],
                 ids: dict[str, str], collisions: list[PTuple], duplicates: list[PTuple],
                 aux: dict[str, Any], tree: str = "", raw: bytes = b"",
                 listing_part: Raw | None = None, files: int = 0,
                 cased: set[str] | None = None) -> None:
        self._listing = listing  # path -> blob id, and mode unless a plain file ("oid mode")
        self._listing_part = listing_part  # the same, not yet read
        self._pending: dict[str, str | None] = {}  # changes to apply once it is read
        self.present = present  # the entity files (readable or not)
        # the entity files with capitals (see _refold)
        self.cased = {path for path in present if path != path.lower()} if cased is None else cased
        self.results = results  # path -> marshal.dumps((oid, data, positions)) per document
        self.file_problems = file_problems  # path -> the problems of the file alone
        self.cross = cross  # document -> its cross-file problems
        self.hinted = hinted  # documents whose problems carry a hint drawn from a kind's names
        self.by_target = by_target  # entity -> the documents that refer to it, joined by NUL
        self.explicit = explicit  # document with an `id` line -> its kind
        self.ids = ids  # document of a kind with explicit ids -> its id
        self.collisions = collisions
        self.duplicates = duplicates
        self.aux = aux  # custom flavor and config results used by the last run
        self.tree = tree  # the git tree the listing is of, when known (see resume_tree)
        self.raw = raw  # the listing as ``git ls-files -s -z`` printed it, when known
        self.files = len(listing) if listing is not None else files  # paths in the listing

    @property
    def listing(self) -> dict[str, str]:
        if self._listing is None:
            assert self._listing_part is not None
            self._listing = decode(*self._listing_part, dict)
            self.set_listing(self._pending)
            self._pending = {}
        return self._listing

    def set_listing(self, changes: dict[str, str | None]) -> None:
        """Apply path -> new value (None: the path is gone) to the listing, now or when read."""
        if self._listing is None:
            self._pending.update(changes)
            return
        for path, value in changes.items():
            if value is None:
                self._listing.pop(path, None)
            else:
                self._listing[path] = value

    def dump(self, fmt: str) -> bytes:
        listing = marshal.dumps(self.listing)
        core = marshal.dumps((self.file_problems, self.cross, self.hinted, self.explicit,
                              self.ids, self.collisions, self.duplicates, self.aux, self.raw,
                              self.tree, len(self.listing), self.cased))
        parts = [core, listing, *self.results.dumps(), *self.by_target.dumps(),
                 *self.present.dumps()]
        return pack(STATE_TAG, fmt, parts)


_CORE_TYPES = (dict, dict, set, dict, dict, list, list, dict, bytes, str, int, set)
# the parts: what every run needs, the listing, then BUCKETS parts each of the parsed documents,
# the referrers and the entity files
CORE, LISTING, DOCUMENTS, REFERRERS, PRESENT = 0, 1, 2, 2 + BUCKETS, 2 + 2 * BUCKETS
PARTS = 2 + 3 * BUCKETS


def load_state(path: Path, fmt: str) -> State | None:
    """The kept state, or None when it is missing, damaged, foreign or from other code.

    Only the header and the parts every run needs are read here; the rest is read (and
    checked) when asked for, and raises DamagedState then."""
    raw = read_parts(path, STATE_TAG, fmt, PARTS)
    if raw is None:
        return None
    try:
        return _parse_state(raw)
    except DamagedState:
        return None


def _parse_state(raw: list[Raw]) -> State | None:
    core = decode(*raw[CORE], tuple)
    if len(core) != len(_CORE_TYPES) or not all(
            isinstance(value, kind) for value, kind in zip(core, _CORE_TYPES, strict=True)):
        return None
    problems, cross, hinted, explicit, ids, collisions, duplicates, aux, listed, tree, files, \
        cased = core
    return State(None, PartSet(raw[PRESENT:]), Parts(raw[DOCUMENTS:REFERRERS], bytes), problems,
                 cross, hinted, Parts(raw[REFERRERS:PRESENT], str), explicit, ids, collisions,
                 duplicates, aux, tree, listed, raw[LISTING], files, cased)


def save_state(path: Path, state: State, fmt: str) -> None:
    """Replace the state atomically; a repository that cannot be written still validates."""
    try:
        data = state.dump(fmt)
    except DamagedState:  # a part this run did not need is damaged: the next run starts over
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    try_replace_file(path, data)


def listing_of(entries: list[FileEntry]) -> dict[str, str] | None:
    """path -> blob id (and mode, unless a plain file: "oid mode"), or None when a path is
    unmerged (several entries per path)."""
    if any(e.stage for e in entries):
        return None
    return {e.path: e.oid if e.mode == PLAIN else f"{e.oid} {e.mode}" for e in entries}


def _path(ref: EntityRef) -> str:
    return entity_path(ref.kind, ref.name, ref.type)


# --- the whole check, keeping what the next run needs ------------------------------------


def full_check(snap: Snapshot, cache: ResultCache) -> tuple[list[Problem], State | None]:
    """Every problem of ``snap`` (as :func:`gitstore.validate.check_snapshot` finds them)
    and the state to resume from (None when the listing cannot be followed)."""
    problems = list(snap.problems)
    cross: dict[str, list[PTuple]] = {}
    for doc in snap.documents.values():
        if doc.ref.kind == "settings":
            continue
        found = check_document(snap, doc, cache)
        if found:
            cross[doc.path] = [p.to_tuple() for p in found]
            problems.extend(found)
    settings = list(settings_problems(snap))
    collisions = list(_collisions(snap, snap.present.values()))
    explicit = {doc.path: doc.ref.kind for doc in snap.documents.values() if "id" in doc.data}
    ids = _ids(snap.documents.values(), set(explicit.values()))
    duplicates = list(_duplicates(snap, ids))
    problems.extend([*settings, *collisions, *duplicates])
    listing = listing_of(snap.entries)
    if (listing is None or any(p.path not in listing for p in snap.problems)
            or any(path != _path(ref) for ref, path in snap.present.items())):
        return problems, None
    file_problems: dict[str, list[PTuple]] = defaultdict(list)
    for p in snap.problems:
        file_problems[p.path].append(p.to_tuple())
    by_target: dict[str, str] = {}
    for doc in snap.documents.values():
        _index(doc, by_target)
    results = {doc.path: marshal.dumps((doc.oid, doc.data, doc.positions))
               for doc in snap.documents.values()}
    state = State(
        listing, PartSet.of(snap.present.values()), Parts.of(results, bytes),
        dict(file_problems), cross, {r for r, ps in cross.items() if _is_hinted(ps)},
        Parts.of(by_target, str), explicit, ids,
        [p.to_tuple() for p in collisions], [p.to_tuple() for p in duplicates],
        cache.used(AUX_PREFIXES))
    return problems, state


def _targets(doc: Document) -> list[str]:
    """The paths of the entities ``doc`` refers to, each once."""
    return list(dict.fromkeys(_path(r.target) for r in references(doc)))


def _index(doc: Document, by_target: dict[str, str] | Parts) -> None:
    for target in _targets(doc):
        held = by_target.get(target)
        by_target[target] = doc.path if held is None else f"{held}\0{doc.path}"


def _referrers(by_target: Parts, target: str) -> list[str]:
    held = by_target.get(target)
    return held.split("\0") if held else []


def _is_hinted(problems: list[PTuple]) -> bool:
    return any(p[3] in NAME_HINTED for p in problems)


def _collisions(snap: Snapshot, paths: Iterable[str]) -> Iterator[Problem]:
    """GS024, as :func:`gitstore.checks.integrity.check_repository_wide` finds it (an
    entity's path is its case key: folders and types are lower case, names the rest)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        groups[path.lower()].append(path)
    for group in groups.values():
        if len(group) >= 2:
            refs = [classify(p) for p in group]
            yield from collision_problems(snap, [r for r in refs if isinstance(r, EntityRef)])


def _ids(documents: Iterable[Document], kinds: set[str]) -> dict[str, str]:
    return {doc.path: doc.id for doc in documents
            if doc.ref.kind in kinds and doc.ref.kind != "settings"}


def _duplicates(snap: Snapshot, ids: dict[str, str]) -> Iterator[Problem]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path, id_ in ids.items():
        groups[(path.split("/", 1)[0], id_)].append(path)
    for paths in groups.values():
        if len(paths) >= 2:
            docs = [_document(snap, p) for p in paths]
            yield from duplicate_id_problems(d for d in docs if d is not None)


def _document(snap: Snapshot, path: str) -> Document | None:
    ref = classify(path)
    return snap.documents.get(ref) if isinstance(ref, EntityRef) else None


# --- resuming ----------------------------------------------------------------------------


class _Present(dict):
    """Entity -> path for a resumed snapshot, answered from the state's set of entity files."""

    def __init__(self, paths: PartSet) -> None:
        super().__init__()
        self.paths = paths

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, tuple) and _path(EntityRef(*ref)) in self.paths

    def __getitem__(self, ref: EntityRef) -> str:
        path = _path(EntityRef(*ref))
        if path not in self.paths:
            raise KeyError(ref)
        return path

    def get(self, ref: Any, default: Any = None) -> Any:
        return self[ref] if ref in self else default

    def names(self, kind: str, type_: str | None) -> list[str]:
        folder = entity_path(kind, "x", type_)[:-len("x.yaml")]
        return sorted(p[len(folder):-len(".yaml")] for p in self.paths
                      if p.startswith(folder) and "/" not in p[len(folder):])


class _Documents(dict):
    """The documents of a resumed snapshot, unmarshalled from the state only when asked for."""

    def __init__(self, state: State) -> None:
        super().__init__()
        self.state = state

    def get(self, ref: Any, default: Any = None) -> Any:
        found = dict.get(self, ref)
        if found is not None:
            return found
        path = _path(EntityRef(*ref))
        blob = self.state.results.get(path)
        if blob is None:
            return default
        doc = _unmarshal(path, blob)
        self[ref] = doc
        return doc


def _unmarshal(path: str, blob: bytes) -> Document:
    ref = classify(path)
    assert isinstance(ref, EntityRef)
    oid, data, positions = marshal.loads(blob)
    return Document(ref, path, oid, data, positions)


class _Resumed(Snapshot):
    """A snapshot whose entities and documents come from the state, when asked for."""

    _names: dict[tuple[str, str | None], list[str]]

    def names(self, kind: str, type_: str | None = None) -> list[str]:
        if not hasattr(self, "_names"):
            self._names = {}
        key = (kind, type_)
        if key not in self._names:
            assert isinstance(self.present, _Present)
            self._names[key] = self.present.names(kind, type_)
        return self._names[key]


class _AuxCache(ResultCache):
    """The cross-file results of the last run (custom flavors and their components)."""

    def __init__(self, aux: dict[str, Any]) -> None:
        super().__init__(None)
        self.aux = aux

    def get(self, key: str) -> Any:
        return self.aux.get(key)

    def put(self, key: str, value: Any) -> None:
        self.aux[key] = value


REWRITE_AFTER = 16  # changed files: below, the state on disk is left as it is (see resume)


def change_limit(files: int) -> int:
    """Above this many changed files a whole check is about as cheap."""
    return 200 + files // 10


def resume(state: State, source: Source, entries: list[FileEntry]
           ) -> tuple[list[Problem], bool] | None:
    """The problems of ``entries`` found from ``state`` (which it updates), and whether the
    updated state is worth writing; None when the change cannot be followed (the caller then
    checks the whole and keeps a new state).

    Writing the state costs more than re-reading a few files, so while fewer than
    REWRITE_AFTER files differ from the state on disk it is left as it is and each run
    re-reads and re-checks those few files."""
    old = state.listing
    get = old.get
    changed: set[str] = set()
    new: dict[str, str] = {}
    kept = 0
    for path, oid, mode, stage in entries:  # unpacked: named fields cost more at 50,000 files
        if stage:  # an unmerged path: several entries, none of them the file
            return None
        value = oid if mode == PLAIN else f"{oid} {mode}"
        was = get(path)
        if was == value:
            kept += 1
            continue
        changed.add(path)
        new[path] = value
        if was is not None:
            kept += 1
    if kept != len(old):  # some paths are gone
        changed.update(old.keys() - {e.path for e in entries})
    state.tree, state.raw = "", b""
    return _resume(state, source, changed, new, len(entries))


def resume_tree(state: State, source: Source, tree: str, changes: list[TreeChange]
                ) -> tuple[list[Problem], bool] | None:
    """:func:`resume` for a git tree, from what ``git diff-tree`` lists between the tree
    ``state`` was kept for and ``tree`` (paths from the configuration root), without listing
    the whole tree."""
    changed: set[str] = set()
    new: dict[str, str] = {}
    files = state.files
    for change in changes:
        changed.add(change.path)
        if change.new_oid != ZERO_OID:
            mode = change.new_mode
            new[change.path] = change.new_oid if mode == PLAIN else f"{change.new_oid} {mode}"
        if not _was(state, change.path, change.old_oid):
            return None  # the state is not of the tree git compared it with
        files += (change.new_oid != ZERO_OID) - (change.old_oid != ZERO_OID)
    state.tree, state.raw = tree, b""
    return _resume(state, source, changed, new, files)


def _was(state: State, path: str, oid: str) -> bool:
    """Whether the state agrees that ``path`` was ``oid`` (ZERO_OID: absent), as far as it
    knows without reading the listing: the entity files and their documents' blob ids."""
    if oid == ZERO_OID:
        return path not in state.present
    blob = state.results.get(path)
    return blob is None or marshal.loads(blob)[0] == oid


SAME_BLOCK = 1 << 16  # bytes compared at a time when looking for the listings' common ends


def changed_records(old: bytes, new: bytes, block: int = SAME_BLOCK) -> tuple[set[bytes], set[bytes]]:
    """The NUL-terminated records only ``old`` holds and those only ``new`` holds, of two
    listings each holding one record per path, sorted. Whole blocks the two share at the
    start and at the end are skipped (compared in C, not split), so a one-file change in a
    listing of 50,000 records splits a few hundred."""
    size = min(len(old), len(new))
    head = 0
    while head + block <= size and old[head:head + block] == new[head:head + block]:
        head += block
    tail = 0
    while (tail + block <= size - head
           and old[len(old) - tail - block:len(old) - tail]
           == new[len(new) - tail - block:len(new) - tail]):
        tail += block
    start = old.rfind(b"\0", 0, head) + 1  # the records before are whole and the same
    # the records after the first NUL of the common tail are whole and the same
    end = old.find(b"\0", len(old) - tail) + 1 if tail else len(old)
    before = set(old[start:end].split(b"\0"))
    after = set(new[start:len(new) - (len(old) - end)].split(b"\0"))
    return before - after, after - before


def resume_raw(state: State, source: Source, raw: bytes, files: int
               ) -> tuple[list[Problem], bool] | None:
    """:func:`resume` from the listing as ``git ls-files -s -z`` printed it (``raw``, see
    :meth:`gitstore.plumbing.sources.IndexSource.listing_bytes`), compared record by record
    with the one the state was kept for, so that neither listing is parsed whole (``files``:
    its number of records)."""
    if not state.raw:
        return None
    gone, came = changed_records(state.raw, raw)
    changed: set[str] = set()
    new: dict[str, str] = {}
    for record in gone:
        changed.add(record.partition(b"\t")[2].decode("utf-8", "surrogateescape"))
    for record in came:
        head, _, name = record.partition(b"\t")
        fields = head.decode("ascii").split(" ")
        if len(fields) != 3 or fields[2] != "0":  # an unmerged path (or not a record)
            return None
        mode, oid, _ = fields
        path = name.decode("utf-8", "surrogateescape")
        changed.add(path)
        new[path] = oid if mode == PLAIN else f"{oid} {mode}"
    state.tree, state.raw = "", raw
    return _resume(state, source, changed, new, files)


def _resume(state: State, source: Source, changed: set[str], new: dict[str, str], files: int
            ) -> tuple[list[Problem], bool] | None:
    if CONFIG_FILE in changed or len(changed) > change_limit(files):
        return None
    read = [FileEntry(path, oid, mode or PLAIN)
            for path, (oid, _, mode) in ((p, v.partition(" ")) for p, v in new.items())]
    mini = load_snapshot(source, ResultCache(None), entries=read)
    if (any(p.path not in changed for p in mini.problems)
            or any(path != _path(ref) for ref, path in mini.present.items())):
        return None
    kinds = set(state.explicit.values())
    gone = _forget(state, changed)
    state.set_listing({path: new.get(path) for path in changed})
    state.files = files
    for p in mini.problems:
        state.file_problems.setdefault(p.path, []).append(p.to_tuple())
    came = set(mini.present.values())
    for path in came:
        state.present.add(path)
    state.cased |= {path for path in came if path != path.lower()}
    # The cross-file checks read entities and documents only (never the listing).
    snap = _Resumed(source.label, [], documents=_Documents(state),
                    present=_Present(state.present))
    for ref, doc in mini.documents.items():
        state.results[doc.path] = marshal.dumps((doc.oid, doc.data, doc.positions))
        snap.documents[ref] = doc
        if "id" in doc.data:
            state.explicit[doc.path] = ref.kind
        _index(doc, state.by_target)
    if set(state.explicit.values()) != kinds:  # duplicate ids are then looked for elsewhere
        return None
    for ref, doc in mini.documents.items():
        if ref.kind in kinds and ref.kind != "settings":
            state.ids[doc.path] = doc.id
    _prune_aux(state.aux, changed, new)
    _recheck(state, snap, came, gone)
    if came != gone:
        state.collisions = _refold(state, snap, came | gone)
    if any(p.split("/", 1)[0] in _folders(kinds) for p in came | gone):
        state.duplicates = [p.to_tuple() for p in _duplicates(snap, state.ids)]
    problems = [Problem(*t) for ts in state.file_problems.values() for t in ts]
    problems.extend(Problem(*t) for ts in state.cross.values() for t in ts)
    problems.extend(Problem(*t) for t in [*state.collisions, *state.duplicates])
    problems.extend(settings_problems(snap))
    return problems, len(changed) >= REWRITE_AFTER


def _refold(state: State, snap: Snapshot, touched: set[str]) -> list[PTuple]:
    """The case collisions (GS024) once the ``touched`` entity files came or went: those of
    untouched groups are kept (each problem names a file of its group), the touched groups
    are found again."""
    keys = {path.lower() for path in touched}
    kept = [t for t in state.collisions if t[0].lower() not in keys]
    # a path is its own lower case unless it is one of the few with capitals (state.cased)
    members = [key for key in keys if key in state.present]
    members += [path for path in state.cased if path.lower() in keys and path not in keys]
    return kept + [p.to_tuple() for p in _collisions(snap, members)]


def _folders(kinds: set[str]) -> set[str]:
    return {entity_path(k, "x", "x").split("/", 1)[0] for k in kinds if k != "settings"}


def _forget(state: State, changed: set[str]) -> set[str]:
    """Drop what ``state`` knows of the changed paths; the entity files among them."""
    gone = {path for path in changed if path in state.present}
    for path in gone:
        state.present.discard(path)
    state.cased -= gone
    for path in changed:
        state.file_problems.pop(path, None)
        blob = state.results.pop(path, None)
        state.cross.pop(path, None)
        state.hinted.discard(path)
        state.explicit.pop(path, None)
        state.ids.pop(path, None)
        for target in _targets(_unmarshal(path, blob)) if blob else ():
            holders = [h for h in _referrers(state.by_target, target) if h != path]
            if holders:
                state.by_target[target] = "\0".join(holders)
            else:
                state.by_target.pop(target, None)
    return gone


def _recheck(state: State, snap: _Resumed, came: set[str], gone: set[str]) -> None:
    """Re-run the cross-file checks of the touched documents and of what refers to them."""
    recheck = set(came)
    for path in came | gone:
        recheck.update(_referrers(state.by_target, path))
    if came != gone:  # a name came or went: every "did you mean" may change
        recheck |= state.hinted
    cache = _AuxCache(state.aux)
    for path in recheck:
        state.cross.pop(path, None)
        state.hinted.discard(path)
        doc = _document(snap, path)
        if doc is None or doc.ref.kind == "settings":
            continue
        found = check_document(snap, doc, cache)
        if found:
            state.cross[path] = [p.to_tuple() for p in found]
            if _is_hinted(state.cross[path]):
                state.hinted.add(path)
    state.aux = cache.aux


def _prune_aux(aux: dict[str, Any], changed: set[str], new: dict[str, str]) -> None:
    """Drop the results kept for the old contents of changed files (``new``: the changed
    paths still there -> their blob id, and mode unless a plain file)."""
    for key in list(aux):
        parts = key.split("\0", 3)
        if len(parts) < 3 or (parts[1] in changed
                              and new.get(parts[1], "").split(" ", 1)[0] != parts[2]):
            del aux[key]
