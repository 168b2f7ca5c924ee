"""``gitstore run record|list|show`` and ``gitstore runs sync``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from gitstore.cli import start_dir
from gitstore.cli.complete import complete_run
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS


@click.group()
def run() -> None:
    """Record, read and sync pipeline runs pinned to configuration commits.

    `gitstore runs` is the same group: `run list` and `runs list`, `run sync`
    and `runs sync` are the same commands.
    """


@run.command("record")
@click.option("--pipeline", required=True, help="The pipeline's name.")
@click.option("--name", required=True, help="The run's name (unique in the repository).")
@click.option("--stack", required=True, help="The stack it ran on (as committed at HEAD).")
@click.option("--project", default=None, help="The project it belongs to.")
@click.option("--user", default="default", show_default=True, help="The user who ran it.")
@click.option("--code-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The pipeline code's folder; its commit is recorded when its tree is clean.")
@click.option("--config", "config", multiple=True, metavar="KEY=VALUE",
              help="Runtime configuration (repeatable); values are YAML scalars.")
@click.option("--zenml-version", default=None, metavar="VERSION",
              help="The ZenML version the run ran on (left empty when not given).")
@click.pass_context
def record(ctx: click.Context, pipeline: str, name: str, stack: str, project: str | None,
           user: str, code_dir: Path | None, config: tuple[str, ...],
           zenml_version: str | None) -> int:
    """Record a run on the runs branch, pinned to the checked-out commit."""
    from gitstore.runs.record import parse_config_options, record_named_run

    code = start_dir(ctx, code_dir) if code_dir is not None else None
    recorded = record_named_run(start_dir(ctx), pipeline, name, stack, project, code,
                                parse_config_options(list(config)), user, zenml_version)
    dirty = " (stack files differed from it)" if recorded["config_dirty"] else ""
    click.echo(f"recorded run {name} of pipeline {pipeline} on stack {stack} at "
               f"configuration commit {recorded['config_commit']}{dirty}")
    return EXIT_OK


@run.command("list")
@click.option("--pipeline", default=None, help="Only this pipeline's runs.")
@click.option("--project", default=None, help="Only runs in this project.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def list_(ctx: click.Context, pipeline: str | None, project: str | None, fmt: str) -> int:
    """List recorded runs, oldest first."""
    from gitstore.runs.read import list_records

    records = list_records(start_dir(ctx), pipeline, project)
    if fmt == "json":
        click.echo(json.dumps(records, indent=2))
        return EXIT_OK
    for body in records:
        commit = str(body.get("config_commit", ""))[:12]
        dirty = "+dirty" if body.get("config_dirty") else ""
        click.echo(f"{body.get('recorded_at')}  {body['pipeline']['name']}  {body['name']}  "
                   f"stack={body['stack']['name']}  config={commit}{dirty}  "
                   f"project={body.get('project_name') or '-'}")
    return EXIT_OK


@run.command("show")
@click.argument("run_name", metavar="RUN", shell_complete=complete_run)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.pass_context
def show(ctx: click.Context, run_name: str, fmt: str) -> int:
    """Print a run's record and its stack as the pinned commit holds it."""
    from gitstore.runs.read import show_record

    try:
        body = show_record(start_dir(ctx), run_name)
    except KeyError as exc:
        click.echo(f"gitstore: error: {exc.args[0]}", err=True)
        return EXIT_PROBLEMS
    click.echo(_dump(body, fmt), nl=False)
    return EXIT_OK


def _dump(body: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(body, indent=2) + "\n"
    from gitstore.plumbing.yamlio import dump_text

    return dump_text(body)


@run.command("sync")
@click.argument("remote", default="origin")
@click.pass_context
def sync(ctx: click.Context, remote: str) -> int:
    """Fetch the remote's runs branch, merge every record of both, and push."""
    from gitstore.runs.sync import sync_runs

    result = sync_runs(start_dir(ctx), remote)
    for name in result.duplicates:
        click.echo(f"gitstore: warning: run `{name}` was recorded on both sides; "
                   f"the remote's record is kept at its path", err=True)
    click.echo(f"synced {result.branch} with {remote}: {result.received} record(s) received, "
               f"{result.sent} sent" + (" (merged)" if result.merged else ""))
    return EXIT_OK


# one group under both names, so `gitstore runs list` and `gitstore run sync` work too
runs = click.Group("runs", commands=run.commands, help=run.help,
                   short_help="The same group as `gitstore run`.")
