from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK


@click.command()
@click.argument("stacks", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True, help="mermaid (GitHub/GitLab markdown) or Graphviz dot.")
@click.option("--rev", metavar="REV", help="Draw a commit instead of the working tree.")
@click.option("--people/--no-people", default=None,
              help="Draw teams, roles and assignees (default: only when drawing every stack).")
@click.option("--path", "path", type=click.Path(path_type=Path), default=None,
              hidden=True, help="Deprecated: use `gitstore -C DIR`.")
@click.pass_context
def graph(ctx: click.Context, stacks: tuple[str, ...], fmt: str, rev: str | None,
          people: bool | None, path: Path | None) -> int:
    """Draw stacks with their components and flavors, and who holds which role.

    With STACK names, only those stacks.
    """
    from gitstore.diff import load
    from gitstore.graph import RENDERERS, build
    from gitstore.plumbing.sources import find_config_repo

    repo = find_config_repo(start_dir(ctx, path), need_worktree_file=rev is None)
    snap = load(repo, rev)
    click.echo(RENDERERS[fmt](build(snap, stacks, people)), nl=False)
    return EXIT_OK
