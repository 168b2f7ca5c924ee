from __future__ import annotations

import click

from gitstore.resources import available_schemas, schema_text


@click.command()
@click.argument("kind", required=False)
@click.option("--list", "list_", is_flag=True, help="List the kinds that have a schema.")
def schema(kind: str | None, list_: bool) -> int:
    """Print the JSON Schema of one kind of file (gitstore, stack, component, ...)."""
    kinds = available_schemas()
    if list_ or kind is None:
        click.echo("\n".join(kinds))
        return 0
    if kind not in kinds:
        from gitstore.problems import did_you_mean

        hint = did_you_mean(kind, kinds)
        raise click.BadParameter(f"no schema for {kind!r}" + (f"; {hint}" if hint else "")
                                 + f" (kinds: {', '.join(kinds)})", param_hint="KIND")
    click.echo(schema_text(kind), nl=False)
    return 0
