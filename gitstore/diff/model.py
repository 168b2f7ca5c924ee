"""What a change to a configuration repository means: plain, JSON-able values.

:class:`Change` is what :func:`gitstore.diff.compare` returns: entity-level
changes with field-level before/after values, and their consequences (stacks
touched through their components, roles gained or lost, team memberships).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ADDED = "added"
REMOVED = "removed"
RENAMED = "renamed"
CHANGED = "changed"
STATUSES = (ADDED, REMOVED, RENAMED, CHANGED)
AFFECTED = "affected"

# the order kinds are reported in, with their nouns
KIND_ORDER = ("stack", "component", "flavor", "user", "team", "project", "role", "settings")
NOUNS = {"stack": "stack", "component": "component", "flavor": "flavor", "user": "user",
         "team": "team", "project": "project", "role": "role", "settings": "settings file"}


@dataclass(frozen=True)
class FieldChange:
    """One value that differs; ``path`` is dotted (``config.synchronous``)."""

    path: str
    status: str  # added | removed | changed
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class EntityChange:
    kind: str
    type: str | None
    name: str  # the new name (the old one for a removed entity)
    status: str  # added | removed | renamed | changed
    id: str
    path: str
    old_name: str | None = None  # renamed: the name before
    old_path: str | None = None
    fields: tuple[FieldChange, ...] = ()
    unreadable: bool = False  # one side could not be parsed; no field-level detail

    @property
    def label(self) -> str:
        return f"{self.type}/{self.name}" if self.type else self.name

    @property
    def old_label(self) -> str:
        name = self.old_name or self.name
        return f"{self.type}/{name}" if self.type else name


@dataclass(frozen=True)
class StackImpact:
    """A stack a change touches, directly (its file) or through a component or flavor."""

    stack: str
    status: str  # added | removed | renamed | changed (its file) | affected (through what it uses)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleGrant:
    """A user gains or loses a role, everywhere (project None) or in one project."""

    user: str
    role: str
    project: str | None
    status: str  # granted | revoked
    via: tuple[str, ...] = ()  # "direct" or "team <name>": how it is (was) held


@dataclass(frozen=True)
class Membership:
    team: str
    user: str
    status: str  # joined | left


@dataclass
class Change:
    base: str
    head: str
    entities: list[EntityChange] = field(default_factory=list)
    stacks: list[StackImpact] = field(default_factory=list)
    roles: list[RoleGrant] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.entities or self.stacks or self.roles or self.memberships)

    def of_kind(self, kind: str) -> list[EntityChange]:
        return [e for e in self.entities if e.kind == kind]

    def counts(self) -> list[tuple[int, str, str]]:
        """(count, noun, verb) in reporting order, only non-zero ones."""
        found: list[tuple[int, str, str]] = []
        for status in (ADDED, REMOVED, RENAMED, CHANGED):
            same = (CHANGED, AFFECTED) if status == CHANGED else (status,)
            found.append((sum(1 for s in self.stacks if s.status in same), "stack", status))
        found += [(sum(1 for r in self.roles if r.status == s), "role", s)
                  for s in ("granted", "revoked")]
        for kind in KIND_ORDER[1:]:
            for status in STATUSES:
                count = sum(1 for e in self.of_kind(kind) if e.status == status)
                found.append((count, NOUNS[kind], status))
        found += [(sum(1 for m in self.memberships if m.status == s), "team membership",
                   "added" if s == "joined" else "removed") for s in ("joined", "left")]
        return [item for item in found if item[0] > 0]

    def summary(self) -> str:
        """One line: "2 stacks changed, 1 role granted, 1 component removed"."""
        if self.empty:
            return "no configuration changes"
        return ", ".join(f"{n} {noun}{'' if n == 1 else 's'} {verb}"
                         for n, noun, verb in self.counts())

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "head": self.head, "summary": self.summary(),
                "entities": [asdict(e) for e in self.entities],
                "stacks": [asdict(s) for s in self.stacks],
                "roles": [asdict(r) for r in self.roles],
                "memberships": [asdict(m) for m in self.memberships]}
