"""Writing the site: every page rendered from one :class:`Catalog`, into one folder.

Output depends only on the repository's contents (and the run records), never
on the time, the folder it was built in or the order files were listed in, so
the same commit gives byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.plumbing.layout import COMPONENT_TYPES, OPERATIONS
from gitstore.plumbing.sources import ConfigRepo
from gitstore.site.markup import Markup, link
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


Page = tuple[str, str, Markup, str, Markup | str]  # file, title, body, nav section, crumbs


def build_site(repo: ConfigRepo, out: Path, rev: str | None = None, runs: bool = True) -> BuildResult:
    """Write the catalog of REV (default: the working tree) into ``out``."""
    cat = collect(repo, rev, runs)
    old = _prepare(out)
    from gitstore.site.frame import Frame
    from gitstore.site.search import index_script

    frame = Frame("gitstore", _source(cat), runs)
    written: set[str] = set()
    size = 0
    for name, title, body, section, crumbs in _pages(cat):
        size += _write(out / name, frame.page(title, body, section, crumbs=crumbs))
        written.add(name)
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


def _pages(cat: Catalog) -> Iterator[Page]:
    from gitstore.site import components, flavors, people, stacks
    from gitstore.site.common import who_may_change, who_page
    from gitstore.site.overview import overview

    title, body = overview(cat)
    yield "index.html", title, body, "index.html", ""
    indexes: list[tuple[str, Callable[[Catalog], tuple[str, Markup]]]] = [
        ("stacks.html", stacks.stack_index), ("components.html", components.component_index),
        ("flavors.html", flavors.flavor_index), ("users.html", people.user_index),
        ("teams.html", people.team_index), ("roles.html", people.role_index),
        ("projects.html", people.project_index)]
    for name, render in indexes:
        title, body = render(cat)
        yield name, title, body, name, ""
    for operation in OPERATIONS:
        title, body = who_page(cat, operation)
        yield f"who-{operation}.html", title, body, "roles.html", link("roles.html", "Roles")
    who_stack = who_may_change(cat, "stack")
    records = stacks.stack_runs(cat)
    for name in cat.snap.names("stack"):
        yield _entity("stack", name, None, "stacks.html",
                      stacks.stack_page(cat, name, who_stack, records.get(name, [])), cat)
    who_component = who_may_change(cat, "stack_component")
    for type_ in COMPONENT_TYPES:
        for name in cat.snap.names("component", type_):
            yield _entity("component", name, type_, "components.html",
                          components.component_page(cat, type_, name, who_component), cat)
    who_flavor = who_may_change(cat, "flavor")
    for type_, name in flavors.all_flavors(cat):
        yield _entity("flavor", name, type_, "flavors.html",
                      flavors.flavor_page(cat, type_, name, who_flavor), cat)
    named: list[tuple[str, Callable[[Catalog, str], tuple[str, Markup, Markup]]]] = [
        ("user", people.user_page), ("team", people.team_page), ("role", people.role_page),
        ("project", people.project_page)]
    for kind, page in named:
        for name in cat.snap.names(kind):
            yield _entity(kind, name, None, f"{kind}s.html", page(cat, name), cat)
    if cat.runs is not None:
        yield from _run_pages(cat)


def _run_pages(cat: Catalog) -> Iterator[Page]:
    from gitstore.site.runs import run_page, runs_index

    title, body = runs_index(cat)
    yield "runs.html", title, body, "runs.html", ""
    for record in cat.runs or []:
        yield _entity("run", str(record.get("name")), None, "runs.html", run_page(cat, record), cat)


def _entity(kind: str, name: str, type_: str | None, section: str,
            rendered: tuple[str, Markup, Markup], cat: Catalog) -> Page:
    page = cat.pages.get(kind, name, type_)
    assert page is not None
    title, body, crumbs = rendered
    return page, title, body, section, crumbs
