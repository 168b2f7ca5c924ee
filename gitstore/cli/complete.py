"""Shell completion of entity paths, kinds and run names (click's completion protocol)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem


def _root(ctx: click.Context) -> Path:
    top = ctx.find_root()
    directory = top.params.get("directory")
    return Path(directory) if directory else Path.cwd()


def complete_kind(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    from gitstore.plumbing.layout import FOLDERS

    return [CompletionItem(k) for k in FOLDERS.values() if k.startswith(incomplete)]


def complete_entity(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """Entity paths as `show`, `mv` and `log` take them: stacks/prod, components/orchestrator/kf."""
    try:
        from gitstore.plumbing.sources import find_config_repo

        repo = find_config_repo(_root(ctx))
        paths = [e.path for e in repo.worktree().entries()]
    except Exception:  # completion never fails loudly
        return []
    from gitstore.plumbing.layout import is_layout_path

    names = sorted(p[:-5] for p in paths if p.endswith(".yaml") and is_layout_path(p) and "/" in p)
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_run(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    try:
        from gitstore.runs.read import list_records

        names = sorted(str(r.get("name")) for r in list_records(_root(ctx), None, None))
    except Exception:  # completion never fails loudly
        return []
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]
