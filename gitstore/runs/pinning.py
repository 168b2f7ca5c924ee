"""Pinning a run to the configuration: the commit, its stack as resolved there, and dirtiness.

Everything is read from git objects of one commit, so the same resolution
gives the same answer years later, after the stack or its components were
changed, renamed or deleted on the branch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitstore import flavors
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import COMPONENT_TYPES, CONFIG_FILE, derive_id, entity_path
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.sources import ConfigRepo
from gitstore.plumbing.yamlio import load_mapping
from gitstore.runs.errors import NoConfigCommitError, PlainSecretError, StackNotAtCommitError


@dataclass(frozen=True)
class Pin:
    """A stack resolved at one configuration commit."""

    commit: str
    # {"name", "id", "components": {type: {"name", "id", "flavor", "config"}}}
    stack: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # path -> blob id of every file read
    settings: Settings = field(default_factory=Settings)

    @property
    def runs_branch(self) -> str:
        return self.settings.runs_branch


def _load(obj: vcs.GitObject, path: str) -> dict[str, Any] | None:
    """A file of the commit, read as validation reads it (None when it is not a mapping)."""
    return load_mapping(obj.data, path)


def entity_id(data: dict[str, Any], kind: str, name: str, type_: str | None = None) -> str:
    """An entity's explicit id, normalised, or the one derived from kind and name."""
    explicit = data.get("id")
    if isinstance(explicit, str):
        try:
            return str(uuid.UUID(explicit))
        except ValueError:
            return explicit
    return derive_id(kind, name, type_)


class _Reader:
    def __init__(self, repo: ConfigRepo, rev: str) -> None:
        self.cwd = repo.git_cwd
        self.prefix = f"{repo.prefix}/" if repo.prefix else ""
        self.rev = rev
        self.files: dict[str, str] = {}

    def read(self, paths: list[str]) -> dict[str, Any]:
        objs = vcs.cat_objects(self.cwd, [f"{self.rev}:{self.prefix}{p}" for p in paths])
        for path, obj in zip(paths, objs, strict=True):
            if obj is not None:
                self.files[path] = obj.oid
        return {p: _load(o, p) for p, o in zip(paths, objs, strict=True) if o is not None}

    def read_at_commit(self, paths: list[str]) -> dict[str, Any]:
        """Resolve ``rev`` to a commit and read ``paths`` from it, in one batch."""
        specs = [self.rev, *(f"{self.rev}:{self.prefix}{p}" for p in paths), self.rev]
        while True:  # until ``rev`` stays put while the batch reads
            objs = vcs.cat_objects(self.cwd, specs)
            first, last = objs[0], objs[-1]
            if first is None or first.type != "commit":
                if self.rev == "HEAD":
                    raise NoConfigCommitError()
                raise vcs.UnknownRevision(self.rev)
            if last is not None and last.oid == first.oid:
                break
        self.rev = first.oid
        for path, obj in zip(paths, objs[1:-1], strict=True):
            if obj is not None:
                self.files[path] = obj.oid
        return {p: _load(o, p) for p, o in zip(paths, objs[1:-1], strict=True) if o is not None}


def pin_stack(repo: ConfigRepo, stack_name: str, rev: str = "HEAD") -> Pin:
    """The stack ``stack_name`` as the commit ``rev`` holds it."""
    reader = _Reader(repo, rev)
    stack_path = entity_path("stack", stack_name)
    first = reader.read_at_commit([CONFIG_FILE, stack_path])
    commit = reader.rev
    stack_data = first.get(stack_path)
    if not isinstance(stack_data, dict):
        if stack_path in reader.files:
            raise StackNotAtCommitError(stack_name, commit, "is not readable",
                                        "fix the file (`gitstore validate` says how) and commit it")
        raise StackNotAtCommitError(stack_name, commit, "does not exist",
                                    _missing_stack_hint(repo, stack_name, commit))
    wanted = stack_data.get("components")
    wanted = {t: n for t, n in wanted.items() if t in COMPONENT_TYPES and isinstance(n, str)} \
        if isinstance(wanted, dict) else {}
    comp_paths = {t: entity_path("component", n, t) for t, n in wanted.items()}
    comp_data = reader.read(list(comp_paths.values()))
    components: dict[str, Any] = {}
    for type_ in sorted(wanted):
        data = comp_data.get(comp_paths[type_])
        data = data if isinstance(data, dict) else {}
        components[type_] = {
            "name": wanted[type_],
            "id": entity_id(data, "component", wanted[type_], type_),
            "flavor": data.get("flavor") if isinstance(data.get("flavor"), str) else None,
            "config": data.get("config") if isinstance(data.get("config"), dict) else {},
        }
    stack = {"name": stack_name, "id": entity_id(stack_data, "stack", stack_name),
             "components": components}
    refuse_plain_secrets(stack, _custom_flavors(reader, components))
    return Pin(commit, stack, dict(reader.files), Settings.of(first.get(CONFIG_FILE)))


def _missing_stack_hint(repo: ConfigRepo, stack_name: str, commit: str) -> str:
    """Commit the stack when only the working tree has it, else the stack meant."""
    from gitstore.runs.names import names_at

    if repo.git is not None and (Path(repo.root) / entity_path("stack", stack_name)).is_file():
        return "commit the stack before recording runs on it"
    return names_at(repo.git_cwd, commit, repo.prefix).hint("stack", stack_name)


def recorded_pin(repo: ConfigRepo, stack: dict[str, Any], rev: str) -> Pin:
    """A stack a run recorded itself (in the record's form), pinned to the commit ``rev``.

    The stack is taken as given, not read from the commit (it need not exist
    there); its plain-text secrets are refused as for a resolved stack.
    """
    reader = _Reader(repo, rev)
    settings = Settings.of(reader.read_at_commit([CONFIG_FILE]).get(CONFIG_FILE))
    refuse_plain_secrets(stack, _custom_flavors(reader, stack["components"]))
    return Pin(reader.rev, stack, {}, settings)


def _custom_flavors(reader: _Reader, components: dict[str, Any]) -> dict[str, Any]:
    """The flavor files of the components' custom (not built-in) flavors, by path."""
    custom = [(t, c["flavor"]) for t, c in components.items()
              if c["flavor"] and not flavors.is_builtin(t, c["flavor"])]
    return reader.read([entity_path("flavor", f, t) for t, f in custom])


def _secret_fields(type_: str, flavor: str | None, flavor_data: dict[str, Any]) -> frozenset[str]:
    if not flavor:
        return frozenset()
    if flavors.is_builtin(type_, flavor):
        return flavors.secret_fields(type_, flavor)
    data = flavor_data.get(entity_path("flavor", flavor, type_))
    return flavors.write_only_fields(data) if isinstance(data, dict) else frozenset()


def _is_plain(value: Any) -> bool:
    return value is not None and value != "" and not flavors.is_secret_reference(value)


def refuse_plain_secrets(stack: dict[str, Any], flavor_data: dict[str, Any]) -> None:
    """Raise PlainSecretError when a component's secret field holds a plain value."""
    places = []
    for type_, comp in stack["components"].items():
        for key in sorted(_secret_fields(type_, comp["flavor"], flavor_data)):
            if _is_plain(comp["config"].get(key)):
                places.append(f"{entity_path('component', comp['name'], type_)} (config.{key})")
    if places:
        raise PlainSecretError(places)


def refuse_secret_like_values(config: dict[str, Any], where: str = "runtime_configuration") -> None:
    """Raise PlainSecretError for plain values under keys named like secrets (password...)."""
    from gitstore.checks.integrity import SECRET_NAME

    places = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{path}.{key}"
                if SECRET_NAME.search(str(key)) and isinstance(item, str) and _is_plain(item):
                    places.append(here)
                walk(item, here)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                walk(item, f"{path}[{n}]")

    walk(config, where)
    if places:
        raise PlainSecretError(places)


def is_dirty(repo: ConfigRepo, pin: Pin) -> bool:
    """Whether the working tree's copy of any file the pin read differs from the commit."""
    if repo.git is None or repo.git.toplevel is None:
        return False
    for path, oid in pin.files.items():
        if path == CONFIG_FILE:
            continue
        try:
            data = (Path(repo.root) / path).read_bytes()
        except OSError:
            return True
        if vcs.blob_oid(data) != oid:
            return True
    return False
