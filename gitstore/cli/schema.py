from __future__ import annotations

import click

from gitstore.resources import available_schemas, schema_text


@click.command()
@click.argument("kind", required=False)
@click.option("--list", "list_", is_flag=True, help="List the kinds that have a schema.")
@click.option("--editor-settings", "settings_style", flag_value="vscode", default=None,
              help="Print settings for yaml-language-server mapping each folder to its schema "
                   "(VS Code settings.json style).")
@click.option("--editor-settings-lsp", "settings_style", flag_value="lsp",
              help="The same settings nested as other LSP clients send them (`yaml: schemas:`).")
def schema(kind: str | None, list_: bool, settings_style: str | None) -> int:
    """Print the JSON Schema of one kind of file (gitstore, stack, component, ...)."""
    if settings_style is not None:
        import json

        from gitstore.lsp.editor_settings import editor_settings

        click.echo(json.dumps(editor_settings(settings_style), indent=2))
        return 0
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
