"""Renaming an entity: the plan (a file move and every reference edit, with positions).

:func:`plan_rename` returns data and changes nothing: the file the entity
moves to, and for every reference to it (found by :mod:`gitstore.references`,
the one reference walker) the exact span of text to replace. ``gitstore mv``
applies a plan to the working tree; the language server turns the same plan
into a workspace edit. Edits replace only the name's characters, so
comments, quoting and layout of the files around them stay as they were; a
file in the canonical style stays canonical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gitstore.canonical import keep_canonical, needs_quotes
from gitstore.errors import UsageError
from gitstore.exceptions import RenameError
from gitstore.flavors import is_builtin
from gitstore.plumbing.layout import FOLDERS, EntityRef, is_valid_name, name_rule
from gitstore.plumbing.snapshot import Snapshot
from gitstore.problems import did_you_mean
from gitstore.references import ReferenceIndex

ReadText = Callable[[str], str]

__all__ = ["RenameError", "RenamePlan", "TextEdit", "apply_plan", "check_new_name", "check_target",
           "plan_rename"]


@dataclass(frozen=True)
class TextEdit:
    """Replace ``old`` on ``line`` from ``column`` to ``end_column`` (1-based, end exclusive)."""

    path: str
    line: int
    column: int
    end_column: int
    old: str
    new: str
    referrer: str  # the entity whose file holds the reference, e.g. "stack production"
    key: str  # where in that file, e.g. "components.orchestrator"


@dataclass(frozen=True)
class RenamePlan:
    target: EntityRef
    renamed: EntityRef
    old_path: str
    new_path: str
    edits: list[TextEdit] = field(default_factory=list)

    @property
    def edited_paths(self) -> list[str]:
        return sorted({e.path for e in self.edits})

    @property
    def touched_paths(self) -> list[str]:
        return sorted({self.old_path, self.new_path, *self.edited_paths})


def plan_rename(snap: Snapshot, target: EntityRef, new_name: str, read_text: ReadText,
                index: ReferenceIndex | None = None) -> RenamePlan:
    """The plan to rename ``target`` to ``new_name``, or a :class:`RenameError` (a
    :class:`UsageError` for a name that is not valid) saying why not. ``index``, when given,
    is the reference index of ``snap``'s documents (built here otherwise)."""
    check_target(snap, target)
    check_new_name(snap, target, new_name)
    renamed = target._replace(name=new_name)
    if index is None:
        index = ReferenceIndex(snap.documents.values())
    edits: list[TextEdit] = []
    texts: dict[str, list[str]] = {}
    for ref in index.referrers(target):
        if ref.path not in texts:
            texts[ref.path] = read_text(ref.path).splitlines()
        edits.append(_edit(texts[ref.path], ref.path, ref.line, ref.column, target.name, new_name,
                           ref.source.label(), ".".join(str(k) for k in ref.key)))
    return RenamePlan(target, renamed, snap.present[target], renamed.path, edits)



def check_target(snap: Snapshot, target: EntityRef) -> None:
    """Raise :class:`RenameError` unless ``target`` is an entity whose file can be renamed."""
    if target.kind == "settings":
        raise RenameError("gitstore.yaml holds the repository's settings; it has no name to change")
    if target not in snap.present:
        if target.kind == "flavor" and target.type and is_builtin(target.type, target.name):
            raise RenameError(f"`{target.name}` is a built-in {target.type} flavor; it has no file to rename")
        names = snap.names(target.kind, target.type)
        hint = did_you_mean(target.name, names) or f"see `gitstore list {FOLDERS[target.kind]}`"
        raise RenameError(f"no {target.label()} to rename ({target.path} does not exist); {hint}")
    if target not in snap.documents:
        raise RenameError(f"{snap.present[target]} cannot be read, so its references cannot be found; "
                          "fix it first (`gitstore validate` says how)")


def check_new_name(snap: Snapshot, target: EntityRef, new_name: str) -> None:
    """Raise :class:`UsageError` (not a valid name) or :class:`RenameError` (taken, differs
    only in case from a taken one, shadows a built-in flavor) unless ``new_name`` may be used."""
    if not is_valid_name(new_name):
        raise UsageError(f"`{new_name}` is not a valid name: {name_rule('; no `/`')}")
    if new_name == target.name:
        raise RenameError(f"{target.label()} is already called `{new_name}`")
    taken = target._replace(name=new_name)
    if taken in snap.present:
        raise RenameError(f"cannot rename {target.label()} to `{new_name}`: {snap.present[taken]} exists")
    clash = sorted(path for ref, path in snap.present.items()
                   if ref != target and (ref.kind, ref.type) == (target.kind, target.type)
                   and ref.name.lower() == new_name.lower())
    if clash:
        raise RenameError(f"cannot rename {target.label()} to `{new_name}`: {clash[0]} differs from it only "
                          "in case, and both cannot be checked out on macOS or Windows")
    if target.kind == "flavor" and target.type and is_builtin(target.type, new_name):
        raise RenameError(f"cannot rename {target.label()} to `{new_name}`: that is a built-in "
                          f"{target.type} flavor, and a custom flavor of that name would shadow it")


def _edit(lines: list[str], path: str, line: int, column: int, old: str, new: str,
          referrer: str, key: str) -> TextEdit:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = column - 1
    quote = text[start:start + 1]
    if quote in ("'", '"') and text[start + 1:start + 1 + len(old) + 1] == old + quote:
        return TextEdit(path, line, column + 1, column + 1 + len(old), old, new, referrer, key)
    if text[start:start + len(old)] == old:
        shown = f'"{new}"' if needs_quotes(new) else new
        return TextEdit(path, line, column, column + len(old), old, shown, referrer, key)
    raise RenameError(f"{path}:{line}:{column}: the reference to `{old}` is not written as a plain or "
                      "quoted name on one line; change it by hand, then run the rename again")


def apply_plan(plan: RenamePlan, read_text: ReadText) -> dict[str, str | None]:
    """Path -> new text (None: remove) for the plan; files in canonical style stay canonical."""
    changes: dict[str, str | None] = {}
    by_path: dict[str, list[TextEdit]] = {}
    for edit in plan.edits:
        by_path.setdefault(edit.path, []).append(edit)
    for path, edits in by_path.items():
        before = read_text(path)
        changes[path] = keep_canonical(path, before, _replace(before, edits))
    moved_text = changes.pop(plan.old_path, None) or read_text(plan.old_path)
    changes[plan.new_path] = moved_text
    changes[plan.old_path] = None
    return changes


def _replace(text: str, edits: list[TextEdit]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        line = lines[edit.line - 1]
        lines[edit.line - 1] = line[:edit.column - 1] + edit.new + line[edit.end_column - 1:]
    return "".join(lines)
