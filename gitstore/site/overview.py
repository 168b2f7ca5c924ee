"""The overview: counts by kind, the validation result, the default stack, recent commits."""

from __future__ import annotations

from gitstore.diff.consequences import stack_components
from gitstore.plumbing.layout import FOLDERS
from gitstore.report import summary
from gitstore.site.common import KIND_PAGES, badge, card, date, entity, note, problem_rows
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog

PLURAL = {"stack": "stacks", "component": "components", "flavor": "custom flavors", "user": "users",
          "team": "teams", "role": "roles", "project": "projects"}
SHOWN = 8
ORDER = ("stack", "component", "flavor", "user", "team", "role", "project")


def overview(cat: Catalog) -> tuple[str, Markup]:
    counts = {kind: 0 for kind in FOLDERS}
    for ref in cat.snap.present:
        if ref.kind in counts:
            counts[ref.kind] += 1
    stats = [html('<div class="stat"><b>{}</b>{}</div>', counts[k], link(KIND_PAGES[k], PLURAL[k]))
             for k in ORDER]
    if cat.runs is not None:
        stats.append(html('<div class="stat"><b>{}</b>{}</div>', len(cat.runs), link("runs.html", "runs")))
    return "Overview", join([html('<div class="stats">{}</div>', join(stats)),
                             html('<div class="grid">{}{}</div>', _default(cat), _commits(cat)),
                             _validation(cat),
                             html('<div class="grid">{}{}</div>', _stacks(cat), _runs(cat))])


def _stacks(cat: Catalog) -> Markup:
    names = cat.snap.names("stack")
    rows = [(entity(cat, "stack", n), len(stack_components(cat.snap, n))) for n in names[:SHOWN]]
    more = note(f"… and {len(names) - SHOWN} more") if len(names) > SHOWN else ""
    return card("Stacks", (table(("stack", "components"), rows) + more) or note("No stacks."))


def _runs(cat: Catalog) -> Markup:
    if cat.runs is None:
        return Markup("")
    from gitstore.site.runs import run_rows

    latest = list(reversed(cat.runs))[:SHOWN]
    return card("Latest runs", run_rows(cat, latest, brief=True) if latest
                else note("No pipeline run is recorded on the runs branch."))


def _validation(cat: Catalog) -> Markup:
    report = cat.report
    if report.errors:
        verdict = badge(f"{report.errors} errors" if report.errors > 1 else "1 error", "error")
    elif report.warnings:
        verdict = badge("valid, with warnings", "warning")
    else:
        verdict = badge("valid", "ok")
    head = html('<div class="verdict">{} <span>{}</span></div>', verdict, summary(report))
    return card("Validation", head + problem_rows(cat, cat.problems), "validation")


def _default(cat: Catalog) -> Markup:
    default = cat.snap.settings.default_stack
    if not isinstance(default, str):
        return card("Default stack", note("No default stack is set in gitstore.yaml."))
    doc = cat.snap.get("stack", default)
    text = doc.data.get("description") if doc else None
    body = html('<p class="big">{}</p><p class="hint">{}</p>',
                entity(cat, "stack", default), text if isinstance(text, str) else "")
    return card("Default stack", body)


def _commits(cat: Catalog) -> Markup:
    if not cat.recent:
        return card("Latest configuration changes", note("No commit history (not in git, or no commit yet)."))
    rows = [(html('<span class="mono" title="{}">{}</span>', c.oid, c.oid[:10]), date(c.date),
             c.author_name, c.subject) for c in cat.recent]
    return card("Latest configuration changes", table(("commit", "date", "author", "subject"), rows))
