from __future__ import annotations

from pathlib import Path

import click

from gitstore.cli import start_dir
from gitstore.errors import UsageError

INSTALL_HINT = "`gitstore serve` needs the serve extra: pip install 'gitstore[serve]'"


@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --allow-remote.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--remote", "remote", metavar="URL", default=None,
              help="Serve a git remote: work on a cached clone and push every write.")
@click.option("--allow-remote", is_flag=True,
              help="Listen on a non-loopback address and believe user names from any peer "
                   "(only behind a proxy that authenticates).")
@click.option("--fetch-interval", type=click.FloatRange(0), default=0.0, show_default=True,
              metavar="SECONDS", help="With --remote: fetch before a request at most this often.")
@click.option("--max-body-size", type=click.IntRange(1024), default=4 * 1024 * 1024,
              show_default=True, metavar="BYTES", help="Largest request body accepted.")
def serve(path: Path | None, host: str, port: int, remote: str | None, allow_remote: bool,
          fetch_interval: float, max_body_size: int) -> int:
    """Serve ZenML 0.10's zen server REST API over a configuration repository.

    Unchanged ZenML 0.10 clients store into git: `zenml profile create NAME
    -t rest --url http://127.0.0.1:8000 --user default`. Every write is one
    commit authored as the ZenML user who made it. Listens on 127.0.0.1
    unless --allow-remote is given.
    """
    try:
        from gitstore.serve import runner
    except ImportError as exc:  # FastAPI or uvicorn missing
        raise UsageError(f"{INSTALL_HINT} ({exc.name} is not installed)") from None
    for module in ("fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            raise UsageError(f"{INSTALL_HINT} ({module} is not installed)") from None
    ctx = click.get_current_context()
    options = runner.ServeOptions(
        path=start_dir(ctx, path) if path is not None or remote is None else None,
        host=host, port=port, remote=remote, allow_remote=allow_remote,
        fetch_interval=fetch_interval, max_body=max_body_size)
    warning = runner.check_exposure(options)
    state = runner.open_state(options)
    sock = runner.bind(options)
    if warning:
        click.echo(f"gitstore serve: warning: {warning}", err=True)
    where = state.store.url
    address = sock.getsockname()
    url = f"http://{options.host}:{address[1]}"
    click.echo(f"gitstore serve: serving {where} on {url}", err=True)
    click.echo(f"  point ZenML 0.10 at it: zenml profile create NAME -t rest --url {url} "
               "--user default", err=True)
    runner.serve(state, sock)
    return 0
