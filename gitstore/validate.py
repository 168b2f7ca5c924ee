"""Validation: a source in, a report out.

:func:`validate` is the one entry point the CLI, the hooks and the library
share. Per-file results come from the cache when the file's blob id is known,
so a second run, or a run after a small change, reads and checks only what
changed; the cross-file checks always run over the whole snapshot, which is
cheap because they never touch a file.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from gitstore.cache import ResultCache
from gitstore.errors import NotAConfigRepository
from gitstore.layout import CONFIG_FILE
from gitstore.problems import Problem
from gitstore.snapshot import Progress, Snapshot, load_snapshot
from gitstore.sources import Source


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


def validate(source: Source, progress: Progress | None = None, use_cache: bool = True) -> Report:
    """Validate every file of ``source`` and the references between them."""
    # Reading builds many small containers and frees none of them until the end;
    # the cyclic collector would only walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        cache = ResultCache(source.cache_dir if use_cache else None)
        snap = load_snapshot(source, cache, progress)
        if not snap.has_settings:
            raise NotAConfigRepository(source.label, f"no {CONFIG_FILE} in the {source.label}")
        report = check_snapshot(snap, cache)
        report = _with_codeowners(report, source, snap)
        cache.save()
    finally:
        if collecting:
            gc.enable()
    return report


def _with_codeowners(report: Report, source: Source, snap: Snapshot) -> Report:
    """The report plus a stale generated CODEOWNERS, if the source holds one."""
    from gitstore.trust.codeowners import stale_codeowners

    stale = stale_codeowners(source, snap)
    if not stale:
        return report
    return Report(report.label, report.files, sorted([*report.problems, *stale],
                                                     key=Problem.sort_key))
