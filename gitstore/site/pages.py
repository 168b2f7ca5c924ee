"""Every page of the site, as a list of jobs: a file name, its navigation section, and a
function rendering its title, body and breadcrumbs (so pages can be rendered in any order,
or shared among processes)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from gitstore.plumbing.layout import COMPONENT_TYPES, OPERATIONS
from gitstore.site import components, flavors, people, stacks
from gitstore.site.common import who_may_change, who_page
from gitstore.site.markup import Markup, link
from gitstore.site.model import Catalog

Rendered = tuple[str, Markup, Markup | str]  # title, body, breadcrumbs


class Job(NamedTuple):
    file: str
    section: str  # the navigation entry it belongs to
    render: Callable[[], Rendered]


def _index(render: Callable[[Catalog], tuple[str, Markup]], cat: Catalog,
           crumbs: Markup | str = "") -> Rendered:
    title, body = render(cat)
    return title, body, crumbs


def _who(cat: Catalog, operation: str) -> Rendered:
    title, body = who_page(cat, operation)
    return title, body, link("roles.html", "Roles")


def jobs(cat: Catalog) -> list[Job]:
    from gitstore.site.overview import overview

    found = [Job("index.html", "index.html", partial(_index, overview, cat))]
    indexes: list[tuple[str, Callable[[Catalog], tuple[str, Markup]]]] = [
        ("stacks.html", stacks.stack_index), ("components.html", components.component_index),
        ("flavors.html", flavors.flavor_index), ("users.html", people.user_index),
        ("teams.html", people.team_index), ("roles.html", people.role_index),
        ("projects.html", people.project_index)]
    found += [Job(name, name, partial(_index, render, cat)) for name, render in indexes]
    found += [Job(f"who-{op}.html", "roles.html", partial(_who, cat, op)) for op in OPERATIONS]

    def page(kind: str, name: str, type_: str | None = None) -> str:
        file = cat.pages.get(kind, name, type_)
        assert file is not None
        return file

    who = who_may_change(cat, "stack")
    records = stacks.stack_runs(cat)
    found += [Job(page("stack", name), "stacks.html",
                  partial(stacks.stack_page, cat, name, who, records.get(name, [])))
              for name in cat.snap.names("stack")]
    who = who_may_change(cat, "stack_component")
    found += [Job(page("component", name, type_), "components.html",
                  partial(components.component_page, cat, type_, name, who))
              for type_ in COMPONENT_TYPES for name in cat.snap.names("component", type_)]
    who = who_may_change(cat, "flavor")
    found += [Job(page("flavor", name, type_), "flavors.html",
                  partial(flavors.flavor_page, cat, type_, name, who))
              for type_, name in flavors.all_flavors(cat)]
    named: list[tuple[str, Callable[[Catalog, str], Rendered]]] = [
        ("user", people.user_page), ("team", people.team_page), ("role", people.role_page),
        ("project", people.project_page)]
    found += [Job(page(kind, name), f"{kind}s.html", partial(render, cat, name))
              for kind, render in named for name in cat.snap.names(kind)]
    if cat.runs is not None:
        from gitstore.site.runs import run_page, runs_index

        found.append(Job("runs.html", "runs.html", partial(_index, runs_index, cat)))
        found += [Job(page("run", str(record.get("name"))), "runs.html", partial(run_page, cat, record))
                  for record in cat.runs]
    return found
