"""What a change needs: each changed file mapped to the permission it takes.

Adding a file takes ``create``, changing it ``update`` and removing it
``delete`` of the operation its folder holds; a rename is a removal and an
addition. ``gitstore.yaml`` and ``roles/`` take ``role``. A pipeline run
record (``runs/...``) takes ``pipeline_run`` in the project the record names.
Files outside these folders (README, CI files, ...) take nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS
from gitstore.trust.permissions import RUN_OPERATION, permission_label

OPERATION_OF_FOLDER = {folder: ("stack_component" if kind == "component" else kind)
                       for kind, folder in FOLDERS.items()}
RUNS_FOLDER = "runs"
PERMISSION_OF_STATUS = {"A": "create", "M": "update", "T": "update", "D": "delete"}
VERB = {"create": "adding", "update": "changing", "delete": "removing"}
RUN_PROJECT_KEYS = ("project_name", "project")


@dataclass(frozen=True, order=True)
class Requirement:
    """One changed file and the permission the change takes."""

    path: str  # relative to the configuration root
    operation: str
    ptype: str
    project: str | None = None

    def describe(self) -> str:
        return f"{VERB[self.ptype]} {self.path} needs {self.permission()}"

    def permission(self) -> str:
        return permission_label(self.operation, self.ptype, self.project)


def operation_of(path: str) -> str | None:
    """The operation a file's folder stands for, or None for files no permission covers."""
    if path == CONFIG_FILE:
        return "role"
    top, slash, _ = path.partition("/")
    if not slash:
        return None
    if top == RUNS_FOLDER:
        return RUN_OPERATION
    return OPERATION_OF_FOLDER.get(top)


def requirements(git_cwd: str | os.PathLike[str], changes: list[vcs.TreeChange],
                 prefix: str = "") -> list[Requirement]:
    """The permissions a list of changed files takes, for a configuration root at ``prefix``."""
    start = f"{prefix}/" if prefix else ""
    found: list[tuple[vcs.TreeChange, str, str]] = []
    for change in changes:
        if not change.path.startswith(start):
            continue
        path = change.path[len(start):]
        operation = operation_of(path)
        if operation is not None and change.status in PERMISSION_OF_STATUS:
            found.append((change, path, operation))
    projects = _run_projects(git_cwd, [c for c, _, op in found if op == RUN_OPERATION])
    result: set[Requirement] = set()
    for change, path, operation in found:
        ptype = PERMISSION_OF_STATUS[change.status]
        if operation != RUN_OPERATION:
            result.add(Requirement(path, operation, ptype))
            continue
        for oid in (change.old_oid, change.new_oid):
            if oid != vcs.ZERO_OID:
                result.add(Requirement(path, operation, ptype, projects.get(oid)))
    return sorted(result)


def _run_projects(git_cwd: str | os.PathLike[str], changes: list[vcs.TreeChange]
                  ) -> dict[str, str | None]:
    """The project each run record blob (before and after) names."""
    from gitstore.plumbing.yamlio import read_document

    oids = [oid for c in changes for oid in (c.old_oid, c.new_oid) if oid != vcs.ZERO_OID]
    projects: dict[str, str | None] = {}
    for oid, raw in vcs.read_blobs(git_cwd, oids).items():
        parsed = read_document("run record", raw)
        data: Any = getattr(parsed, "data", None)
        projects[oid] = _project_of(data if isinstance(data, dict) else {})
    return projects


def _project_of(record: dict[str, Any]) -> str | None:
    for key in RUN_PROJECT_KEYS:
        value = record.get(key)
        if isinstance(value, str) and value:
            return value
    return None
