from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.cli.progress import TerminalProgress
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS, UsageError


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True, help="Check exactly what the index would commit.")
@click.option("--rev", metavar="REV", help="Check a commit instead of the working tree.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Warnings fail validation too.")
@click.option("--no-cache", is_flag=True, help="Check every file again instead of reusing results.")
@click.option("--runs", "check_runs", is_flag=True,
              help="Also check the pipeline run records on the runs branch.")
@click.pass_context
def validate(ctx: click.Context, path: Path | None, staged: bool, rev: str | None, fmt: str,
             strict: bool, no_cache: bool, check_runs: bool) -> int:
    """Check a configuration repository: files, schemas and references.

    PATH (default: the current directory, or -C) is the repository or a folder
    inside it. Exit 0 when valid, 1 when problems were found, 2 when it cannot
    run.
    """
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.report import FORMATTERS
    from gitstore.validate import validate as run_validation

    if staged and rev:
        raise UsageError("--staged and --rev cannot be used together")
    repo = find_config_repo(start_dir(ctx, path), need_worktree_file=not (staged or rev))
    source = repo.index() if staged else repo.commit(rev) if rev else repo.worktree()
    progress = TerminalProgress("validating")
    try:
        report = run_validation(source, progress=progress, use_cache=not no_cache)
    finally:
        progress.close()
    if check_runs:
        from gitstore.runs.check import with_runs

        report = with_runs(report, repo.root)
    base = f"{repo.prefix}/" if repo.prefix else ""  # see gitstore.report for the path rule
    extra = {"source": source} if fmt == "sarif" else {}  # related locations read their keys
    click.echo(FORMATTERS[fmt](report, strict=strict, base=base, **extra), nl=False)
    return EXIT_OK if report.ok(strict) else EXIT_PROBLEMS
