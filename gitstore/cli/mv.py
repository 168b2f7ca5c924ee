"""``gitstore mv PATH NEW_NAME``: rename an entity and every reference to it."""

from __future__ import annotations

import click

from gitstore.cli import start_dir
from gitstore.cli.complete import complete_entity
from gitstore.errors import EXIT_OK


@click.command()
@click.argument("path", shell_complete=complete_entity)
@click.argument("new_name")
@click.option("-n", "--dry-run", is_flag=True, help="Print the plan and change nothing.")
@click.pass_context
def mv(ctx: click.Context, path: str, new_name: str, dry_run: bool) -> int:
    """Rename an entity and rewrite every reference to it, like `git mv`.

    PATH names the entity as `gitstore show` takes it (stacks/production,
    components/orchestrator/kfp-prod); NEW_NAME is its new name.

    The file is renamed and every reference to the entity (stacks, team
    members, role assignments, default_stack, components' flavors) is
    rewritten in place, comments and layout kept. The result is checked
    first (a rename that would break the repository changes nothing and
    says why) and left staged, like `git mv`.
    """
    from gitstore.mv import rename_entity
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.trust.audit import entity_ref

    repo = find_config_repo(start_dir(ctx))
    result = rename_entity(repo, entity_ref(path), new_name, dry_run=dry_run)
    plan = result.plan
    verb = "would rename" if dry_run else "renamed"
    click.echo(f"{verb} {plan.target.label()} to `{new_name}`")
    click.echo(f"  {plan.old_path} -> {plan.new_path}")
    for edit in plan.edits:
        click.echo(f"  {edit.path}:{edit.line}:{edit.column}: {edit.key}: {edit.old} -> {edit.new}"
                   f"  ({edit.referrer})")
    for p in result.warnings:
        click.echo(f"gitstore: warning: {p.path}: {p.code} {p.message}", err=True)
    if not dry_run:
        files = len(result.changes) - 1
        click.echo(f"{files} file(s) written and staged" if result.staged else f"{files} file(s) written")
    return EXIT_OK
