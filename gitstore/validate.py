"""Validation: a source in, a report out.

:func:`validate` is the one entry point the CLI, the hooks and the library
share. Per-file results come from the cache when the file's blob id is known,
so a second run, or a run after a small change, reads and checks only what
changed. A listing validated before is answered from its kept report; any other
run first tries to resume from the last whole result of its kind of source
(:mod:`gitstore.checks.resume`: only changed files and what refers to them are
checked again), and checks the whole otherwise.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitstore.errors import NotAConfigRepository
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE
from gitstore.plumbing.snapshot import Progress, Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, Source
from gitstore.problems import Problem

if TYPE_CHECKING:
    from gitstore.checks.resume import State


@dataclass(frozen=True)
class Report:
    label: str
    files: int
    problems: list[Problem]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    def ok(self, strict: bool = False) -> bool:
        return self.errors == 0 and (not strict or self.warnings == 0)


def check_snapshot(snap: Snapshot, cache: ResultCache | None = None) -> Report:
    """File-level and cross-file problems of a loaded snapshot, sorted and de-duplicated."""
    from gitstore.checks.integrity import check_integrity

    problems = set(snap.problems)
    problems.update(check_integrity(snap, cache))
    files = sum(1 for e in snap.entries)
    return Report(snap.label, files, sorted(problems, key=Problem.sort_key))


def listing_digest(entries: list[FileEntry]) -> str:
    """Names a set of files by path, mode, stage and content: all a whole result depends on."""
    import hashlib

    text = "\0".join([f"{path}\1{oid}\1{mode}\1{stage}" for path, oid, mode, stage in entries])
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


def validate(source: Source, progress: Progress | None = None, use_cache: bool = True) -> Report:
    """Validate every file of ``source`` and the references between them."""
    cache = ResultCache(source.cache_dir if use_cache else None)
    report = report_for(source, cache, progress)
    if report is None:
        raise NotAConfigRepository(source.label, f"no {CONFIG_FILE} in the {source.label}")
    report = _with_codeowners(report, source, cache)
    cache.save()
    return report


def report_for(source: Source, cache: ResultCache, progress: Progress | None = None
               ) -> Report | None:
    """The report of ``source`` (None when it holds no gitstore.yaml), reusing ``cache``.

    A listing validated before is answered from its kept result without
    reading any file; otherwise only files not seen before are read. The
    caller saves the cache.
    """
    # Reading builds many small containers and frees none of them until the end;
    # the cyclic collector would only walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = _tree(source) if cache.path is not None else None
        if tree is not None:
            report = _from_tree(source, cache, tree)
            if report is not None:
                return report
        raw = _listing_bytes(source) if tree is None and cache.path is not None else None
        if raw is not None:
            return _from_listing_bytes(source, cache, raw, progress)
        entries = source.entries()
        if not any(e.path == CONFIG_FILE for e in entries):
            return None
        digest = listing_digest(entries)
        known = cache.recall_report(digest)
        if known is not None:  # this very listing was validated before: same files, same result
            return Report(source.label, len(entries), [Problem(*p) for p in known])
        report = _resumed(source, cache, entries, tree)
        if report is None:
            report = _whole(source, cache, entries, progress, tree)
        cache.keep_report(digest, [p.to_tuple() for p in report.problems])
        if tree is not None:
            _keep_tree_report(cache, tree, report)
        return report
    finally:
        if collecting:
            gc.enable()


def _listing_bytes(source: Source) -> bytes | None:
    from gitstore.plumbing.sources import IndexSource

    return source.listing_bytes() if isinstance(source, IndexSource) else None


RAW_KEY = "index\0"
CONFIG_RECORD = f"\t{CONFIG_FILE}\0".encode()


def _from_listing_bytes(source: Source, cache: ResultCache, raw: bytes,
                        progress: Progress | None) -> Report | None:
    """The report of the index from its listing as git printed it: kept by that listing's
    digest, followed from the last check's state by comparing the two listings record by
    record, or found by a whole check; no step parses the whole listing but the last."""
    import hashlib

    from gitstore.plumbing.sources import IndexSource

    assert isinstance(source, IndexSource)  # see _listing_bytes
    if CONFIG_RECORD not in raw:  # each record's path follows a TAB
        return None
    digest = RAW_KEY + hashlib.sha1(raw).hexdigest()
    files = raw.count(b"\0")
    known = cache.recall_report(digest)
    if known is not None:
        return Report(source.label, files, [Problem(*p) for p in known])
    report = _resumed_raw(source, cache, raw, files)
    if report is None:
        entries = source.parse(raw)
        report = _whole(source, cache, entries, progress, raw=raw)
        # also by the parsed listing's digest, as other sources (a commit) name the same files
        cache.keep_report(listing_digest(entries), [p.to_tuple() for p in report.problems])
    cache.keep_report(digest, [p.to_tuple() for p in report.problems])
    return report


def _resumed_raw(source: Source, cache: ResultCache, raw: bytes, files: int) -> Report | None:
    from gitstore.checks.resume import resume_raw

    followed = _follow_state(source, cache, lambda state: resume_raw(state, source, raw, files))
    return Report(source.label, files, followed[1]) if followed else None


def _follow_state(source: Source, cache: ResultCache,
                  follow: Callable[[State], tuple[list[Problem], bool] | None],
                  tree: str | None = None) -> tuple[State, list[Problem]] | None:
    """The problems found by following the state the last check of this kind of source kept
    (``follow`` returns them and whether the state is worth writing again, or None when it
    cannot follow); the state is written back when worth it, or when it is now known to be
    of ``tree``. None when there is no usable state: the caller checks the whole."""
    from gitstore.checks.resume import load_state, save_state, state_path

    assert cache.path is not None
    path = state_path(cache.path.parent, source)
    state = load_state(path, cache.format)
    if state is None:
        return None
    try:
        found = follow(state)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, EOFError,
            AssertionError):
        found = None  # a state damaged in a way its shape does not show: check the whole
    if found is None:
        return None
    problems, worth_writing = found
    if tree is not None:
        state.tree, worth_writing = tree, True
    if worth_writing:
        save_state(path, state, cache.format)
    return state, sorted(set(problems), key=Problem.sort_key)


# A commit's files are named by its tree: its whole result is kept by the tree id (with the
# number of files first), and the state of the last check is followed to it with git
# diff-tree, so that neither lists the whole tree.
TREE_KEY = "tree\0"


def _tree(source: Source) -> str | None:
    """The id of the tree ``source`` reads, when it is a commit's (named by id) that holds a
    gitstore.yaml file; None otherwise (the listing then decides)."""
    from gitstore.plumbing import vcs
    from gitstore.plumbing.sources import GitTreeSource

    if not isinstance(source, GitTreeSource):
        return None
    rev, colon, folder = source.treeish.partition(":")
    if len(rev) != 40:
        return None
    start = f"{folder}/" if colon and folder else ""
    tree, config = vcs.cat_objects(source.git_cwd, [f"{rev}:{folder}", f"{rev}:{start}{CONFIG_FILE}"])
    if tree is None or tree.type != "tree" or config is None or config.type != "blob":
        return None
    return tree.oid


def _keep_tree_report(cache: ResultCache, tree: str, report: Report) -> None:
    cache.keep_report(TREE_KEY + tree, [("files", report.files),
                                        *(p.to_tuple() for p in report.problems)])


def _from_tree(source: Source, cache: ResultCache, tree: str) -> Report | None:
    """The report of a commit's tree: kept whole, or followed from the last check's state
    through what git diff-tree lists; None when neither can answer."""
    known = cache.recall_report(TREE_KEY + tree)
    if isinstance(known, list) and known and known[0][:1] == ("files",):
        return Report(source.label, known[0][1], [Problem(*p) for p in known[1:]])
    if cache.path is None:
        return None
    from gitstore.checks.resume import resume_tree
    from gitstore.errors import GitError
    from gitstore.plumbing import vcs
    from gitstore.plumbing.sources import LAYOUT_ROOTS, GitTreeSource

    assert isinstance(source, GitTreeSource)  # see _tree

    def follow(state: State) -> tuple[list[Problem], bool] | None:
        if not state.tree:
            return None
        try:
            changes = vcs.diff_trees(source.git_cwd, state.tree, tree, LAYOUT_ROOTS)
        except GitError:  # the kept tree is gone (a rejected push's objects are dropped)
            return None
        return resume_tree(state, source, tree, changes)

    followed = _follow_state(source, cache, follow)
    if followed is None:
        return None
    report = Report(source.label, followed[0].files, followed[1])
    _keep_tree_report(cache, tree, report)
    return report


def _resumed(source: Source, cache: ResultCache, entries: list[FileEntry],
             tree: str | None = None) -> Report | None:
    """The report found from the state the last run of this kind of source kept, if it can be
    followed to ``entries`` (see :mod:`gitstore.checks.resume`); the state is then updated
    (and written, when it is now known to be of ``tree``)."""
    if cache.path is None:
        return None
    from gitstore.checks.resume import resume

    followed = _follow_state(source, cache, lambda state: resume(state, source, entries), tree)
    return Report(source.label, len(entries), followed[1]) if followed else None


def _whole(source: Source, cache: ResultCache, entries: list[FileEntry],
           progress: Progress | None, tree: str | None = None, raw: bytes = b"") -> Report:
    """Check every file (each recalled from the per-blob cache when known) and keep the state
    the next run resumes from."""
    from gitstore.checks.resume import full_check, save_state, state_path

    snap = load_snapshot(source, cache, progress, entries)
    if cache.path is None:
        return check_snapshot(snap, cache)
    problems, state = full_check(snap, cache)
    if state is not None:
        state.tree, state.raw = tree or "", raw
        save_state(state_path(cache.path.parent, source), state, cache.format)
    return Report(snap.label, len(entries), sorted(set(problems), key=Problem.sort_key))


def _with_codeowners(report: Report, source: Source, cache: ResultCache) -> Report:
    """The report plus a stale generated CODEOWNERS, if the source holds one.

    CODEOWNERS lies outside the layout, so this runs after the (cached) report
    and loads the snapshot only when a generated CODEOWNERS exists.
    """
    from gitstore.trust.codeowners import read_generated, stale_codeowners

    if read_generated(source) is None:
        return report
    stale = stale_codeowners(source, load_snapshot(source, cache))
    if not stale:
        return report
    return Report(report.label, report.files, sorted([*report.problems, *stale],
                                                     key=Problem.sort_key))
