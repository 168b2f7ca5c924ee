"""Stack pages: components by type, a picture, who may change it, recent runs."""

from __future__ import annotations

from typing import Any

from gitstore.diff.consequences import stack_components
from gitstore.graph import build
from gitstore.plumbing.layout import EntityRef
from gitstore.site.common import (
    badge,
    card,
    config_list,
    entity,
    facts,
    file_problems,
    history,
    note,
)
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog
from gitstore.site.svg import stack_picture

RECENT_RUNS = 10


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def stack_index(cat: Catalog) -> tuple[str, Markup]:
    default = cat.snap.settings.default_stack
    rows = []
    for name in cat.snap.names("stack"):
        doc = cat.snap.get("stack", name)
        comps = stack_components(cat.snap, name)
        mark = badge("default", "ok") if name == default else ""
        rows.append((html("{} {}", entity(cat, "stack", name), mark),
                     _text(doc.data.get("description")) if doc else "", len(comps)))
    body = table(("stack", "description", "components"), rows) or note("No stacks.")
    return "Stacks", card(f"{len(rows)} stacks", body)


def _flavor_cell(cat: Catalog, type_: str, comp: str) -> Markup:
    doc = cat.snap.get("component", comp, type_)
    flavor = doc.data.get("flavor") if doc else None
    return entity(cat, "flavor", flavor, type_) if isinstance(flavor, str) else Markup("")


def _config_cell(cat: Catalog, type_: str, comp: str) -> Markup:
    return config_list(cat.configs.get(EntityRef("component", type_, comp)))


def stack_runs(cat: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Run records by the stack they ran on, newest first."""
    found: dict[str, list[dict[str, Any]]] = {}
    for record in reversed(cat.runs or []):
        stack = record.get("stack")
        name = stack.get("name") if isinstance(stack, dict) else None
        if isinstance(name, str):
            found.setdefault(name, []).append(record)
    return found


def _runs(cat: Catalog, records: list[dict[str, Any]]) -> Markup:
    if cat.runs is None:
        return Markup("")
    from gitstore.site.runs import run_rows

    shown = records[:RECENT_RUNS]
    body = run_rows(cat, shown, stack=False) if shown else note("No run recorded on this stack.")
    if len(records) > len(shown):
        body += html('<p class="hint">{} runs in all; see {}.</p>', len(records),
                     link("runs.html", "all runs"))
    return card("Recent runs", body, "runs")


def stack_page(cat: Catalog, name: str, who: Markup, records: list[dict[str, Any]]
               ) -> tuple[str, Markup, Markup]:
    doc = cat.snap.get("stack", name)
    path = cat.snap.present[EntityRef("stack", None, name)]
    comps = stack_components(cat.snap, name)
    rows = [(html("<code>{}</code>", type_), entity(cat, "component", comp, type_),
             _flavor_cell(cat, type_, comp), _config_cell(cat, type_, comp))
            for type_, comp in sorted(comps.items())]
    default = cat.snap.settings.default_stack == name
    about = facts([("file", html("<code>{}</code>", path)),
                   ("description", _text(doc.data.get("description")) if doc else "(unreadable file)"),
                   ("default stack", "yes" if default else "no")])
    picture = html('<div class="picture">{}</div>', stack_picture(cat, build(cat.snap, [name], False)))
    body = join([
        html('<div class="split">{}<div>{}{}</div></div>', card("Picture", picture, "picture"),
             card("About", about), who),
        card("Components", table(("type", "component", "flavor", "config"), rows)
             or note("This stack names no components.")),
        _runs(cat, records),
        card("History", history(cat.history.get(path))),
        file_problems(cat, path),
    ])
    return name, body, link("stacks.html", "Stacks")
