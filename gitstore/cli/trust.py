"""Trust commands: check-permissions, who-can, codeowners and log."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from gitstore.cli import start_dir
from gitstore.errors import EXIT_OK, EXIT_PROBLEMS
from gitstore.plumbing.layout import OPERATIONS, PERMISSION_TYPES

if TYPE_CHECKING:
    from gitstore.plumbing.snapshot import Snapshot

FORMATS = click.Choice(["text", "json", "github"])


@click.command("check-permissions")
@click.argument("base")
@click.argument("head", default="HEAD")
@click.option("--roles-from", metavar="REV",
              help="Judge by the roles at REV instead of BASE (for a branch holding no "
                   "gitstore.yaml, such as the runs branch).")
@click.option("--pusher", metavar="USER",
              help="The gitstore user acting (as GITSTORE_PUSHER); default: GL_USERNAME, "
                   "GITHUB_USER_LOGIN or GITSTORE_PUSHER from the environment, else each "
                   "commit's author email.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Warnings (enforcement off) fail too.")
@click.pass_context
def check_permissions(ctx: click.Context, base: str, head: str, roles_from: str | None,
                      pusher: str | None, fmt: str, strict: bool) -> int:
    """Check the changes HEAD makes since BASE against the roles at BASE.

    Every changed file needs its permission (create, update or delete of its
    folder's operation), held by the actor before the change; with
    `require_signed_commits`, every new commit must be signed by its user.
    Exit 0 when allowed, 1 when refused.
    """
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.report import FORMATTERS
    from gitstore.trust.enforce import check_range

    repo = find_config_repo(start_dir(ctx), need_worktree_file=False)
    from gitstore.trust.actor import with_pusher_option

    env = with_pusher_option(os.environ, pusher) if pusher else dict(os.environ)
    report = check_range(repo, base, head, env, roles_from)
    base = f"{repo.prefix}/" if repo.prefix else ""  # see gitstore.report for the path rule
    click.echo(FORMATTERS[fmt](report, strict=strict, base=base), nl=False)
    return EXIT_OK if report.ok(strict) else EXIT_PROBLEMS


@click.command("who-can")
@click.argument("operation", type=click.Choice(OPERATIONS))
@click.argument("ptype", metavar="TYPE", type=click.Choice(PERMISSION_TYPES))
@click.option("--project", metavar="P", help="For run records of project P.")
@click.option("--rev", metavar="REV",
              help="Read the roles at a commit instead of the working tree.")
@click.pass_context
def who_can(ctx: click.Context, operation: str, ptype: str, project: str | None,
            rev: str | None) -> int:
    """List the users who hold OPERATION: TYPE, and through which role and team."""
    from gitstore.cli.render import who_can_text
    from gitstore.trust.ownership import who_can as holders_of

    click.echo(who_can_text(holders_of(_snapshot(ctx, rev), operation, ptype, project)), nl=False)
    return EXIT_OK


def _snapshot(ctx: click.Context, rev: str | None = None) -> Snapshot:
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.trust.enforce import authority_snapshot

    repo = find_config_repo(start_dir(ctx), need_worktree_file=rev is None)
    return authority_snapshot(repo, rev)


@click.command("codeowners")
@click.option("--write", is_flag=True, help="Write the file instead of printing it.")
@click.pass_context
def codeowners(ctx: click.Context, write: bool) -> int:
    """Generate CODEOWNERS from the roles: for each folder, who holds its update permission.

    Without --write, print it. With --write, replace the generated CODEOWNERS
    (at the root, .github/ or docs/; a new one goes at the root); a CODEOWNERS
    gitstore did not generate is never overwritten.
    """
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.trust.codeowners import write_codeowners

    repo = find_config_repo(start_dir(ctx))
    if not write:
        from gitstore.trust.codeowners import generate

        click.echo(generate(_snapshot(ctx)), nl=False)
        return EXIT_OK
    path, changed = write_codeowners(repo.root, _snapshot(ctx))
    click.echo(f"{'wrote' if changed else 'up to date:'} {path}")
    return EXIT_OK


@click.command("log")
@click.argument("path")
@click.option("--rev", default="HEAD", show_default=True, help="Walk the history of this commit.")
@click.pass_context
def log(ctx: click.Context, path: str, rev: str) -> int:
    """Show the history of one entity (e.g. stacks/production), following renames by id."""
    from gitstore.cli.render import history_text
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.trust.audit import entity_history

    repo = find_config_repo(start_dir(ctx), need_worktree_file=False)
    history = entity_history(repo, path, rev)
    if not history:
        click.echo(f"gitstore: no commit on {rev} touches {path}", err=True)
        return EXIT_PROBLEMS
    click.echo(history_text(history), nl=False)
    return EXIT_OK
