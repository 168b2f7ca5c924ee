"""Adding a store's content to a repository that has entities of the same names.

By default a clash is refused. ``skip`` keeps the repository's entity and drops
the imported one (references to it now mean the repository's entity);
``rename`` gives the imported entity a free name (``<name>-imported``,
``<name>-imported-2``, ...) and rewrites every reference to it; when its id is
taken too, it gets the id derived from its new name.
"""

from __future__ import annotations

from gitstore.migrate.model import SourceProblems, StoreData
from gitstore.plumbing.layout import derive_id
from gitstore.plumbing.snapshot import Snapshot

MODES = ("error", "skip", "rename")
_ENTITY_KINDS = {"user": "users", "team": "teams", "project": "projects", "role": "roles"}

Key = tuple[str, str | None, str]  # kind, type, name


def imported_keys(data: StoreData) -> list[Key]:
    keys: list[Key] = [("flavor", t, n) for t, n in data.flavors]
    keys += [("component", t, n) for t, n in data.components]
    keys += [("stack", None, n) for n in data.stacks]
    for kind, attr in _ENTITY_KINDS.items():
        keys += [(kind, None, n) for n in getattr(data, attr)]
    return sorted(keys, key=lambda k: (k[0], k[1] or "", k[2]))


def resolve_conflicts(data: StoreData, existing: Snapshot, mode: str) -> list[str]:
    """Apply ``mode`` to every name ``data`` shares with ``existing``; return what was done."""
    taken = {(r.kind, r.type, r.name.lower()) for r in existing.present}
    clashes = [k for k in imported_keys(data) if (k[0], k[1], k[2].lower()) in taken]
    if not clashes:
        return []
    if mode == "error":
        raise SourceProblems(
            "the repository already has entities of these names (choose --on-conflict skip or "
            "rename)", [_label(k) for k in clashes])
    ids = {(d.ref.kind, d.id) for d in existing.documents.values()}
    notes = []
    for key in clashes:
        if mode == "skip":
            _drop(data, key)
            notes.append(f"skipped {_label(key)}: the repository's own is kept")
        else:
            new = _free_name(key, taken, data)
            taken.add((key[0], key[1], new.lower()))
            _rename(data, key, new, ids)
            notes.append(f"renamed {_label(key)} to `{new}`")
    return notes


def _label(key: Key) -> str:
    kind, type_, name = key
    return f"{kind} {type_}/{name}" if type_ else f"{kind} {name}"


def _free_name(key: Key, taken: set[tuple[str, str | None, str]], data: StoreData) -> str:
    kind, type_, name = key
    mine = {k[2].lower() for k in imported_keys(data) if k[0] == kind and k[1] == type_}
    n = 1
    while True:
        candidate = f"{name}-imported" + (f"-{n}" if n > 1 else "")
        if (kind, type_, candidate.lower()) not in taken and candidate.lower() not in mine:
            return candidate
        n += 1


def _drop(data: StoreData, key: Key) -> None:
    kind, type_, name = key
    if kind == "flavor":
        del data.flavors[(str(type_), name)]
    elif kind == "component":
        del data.components[(str(type_), name)]
    elif kind == "stack":
        del data.stacks[name]
    else:
        del getattr(data, _ENTITY_KINDS[kind])[name]
        if kind == "team":
            data.members.pop(name, None)
        if kind == "role":
            data.assignments = [a for a in data.assignments if a.role != name]


def _rename(data: StoreData, key: Key, new: str, ids: set[tuple[str, str]]) -> None:
    kind, type_, name = key
    if kind == "flavor":
        flavor = data.flavors.pop((str(type_), name))
        flavor.name = new
        data.flavors[(str(type_), new)] = flavor
        for c in data.components.values():
            if c.type == type_ and c.flavor == name:
                c.flavor = new
    elif kind == "component":
        component = data.components.pop((str(type_), name))
        component.name = new
        if component.uuid and ("component", component.uuid) in ids:
            component.uuid = derive_id("component", new, type_)
        data.components[(str(type_), new)] = component
        for parts in data.stacks.values():
            if parts.get(str(type_)) == name:
                parts[str(type_)] = new
    elif kind == "stack":
        data.stacks[new] = data.stacks.pop(name)
        for run in data.runs:
            if (run.data.get("stack") or {}).get("name") == name:
                run.data = {**run.data, "stack": {**run.data["stack"], "name": new}}
    else:
        _rename_entity(data, kind, name, new, ids)


def _rename_entity(data: StoreData, kind: str, name: str, new: str,
                   ids: set[tuple[str, str]]) -> None:
    table = getattr(data, _ENTITY_KINDS[kind])
    entity = table.pop(name)
    entity.name = new
    if entity.id and (kind, entity.id) in ids:
        entity.id = derive_id(kind, new)
    table[new] = entity
    if kind == "team" and name in data.members:
        data.members[new] = data.members.pop(name)
    if kind == "user":
        data.members = {t: [new if u == name else u for u in us] for t, us in data.members.items()}
    for a in data.assignments:
        if kind == "role" and a.role == name:
            a.role = new
        if kind in ("user", "team", "project") and getattr(a, kind) == name:
            setattr(a, kind, new)


def resolve_run_conflicts(data: StoreData, recorded: list[str], mode: str) -> list[str]:
    """Apply ``mode`` to the imported runs whose names are already recorded."""
    if not recorded:
        return []
    if mode == "error":
        raise SourceProblems("the repository already records runs of these names (choose "
                             "--on-conflict skip or rename)", [f"run {n}" for n in recorded])
    clashing = set(recorded)
    taken = {str(run.data["name"]) for run in data.runs} | clashing
    notes = []
    for run in data.runs:
        name = str(run.data["name"])
        if name not in clashing:
            continue
        if mode == "skip":
            notes.append(f"skipped run {name}: the repository records one of that name")
            continue
        new, n = f"{name}-imported", 1
        while new in taken:
            n += 1
            new = f"{name}-imported-{n}"
        taken.add(new)
        run.data = {**run.data, "name": new}
        notes.append(f"renamed run {name} to `{new}`")
    if mode == "skip":
        data.runs = [run for run in data.runs if str(run.data["name"]) not in clashing]
    return notes
