"""Flavor pages: built-in or custom, config fields from the schema, components using it."""

from __future__ import annotations

import json
from typing import Any

from gitstore.checks.integrity import secret_keys
from gitstore.flavors import builtin_integration, builtin_names, is_builtin
from gitstore.plumbing.layout import COMPONENT_TYPES, EntityRef
from gitstore.site.common import badge, card, entity, facts, file_problems, history, note
from gitstore.site.components import describe, flavor_schema, properties
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog


def all_flavors(cat: Catalog) -> list[tuple[str, str]]:
    """(type, name) of every built-in and custom flavor, sorted."""
    found = {(t, f) for t in COMPONENT_TYPES for f in builtin_names(t)}
    found |= {(t, n) for t in COMPONENT_TYPES for n in cat.snap.names("flavor", t)}
    return sorted(found)


def components_of(cat: Catalog, type_: str, name: str) -> list[str]:
    found = cat.refs.referrers(EntityRef("flavor", type_, name))
    return sorted({r.source.name for r in found if r.source.kind == "component"})


def flavor_index(cat: Catalog) -> tuple[str, Markup]:
    rows = []
    for type_, name in all_flavors(cat):
        custom = cat.snap.exists("flavor", name, type_)
        rows.append((html("<code>{}</code>", type_), entity(cat, "flavor", name, type_),
                     badge("custom", "kind") if custom else badge("built-in"),
                     len(components_of(cat, type_, name))))
    return "Flavors", card(f"{len(rows)} flavors", table(("type", "flavor", "", "components"), rows))


def _type_text(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if isinstance(kind, str):
        return kind
    if "enum" in prop:
        return "one of " + ", ".join(json.dumps(v) for v in prop["enum"])
    return "any"


def _fields(cat: Catalog, type_: str, name: str, schema: dict[str, Any]) -> Markup:
    props = properties(schema)
    if not props:
        return note("This flavor declares no config fields.")
    secret, _ = secret_keys(cat.snap, type_, name)
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    rows = []
    for key, prop in props.items():
        notes = [badge("required", "warning")] if key in needed else []
        notes += [badge("secret: holds a reference", "secret")] if key in secret else []
        rows.append((html("<code>{}</code>", key), _type_text(prop), join(notes, " "), describe(prop)))
    return table(("field", "type", "", "description"), rows)


def flavor_page(cat: Catalog, type_: str, name: str, who: Markup) -> tuple[str, Markup, Markup]:
    doc = cat.snap.get("flavor", name, type_)
    path = cat.snap.present.get(EntityRef("flavor", type_, name))
    if path is None:  # built in
        integration = builtin_integration(type_, name)
        about = facts([("type", html("<code>{}</code>", type_)), ("kind", "built-in (ZenML 0.10)"),
                       ("integration", integration or "(core)")])
    else:
        source = doc.data.get("source") if doc else None
        integration = doc.data.get("integration") if doc else None
        about = facts([("type", html("<code>{}</code>", type_)), ("kind", "custom"),
                       ("source", html("<code>{}</code>", source) if source else "(none)"),
                       ("integration", integration or "(none)"),
                       ("file", html("<code>{}</code>", path))])
        if is_builtin(type_, name):
            about += note("This custom flavor shadows the built-in flavor of the same name.")
    comps = components_of(cat, type_, name)
    used = html('<ul class="plain">{}</ul>', join(html("<li>{}</li>", entity(cat, "component", c, type_))
                                                  for c in comps)) if comps \
        else note("No component uses this flavor.")
    body = join([
        card("About", about),
        card("Config fields", _fields(cat, type_, name, flavor_schema(cat, type_, name)), "fields"),
        card("Components using it", used, "components"),
        who if path else Markup(""),
        card("History", history(cat.history.get(path))) if path else Markup(""),
        file_problems(cat, path) if path else Markup(""),
    ])
    return name, body, html("{} / <code>{}</code>", link("flavors.html", "Flavors"), type_)
