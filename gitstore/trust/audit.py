"""The history of one entity: ``gitstore log PATH``.

The commits that touched the entity's folder are walked from the newest;
the entity is followed by path and, where a commit adds its file while
removing another file of the same kind with the same explicit ``id``, across
that rename to its older name (a derived id follows the name, so an entity
without an explicit id starts afresh when renamed). What each commit did to
the entity is told by the semantic diff, in entity terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS, EntityRef, classify, is_layout_path
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.plumbing.sources import ConfigRepo
from gitstore.problems import Problem


@dataclass(frozen=True)
class HistoryEntry:
    commit: vcs.LoggedCommit
    path: str  # the entity's file after the commit (before it, for a removal)
    before: Document | None  # None: added here (or unreadable)
    after: Document | None  # None: removed here (or unreadable)
    status: str  # added | removed | changed | renamed
    old_path: str | None = None  # renamed: the file before


def entity_ref(path: str) -> EntityRef:
    """The entity a command-line path names: ``stacks/prod``, ``stacks/prod.yaml``, ..."""
    text = path.strip().strip("/")
    text = text[2:] if text.startswith("./") else text
    if text in ("gitstore", CONFIG_FILE):
        text = CONFIG_FILE
    elif not text.endswith(".yaml"):
        text += ".yaml"
    ref = classify(text) if is_layout_path(text) else None
    if ref is None or isinstance(ref, Problem):
        raise UsageError(f"`{path}` does not name an entity; give its path in the repository, "
                         "such as stacks/production or components/orchestrator/kfp-prod")
    return ref


def entity_history(repo: ConfigRepo, path: str, rev: str = "HEAD") -> list[HistoryEntry]:
    """What happened to the entity at ``path``, newest first, following renames by id."""
    from gitstore.trust.enforce import git_cwd

    ref = entity_ref(path)
    cwd = git_cwd(repo, "gitstore log")
    start = f"{repo.prefix}/" if repo.prefix else ""
    folder = CONFIG_FILE if ref.kind == "settings" else FOLDERS[ref.kind]
    current = start + ref.path
    entries = []
    for commit in vcs.log_changes(cwd, vcs.resolve_commit(cwd, rev), [start + folder]):
        touched = {c.path: c for c in commit.changes}
        change = touched.get(current)
        if change is None:
            continue
        origin = _rename_origin(cwd, commit, change, start + folder, start) \
            if change.status == "A" else None
        old = origin or change
        before = _document(cwd, old.path, old.old_oid, start)
        after = _document(cwd, change.path, change.new_oid, start)
        status = {"A": "added", "D": "removed"}.get(change.status, "changed")
        entries.append(HistoryEntry(commit, change.path[len(start):], before, after,
                                    "renamed" if origin else status,
                                    origin.path[len(start):] if origin else None))
        if origin is not None:
            current = origin.path
    return entries


def _rename_origin(cwd: Path, commit: vcs.LoggedCommit, added: vcs.TreeChange, folder: str,
                   start: str) -> vcs.TreeChange | None:
    """The file of the same kind this commit removed that holds the added file's explicit id."""
    removed = [c for c in commit.changes if c.status == "D" and c.path.startswith(folder)]
    if not removed:
        return None
    after = _document(cwd, added.path, added.new_oid, start)
    if after is None or not after.explicit_id:
        return None
    for change in removed:
        before = _document(cwd, change.path, change.old_oid, start)
        if before is not None and before.explicit_id and before.id == after.id:
            return change
    return None


def _document(cwd: Path, path: str, oid: str, start: str) -> Document | None:
    """The entity a blob holds, or None for no blob or an unreadable one."""
    from gitstore.plumbing.yamlio import read_document

    rel = path[len(start):]
    ref = classify(rel) if is_layout_path(rel) else None
    if oid == vcs.ZERO_OID or ref is None or isinstance(ref, Problem):
        return None
    raw = vcs.read_blobs(cwd, [oid])[oid]
    parsed = read_document(rel, raw)
    if isinstance(parsed, Problem):
        return None
    return Document(ref, rel, oid, parsed.data, parsed.positions)


def alone(doc: Document | None) -> Snapshot:
    """A snapshot holding one entity (or none), for the semantic diff."""
    if doc is None:
        return Snapshot("", [])
    return Snapshot("", [], {doc.ref: doc}, {doc.ref: doc.path})
