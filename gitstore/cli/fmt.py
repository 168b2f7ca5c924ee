"""``gitstore fmt [--check] [--diff] [PATH...]``: one canonical style for every file."""

from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the files that would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print what would change as a diff.")
@click.pass_context
def fmt(ctx: click.Context, paths: tuple[Path, ...], check: bool, show_diff: bool) -> int:
    """Rewrite entity files in the canonical style (key order, indentation, quoting), keeping comments.

    PATHs (files or folders; default: the whole repository) are relative to
    the current directory; files outside the layout, or outside the
    repository, are left alone. A file that cannot be read is reported and
    nothing is written (exit 1).
    """
    from gitstore.fmt import find_repo, plan_format, unified_diff, write_format
    from gitstore.report import format_text
    from gitstore.validate import Report

    given = [start_dir(ctx, p) for p in paths]
    repo = find_repo(start_dir(ctx), given)
    plan = plan_format(repo, given)
    for path in plan.outside:
        click.echo(f"gitstore: warning: {path} is outside the configuration repository at {repo.root}; "
                   "left alone", err=True)
    if plan.problems:
        report = Report("working tree", plan.checked, plan.problems)
        click.echo(format_text(report).rsplit("\n", 2)[0] + "\n", nl=False, err=True)
        click.echo(f"gitstore: error: {len(plan.problems)} file(s) cannot be read; nothing was formatted",
                   err=True)
        return EXIT_PROBLEMS
    if show_diff:
        for path, (before, after) in sorted(plan.changed.items()):
            click.echo(unified_diff(path, before, after), nl=False)
    if check or show_diff:
        for path in sorted(plan.changed):
            click.echo(f"would reformat {path}", err=show_diff)
        return EXIT_PROBLEMS if check and plan.changed else EXIT_OK
    write_format(repo, plan)
    for path in sorted(plan.changed):
        click.echo(f"reformatted {path}")
    click.echo(f"{len(plan.changed)} of {plan.checked} file(s) reformatted")
    return EXIT_OK
