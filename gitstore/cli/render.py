"""Text of the trust commands (who-can, log): formatting kept out of the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitstore.trust.audit import HistoryEntry
    from gitstore.trust.ownership import Holders
    from gitstore.trust.permissions import Grant


def who_can_text(found: Holders) -> str:
    """One line per holder with how they hold it; per-project grants after."""
    lines = [f"users holding {found.label}:" if found.holders else f"nobody holds {found.label}"]
    lines += _grant_lines(found.holders)
    if found.scoped:
        lines.append("in some projects only:")
        lines += _grant_lines(found.scoped)
    return "\n".join(lines) + "\n"


def _grant_lines(holders: dict[str, list[Grant]]) -> list[str]:
    width = max((len(user) for user in holders), default=0)
    return [f"  {user.ljust(width)}  {'; '.join(g.describe() for g in grants)}"
            for user, grants in sorted(holders.items())]


def history_text(entries: list[HistoryEntry]) -> str:
    """The history as text: commit, author, date, and the change in entity terms."""
    from gitstore.diff.compare import entity_changes
    from gitstore.diff.render import entity_headline, field_text
    from gitstore.trust.audit import alone

    lines = []
    for entry in entries:
        commit = entry.commit
        lines.append(f"commit {commit.oid[:12]}  {commit.date}  "
                     f"{commit.author_name} <{commit.author_email}>")
        lines.append(f"    {commit.subject}")
        for change in entity_changes(alone(entry.before), alone(entry.after)):
            lines.append(f"  {entity_headline(change)}")
            lines.extend(f"      {field_text(f)}" for f in change.fields)
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")
