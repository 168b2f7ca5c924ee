"""Committing a run record to the runs branch with compare-and-swap.

The record's commit is made from git objects alone (``hash-object``,
``commit-tree``) and the branch moves with ``update-ref <ref> <new> <old>``:
HEAD, the index and the working tree are never touched. When another writer
moved the branch first, the record is rebuilt on the new tip (checking the
run name again) and the swap is tried again.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from gitstore import vcs
from gitstore.runs.errors import RunExistsError, RunsBranchBusyError
from gitstore.runs.layout import branch_ref, index_path, record_path
from gitstore.runs.trees import BLOB_MODE, build_tree, folder_spec, folders_on, parse_tree

MAX_SECONDS = 60.0


def commit_record(cwd: Path, common_dir: Path, branch: str, pipeline: str, run_name: str,
                  text: bytes, message: str) -> str:
    """Add one record (and its name index entry) to ``branch``; return the new commit id."""
    ref = branch_ref(branch)
    rec_path = record_path(pipeline, run_name)
    idx_path = index_path(run_name)
    blobs = [("blob", text), ("blob", f"{rec_path}\n".encode())]
    rec_oid, idx_oid = (vcs.object_oid(t, data) for t, data in blobs)
    files = {rec_path: (BLOB_MODE, rec_oid), idx_path: (BLOB_MODE, idx_oid)}
    objects = vcs.objects_dir(common_dir)
    folders = folders_on(files)
    specs = [ref, *(folder_spec(ref, f) for f in folders), f"{ref}:{idx_path}", ref]
    deadline = time.monotonic() + MAX_SECONDS
    attempt = 0
    while time.monotonic() < deadline:
        attempt += 1
        objs = vcs.cat_objects(cwd, specs)
        tip = objs[0].oid if objs[0] else None
        if tip != (objs[-1].oid if objs[-1] else None):
            continue  # the branch moved while it was read
        existing = objs[-2]
        if existing is not None:
            raise RunExistsError(run_name, existing.data.decode("utf-8", "replace").strip())
        trees = {f: parse_tree(o.data) if o is not None and o.type == "tree" else {}
                 for f, o in zip(folders, objs[1:-2], strict=True)}
        root, new_trees = build_tree(trees, files)
        vcs.write_loose_objects(objects, [*blobs, *new_trees])
        commit = vcs.commit_tree(cwd, root, [tip] if tip else [], message)
        if _swap(cwd, common_dir, ref, commit, tip, message, deadline):
            return commit
        time.sleep(random.uniform(0, 0.002 * min(attempt, 25)))
    raise RunsBranchBusyError(branch, attempt)


def _swap(cwd: Path, common_dir: Path, ref: str, new: str, old: str | None, message: str,
          deadline: float) -> bool:
    """Move ``ref`` from ``old`` to ``new``, waiting while another writer holds its lock."""
    while True:
        status = vcs.update_ref_cas(cwd, ref, new, old, message, common_dir)
        if status != vcs.REF_LOCKED:
            return status == vcs.REF_UPDATED
        if time.monotonic() > deadline:
            return False
        time.sleep(random.uniform(0.001, 0.01))
