"""``gitstore mv``: carry out a rename plan in the working tree, checked first, then staged.

Like ``git mv``, the result is left staged for the next commit. Before any
file is written, the would-be repository is validated: a rename that adds
an error changes nothing and raises :class:`IntegrityError` with the
problems. Files it must touch that differ from the index are refused (staging
them would stage those edits too).
"""

from __future__ import annotations

from dataclasses import dataclass

from gitstore.exceptions import IntegrityError
from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.sources import ConfigRepo
from gitstore.problems import Problem
from gitstore.references import REFERRING_KINDS
from gitstore.rename import RenameError, RenamePlan, apply_plan, plan_rename


@dataclass(frozen=True)
class MoveResult:
    plan: RenamePlan
    changes: dict[str, str | None]
    warnings: list[Problem]  # warnings the rename adds (errors refuse it)
    staged: bool


def rename_entity(repo: ConfigRepo, target: EntityRef, new_name: str, dry_run: bool = False) -> MoveResult:
    """Rename ``target`` in the working tree and stage the result (or only plan it)."""
    from gitstore.store.state import WorkTreeReader, overlay_snapshot
    from gitstore.validate import check_snapshot

    cache = ResultCache(repo.cache_dir)
    tree = WorkTreeReader(repo.root, cache).tree()
    _refuse_unreadable_referrers(tree.snapshot, target)
    plan = plan_rename(tree.snapshot, target, new_name, tree.read_text)
    changes = apply_plan(plan, tree.read_text)
    before = check_snapshot(tree.snapshot, cache).problems
    after = check_snapshot(overlay_snapshot(tree, changes, cache), cache).problems
    moved = {plan.old_path: plan.new_path}
    known = {(moved.get(p.path, p.path), p.code, p.message) for p in before}
    added = [p for p in after if (p.path, p.code, p.message) not in known]
    errors = [p for p in added if p.is_error]
    if errors:
        raise IntegrityError(f"renaming {target.label()} to `{new_name}`", errors)
    staged = False
    if not dry_run:
        staged = _write(repo, plan, changes)
    cache.save()
    return MoveResult(plan, changes, [p for p in added if not p.is_error], staged)


def _refuse_unreadable_referrers(snap: object, target: EntityRef) -> None:
    from gitstore.plumbing.snapshot import Snapshot

    assert isinstance(snap, Snapshot)
    kinds = REFERRING_KINDS.get(target.kind, frozenset())
    broken = sorted(path for ref, path in snap.present.items()
                    if ref.kind in kinds and ref not in snap.documents)
    if broken:
        raise RenameError(f"{', '.join(broken)} cannot be read, and may refer to {target.label()}; "
                          "fix it first (`gitstore validate` says how)")


def _git_path(repo: ConfigRepo, path: str) -> str:
    return f"{repo.prefix}/{path}" if repo.prefix else path


def _write(repo: ConfigRepo, plan: RenamePlan, changes: dict[str, str | None]) -> bool:
    from gitstore.plumbing.atomic import replace_file

    if repo.git is not None:
        _refuse_unstaged(repo, [p for p in plan.touched_paths if p != plan.new_path])
    for path, text in changes.items():
        if text is not None:
            replace_file(repo.root / path, text.encode("utf-8"))
    for path, text in changes.items():
        if text is None:
            (repo.root / path).unlink()
    if repo.git is None:
        return False
    vcs.refresh_index_paths(repo.git_cwd, [_git_path(repo, p) for p in sorted(changes)])
    return True


def _refuse_unstaged(repo: ConfigRepo, paths: list[str]) -> None:
    """Paths whose working-tree file differs from the index (or that the index lacks)."""
    git_paths = {_git_path(repo, p): p for p in paths}
    staged = {e.path: e.oid for e in vcs.ls_index(repo.git_cwd, list(git_paths))}
    dirty = []
    for git_path, path in git_paths.items():
        on_disk = repo.root / path
        oid = vcs.blob_oid(on_disk.read_bytes()) if on_disk.is_file() else None
        if staged.get(git_path) != oid:
            dirty.append(path)
    if dirty:
        raise RenameError(f"refusing to rename: {', '.join(dirty)} differ(s) from the index (unstaged "
                          "edits or untracked); stage them (`git add`) or stash them first, so the "
                          "rename stages nothing else")
