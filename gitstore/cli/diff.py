from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS, UsageError


@click.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--staged", is_flag=True, help="Compare BASE with what the index would commit.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format; markdown fits one pull-request comment.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are changes (like git diff).")
@click.option("--path", "path", type=click.Path(path_type=Path), default=None,
              hidden=True, help="Deprecated: use `gitstore -C DIR`.")
@click.pass_context
def diff(ctx: click.Context, base: str, head: str | None, staged: bool, fmt: str, exit_code: bool,
         path: Path | None) -> int:
    """Say what changed from BASE to HEAD in entities: stacks, components, roles, teams.

    HEAD is a commit; without it, the working tree (or, with --staged, the
    index). Lists entities added, removed, renamed (by id) or changed with
    their fields before and after, and the consequences: stacks touched
    through their components, roles granted or revoked, team memberships.
    """
    from gitstore.diff import diff_revisions
    from gitstore.diff.render import RENDERERS
    from gitstore.plumbing.sources import find_config_repo

    if staged and head:
        raise UsageError("--staged and HEAD cannot be used together")
    worktree = head is None and not staged
    repo = find_config_repo(start_dir(ctx, path), need_worktree_file=worktree)
    change, new = diff_revisions(repo, base, head, staged)
    click.echo(RENDERERS[fmt](change, new=new), nl=False)
    return EXIT_PROBLEMS if exit_code and not change.empty else EXIT_OK
