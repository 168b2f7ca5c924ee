from __future__ import annotations

import click

from gitstore.errors import UsageError

INSTALL_HINT = "the language server needs the `lsp` extra: pip install 'gitstore[lsp]'"


@click.command()
@click.option("--stdio", is_flag=True, help="Talk over stdin and stdout (the default and only way).")
def lsp(stdio: bool) -> int:
    """Run the language server over stdio, for editors (see docs/lsp.md).

    The workspace root the editor opens is looked up like any command finds its
    repository; a folder without gitstore.yaml gets no diagnostics.
    """
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    from gitstore.lsp.server import run

    run()
    return 0
