"""Run pages from the runs branch: runs by pipeline, and each run with its pinned stack."""

from __future__ import annotations

from typing import Any

from gitstore.site.common import badge, card, config_list, entity, facts, note
from gitstore.site.markup import Markup, html, join, link, table
from gitstore.site.model import Catalog
from gitstore.site.redact import clean_config


def _short(sha: Any) -> Markup:
    if not isinstance(sha, str) or not sha:
        return Markup('<span class="hint">none</span>')
    return html('<span class="mono" title="{}">{}</span>', sha, sha[:10])


def _dirty(record: dict[str, Any]) -> Markup:
    return badge("dirty", "warning") if record.get("config_dirty") else badge("clean", "ok")


def pipeline_name(record: dict[str, Any]) -> str:
    """The pipeline of a record (the run model holds it as a mapping with its name)."""
    pipeline = record.get("pipeline")
    name = pipeline.get("name") if isinstance(pipeline, dict) else pipeline
    return name if isinstance(name, str) else "?"


def _stack_name(record: dict[str, Any]) -> str:
    stack = record.get("stack")
    name = stack.get("name") if isinstance(stack, dict) else None
    return name if isinstance(name, str) else "?"


def _run_link(cat: Catalog, record: dict[str, Any]) -> Markup:
    name = str(record.get("name"))
    href = cat.pages.get("run", name)
    return link(href, name) if href else html("{}", name)


def _pinned_link(cat: Catalog, record: dict[str, Any]) -> Markup:
    """The stack's name, linking to the stack as the run's record pinned it."""
    href = cat.pages.get("run", str(record.get("name")))
    return link(f"{href}#stack", _stack_name(record)) if href else html("{}", _stack_name(record))


def run_rows(cat: Catalog, records: list[dict[str, Any]], stack: bool = True,
             brief: bool = False) -> Markup:
    """A table of runs: name, time, pinned configuration commit, code commit, dirty flag."""
    if brief:
        return table(("run", "pipeline", "stack at its commit", "config commit"),
                     [(_run_link(cat, r), pipeline_name(r), _pinned_link(cat, r),
                       _short(r.get("config_commit"))) for r in records])
    rows = []
    for record in records:
        when = str(record.get("recorded_at", ""))[:19].replace("T", " ")
        row: list[Any] = [_run_link(cat, record), html('<span class="nowrap">{}</span>', when)]
        if stack:
            row.append(_pinned_link(cat, record))
        row += [_short(record.get("config_commit")), _short(record.get("git_sha")), _dirty(record)]
        rows.append(row)
    headers = ["run", "recorded (UTC)"] + (["stack at its commit"] if stack else []) + \
        ["config commit", "code commit", "config"]
    return table(headers, rows)


def runs_index(cat: Catalog) -> tuple[str, Markup]:
    records = cat.runs or []
    pipelines: dict[str, list[dict[str, Any]]] = {}
    for record in reversed(records):
        pipelines.setdefault(pipeline_name(record), []).append(record)
    if not pipelines:
        return "Runs", card("No runs", note("No pipeline run is recorded on the runs branch."))
    summary = table(("pipeline", "runs", "latest"),
                    [(link(f"#pipeline-{p}", p), len(rs), _run_link(cat, rs[0]))
                     for p, rs in sorted(pipelines.items())])
    parts = [card(f"{len(records)} runs in {len(pipelines)} pipelines", summary)]
    parts += [card(f"Pipeline {p}", run_rows(cat, rs), f"pipeline-{p}")
              for p, rs in sorted(pipelines.items())]
    return "Runs", join(parts)


def _pinned_stack(cat: Catalog, record: dict[str, Any]) -> Markup:
    stack = record.get("stack")
    comps = stack.get("components") if isinstance(stack, dict) else None
    if not isinstance(comps, dict):
        return note("The record holds no stack.")
    rows = []
    for type_, comp in sorted(comps.items()):
        comp = comp if isinstance(comp, dict) else {}
        flavor = comp.get("flavor")
        config, _ = clean_config(cat.snap, type_, flavor, comp.get("config"))
        rows.append((html("<code>{}</code>", type_), str(comp.get("name", "?")), str(flavor or "?"),
                     config_list(config)))
    return table(("type", "component", "flavor", "config"), rows)


def run_page(cat: Catalog, record: dict[str, Any]) -> tuple[str, Markup, Markup]:
    stack = _stack_name(record)
    commit = record.get("config_commit")
    same = isinstance(commit, str) and commit == cat.commit
    project = record.get("project_name")
    about = facts([
        ("pipeline", html('<a href="runs.html#pipeline-{}">{}</a>', pipeline_name(record),
                          pipeline_name(record))),
        ("project", entity(cat, "project", project) if isinstance(project, str) else "(none)"),
        ("recorded", str(record.get("recorded_at", ""))),
        ("configuration commit", _short(commit)),
        ("code commit", _short(record.get("git_sha"))),
        ("configuration", html("{} {}", _dirty(record),
                               "uncommitted changes to the stack's files" if record.get("config_dirty")
                               else "as committed")),
        ("stack today", entity(cat, "stack", stack)),
    ])
    origin = record.get("imported_from")
    where = (f"as the {origin} run recorded it" if origin else
             "as it was at this commit, which is the commit this catalog shows" if same else
             "as it was at the configuration commit, read back from the record")
    body = join([
        card("Run", about),
        card(f"Stack {stack} at {str(commit)[:10]}", html('<p class="hint">{}</p>{}', where,
                                                           _pinned_stack(cat, record)), "stack"),
    ])
    return str(record.get("name")), body, link("runs.html", "Runs")
