"""Committing a run record to the runs branch with compare-and-swap.

The record's commit is made from git objects alone (loose objects written
beside git's, ``commit-tree``) and the branch moves with ``update-ref <ref>
<new> <old>``: HEAD, the index and the working tree are never touched. When
another writer moved the branch first, the record is rebuilt on the new tip
(checking the run name again) and the swap is tried again. Writers on one
machine also take turns, so that under contention few rebuilds are wasted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gitstore.plumbing import vcs
from gitstore.plumbing.locking import file_lock
from gitstore.runs.errors import RunExistsError, RunsBranchBusyError
from gitstore.runs.layout import branch_ref, index_path, record_path
from gitstore.runs.trees import BLOB_MODE, build_tree, folder_spec, folders_on, parse_tree

MAX_SECONDS = 60.0
TURN_WAIT_SECONDS = 10.0


@contextmanager
def writer_turn(common_dir: Path, wait: float = TURN_WAIT_SECONDS) -> Iterator[None]:
    """Take turns with the other writers on this machine, so none rebuilds a record in vain.

    Correctness does not rest on the turn: the compare-and-swap does (other
    machines, or a turn not granted within ``wait`` seconds, go ahead without one).
    """
    with file_lock(common_dir / "gitstore" / "runs-writer.lock", wait, required=False):
        yield


@dataclass(frozen=True)
class RecordEdit:
    """The files one record adds to the runs branch, and what must be read to add them."""

    ref: str
    run_name: str
    message: str
    blobs: list[tuple[str, bytes]]
    files: dict[str, tuple[str, str]]  # path -> (mode, blob id)

    @property
    def folders(self) -> list[str]:
        return folders_on(self.files)

    @property
    def index_path(self) -> str:
        return index_path(self.run_name)

    def specs(self) -> list[str]:
        """The tip, every folder on the changed paths, the name's index entry, the tip again."""
        ref = self.ref
        return [ref, *(folder_spec(ref, f) for f in self.folders), f"{ref}:{self.index_path}", ref]


def commit_record(cwd: Path, common_dir: Path, branch: str, pipeline: str, run_name: str,
                  text: bytes, message: str) -> str:
    """Add one record (and its name index entry) to ``branch``; return the new commit id."""
    rec_path = record_path(pipeline, run_name)
    blobs = [("blob", text), ("blob", f"{rec_path}\n".encode())]
    rec_oid, idx_oid = (vcs.object_oid(t, data) for t, data in blobs)
    files = {rec_path: (BLOB_MODE, rec_oid), index_path(run_name): (BLOB_MODE, idx_oid)}
    edit = RecordEdit(branch_ref(branch), run_name, message, blobs, files)
    with writer_turn(common_dir):
        return _commit_with_retry(cwd, common_dir, edit, branch)


def _commit_with_retry(cwd: Path, common_dir: Path, edit: RecordEdit, branch: str) -> str:
    objects = vcs.objects_dir(common_dir)
    folders, specs = edit.folders, edit.specs()
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
            raise RunExistsError(edit.run_name, existing.data.decode("utf-8", "replace").strip())
        trees = {f: parse_tree(o.data) if o is not None and o.type == "tree" else {}
                 for f, o in zip(folders, objs[1:-2], strict=True)}
        root, new_trees = build_tree(trees, edit.files)
        vcs.write_loose_objects(objects, [*edit.blobs, *new_trees])
        commit = vcs.commit_tree(cwd, root, [tip] if tip else [], edit.message)
        if _swap(cwd, common_dir, edit.ref, commit, tip, edit.message, deadline):
            return commit
        time.sleep(random.uniform(0, 0.002 * min(attempt, 25)))
    raise RunsBranchBusyError(branch, attempt)


def _swap(cwd: Path, common_dir: Path, ref: str, new: str, old: str | None, message: str,
          deadline: float) -> bool:
    """Move ``ref`` from ``old`` to ``new``, waiting while another writer holds its lock."""
    while True:
        status = vcs.update_ref_cas(cwd, ref, new, old, message)
        if status != vcs.REF_LOCKED:
            return status == vcs.REF_UPDATED
        if time.monotonic() > deadline:
            return False
        time.sleep(random.uniform(0.001, 0.01))
