"""The users, projects and stacks a configuration commit holds, for checking what a run names.

Read from the commit's objects (file names, and the user files for their ids),
so the answer is the one the run is pinned to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import FOLDERS, EntityRef, classify
from gitstore.plumbing.yamlio import load_mapping
from gitstore.problems import did_you_mean

KINDS = ("user", "project", "stack")


@dataclass
class Names:
    """The entities of one commit: user name -> id, project and stack names."""

    users: dict[str, str] = field(default_factory=dict)
    projects: set[str] = field(default_factory=set)
    stacks: set[str] = field(default_factory=set)

    def of_kind(self, kind: str) -> set[str]:
        return {"user": set(self.users), "project": self.projects, "stack": self.stacks}[kind]

    def hint(self, kind: str, name: str) -> str:
        """Did you mean, else the names there are (or that there are none)."""
        return did_you_mean(name, self.of_kind(kind)) or self.listing(kind)

    def listing(self, kind: str) -> str:
        """The names of ``kind`` there are (the first ten), or that there are none."""
        known = self.of_kind(kind)
        if not known:
            return f"there are no {FOLDERS[kind]} at that commit"
        shown = sorted(known)
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        return f"{FOLDERS[kind]}: " + ", ".join(shown[:10]) + more


def names_at(cwd: str | os.PathLike[str], commit: str, prefix: str = "") -> Names:
    """The users (with ids), projects and stacks of ``commit``."""
    from gitstore.runs.pinning import entity_id

    pre = f"{prefix}/" if prefix else ""
    entries = vcs.ls_tree(cwd, commit, [pre + FOLDERS[k] for k in KINDS])
    names = Names()
    user_blobs: dict[str, str] = {}
    for entry in entries:
        ref = classify(entry.path[len(pre):])
        if not isinstance(ref, EntityRef):
            continue
        if ref.kind == "user":
            user_blobs[ref.name] = entry.oid
        elif ref.kind == "project":
            names.projects.add(ref.name)
        elif ref.kind == "stack":
            names.stacks.add(ref.name)
    blobs = vcs.read_blobs(cwd, user_blobs.values())
    for name, oid in user_blobs.items():
        data = load_mapping(blobs[oid], f"{pre}{FOLDERS['user']}/{name}.yaml") or {}
        names.users[name] = entity_id(data, "user", name)
    return names
