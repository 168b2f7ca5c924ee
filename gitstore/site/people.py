"""User, team, role and project pages: memberships, assignments and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitstore.checks.integrity import looks_secret
from gitstore.plumbing.layout import OPERATIONS, PERMISSION_TYPES, EntityRef
from gitstore.references import role_assignments
from gitstore.site.common import badge, card, entity, facts, file_problems, grants_list, history, note
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog
from gitstore.trust.permissions import RUN_OPERATION, Grant, applies


def _listing(items: list[Markup]) -> Markup:
    return html('<ul class="plain">{}</ul>', join(html("<li>{}</li>", i) for i in items))


def _count_index(cat: Catalog, kind: str, title: str, column: str, count: Any) -> tuple[str, Markup]:
    names = cat.snap.names(kind)
    rows = [(entity(cat, kind, name), count(name)) for name in names]
    body = table((kind, column), rows) or note(f"No {title.lower()}.")
    return title, card(f"{len(names)} {title.lower()}", body)


def _assignments(cat: Catalog, target: EntityRef) -> list[tuple[str, dict[str, Any]]]:
    """(role, assignment) for every role assignment naming ``target``."""
    found = []
    for ref in cat.refs.referrers(target):
        if ref.source.kind != "role":
            continue
        doc = cat.snap.get("role", ref.source.name)
        items = doc.data.get("assignments") if doc else None
        index = ref.key[1]
        if isinstance(items, list) and isinstance(index, int) and isinstance(items[index], dict):
            found.append((ref.source.name, items[index]))
    return found


def _assignment_rows(cat: Catalog, found: list[tuple[str, dict[str, Any]]]) -> Markup:
    rows = []
    for role, item in found:
        who = item.get("user"), item.get("team")
        holder = entity(cat, "user", who[0]) if isinstance(who[0], str) else \
            html("team {}", entity(cat, "team", who[1])) if isinstance(who[1], str) else "?"
        project = item.get("project")
        scope = html("project {}", entity(cat, "project", project)) if isinstance(project, str) \
            else "everywhere"
        rows.append((entity(cat, "role", role), holder, scope))
    return table(("role", "held by", "scope"), rows) or note("No role assignment.")


def _teams_of(cat: Catalog, user: str) -> list[str]:
    return sorted({r.source.name for r in cat.refs.referrers(EntityRef("user", None, user))
                   if r.source.kind == "team"})


def user_index(cat: Catalog) -> tuple[str, Markup]:
    return _count_index(cat, "user", "Users", "teams", lambda n: len(_teams_of(cat, n)))


def may_do(cat: Catalog, user: str) -> Markup:
    """What ``user`` may do: every operation and type whose grants name them (as who-can),
    one row per operation and way of holding it."""
    held: dict[tuple[str, str], list[Grant]] = {}
    for operation, ptype, grant in cat.grants_of.get(user, []):
        held.setdefault((operation, ptype), []).append(grant)
    rows = []
    for operation in OPERATIONS:
        ways: dict[tuple[str, str], list[str]] = {}
        for ptype in PERMISSION_TYPES:
            mine = held.get((operation, ptype), [])
            general = [g for g in mine if applies(g, operation, None)]
            # a project-scoped grant counts only for that project's run records
            scoped = [g for g in mine if g.project is not None and operation == RUN_OPERATION]
            if general or scoped:
                how = "; ".join(g.describe() for g in general + scoped)
                where = "everywhere" if general else "in some projects only"
                ways.setdefault((where, how), []).append(ptype)
        for (where, how), types in ways.items():
            rows.append((html("<code>{}</code>", operation), join((badge(t, "kind") for t in types), " "),
                         where, how))
    return table(("operation", "may", "where", "through"), rows) \
        or note("No permission: this user holds no role.")


def user_page(cat: Catalog, name: str) -> tuple[str, Markup, Markup]:
    ref = EntityRef("user", None, name)
    doc = cat.snap.get("user", name)
    path = cat.snap.present[ref]
    data = doc.data if doc else {}
    accounts = data.get("accounts")
    acc = ", ".join(f"{k}: {'(withheld)' if looks_secret(k) else v}" for k, v in accounts.items()) \
        if isinstance(accounts, dict) else ""
    about = facts([("email", data.get("email") or "(none)"), ("accounts", acc or "(none)"),
                   ("signing key", "yes" if data.get("signing_key") else "no"),
                   ("file", html("<code>{}</code>", path))])
    teams = _teams_of(cat, name)
    found = _assignments(cat, ref)
    for team in teams:
        found += _assignments(cat, EntityRef("team", None, team))
    body = join([
        card("About", about),
        card("Teams", _listing([entity(cat, "team", t) for t in teams]) if teams
             else note("Not a member of any team.")),
        card("Role assignments", _assignment_rows(cat, sorted(found, key=lambda f: f[0]))),
        card("What this user may do", may_do(cat, name), "may"),
        card("History", history(cat.history.get(path))),
        file_problems(cat, path),
    ])
    return name, body, link("users.html", "Users")


def _list_length(cat: Catalog, kind: str, key: str) -> Callable[[str], int]:
    """name -> how many items the ``key`` list of that entity's file holds (0 if not a list)."""
    def count(name: str) -> int:
        doc = cat.snap.get(kind, name)
        items = doc.data.get(key) if doc else None
        return len(items) if isinstance(items, list) else 0

    return count


def team_index(cat: Catalog) -> tuple[str, Markup]:
    return _count_index(cat, "team", "Teams", "members", _list_length(cat, "team", "members"))


def team_page(cat: Catalog, name: str) -> tuple[str, Markup, Markup]:
    ref = EntityRef("team", None, name)
    path = cat.snap.present[ref]
    members = [r.target.name for r in cat.refs.held_by(ref) if r.target.kind == "user"]
    body = join([
        card("Members", _listing([entity(cat, "user", m) for m in members]) if members
             else note("No members.")),
        card("Role assignments", _assignment_rows(cat, _assignments(cat, ref))),
        card("History", history(cat.history.get(path))),
        file_problems(cat, path),
    ])
    return name, body, link("teams.html", "Teams")


def role_index(cat: Catalog) -> tuple[str, Markup]:
    title, body = _count_index(cat, "role", "Roles", "assignments",
                               _list_length(cat, "role", "assignments"))
    rows = [(link(f"who-{op}.html", op),
             *(html('<a href="who-{}.html#{}">{} users</a>', op, pt, len(cat.authority.holders(op, pt)))
               for pt in PERMISSION_TYPES)) for op in OPERATIONS]
    who = card("Who can do what, by operation",
               html('<p class="hint">How many users hold each permission, as <code>gitstore who-can</code> '
                    "tells it; follow a number for who they are and how they hold it.</p>{}",
                    table(("operation", *PERMISSION_TYPES), rows)))
    return title, body + who


def _permissions(data: dict[str, Any]) -> Markup:
    perms = data.get("permissions")
    if not isinstance(perms, dict) or not perms:
        return note("This role grants no permission.")
    rows = [(html("<code>{}</code>", op),
             join((badge(t, "kind") for t in types if isinstance(t, str)), " ")
             if isinstance(types, list) else "")
            for op, types in perms.items()]
    return table(("operation", "permission types"), rows)


def role_page(cat: Catalog, name: str) -> tuple[str, Markup, Markup]:
    doc = cat.snap.get("role", name)
    path = cat.snap.present[EntityRef("role", None, name)]
    data = doc.data if doc else {}
    found = [(name, item) for _, item in role_assignments(data)]
    holders: dict[str, list[Grant]] = {}
    for grants in cat.grants.values():
        for grant in grants:
            if grant.role == name and grant not in holders.get(grant.user, []):
                holders.setdefault(grant.user, []).append(grant)
    body = join([
        card("Permissions", _permissions(data)),
        card("Assignments", _assignment_rows(cat, found)),
        card("Users holding it", grants_list(cat, holders)),
        card("History", history(cat.history.get(path))),
        file_problems(cat, path),
    ])
    return name, body, link("roles.html", "Roles")


def project_index(cat: Catalog) -> tuple[str, Markup]:
    def description(name: str) -> str:
        doc = cat.snap.get("project", name)
        text = doc.data.get("description") if doc else None
        return text if isinstance(text, str) else ""

    return _count_index(cat, "project", "Projects", "description", description)


def project_page(cat: Catalog, name: str) -> tuple[str, Markup, Markup]:
    ref = EntityRef("project", None, name)
    doc = cat.snap.get("project", name)
    path = cat.snap.present[ref]
    text = doc.data.get("description") if doc else None
    parts = [card("About", facts([("description", text if isinstance(text, str) else "(none)"),
                                  ("file", html("<code>{}</code>", path))])),
             card("Role assignments in this project", _assignment_rows(cat, _assignments(cat, ref)))]
    if cat.runs is not None:
        from gitstore.site.runs import run_rows

        runs = [r for r in reversed(cat.runs) if r.get("project_name") == name]
        parts.append(card("Runs in this project", run_rows(cat, runs[:20]) if runs
                          else note("No run recorded in this project.")))
    parts += [card("History", history(cat.history.get(path))), file_problems(cat, path)]
    return name, join(parts), link("projects.html", "Projects")
