"""``gitstore import`` and ``gitstore export``: ZenML 0.10 stores and single-stack files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from gitstore.cli import start_dir

if TYPE_CHECKING:
    from gitstore.migrate.to_repo import ImportOptions, ImportResult

_conflict = click.option("--on-conflict", type=click.Choice(["skip", "rename"]), default=None,
                         help="When the repository imported into has an entity of an imported "
                              "name: keep its own (skip) or import under a new name (rename). "
                              "Default: refuse.")
_secrets_out = click.option("--secrets-file", type=click.Path(dir_okay=False, path_type=Path),
                            help="Where to write the plain-text secrets taken out of the "
                                 "configuration (default: <repository>.secrets.yaml beside the "
                                 "repository imported into).")
_keep = click.option("--keep-plaintext-secrets", is_flag=True,
                     help="Commit plain-text secrets to git as they are (not recommended).")
_secrets_in = click.option("--secrets-file", type=click.Path(dir_okay=False, path_type=Path),
                           help="A secrets file written by `gitstore import`: put the values "
                                "back in place of their references.")


def _in_dir(path: Path | None) -> Path | None:
    """An option's path, relative to -C like the arguments."""
    return start_dir(click.get_current_context(), path) if path is not None else None


def _options(on_conflict: str | None, secrets_file: Path | None, keep: bool) -> ImportOptions:
    from gitstore.migrate.to_repo import ImportOptions

    if keep:
        click.echo("gitstore: WARNING: --keep-plaintext-secrets: plain-text secrets will be "
                   "committed to git, where every clone keeps them forever", err=True)
    return ImportOptions(on_conflict or "error", _in_dir(secrets_file), keep)


def _report(result: ImportResult, what: str) -> None:
    if result.files or result.created:
        verb = "Created" if result.created else "Updated"
        click.echo(f"{verb} configuration repository {result.dest} from {what}: "
                   f"{len(result.files)} files in commit {result.commit[:12]}")
    else:
        click.echo(f"No configuration file to add to {result.dest} from {what}: "
                   "no commit made")
    for note in result.conflicts:
        click.echo(f"  {note}")
    for note in result.rewritten_paths:
        click.echo(f"  portable path: {note}")
    if result.secrets_file:
        click.echo(f"  {result.secrets} plain-text secret{'s' if result.secrets != 1 else ''} "
                   f"replaced by references; the values are in {result.secrets_file} (mode 0600, "
                   "outside the repository): register them in the stack's secrets manager")
    if result.runs:
        click.echo(f"  {result.runs} pipeline run{'s' if result.runs != 1 else ''} recorded "
                   "on the runs branch")


@click.group("import")
def import_() -> None:
    """Import a ZenML 0.10 store or single-stack file into a configuration repository.

    Exit codes: 0 imported; 1 the source's content cannot be carried over as it is
    (dangling references, name clashes, an invalid result); 2 the source cannot be
    read (missing, corrupt, not the documented format) or DEST cannot be used.
    Nothing is written unless the whole import succeeds.
    """


@import_.command("zenml")
@click.argument("src")
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
@_conflict
@_secrets_out
@_keep
@click.pass_context
def import_zenml(ctx: click.Context, src: str, dest: Path | None, on_conflict: str | None,
                 secrets_file: Path | None, keep_plaintext_secrets: bool) -> int:
    """Import the ZenML store SRC (a folder store, a .db file or sqlite:///path) into DEST.

    DEST (default: the current directory) is created, or must be empty or a
    configuration repository to add to, in one commit.
    """
    from gitstore.migrate import read_store
    from gitstore.migrate.to_repo import import_into_repo

    base = start_dir(ctx)
    source = src if src.startswith("sqlite:") else str(base / src)
    data, kind = read_store(source)
    options = _options(on_conflict, secrets_file, keep_plaintext_secrets)
    result = import_into_repo(data, start_dir(ctx, dest), options,
                              f"Import ZenML {kind} store: {len(data.stacks)} stacks, "
                              f"{len(data.components)} components")
    _report(result, f"the ZenML {kind} store {src}")
    return 0


@import_.command("zenml-stack")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_conflict
@_secrets_out
@_keep
@click.pass_context
def import_zenml_stack(ctx: click.Context, file: Path, on_conflict: str | None,
                       secrets_file: Path | None, keep_plaintext_secrets: bool) -> int:
    """Add the stack of a `zenml stack export` FILE to this repository, in one commit."""
    from gitstore.migrate.stack_file import read_stack_file
    from gitstore.migrate.to_repo import import_into_repo
    from gitstore.plumbing.sources import find_config_repo

    data = read_stack_file(start_dir(ctx, file))
    repo = find_config_repo(start_dir(ctx))
    stack = next(iter(data.stacks))
    result = import_into_repo(data, repo.root,
                              _options(on_conflict, secrets_file, keep_plaintext_secrets),
                              f"Import ZenML stack {stack}")
    _report(result, f"the stack file {file}")
    return 0


@click.group()
def export() -> None:
    """Export this configuration repository as a ZenML 0.10 store or single-stack file."""


@export.command("zenml")
@click.argument("dest")
@click.option("--format", "fmt", type=click.Choice(["folder", "sqlite"]), default=None,
              help="Store format (default: sqlite for a .db or sqlite:/// DEST, else folder).")
@_secrets_in
@click.pass_context
def export_zenml(ctx: click.Context, dest: str, fmt: str | None, secrets_file: Path | None) -> int:
    """Write the repository (its working tree) as a new ZenML store at DEST."""
    from gitstore.migrate.export import export_store
    from gitstore.migrate.zenml_sqlite import sqlite_path

    if dest.startswith("sqlite:///"):
        target, fmt = sqlite_path(dest), fmt or "sqlite"
    else:
        target = Path(dest)
        fmt = fmt or ("sqlite" if target.suffix == ".db" else "folder")
    result = export_store(start_dir(ctx), start_dir(ctx, target), fmt, _in_dir(secrets_file))
    click.echo(f"Exported {result.stacks} stacks and {result.components} components as a "
               f"ZenML {result.format} store at {result.dest}")
    return 0


@export.command("zenml-stack")
@click.argument("stack")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_secrets_in
@click.pass_context
def export_zenml_stack(ctx: click.Context, stack: str, file: Path | None,
                       secrets_file: Path | None) -> int:
    """Write STACK as a `zenml stack import` file to FILE (default: STACK.yaml; `-`: stdout)."""
    from gitstore.errors import UsageError
    from gitstore.migrate.export import export_stack

    text = export_stack(start_dir(ctx), stack, _in_dir(secrets_file))
    if file is not None and str(file) == "-":
        click.echo(text, nl=False)
        return 0
    target = start_dir(ctx, file or Path(f"{stack}.yaml"))
    if target.exists():
        raise UsageError(f"{target} exists already")
    target.write_text(text, encoding="utf-8")
    click.echo(f"Exported stack {stack} to {target}")
    return 0
