"""``gitstore explain CODE``: a rule's full description and examples."""

from __future__ import annotations

import click

from gitstore.errors import EXIT_OK, UsageError


@click.command()
@click.argument("code", required=False)
@click.option("--list", "list_", is_flag=True, help="List every rule: code, severity, title.")
@click.option("--all", "all_", is_flag=True, help="Print the whole catalogue (docs/rules.md).")
def explain(code: str | None, list_: bool, all_: bool) -> int:
    """Print what a rule checks, with an example of what it reports.

    CODE is a rule code such as GS203 (or 203).
    """
    from gitstore import explain as catalogue

    if all_:
        click.echo(catalogue.page(), nl=False)
    elif list_:
        click.echo(catalogue.listing(), nl=False)
    elif code is None:
        raise UsageError("give a rule code, such as `gitstore explain GS203` (or --list, --all)")
    else:
        click.echo(catalogue.explain(code), nl=False)
    return EXIT_OK
