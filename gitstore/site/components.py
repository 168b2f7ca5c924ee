"""Component pages: flavor, config with each field's description, stacks using it, history."""

from __future__ import annotations

from typing import Any

from gitstore.flavors import builtin_config_schema, is_builtin
from gitstore.plumbing.layout import COMPONENT_TYPES, EntityRef
from gitstore.site.common import card, entity, facts, file_problems, history, note, value
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog


def flavor_schema(cat: Catalog, type_: str, flavor: Any) -> dict[str, Any]:
    """The config schema of a flavor: built from ZenML's fields, or a custom flavor's own."""
    if not isinstance(flavor, str):
        return {}
    if is_builtin(type_, flavor):
        return builtin_config_schema(type_, flavor)
    doc = cat.snap.get("flavor", flavor, type_)
    schema = doc.data.get("config_schema") if doc else None
    return schema if isinstance(schema, dict) else {}


def properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    return {str(k): v if isinstance(v, dict) else {} for k, v in props.items()}


def describe(prop: dict[str, Any]) -> str:
    for key in ("description", "title"):
        text = prop.get(key)
        if isinstance(text, str):
            return text
    return ""


def users_of(cat: Catalog, type_: str, name: str) -> list[str]:
    """The stacks naming this component (through the one reference walker)."""
    found = cat.refs.referrers(EntityRef("component", type_, name))
    return sorted({r.source.name for r in found if r.source.kind == "stack"})


def component_index(cat: Catalog) -> tuple[str, Markup]:
    parts = []
    total = 0
    for type_ in COMPONENT_TYPES:
        names = cat.snap.names("component", type_)
        if not names:
            continue
        total += len(names)
        rows = []
        for name in names:
            doc = cat.snap.get("component", name, type_)
            flavor = doc.data.get("flavor") if doc else None
            rows.append((entity(cat, "component", name, type_),
                         entity(cat, "flavor", flavor, type_) if isinstance(flavor, str) else "",
                         len(users_of(cat, type_, name))))
        parts.append(html('<h3 id="{}">{} <span class="badge">{}</span></h3>{}', type_, type_,
                          len(names), table(("component", "flavor", "stacks using it"), rows)))
    body = join(parts) or note("No components.")
    return "Components", card(f"{total} components", body)


def _config(cat: Catalog, ref: EntityRef, flavor: Any) -> Markup:
    config = cat.configs.get(ref)
    if not isinstance(config, dict) or not config:
        return note("No config: the flavor's defaults apply.")
    assert ref.type is not None
    props = properties(flavor_schema(cat, ref.type, flavor))
    rows = [(html("<code>{}</code>", key), value(item), describe(props.get(str(key), {})))
            for key, item in config.items()]
    return table(("field", "value", "description"), rows)


def component_page(cat: Catalog, type_: str, name: str, who: Markup) -> tuple[str, Markup, Markup]:
    ref = EntityRef("component", type_, name)
    doc = cat.snap.get("component", name, type_)
    path = cat.snap.present[ref]
    flavor = doc.data.get("flavor") if doc else None
    kind = ("built-in" if is_builtin(type_, flavor) else "custom") if isinstance(flavor, str) else ""
    about = facts([("type", html("<code>{}</code>", type_)),
                   ("flavor", html("{} {}", entity(cat, "flavor", flavor, type_), f"({kind})")
                    if isinstance(flavor, str) else "(none)"),
                   ("file", html("<code>{}</code>", path))])
    stacks = users_of(cat, type_, name)
    used = html('<ul class="plain">{}</ul>', join(html("<li>{}</li>", entity(cat, "stack", s))
                                                  for s in stacks)) if stacks \
        else note("No stack uses this component.")
    commits = cat.history.get(path)
    authors = sorted({f"{c.author_name} <{c.author_email}>" for c in commits or []})
    body = join([
        card("About", about),
        card("Config", _config(cat, ref, flavor) if doc else note("The file could not be read."),
             "config"),
        card("Stacks using it", used, "stacks"),
        who,
        card("History", html("{}{}", history(commits), html('<p class="hint">Authors: {}</p>',
                                                             ", ".join(authors)) if authors else ""),
             "history"),
        file_problems(cat, path),
    ])
    return name, body, html("{} / {}", link("components.html", "Components"),
                            link(f"components.html#{type_}", type_))
