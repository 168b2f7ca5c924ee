"""A configuration repository read back as a zen store's content, for export.

Secret references stay references unless a secrets file (as written by
``gitstore import``) resolves them; portable local-store paths are expanded
for this machine. The repository keeps no creation dates and no role
assignment ids: exported entities carry the date of the commit read, and
assignments get ids derived from what they assign.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gitstore.errors import GitstoreError
from gitstore.migrate.model import (
    Assignment,
    Component,
    Entity,
    Flavor,
    Run,
    SourceProblems,
    StoreData,
    derived_uuid,
)
from gitstore.migrate.portable import expand_home
from gitstore.migrate.secrets import resolve_references
from gitstore.plumbing.snapshot import Snapshot
from gitstore.references import role_assignments


def read_repo(start: Path, secrets: dict[str, dict[str, Any]] | None = None) -> StoreData:
    """The content of the configuration repository at or above ``start`` (its working tree)."""
    from gitstore.plumbing import vcs
    from gitstore.plumbing.snapshot import load_snapshot
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.report import problem_lines
    from gitstore.validate import check_snapshot

    repo = find_config_repo(start)
    snap = load_snapshot(repo.worktree())
    report = check_snapshot(snap)
    if not report.ok():
        raise SourceProblems("the repository is not valid; fix it before exporting (see "
                             "`gitstore validate`)",
                             [line for p in report.problems if p.is_error
                              for line in problem_lines(p)])
    stamp = datetime(1970, 1, 1)
    if repo.git is not None:
        try:
            out = vcs.run(["log", "-1", "--format=%ct", "HEAD"], cwd=repo.git_cwd).decode().strip()
            if out:
                stamp = datetime.fromtimestamp(int(out), timezone.utc).replace(tzinfo=None)
        except GitstoreError:
            pass  # a repository without commits: keep the epoch
    from gitstore.migrate.runs import read_recorded_runs

    data = snapshot_data(snap, stamp, secrets or {})
    if repo.git is not None:
        data.runs = [_run_for_export(run, secrets or {}) for run in read_recorded_runs(repo.root)]
    return data


def _run_for_export(run: Run, secrets: dict[str, dict[str, Any]]) -> Run:
    """A recorded run with its component configs as the exported components have them."""
    from gitstore.migrate.runs import decode_config, encode_config

    stack = dict(run.data.get("stack") or {})
    home = Path.home()
    stack["components"] = [
        {**c, "config": encode_config(resolve_references(
            expand_home(decode_config(c["config"]), home), secrets))}
        for c in stack.get("components") or []]
    return Run(run.pipeline_name, {**run.data, "stack": stack})


def snapshot_data(snap: Snapshot, stamp: datetime, secrets: dict[str, dict[str, Any]]) -> StoreData:
    data = StoreData()
    home = Path.home()
    for doc in sorted(snap.of_kind("component"), key=lambda d: d.path):
        type_, name = str(doc.ref.type), doc.ref.name
        config = resolve_references(expand_home(dict(doc.data.get("config") or {}), home), secrets)
        data.components[(type_, name)] = Component(type_, name, doc.data["flavor"], doc.id, config)
    for doc in sorted(snap.of_kind("flavor"), key=lambda d: d.path):
        data.flavors[(str(doc.ref.type), doc.ref.name)] = Flavor(
            str(doc.ref.type), doc.ref.name, doc.data["source"], doc.data.get("integration"))
    for doc in sorted(snap.of_kind("stack"), key=lambda d: d.path):
        data.stacks[doc.ref.name] = dict(sorted((doc.data.get("components") or {}).items()))
    for kind in ("user", "team", "project", "role"):
        for doc in sorted(snap.of_kind(kind), key=lambda d: d.path):
            entity = Entity(doc.id, doc.ref.name, stamp, doc.data.get("description"),
                            {op: list(t) for op, t in (doc.data.get("permissions") or {}).items()})
            getattr(data, f"{kind}s")[doc.ref.name] = entity
            if kind == "team" and doc.data.get("members"):
                data.members[doc.ref.name] = list(doc.data["members"])
            if kind == "role":
                data.assignments += _assignments(doc.ref.name, doc.data, stamp)
    return data


def _assignments(role: str, body: dict[str, Any], stamp: datetime) -> list[Assignment]:
    found = []
    for index, item in role_assignments(body):
        uid = derived_uuid("role_assignment", role, str(index), item.get("user") or "",
                           item.get("team") or "", item.get("project") or "")
        found.append(Assignment(role, item.get("user"), item.get("team"), item.get("project"),
                                uid, stamp))
    return found
