from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import UsageError


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def init(path: Path | None) -> int:
    """Create a configuration repository (runs `git init` when needed).

    Writes gitstore.yaml, the default stack `default` (a local orchestrator, a
    local artifact store and a sqlite metadata store, each named `default`)
    and the user `default`, in one commit.
    """
    from gitstore import vcs
    from gitstore.defaults import initial_files
    from gitstore.layout import CONFIG_FILE

    target = start_dir(click.get_current_context(), path)
    if (target / CONFIG_FILE).exists():
        raise UsageError(f"{target} is already a configuration repository ({CONFIG_FILE} exists)")
    target.mkdir(parents=True, exist_ok=True)
    info = vcs.repo_info(target)
    if info is None or info.toplevel is None:
        info = vcs.init_repo(target)
    files = initial_files()
    written = []
    for rel, text in files.items():
        dest = target / rel
        if dest.exists():
            raise UsageError(f"{dest} already exists; move it away or run init in an empty folder")
    for rel, text in files.items():
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        written.append(str(dest.relative_to(info.toplevel or target)))
    sha = vcs.commit_paths(info.toplevel or target, written,
                           "gitstore: initialize configuration repository")
    click.echo(f"Initialized configuration repository in {target} (commit {sha[:12]})")
    return 0
