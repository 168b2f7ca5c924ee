from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS


@click.group()
def hooks() -> None:
    """Install git hooks that refuse invalid commits and pushes."""


@hooks.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--server", is_flag=True,
              help="Install the pre-receive hook into the (bare) repository at PATH.")
@click.option("--force", is_flag=True, help="Replace a foreign hook (it is kept aside).")
@click.pass_context
def install(ctx: click.Context, path: Path | None, server: bool, force: bool) -> int:
    """Install the pre-commit hooks in the configuration repository at PATH (default: here).

    With --server, install the pre-receive hook in the repository pushes go
    to, and check its default branch once so the first push is fast.
    """
    from gitstore.serverside.install import install_client, install_server

    target = start_dir(ctx, path)
    results = install_server(target, force) if server else install_client(target, force)
    for result in results:
        verb = "updated" if result.replaced else "installed"
        click.echo(f"gitstore: {verb} {result.hook}")
        if result.backup:
            click.echo(f"gitstore: the previous hook is kept as {result.backup}")
    return EXIT_OK


@hooks.command("pre-receive", hidden=True)
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.pass_context
def pre_receive(ctx: click.Context, path: Path | None) -> int:
    """Run by the pre-receive hook: read ref updates on stdin, exit 1 to reject the push."""
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.serverside.receive import check_push, format_verdicts, parse_updates

    repo = find_config_repo(start_dir(ctx, path), need_worktree_file=False)
    updates = parse_updates(sys.stdin.read())
    verdicts = check_push(repo, updates, dict(os.environ))
    click.echo(format_verdicts(verdicts), nl=False, err=True)
    return EXIT_OK if all(v.accepted for v in verdicts) else EXIT_PROBLEMS
