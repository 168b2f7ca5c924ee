from __future__ import annotations

import os
from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK


@click.command()
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=Path("_site"),
              show_default=True, help="The folder to write (new, empty, or written by an earlier build).")
@click.option("--rev", metavar="REV", help="Show a commit instead of the working tree.")
@click.option("--runs/--no-runs", default=True, show_default=True,
              help="Include pipeline runs from the runs branch.")
@click.option("--path", "path", type=click.Path(path_type=Path), default=None,
              help="The configuration repository or a folder in it (default: here).")
@click.pass_context
def site(ctx: click.Context, out: Path, rev: str | None, runs: bool, path: Path | None) -> int:
    """Write a static catalog of the configuration: stacks, components, flavors, people,
    roles and runs, with search; it opens from disk with no server and no network.

    A repository with problems still gets its catalog (the problems are on its
    overview); the exit code is 0 whenever the site was written.
    """
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.site import build_site

    repo = find_config_repo(start_dir(ctx, path), need_worktree_file=rev is None)
    result = build_site(repo, Path(os.path.abspath(start_dir(ctx, out))), rev, runs)
    problems = ", ".join(f"{n} {word}{'s' if n != 1 else ''}"
                         for n, word in ((result.errors, "error"), (result.warnings, "warning")) if n)
    click.echo(f"wrote {result.pages} pages ({result.bytes / 1e6:.1f} MB) to {result.out} "
               f"({problems or 'no problems'}); open {result.out / 'index.html'}")
    return EXIT_OK
