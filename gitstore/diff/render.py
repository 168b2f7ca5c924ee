"""A :class:`~gitstore.diff.model.Change` as text, markdown (one pull-request comment) or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from gitstore.diff.model import (
    ADDED,
    KIND_ORDER,
    REMOVED,
    RENAMED,
    Change,
    EntityChange,
    FieldChange,
    RoleGrant,
)
from gitstore.plumbing.snapshot import Snapshot

MARKDOWN_LIMIT = 65_000  # GitHub refuses comments longer than 65,536 characters
PICTURE_MAX_STACKS = 8
PICTURE_MAX_NODES = 40
VALUE_WIDTH = 120
SIGNS = {ADDED: "+", REMOVED: "-", RENAMED: ">", "changed": "~", "affected": "~",
         "granted": "+", "revoked": "-", "joined": "+", "left": "-"}
HEADINGS = {"stack": "Stacks", "component": "Components", "flavor": "Flavors", "user": "Users",
            "team": "Teams", "project": "Projects", "role": "Roles", "settings": "Settings"}


def value_text(value: Any) -> str:
    """A value on one line: strings as they are, anything else as JSON; long ones cut."""
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           sort_keys=True)
    text = text.replace("\n", "\\n")
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


def field_text(change: FieldChange) -> str:
    if change.status == ADDED:
        return f"{change.path}: added {value_text(change.after)}"
    if change.status == REMOVED:
        return f"{change.path}: removed (was {value_text(change.before)})"
    return f"{change.path}: {value_text(change.before)} → {value_text(change.after)}"


def entity_headline(change: EntityChange) -> str:
    noun = "settings" if change.kind == "settings" else f"{change.kind} {change.label}"
    if change.status == RENAMED:
        return f"{noun} renamed from {change.old_label} ({change.old_path} → {change.path})"
    extra = ", unreadable: see `gitstore validate`" if change.unreadable else ""
    return f"{noun} {change.status} ({change.path}{extra})"


def grant_text(grant: RoleGrant) -> str:
    where = f"in project {grant.project}" if grant.project else "in every project"
    verb = "gains" if grant.status == "granted" else "loses"
    return f"{grant.user} {verb} role {grant.role} {where} ({', '.join(grant.via)})"


def _sections(change: Change) -> Iterator[tuple[str, list[tuple[str, list[str]]]]]:
    """(heading, [(sign + line, detail lines)]) in reporting order."""
    if change.stacks:
        yield "Stacks touched", [(f"{SIGNS[s.status]} {s.stack} ({s.status})", list(s.reasons))
                                 for s in change.stacks]
    if change.roles:
        yield "Roles granted and revoked", [(f"{SIGNS[g.status]} {grant_text(g)}", [])
                                            for g in change.roles]
    if change.memberships:
        yield "Team memberships", [(f"{SIGNS[m.status]} {m.user} {m.status} team {m.team}", [])
                                   for m in change.memberships]
    for kind in KIND_ORDER:
        items = change.of_kind(kind)
        if items:
            yield HEADINGS[kind], [(f"{SIGNS[e.status]} {entity_headline(e)}",
                                    [field_text(f) for f in e.fields]) for e in items]


def render_text(change: Change, **_: Any) -> str:
    lines = [change.summary()]
    for heading, items in _sections(change):
        lines += ["", heading]
        for head, details in items:
            lines.append(f"  {head}")
            lines += [f"      {d}" for d in details]
    return "\n".join(lines) + "\n"


def render_json(change: Change, **_: Any) -> str:
    return json.dumps(change.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def _code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(change: Change, new: Snapshot | None = None,
                    limit: int = MARKDOWN_LIMIT, **_: Any) -> str:
    """One pull-request comment: the summary line first, then sections, at most ``limit`` chars."""
    head = [f"**{change.summary()}**", "", f"<sub>{change.base} → {change.head}</sub>"]
    picture = _picture(change, new)
    if picture:
        head += ["", "```mermaid", picture.rstrip("\n"), "```"]
    body: list[str] = []
    for heading, items in _sections(change):
        body += ["", f"### {heading}", ""]
        for line, details in items:
            body.append(f"- {_code(line[0])} {_md_line(line[2:])}")
            body += [f"  - {_code(d)}" for d in details]
    return _fit(head, body, limit)


def _md_line(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("*", "\\*")


def _fit(head: list[str], body: list[str], limit: int) -> str:
    text = "\n".join(head + body) + "\n"
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = len("\n".join(head)) + 200
    for line in body:
        if size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    note = (f"\n… {len(body) - len(kept)} more lines not shown (this comment is limited to "
            f"{limit:,} characters); run `gitstore diff` for everything.")
    return "\n".join(head + kept) + "\n" + note + "\n"


def _picture(change: Change, new: Snapshot | None) -> str | None:
    """A mermaid picture of the stacks the change touches, when it is small enough to read."""
    if new is None:
        return None
    from gitstore.graph import build, to_mermaid

    stacks = [s.stack for s in change.stacks if new.exists("stack", s.stack)]
    if not stacks or len(stacks) > PICTURE_MAX_STACKS:
        return None
    marks = {f"stack:{s.stack}" for s in change.stacks}
    marks |= {f"{e.kind}:{e.label}" for e in change.entities if e.kind in ("component", "flavor")}
    graph = build(new, stacks, people=False, highlight=marks)
    if len(graph.nodes) > PICTURE_MAX_NODES:
        return None
    return to_mermaid(graph)


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text, "markdown": render_markdown, "json": render_json}
