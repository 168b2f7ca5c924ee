"""``gitstore fmt``: which files are not in the canonical style, and their canonical text.

Nothing is written unless every file to format reads cleanly: a file that
does not parse is reported with its location (as ``validate`` reports it)
and the whole run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gitstore.canonical import canonical_text, entity_of
from gitstore.errors import UsageError
from gitstore.plumbing.sources import ConfigRepo
from gitstore.plumbing.yamlio import read_document
from gitstore.problems import Problem


@dataclass
class FormatPlan:
    checked: int = 0
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    problems: list[Problem] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # given paths outside the repository, left alone


def find_repo(start: Path, paths: list[Path]) -> ConfigRepo:
    """The repository at ``start``, else the one holding the first given path (a hook run from the
    git root passes paths into a configuration that sits in a subfolder)."""
    from gitstore.errors import NotAConfigRepository
    from gitstore.plumbing.sources import find_config_repo

    try:
        return find_config_repo(start)
    except NotAConfigRepository:
        for path in paths:
            if path.exists():
                try:
                    return find_config_repo(path)
                except NotAConfigRepository:
                    continue
        raise


def targets(repo: ConfigRepo, paths: list[Path], outside: list[str] | None = None) -> list[str]:
    """Repository paths of the entity files to format: all of them, or those at/under ``paths``."""
    listed = [e.path for e in repo.worktree().entries()
              if e.mode.startswith("100") and entity_of(e.path) is not None]
    if not paths:
        return listed
    wanted: set[str] = set()
    root = repo.root.resolve()
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or directory")
        full = path.absolute().resolve() if not path.is_symlink() else path.absolute()
        if full != root and root not in full.parents:
            if outside is not None:
                outside.append(str(path))
            continue
        rel = full.relative_to(root).as_posix() if full != root else ""
        if full.is_dir():
            wanted.update(p for p in listed if not rel or p.startswith(rel + "/"))
        elif rel in listed:
            wanted.add(rel)
    return sorted(wanted)


def plan_format(repo: ConfigRepo, paths: list[Path]) -> FormatPlan:
    plan = FormatPlan()
    for path in targets(repo, paths, plan.outside):
        raw = (repo.root / path).read_bytes()
        plan.checked += 1
        parsed = read_document(path, raw)
        if isinstance(parsed, Problem):
            plan.problems.append(parsed)
            continue
        text = raw.decode("utf-8")
        after = canonical_text(path, text.removeprefix("\ufeff"))
        if after != text:
            plan.changed[path] = (text, after)
    return plan


def write_format(repo: ConfigRepo, plan: FormatPlan) -> None:
    from gitstore.plumbing.atomic import replace_file

    if plan.problems:
        raise UsageError("refusing to format: some files cannot be read")
    for path, (_, after) in sorted(plan.changed.items()):
        replace_file(repo.root / path, after.encode("utf-8"))


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))
