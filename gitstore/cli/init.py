from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def init(path: Path | None) -> int:
    """Create a configuration repository (runs `git init` when needed).

    Writes gitstore.yaml, the default stack `default` (a local orchestrator, a
    local artifact store and a sqlite metadata store, each named `default`)
    and the user `default`, in one commit. Refuses (exit 2) where a
    configuration repository, or any of those files, already exists.
    """
    from gitstore.defaults import create_repository

    target = start_dir(click.get_current_context(), path)
    sha = create_repository(target)
    click.echo(f"Initialized configuration repository in {target} (commit {sha[:12]})")
    return 0
