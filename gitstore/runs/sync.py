"""Exchanging run records with a remote: fetch, union-merge, push, retry.

Records are distinct files, so two histories of the runs branch merge by
taking every file from both sides; the merge is built from git objects
(``diff-tree`` of the two tips, then the same tree edits a record uses), so
it never conflicts and never touches a working tree. The one overlap, a run
name recorded in both clones, keeps the remote's record at the contested
path, reports the name, and leaves the local record in the merge's history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from gitstore.plumbing import vcs
from gitstore.runs.errors import RunSyncError
from gitstore.runs.layout import NAME_INDEX_DIR, branch_ref, parse_record_path
from gitstore.runs.read import runs_branch
from gitstore.runs.record import open_repo
from gitstore.runs.trees import build_tree, folder_spec, folders_on, parse_tree

MAX_ATTEMPTS = 20


@dataclass
class SyncResult:
    branch: str
    remote: str
    commit: str | None = None  # the tip both sides hold afterwards
    received: int = 0  # records that came from the remote
    sent: int = 0  # records the remote did not have
    merged: bool = False
    pushed: bool = False
    attempts: int = 0
    duplicates: list[str] = field(default_factory=list)  # run names recorded on both sides


def _record_count(changes: list[vcs.TreeChange]) -> int:
    return sum(1 for c in changes if parse_record_path(c.path))


def _merge(cwd: Path, objects: Path, local: str, remote: str, result: SyncResult) -> str:
    """A merge commit holding every file of both tips (the remote's where both differ)."""
    changes = vcs.diff_trees(cwd, local, remote)
    incoming = {c.path: (c.new_mode, c.new_oid) for c in changes if c.status in "AM"}
    result.duplicates = sorted(c.path.rsplit("/", 1)[-1] for c in changes
                               if c.status == "M" and c.path.startswith(NAME_INDEX_DIR + "/"))
    folders = folders_on(incoming)
    objs = vcs.cat_objects(cwd, [folder_spec(local, f) for f in folders])
    trees = {f: parse_tree(o.data) if o is not None and o.type == "tree" else {}
             for f, o in zip(folders, objs, strict=True)}
    root, new_trees = build_tree(trees, incoming)
    vcs.write_loose_objects(objects, new_trees)
    message = f"Merge run records from {result.remote}\n"
    return vcs.commit_tree(cwd, root, [local, remote], message)


def sync_runs(repo_root: str | Path, remote: str = "origin") -> SyncResult:
    """Make the local and the remote runs branch both hold every record of either."""
    repo = open_repo(repo_root)
    assert repo.git is not None
    cwd, common = repo.git_cwd, repo.git.common_dir
    branch = runs_branch(repo)
    ref = branch_ref(branch)
    tracking = f"refs/gitstore/sync/{hashlib.sha1(remote.encode()).hexdigest()[:12]}"
    result = SyncResult(branch, remote)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result.attempts = attempt
        theirs = vcs.fetch_ref(cwd, remote, branch, tracking)
        ours = vcs.commit_or_none(cwd, ref)
        if ours is None and theirs is None:
            return result  # no records on either side
        target = _combine(cwd, common, ref, ours, theirs, result)
        if target is None:
            continue  # the local branch moved meanwhile
        result.commit = target
        if target == theirs:
            return result
        if _push(cwd, remote, target, branch):
            result.pushed = True
            return result
    raise RunSyncError(f"could not push {branch} to {remote} after {MAX_ATTEMPTS} attempts: "
                       "the remote kept moving; try again")


def _push(cwd: Path, remote: str, commit: str, branch: str) -> bool:
    """Push ``commit`` to the remote's runs branch; False when another push got there first."""
    from gitstore.remote import PushRejectedError

    pushed = vcs.push_commit(cwd, commit, f"refs/heads/{branch}", remote)
    if pushed.status == "ok":
        return True
    if pushed.status == "rejected":
        return False
    if pushed.status == "remote-rejected":
        raise PushRejectedError(remote, pushed.reason, pushed.remote_messages)
    raise vcs.GitError(["push", remote, branch], pushed.stderr, pushed.code)


def _combine(cwd: Path, common: Path, ref: str, ours: str | None, theirs: str | None,
             result: SyncResult) -> str | None:
    """The commit both sides should hold; None when the local branch moved under us."""
    if theirs is None:
        if ours is not None:
            result.sent = _record_count(vcs.diff_trees(cwd, vcs.EMPTY_TREE, ours))
        return ours
    if ours is None or vcs.is_ancestor(cwd, ours, theirs):
        base = ours or vcs.EMPTY_TREE
        result.received = _record_count(vcs.diff_trees(cwd, base, theirs))
        if ours == theirs or vcs.update_ref_cas(
                cwd, ref, theirs, ours, "Fast-forward run records") == vcs.REF_UPDATED:
            return theirs
        return None
    if vcs.is_ancestor(cwd, theirs, ours):
        result.sent = _record_count(vcs.diff_trees(cwd, theirs, ours))
        return ours
    merge = _merge(cwd, vcs.objects_dir(common), ours, theirs, result)
    result.received = _record_count(vcs.diff_trees(cwd, ours, merge))
    result.sent = _record_count(vcs.diff_trees(cwd, theirs, merge))
    result.merged = True
    if vcs.update_ref_cas(cwd, ref, merge, ours, "Merge run records") == vcs.REF_UPDATED:
        return merge
    return None
