"""``gitstore list KIND`` and ``gitstore show PATH``: entities from the shell."""

from __future__ import annotations

import json
from typing import Any

import click

from gitstore.cli import start_dir
from gitstore.cli.complete import complete_entity, complete_kind
from gitstore.errors import EXIT_OK


def load_snapshot_at(ctx: click.Context, rev: str | None) -> Any:
    """The repository's snapshot: the working tree, or commit ``rev``."""
    from gitstore.plumbing.cache import ResultCache
    from gitstore.plumbing.snapshot import load_snapshot
    from gitstore.plumbing.sources import find_config_repo

    repo = find_config_repo(start_dir(ctx), need_worktree_file=rev is None)
    source = repo.commit(rev) if rev else repo.worktree()
    cache = ResultCache(source.cache_dir)
    snap = load_snapshot(source, cache)
    cache.save()
    return snap


@click.command("list")
@click.argument("kind", shell_complete=complete_kind)
@click.option("--type", "type_", metavar="TYPE", help="Only components or flavors of this type.")
@click.option("--rev", metavar="REV", help="List a commit instead of the working tree.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def list_(ctx: click.Context, kind: str, type_: str | None, rev: str | None, fmt: str) -> int:
    """List the entities of KIND (stacks, components, flavors, users, teams, roles, projects)."""
    from gitstore.inventory import list_entities, parse_kind, parse_type

    kind_ = parse_kind(kind)
    rows = list_entities(load_snapshot_at(ctx, rev), kind_, parse_type(kind_, type_))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return EXIT_OK
    width = max((len(_shown(r)) for r in rows), default=0)
    for row in rows:
        click.echo(f"{_shown(row):<{width}}  {row['summary']}".rstrip())
    return EXIT_OK


def _shown(row: dict[str, Any]) -> str:
    return f"{row['type']}/{row['name']}" if row["type"] else str(row["name"])


@click.command()
@click.argument("path", shell_complete=complete_entity)
@click.option("--rev", metavar="REV", help="Show the entity at a commit instead of the working tree.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.pass_context
def show(ctx: click.Context, path: str, rev: str | None, fmt: str) -> int:
    """Show one entity (e.g. stacks/production), what it resolves to and what refers to it."""
    from gitstore.inventory import show_entity
    from gitstore.trust.audit import entity_ref

    body = show_entity(load_snapshot_at(ctx, rev), entity_ref(path))
    if fmt == "json":
        click.echo(json.dumps(body, indent=2, default=str))
    else:
        import yaml

        click.echo(yaml.safe_dump(json.loads(json.dumps(body, default=str)), sort_keys=False,
                                  allow_unicode=True), nl=False)
    return EXIT_OK
