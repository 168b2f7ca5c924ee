"""Checks across files: references, ids, name collisions, flavors and secrets.

Everything here works from a :class:`~gitstore.plumbing.snapshot.Snapshot` (parsed
documents and the list of files present), never from the files themselves.
A reference is checked against the files that exist, even ones that could not
be parsed, so one broken file does not cascade into errors everywhere else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from gitstore import flavors
from gitstore.checks.fastschema import surely_valid_schema
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import COMPONENT_TYPES, EntityRef, entity_path
from gitstore.plumbing.snapshot import Document, Snapshot
from gitstore.plumbing.yamlio import locate
from gitstore.problems import Problem, did_you_mean
from gitstore.references import role_assignments

SECRET_NAME = re.compile(
    r"(pass(word|wd)?|secret(_?key)?|token|api_?key|private_?key|access_?key|credentials?"
    r"|auth_?token|client_secret)$",
    re.I,
)
# problems whose hint lists the names of a kind: re-checked when any name comes or goes
NAME_HINTED = frozenset({"GS201", "GS203", "GS205", "GS206", "GS207"})
SECRET_HINT = "store the value in the stack's secrets manager and write `{{ <secret>.<key> }}` here"


def check_integrity(snap: Snapshot, cache: ResultCache | None = None) -> list[Problem]:
    """Every cross-file problem of the snapshot."""
    cache = cache or ResultCache(None)
    problems = check_repository_wide(snap)
    for doc in list(snap.documents.values()):
        problems.extend(check_entity(snap, doc, cache))
    return problems


def check_repository_wide(snap: Snapshot) -> list[Problem]:
    """The problems that no one entity's checks find: case collisions and duplicate ids."""
    return [*_case_collisions(snap), *_duplicate_ids(snap)]


def check_entity(snap: Snapshot, doc: Document, cache: ResultCache | None = None) -> list[Problem]:
    """The cross-file problems located in one entity's file, ``gitstore.yaml`` included."""
    if doc.ref.kind == "settings":
        return list(settings_problems(snap))
    return check_document(snap, doc, cache or ResultCache(None))


def check_document(snap: Snapshot, doc: Document, cache: ResultCache) -> list[Problem]:
    """The cross-file problems found in one document: what it names, checked against ``snap``.

    The result depends on the document, on the existence (and, for a custom
    flavor, the contents) of what it refers to, on the names of its kind's
    targets (for hints) and, for a stack, on gitstore.yaml: what
    :class:`gitstore.checks.incremental.IntegrityIndex` re-checks after a change.
    """
    kind = doc.ref.kind
    if kind == "component":
        return list(_component(snap, doc, cache))
    if kind == "stack":
        return list(_stack(snap, doc))
    if kind == "team":
        return list(_team(snap, doc))
    if kind == "role":
        return list(_role(snap, doc))
    if kind == "flavor":
        return _flavor_cached(doc, cache)
    return []


def _at(doc: Document, path: tuple[Any, ...], key: bool = False) -> tuple[int, int]:
    return locate(doc.positions, path, key=key)


def case_key(ref: EntityRef) -> tuple[str, str | None, str]:
    return (ref.kind, ref.type, ref.name.lower())


def _case_collisions(snap: Snapshot) -> Iterator[Problem]:
    groups: dict[tuple[str, str | None, str], list[EntityRef]] = defaultdict(list)
    for ref in snap.present:
        groups[case_key(ref)].append(ref)
    for refs in groups.values():
        if len(refs) >= 2:
            yield from collision_problems(snap, refs)


def collision_problems(snap: Snapshot, refs: Iterable[EntityRef]) -> Iterator[Problem]:
    """GS024 for a group of entities whose names differ only in case."""
    ordered = sorted(refs, key=lambda r: r.name)
    first = snap.present[ordered[0]]
    for ref in ordered[1:]:
        yield Problem(snap.present[ref], None, None, "GS024",
                      f"`{ref.name}` differs from `{ordered[0].name}` ({first}) only in case",
                      "both cannot be checked out on macOS or Windows; rename one")


def _duplicate_ids(snap: Snapshot) -> Iterator[Problem]:
    # Ids derived from distinct names never collide, so a kind without any explicit
    # id cannot hold a duplicate; deriving ids (uuid5) is skipped for those kinds.
    explicit = {doc.ref.kind for doc in snap.documents.values() if "id" in doc.data}
    groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for doc in snap.documents.values():
        if doc.ref.kind == "settings" or doc.ref.kind not in explicit:
            continue
        groups[(doc.ref.kind, doc.id)].append(doc)
    for docs in groups.values():
        if len(docs) >= 2:
            yield from duplicate_id_problems(docs)


def duplicate_id_problems(docs: Iterable[Document]) -> Iterator[Problem]:
    """GS209 for documents of one kind sharing one id: all but the first by path."""
    ordered = sorted(docs, key=lambda d: d.path)
    for doc in ordered[1:]:
        line, col = _at(doc, ("id",)) if doc.explicit_id else (None, None)
        yield Problem(doc.path, line, col, "GS209",
                      f"id {doc.id} is also the id of {ordered[0].path}",
                      "ids must be unique within a kind; remove the `id` line to get a derived one")


def settings_problems(snap: Snapshot) -> Iterator[Problem]:
    default = snap.settings.default_stack
    if default is not None and not snap.exists("stack", default):
        doc = snap.get("settings", "gitstore")
        assert doc is not None
        line, col = _at(doc, ("default_stack",))
        yield Problem(doc.path, line, col, "GS208",
                      f"default stack `{default}` does not exist (expected {entity_path('stack', default)})",
                      did_you_mean(default, snap.names("stack")))


def _flavor_cached(doc: Document, cache: ResultCache) -> list[Problem]:
    """A flavor's own checks depend on its file alone, so they are kept by blob id."""
    key = f"flv\0{doc.path}\0{doc.oid}"
    cached = cache.get(key)
    if cached is None:
        cached = [p.to_tuple() for p in _flavor(doc)]
        cache.put(key, cached)
    return [Problem(*item) for item in cached]


def _flavor(doc: Document) -> Iterator[Problem]:
    assert doc.ref.type is not None
    if flavors.is_builtin(doc.ref.type, doc.ref.name):
        yield Problem(doc.path, 1, 1, "GS210",
                      f"custom flavor `{doc.ref.name}` shadows the built-in {doc.ref.type} flavor "
                      "of that name", "rename the custom flavor")
    schema = doc.data.get("config_schema")
    if isinstance(schema, dict):
        exc = _schema_error(doc.oid, schema)
        if exc is not None:
            line, col = _at(doc, ("config_schema", *exc.absolute_path))
            yield Problem(doc.path, line, col, "GS211",
                          f"config_schema is not a valid JSON Schema: {exc.message}")
            return
        for where, ref in _outside_refs(schema, ("config_schema",)):
            line, col = _at(doc, where)
            yield Problem(doc.path, line, col, "GS211",
                          f"config_schema refers to `{ref}`, outside this file; it is never fetched",
                          "use only references within the schema (`#/$defs/...`)")


def _outside_refs(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every ``$ref`` (or ``$dynamicRef``) of a schema that points outside it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str) and not value.startswith("#"):
                yield (*path, key), value
            else:
                yield from _outside_refs(value, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _outside_refs(item, (*path, index))


def _component(snap: Snapshot, doc: Document, cache: ResultCache) -> Iterator[Problem]:
    type_ = doc.ref.type
    assert type_ is not None
    flavor = doc.data.get("flavor")
    if not isinstance(flavor, str):
        return
    config = doc.data.get("config") or {}
    custom = snap.get("flavor", flavor, type_)
    secret, declared = secret_keys(snap, type_, flavor)
    builtin = flavors.is_builtin(type_, flavor)
    if not builtin and custom is not None and isinstance(config, dict):
        yield from _custom_config(doc, custom, config, cache)
    elif not builtin and not snap.exists("flavor", flavor, type_):
        line, col = _at(doc, ("flavor",))
        known = flavors.builtin_names(type_) + snap.names("flavor", type_)
        yield Problem(doc.path, line, col, "GS201",
                      f"{type_} flavor `{flavor}` does not exist: it is not built in and there is no "
                      f"{entity_path('flavor', flavor, type_)}",
                      did_you_mean(flavor, known) or f"{type_} flavors: " + ", ".join(sorted(known)))
    if isinstance(config, dict):
        yield from _secrets(doc, config, secret, declared, ("config",))


def secret_keys(snap: Snapshot, type_: str, flavor: str) -> tuple[frozenset[str], frozenset[str]]:
    """The config fields of a component of ``flavor`` that carry a secret value (a
    built-in flavor's ``secret_fields``, a custom flavor's ``writeOnly`` fields), and
    the fields the flavor declares to hold none (a built-in flavor's other fields)."""
    if flavors.is_builtin(type_, flavor):
        secret = flavors.secret_fields(type_, flavor)
        return secret, flavors.field_names(type_, flavor) - secret
    custom = snap.get("flavor", flavor, type_)
    return (flavors.write_only_fields(custom.data) if custom is not None else frozenset()), frozenset()


def looks_secret(key: object) -> bool:
    """Whether a config key's name suggests it holds a secret (password, token, ...)."""
    return isinstance(key, str) and bool(SECRET_NAME.search(key))


def _custom_config(doc: Document, flavor_doc: Document, config: dict[str, Any],
                   cache: ResultCache) -> Iterator[Problem]:
    schema = flavor_doc.data.get("config_schema")
    if not isinstance(schema, dict):
        return
    key = f"cfg\0{doc.path}\0{doc.oid}\0{flavor_doc.oid}"
    cached = cache.get(key)
    if cached is None:
        from gitstore.checks.files import config_problems

        validator = _flavor_validator(flavor_doc.oid, schema)
        try:
            found = [] if validator is None else config_problems(
                validator, config, doc.positions, doc.path, f"`{flavor_doc.ref.name}` {doc.ref.type}")
        except Exception as exc:  # a reference the schema cannot resolve: reported on the flavor
            if "Unresolvable" not in type(exc).__name__:
                raise
            found = []
        cached = [p.to_tuple() for p in found]
        cache.put(key, cached)
    for item in cached:
        yield Problem(*item)


_schema_errors: dict[str, Any] = {}  # flavor blob id -> its config_schema's SchemaError, or None
_validators: dict[str, Any] = {}  # flavor blob id -> validator, or None for a broken schema


def _schema_error(oid: str, schema: dict[str, Any]) -> Any:
    """Whether a flavor's config_schema is a valid JSON Schema, checked once per flavor blob."""
    if oid not in _schema_errors and surely_valid_schema(schema):
        _schema_errors[oid] = None  # the common case, without the meta-schema's slow walk
    if oid not in _schema_errors:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
            _schema_errors[oid] = None
        except SchemaError as exc:
            _schema_errors[oid] = exc
    return _schema_errors[oid]


def _flavor_validator(oid: str, schema: dict[str, Any]) -> Any:
    """One validator per custom flavor; None when its schema is broken (reported as GS211)."""
    if oid not in _validators:
        from gitstore.checks.schema import make_validator

        broken = _schema_error(oid, schema) is not None
        _validators[oid] = None if broken else make_validator(schema)
    return _validators[oid]


def _secrets(doc: Document, value: dict[str, Any], secret: frozenset[str],
             declared: frozenset[str], path: tuple[Any, ...]) -> Iterator[Problem]:
    """Secret fields must hold references (GS301); plain values under
    secret-looking keys warn (GS302), except a built-in flavor's own fields,
    which ZenML declares as holding no secret (``authentication_secret`` names
    a secret, it holds no value)."""
    for key, item in value.items():
        here = (*path, key)
        if isinstance(item, dict):
            yield from _secrets(doc, item, frozenset(), frozenset(), here)
            continue
        plain = item is not None and not flavors.is_secret_reference(item) and item != ""
        if not plain:
            continue
        line, col = _at(doc, here)
        if key in secret and len(path) == 1:
            hint = SECRET_HINT
            if isinstance(item, str) and item.lstrip().startswith("{{"):
                hint = "a secret reference names a secret and one of its keys: `{{ <secret>.<key> }}`"
            yield Problem(doc.path, line, col, "GS301",
                          f"`{key}` holds a secret and must be a secret reference, not a plain value",
                          hint)
        elif isinstance(item, str) and key not in declared and looks_secret(key):
            yield Problem(doc.path, line, col, "GS302",
                          f"`{key}` looks like a secret but holds a plain value", SECRET_HINT)


def _stack(snap: Snapshot, doc: Document) -> Iterator[Problem]:
    components = doc.data.get("components")
    if not isinstance(components, dict):
        return
    for type_, name in components.items():
        if type_ not in COMPONENT_TYPES or not isinstance(name, str):
            continue
        if snap.exists("component", name, type_):
            continue
        line, col = _at(doc, ("components", type_))
        elsewhere = [t for t in COMPONENT_TYPES if snap.exists("component", name, t)]
        hint = did_you_mean(name, snap.names("component", type_))
        if elsewhere and not hint:
            hint = f"`{name}` is a component of type {elsewhere[0]}, not {type_}"
        yield Problem(doc.path, line, col, "GS203",
                      f"{type_} `{name}` does not exist (expected {entity_path('component', name, type_)})",
                      hint)
    required = snap.settings.required_components
    if required:
        missing = [t for t in required if t not in components]
        if missing:
            line, col = _at(doc, ("components",), key=True)
            yield Problem(doc.path, line, col, "GS204",
                          "stack lacks required component type" + ("s " if len(missing) > 1 else " ")
                          + ", ".join(f"`{t}`" for t in missing),
                          "gitstore.yaml's `required_components` asks every stack for them")


def _team(snap: Snapshot, doc: Document) -> Iterator[Problem]:
    members = doc.data.get("members")
    if not isinstance(members, list):
        return
    for index, member in enumerate(members):
        if isinstance(member, str) and not snap.exists("user", member):
            line, col = _at(doc, ("members", index))
            yield Problem(doc.path, line, col, "GS205",
                          f"member `{member}` is not a user (expected {entity_path('user', member)})",
                          did_you_mean(member, snap.names("user")))


def _role(snap: Snapshot, doc: Document) -> Iterator[Problem]:
    for index, item in role_assignments(doc.data):
        for kind in ("user", "team", "project"):
            name = item.get(kind)
            if not isinstance(name, str) or snap.exists(kind, name):
                continue
            line, col = _at(doc, ("assignments", index, kind))
            code = "GS207" if kind == "project" else "GS206"
            yield Problem(doc.path, line, col, code,
                          f"{kind} `{name}` does not exist (expected {entity_path(kind, name)})",
                          did_you_mean(name, snap.names(kind)))
