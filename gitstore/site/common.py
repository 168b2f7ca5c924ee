"""Pieces shared by several pages: links, configs, grants, history, problems."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import PERMISSION_TYPES
from gitstore.problems import WARNING, Problem
from gitstore.report import _location as location
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog
from gitstore.site.redact import SecretRef, Withheld
from gitstore.trust.permissions import Grant

KIND_PAGES = {"stack": "stacks.html", "component": "components.html", "flavor": "flavors.html",
              "user": "users.html", "team": "teams.html", "role": "roles.html",
              "project": "projects.html"}


def entity(cat: Catalog, kind: str, name: str, type_: str | None = None) -> Markup:
    """A link to an entity's page, or its name marked missing when the site has no page."""
    key = (kind, type_, name)
    found = cat.links.get(key)
    if found is None:
        href = cat.pages.get(kind, name, type_)
        found = html('<span class="missing" title="does not exist">{} (missing)</span>', name) \
            if href is None else link(href, name)
        cat.links[key] = found
    return found


def card(title: str, body: Markup | str, anchor: str = "") -> Markup:
    ident = html(' id="{}"', anchor) if anchor else ""
    return html("<section class=\"card\"{}><h2>{}</h2>{}</section>", Markup(ident), title, body)


def note(text: str) -> Markup:
    return html('<p class="empty-note">{}</p>', text)


def facts(items: Iterable[tuple[str, Any]]) -> Markup:
    rows = join(html("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in items)
    return html('<dl class="facts">{}</dl>', rows)


def badge(text: str, cls: str = "") -> Markup:
    return html('<span class="badge {}">{}</span>', cls, text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, SecretRef):
        return value.text
    if isinstance(value, Withheld):
        return "<withheld>"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def value(item: Any) -> Markup:
    """One config value (already cleaned by :mod:`gitstore.site.redact`)."""
    if isinstance(item, SecretRef):
        return html('<span class="badge secret">secret</span> <code>{}</code>', item.text)
    if isinstance(item, Withheld):
        return Markup('<span class="withheld">plain-text secret withheld</span>')
    if isinstance(item, (dict, list)):
        text = json.dumps(_jsonable(item), indent=2, ensure_ascii=False, default=str)
        return html('<pre class="value">{}</pre>', text)
    if item is None or isinstance(item, bool):
        return html("<code>{}</code>", json.dumps(item))
    return html("<code>{}</code>", item)


def config_list(config: Any) -> Markup:
    """A cleaned config as a compact list of ``key: value``."""
    if not isinstance(config, dict) or not config:
        return Markup('<span class="hint">none</span>')
    items = join(html("<li><code>{}</code>: {}</li>", k, value(v)) for k, v in config.items())
    return html('<ul class="plain">{}</ul>', items)


def grants_list(cat: Catalog, holders: dict[str, list[Grant]]) -> Markup:
    if not holders:
        return note("Nobody, according to the roles.")
    rows = [(entity(cat, "user", user), "; ".join(g.describe() for g in grants))
            for user, grants in sorted(holders.items())]
    return table(("user", "through"), rows)


SHOWN_HOLDERS = 8


def who_may_change(cat: Catalog, operation: str) -> Markup:
    """Who holds ``operation``'s update and delete permissions (as ``who-can`` tells it):
    the first few by name, and a link to the page that lists every holder and how."""
    parts = []
    for ptype in ("update", "delete"):
        names = sorted(cat.authority.holders(operation, ptype))
        shown = join((entity(cat, "user", n) for n in names[:SHOWN_HOLDERS]), ", ")
        more = f" and {len(names) - SHOWN_HOLDERS} more" if len(names) > SHOWN_HOLDERS else ""
        listing = html("<p>{}{} · {}</p>", shown, more,
                       link(f"who-{operation}.html#{ptype}", "how each holds it")) if names \
            else note("Nobody, according to the roles.")
        parts.append(html("<h3>{} <code>{}: {}</code> {}</h3>{}", "Holding", operation, ptype,
                          badge(f"{len(names)} users" if len(names) != 1 else "1 user"), listing))
    return card("Who may change it", join(parts), "who")


def who_page(cat: Catalog, operation: str) -> tuple[str, Markup]:
    """Every holder of each permission of ``operation``, and how (``gitstore who-can``)."""
    from gitstore.trust.permissions import RUN_OPERATION

    parts = []
    for ptype in PERMISSION_TYPES:
        body = grants_list(cat, cat.authority.holders(operation, ptype))
        if operation == RUN_OPERATION:
            scoped: dict[str, list[Grant]] = {}
            for grant in cat.grants[(operation, ptype)]:
                if grant.project is not None:
                    scoped.setdefault(grant.user, []).append(grant)
            if scoped:
                body += html("<h3>In some projects only</h3>{}", grants_list(cat, scoped))
        parts.append(card(f"{operation}: {ptype}", body, ptype))
    return f"Who holds {operation} permissions", join(parts)


def history(commits: list[vcs.LoggedCommit] | None, limit: int = 20) -> Markup:
    if not commits:
        return note("No commit history (not in git, or not committed yet).")
    rows = [(html('<span class="mono">{}</span>', c.oid[:10]), date(c.date), c.author_name,
             c.subject) for c in commits[:limit]]
    more = len(commits) - limit
    tail = note(f"… and {more} older commits") if more > 0 else ""
    return table(("commit", "date", "author", "subject"), rows) + tail


def date(iso: str) -> Markup:
    return html('<span class="nowrap" title="{}">{}</span>', iso, iso[:10])


def problem_rows(cat: Catalog, problems: list[Problem]) -> Markup:
    rows = []
    for p in problems:
        level = "warning" if p.severity == WARNING else "error"
        hint = html('<div class="hint">hint: {}</div>', p.hint) if p.hint else ""
        rows.append((badge(level, level), where(cat, p), html("<code>{}</code>", p.code),
                     html("{}{}", p.message, hint)))
    return table(("", "where", "rule", "problem"), rows)


def where(cat: Catalog, p: Problem) -> Markup:
    """``path:line:column``, linking to the entity's page where it has one."""
    text = location(p)
    href = cat.page_of_path.get(p.path)
    return link(href, text, "mono") if href else html('<span class="mono">{}</span>', text)


def file_problems(cat: Catalog, path: str) -> Markup:
    found = cat.problems_by_path.get(path)
    if not found:
        return Markup("")
    return card("Problems in this file", problem_rows(cat, found), "problems")
