"""Writing the site: every page rendered from one :class:`Catalog`, into one folder.

Output depends only on the repository's contents (and the run records), never
on the time, the folder it was built in or the order files were listed in, so
the same commit gives byte-identical files.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.plumbing.sources import ConfigRepo
from gitstore.site import pages
from gitstore.site.frame import Frame
from gitstore.site.model import Catalog, collect

MARKER = ".gitstore-site"
STATIC = ("site.css", "site.js")


@dataclass(frozen=True)
class BuildResult:
    out: Path
    pages: int
    bytes: int
    errors: int
    warnings: int


PARALLEL_FROM = 2000  # pages; a smaller site is written sooner by one process
MAX_WORKERS = 4


def build_site(repo: ConfigRepo, out: Path, rev: str | None = None, runs: bool = True) -> BuildResult:
    """Write the catalog of REV (default: the working tree) into ``out``."""
    cat = collect(repo, rev, runs)
    old = _prepare(out)
    from gitstore.site.search import index_script

    frame = Frame("gitstore", _source(cat), runs)
    jobs = pages.jobs(cat)
    size = _write_pages(cat, frame, out, jobs)
    written = {job.file for job in jobs}
    count = len(written)
    for name in STATIC:
        text = resources.files("gitstore.site").joinpath("static").joinpath(name).read_text("utf-8")
        size += _write(out / name, text)
        written.add(name)
    size += _write(out / "search-index.js", index_script(cat))
    written.add("search-index.js")
    for name in old - written:  # pages of entities gone since the last build
        os.unlink(out / name)
    (out / MARKER).write_text("written by `gitstore site`; replaced on every build\n", "utf-8")
    return BuildResult(out, count, size, cat.report.errors, cat.report.warnings)


def _source(cat: Catalog) -> str:
    if cat.label.startswith("commit"):
        return f"commit {cat.commit}"
    return f"the working tree at {cat.commit[:12]}" if cat.commit else "a working tree"


def _prepare(out: Path) -> set[str]:
    """Make ``out`` ready (a new or empty folder, or one an earlier build wrote); the files
    an earlier build left there, which this one overwrites or removes."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder")
    old: set[str] = set()
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise UsageError(f"{out} is not empty and was not written by `gitstore site`; "
                             "give an empty or new folder with -o")
        old = {entry.name for entry in os.scandir(out)
               if entry.is_file(follow_symlinks=False) and entry.name.endswith((".html", ".js", ".css"))}
    out.mkdir(parents=True, exist_ok=True)
    return old


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def _write_pages(cat: Catalog, frame: Frame, out: Path, jobs: list[pages.Job]) -> int:
    """Render and write every page; a large site is shared among processes, one per core.

    Which process renders a page never changes what it holds, so the output
    stays the same byte for byte.
    """
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or len(jobs) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        return _write_share(cat, frame, out, jobs, 0, 1)
    global _SHARED
    _SHARED = (cat, frame, out, jobs, workers)
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            return sum(pool.map(_forked_share, range(workers)))
    finally:
        _SHARED = None


_SHARED: tuple[Catalog, Frame, Path, list[pages.Job], int] | None = None  # inherited by forked workers


def _forked_share(index: int) -> int:
    assert _SHARED is not None
    cat, frame, out, jobs, workers = _SHARED
    return _write_share(cat, frame, out, jobs, index, workers)


def _write_share(cat: Catalog, frame: Frame, out: Path, jobs: list[pages.Job], index: int,
                 workers: int) -> int:
    size = 0
    for job in jobs[index::workers]:
        title, body, crumbs = job.render()
        size += _write(out / job.file, frame.page(title, body, job.section, crumbs=crumbs))
    return size
