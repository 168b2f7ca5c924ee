"""What entity changes mean for the rest: stacks, role holders, team members."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gitstore.diff.model import (
    ADDED,
    AFFECTED,
    CHANGED,
    REMOVED,
    RENAMED,
    EntityChange,
    Membership,
    RoleGrant,
    StackImpact,
)
from gitstore.plumbing.snapshot import Snapshot
from gitstore.references import assignment_project, role_assignments, team_members

FIELDS_NAMED = 3  # field paths named in a reason before "..."

Key = tuple[str, str]  # (type, name) of a component or flavor


def stack_components(snap: Snapshot, stack: str) -> dict[str, str]:
    """type -> component name, as the stack file lists them (only well-formed entries)."""
    doc = snap.get("stack", stack)
    comps = doc.data.get("components") if doc else None
    if not isinstance(comps, dict):
        return {}
    return {t: n for t, n in comps.items() if isinstance(t, str) and isinstance(n, str)}


def _component_flavor(snap: Snapshot, type_: str, name: str) -> str | None:
    doc = snap.get("component", name, type_)
    flavor = doc.data.get("flavor") if doc else None
    return flavor if isinstance(flavor, str) else None


def _what(change: EntityChange) -> str:
    if change.status == RENAMED:
        return f"renamed from `{change.old_name}`"
    if change.status != CHANGED:
        return change.status
    if change.unreadable:
        return "changed (unreadable)"
    paths = [f.path for f in change.fields]
    shown = ", ".join(paths[:FIELDS_NAMED]) + (", ..." if len(paths) > FIELDS_NAMED else "")
    return f"changed ({shown})" if shown else "changed"


def _touched_components(new: Snapshot, entities: list[EntityChange]) -> dict[Key, list[str]]:
    """(type, name) of every component a change touches -> why, including through its flavor."""
    touched: dict[Key, list[str]] = defaultdict(list)
    flavors: dict[Key, str] = {}
    for change in entities:
        if change.kind == "component" and change.type:
            touched[(change.type, change.name)].append(
                f"{change.type} `{change.name}` {_what(change)}")
            if change.status == RENAMED and change.old_name:
                touched[(change.type, change.old_name)].append(
                    f"{change.type} `{change.old_name}` renamed to `{change.name}`")
        elif change.kind == "flavor" and change.type:
            flavors[(change.type, change.name)] = _what(change)
            if change.status == RENAMED and change.old_name:
                flavors[(change.type, change.old_name)] = f"renamed to `{change.name}`"
    if flavors:
        for doc in new.of_kind("component"):
            type_ = doc.ref.type or ""
            flavor = _component_flavor(new, type_, doc.ref.name)
            if flavor and (type_, flavor) in flavors:
                touched[(type_, doc.ref.name)].append(
                    f"{type_} `{doc.ref.name}` uses flavor `{flavor}`, {flavors[(type_, flavor)]}")
    return touched


def stack_impacts(old: Snapshot, new: Snapshot, entities: list[EntityChange]) -> list[StackImpact]:
    """Every stack whose file changed, and every stack using a changed component (or flavor)."""
    impacts: dict[str, StackImpact] = {}
    for change in entities:
        if change.kind != "stack":
            continue
        reasons = tuple(f"{f.path}: {_brief(f.before)} → {_brief(f.after)}" for f in change.fields)
        if change.status == RENAMED:
            reasons = (f"renamed from `{change.old_name}`", *reasons)
        impacts[change.name] = StackImpact(change.name, change.status, reasons)
    touched = _touched_components(new, entities)
    if touched:
        for doc in new.of_kind("stack"):
            name = doc.ref.name
            uses = stack_components(new, name).items()
            why = [r for t, n in uses for r in touched.get((t, n), [])]
            if not why:
                continue
            prior = impacts.get(name)
            status = prior.status if prior else AFFECTED
            impacts[name] = StackImpact(name, status, (*(prior.reasons if prior else ()), *why))
    order = {ADDED: 0, REMOVED: 1, RENAMED: 2, CHANGED: 3, AFFECTED: 4}
    return sorted(impacts.values(), key=lambda s: (order[s.status], s.stack))


def _brief(value: Any) -> str:
    if value is None:
        return "(none)"
    return str(value)


def effective_roles(snap: Snapshot) -> dict[tuple[str, str, str | None], set[str]]:
    """(user, role, project or None for everywhere) -> how it is held ("direct", "team <name>")."""
    teams = team_members(snap.of_kind("team"))
    held: dict[tuple[str, str, str | None], set[str]] = defaultdict(set)
    for doc in snap.of_kind("role"):
        for _, item in role_assignments(doc.data):
            project = assignment_project(item)
            user, team = item.get("user"), item.get("team")
            if isinstance(user, str):
                held[(user, doc.ref.name, project)].add("direct")
            if isinstance(team, str):
                for member in teams.get(team, ()):
                    held[(member, doc.ref.name, project)].add(f"team {team}")
    return held


def role_grants(old: Snapshot, new: Snapshot) -> list[RoleGrant]:
    """Who gains or loses which role where; a role still held another way is no change."""
    before, after = effective_roles(old), effective_roles(new)
    grants = [RoleGrant(u, r, p, "granted", tuple(sorted(after[(u, r, p)])))
              for (u, r, p) in after if (u, r, p) not in before]
    grants += [RoleGrant(u, r, p, "revoked", tuple(sorted(before[(u, r, p)])))
               for (u, r, p) in before if (u, r, p) not in after]
    return sorted(grants, key=lambda g: (g.status, g.user, g.role, g.project or ""))


def memberships(old: Snapshot, new: Snapshot) -> list[Membership]:
    """Who joined or left which team; a team is followed by id, so a rename moves nobody."""
    before, after = _teams_by_id(old), _teams_by_id(new)
    found = []
    for team_id in set(before) | set(after):
        name = (after.get(team_id) or before[team_id])[0]
        was = before.get(team_id, (name, set()))[1]
        now = after.get(team_id, (name, set()))[1]
        found += [Membership(name, user, "joined") for user in sorted(now - was)]
        found += [Membership(name, user, "left") for user in sorted(was - now)]
    return sorted(found, key=lambda m: (m.team, m.status != "joined", m.user))


def _teams_by_id(snap: Snapshot) -> dict[str, tuple[str, set[str]]]:
    teams = team_members(snap.of_kind("team"))
    return {doc.id: (doc.ref.name, set(teams.get(doc.ref.name, ()))) for doc in snap.of_kind("team")}
