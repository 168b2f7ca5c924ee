"""What the site shows, gathered from the core in one pass.

The snapshot and its problems come from the same load and checks as
``gitstore validate``; references from :mod:`gitstore.references`; who holds
what from :mod:`gitstore.trust.permissions`; history from one ``git log`` over
the layout's folders; run records from :mod:`gitstore.runs.read`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from gitstore.errors import NotAConfigRepository
from gitstore.flavors import builtin_names
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import (
    COMPONENT_TYPES,
    CONFIG_FILE,
    OPERATIONS,
    PERMISSION_TYPES,
    EntityRef,
)
from gitstore.plumbing.snapshot import Snapshot, load_snapshot
from gitstore.plumbing.sources import LAYOUT_ROOTS, ConfigRepo
from gitstore.problems import Problem
from gitstore.references import ReferenceIndex
from gitstore.site.names import Key, PageNames
from gitstore.site.redact import clean_config, scrub
from gitstore.trust.permissions import Authority, Grant
from gitstore.validate import Report, check_snapshot

RECENT_COMMITS = 10


@dataclass
class Catalog:
    """Everything the pages are rendered from."""

    label: str  # "working tree" or "commit <sha>"
    commit: str | None  # the commit shown (HEAD under the working tree), None outside git
    snap: Snapshot
    report: Report
    refs: ReferenceIndex
    authority: Authority
    grants: dict[tuple[str, str], list[Grant]]  # (operation, type) -> every grant of it
    history: dict[str, list[vcs.LoggedCommit]]  # entity path -> commits changing it, newest first
    recent: list[vcs.LoggedCommit]
    runs: list[dict[str, Any]] | None  # None: runs not asked for
    pages: PageNames = field(init=False)
    page_of_path: dict[str, str] = field(init=False)  # entity file -> its page
    configs: dict[EntityRef, Any] = field(init=False)  # component -> config fit to show
    problems: list[Problem] = field(init=False)  # the report's, quoting no withheld value
    problems_by_path: dict[str, list[Problem]] = field(init=False)
    grants_of: dict[str, list[tuple[str, str, Grant]]] = field(init=False)  # user -> (op, type, grant)
    links: dict[tuple[str, str | None, str], Any] = field(default_factory=dict)  # rendered entity links

    def __post_init__(self) -> None:
        keys: list[Key] = [(r.kind, r.type, r.name) for r in self.snap.present if r.kind != "settings"]
        keys += [("flavor", t, f) for t in COMPONENT_TYPES for f in builtin_names(t)]
        for record in self.runs or []:
            keys.append(("run", None, str(record["name"])))
        self.pages = PageNames(keys)
        self.page_of_path = {CONFIG_FILE: "index.html"}
        for ref, path in self.snap.present.items():
            page = self.pages.get(ref.kind, ref.name, ref.type)
            if page:
                self.page_of_path[path] = page
        self.configs, withheld = {}, {}
        for doc in self.snap.of_kind("component"):
            self.configs[doc.ref], withheld[doc.path] = clean_config(
                self.snap, doc.ref.type, doc.data.get("flavor"), doc.data.get("config"))
        self.problems = [scrub(p, withheld.get(p.path, [])) for p in self.report.problems]
        self.grants_of = defaultdict(list)
        for (operation, ptype), grants in self.grants.items():
            for grant in grants:
                self.grants_of[grant.user].append((operation, ptype, grant))
        self.problems_by_path = defaultdict(list)
        for problem in self.problems:
            self.problems_by_path[problem.path].append(problem)


def collect(repo: ConfigRepo, rev: str | None, runs: bool) -> Catalog:
    """Load REV (default: the working tree) and everything the site shows of it."""
    source = repo.commit(rev) if rev else repo.worktree()
    cache = ResultCache(repo.cache_dir)
    snap = load_snapshot(source, cache)
    if not snap.has_settings:
        raise NotAConfigRepository(source.label, f"no {CONFIG_FILE} in the {source.label}")
    report = _report(source, snap, cache)
    cache.save()
    commit = _commit(repo, rev)
    history, recent = _history(repo, commit)
    authority = Authority(snap)
    grants = {(op, pt): authority.grants(op, pt) for op in OPERATIONS for pt in PERMISSION_TYPES}
    records = _runs(repo) if runs else None
    return Catalog(source.label, commit, snap, report, ReferenceIndex(snap.documents.values()),
                   authority, grants, history, recent, records)


def _report(source: Any, snap: Snapshot, cache: ResultCache) -> Report:
    """The problems ``gitstore validate`` reports for the same source."""
    from gitstore.trust.codeowners import stale_codeowners

    report = check_snapshot(snap, cache)
    stale = stale_codeowners(source, snap)
    if not stale:
        return report
    return Report(report.label, report.files, sorted([*report.problems, *stale], key=Problem.sort_key))


def _commit(repo: ConfigRepo, rev: str | None) -> str | None:
    if repo.git is None:
        return None
    return vcs.resolve_commit(repo.git_cwd, rev) if rev else vcs.commit_or_none(repo.git_cwd, "HEAD")


def _history(repo: ConfigRepo, commit: str | None
             ) -> tuple[dict[str, list[vcs.LoggedCommit]], list[vcs.LoggedCommit]]:
    """Per entity file, the commits that changed it; and the latest configuration commits."""
    if commit is None:
        return {}, []
    start = f"{repo.prefix}/" if repo.prefix else ""
    log = vcs.log_changes(repo.git_cwd, commit, [start + root for root in LAYOUT_ROOTS])
    by_path: dict[str, list[vcs.LoggedCommit]] = defaultdict(list)
    owner: dict[str, str] = {}  # path at the commit being read -> the entity's path today
    for entry in log:  # newest first
        changes = [c for c in entry.changes if c.path.startswith(start)]
        for change in changes:
            path = change.path[len(start):]
            commits = by_path[owner.get(path, path)]
            if not commits or commits[-1] is not entry:  # a rename changes two of its paths
                commits.append(entry)
        _follow_renames(changes, start, owner)
    return {path: commits for path, commits in by_path.items() if not path.startswith("\0")}, \
        log[:RECENT_COMMITS]


def _follow_renames(changes: list[vcs.TreeChange], start: str, owner: dict[str, str]) -> None:
    """After reading one commit (going back in time): a file it added is, before it, either
    the file it was renamed from (the same blob deleted in that commit) or nothing."""
    deleted = {c.old_oid: c.path[len(start):] for c in changes if c.status == "D"}
    for change in changes:
        if change.status != "A":
            continue
        path = change.path[len(start):]
        entity = owner.get(path, path)
        owner[path] = "\0" + path  # older changes at this path belong to an earlier, other file
        source = deleted.pop(change.new_oid, None)
        if source is not None:
            owner[source] = entity


def _runs(repo: ConfigRepo) -> list[dict[str, Any]]:
    """Every run record on the runs branch, oldest first ([] outside git or before any run)."""
    if repo.git is None:
        return []
    from gitstore.runs.read import list_records

    return list_records(repo.root)
