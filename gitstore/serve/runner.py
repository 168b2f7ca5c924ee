"""Opening the store, binding the address and running uvicorn (the core of ``gitstore serve``)."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from gitstore.errors import GitstoreError, NotAConfigRepository, UsageError
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE
from gitstore.serve.access import Gate, is_loopback
from gitstore.serve.state import ServerState

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_BODY = 4 * 1024 * 1024
SWITCH_INTERVAL = 0.001  # seconds; see switch_interval()
FALLBACK_COMMITTER = ("gitstore serve", "gitstore-serve@localhost")

REMOTE_WARNING = (
    "--allow-remote: ZenML 0.10 clients send only a user name (with an empty password), "
    "and this server believes that name from any peer that reaches {where}. Anyone who can "
    "connect can act as any user. Put it behind a proxy that authenticates people and lets "
    "only them through (see the Shared server documentation)."
)


@dataclass(frozen=True)
class ServeOptions:
    path: Path | None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    remote: str | None = None
    allow_remote: bool = False
    fetch_interval: float = 0.0
    max_body: int = DEFAULT_MAX_BODY


class BindError(GitstoreError):
    """The address could not be listened on."""


def check_exposure(options: ServeOptions) -> str | None:
    """UsageError for a non-loopback address without --allow-remote; the warning to print with it."""
    if is_loopback(options.host) or options.host == "localhost":
        return None
    if not options.allow_remote:
        raise UsageError(
            f"refusing to listen on {options.host}: ZenML 0.10 clients authenticate with a user "
            "name alone, so the server listens on 127.0.0.1 unless --allow-remote is given "
            "(then put it behind a proxy that authenticates)")
    return REMOTE_WARNING.format(where=f"{options.host}:{options.port}")


def open_state(options: ServeOptions) -> ServerState:
    """The store the server answers from, ready (an existing configuration repository or a remote)."""
    from gitstore.store import GitZenStore

    _ensure_committer()
    if options.remote is not None:
        if options.path is not None:
            raise UsageError("give either PATH or --remote URL, not both")
        store = GitZenStore().initialize(options.remote, skip_default_registrations=True)
    else:
        root = (options.path or Path.cwd()).absolute()
        if not (root / CONFIG_FILE).is_file():
            raise NotAConfigRepository(str(root))
        store = GitZenStore().initialize(str(root), skip_default_registrations=True)
    watch = None
    if options.remote is None:
        from gitstore.serve.watch import start_watch

        watch = start_watch(store.repo.root)
    state = ServerState(store, Gate(allow_remote=options.allow_remote),
                        remote=options.remote is not None, fetch_interval=options.fetch_interval,
                        max_body=options.max_body, watch=watch)
    state.publish()  # the first model reads answer from
    return state


def bind(options: ServeOptions) -> socket.socket:
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # answers go out as several small writes: without this, each waits for the client's
    # delayed acknowledgement (~40 ms); accepted connections inherit it
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError as exc:
        sock.close()
        raise BindError(f"cannot listen on {options.host}:{options.port}: "
                        f"{exc.strerror or exc}") from None
    sock.listen(2048)
    return sock


def serve(state: ServerState, sock: socket.socket) -> None:
    """Answer requests until interrupted."""
    import uvicorn

    from gitstore.serve.app import create_app

    sys.setswitchinterval(switch_interval())
    config = uvicorn.Config(create_app(state), log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


def switch_interval() -> float:
    """How long the store thread may hold the interpreter while the event loop waits.

    A write is CPU-bound Python; a read answered on the event loop needs the
    interpreter lock several times per request (socket in, answer out), and each
    time waits up to this interval for the write to let go. With Python's
    default, 5 ms, the event loop's lag beside a running write had a 90th
    percentile of about 4 ms; at 1 ms and below, about 1.5 to 2.5 ms, with no
    cost to the writes beyond the noise (``bench/bench_serve.py --gil-probe``,
    in BENCHMARKS.md).
    ``GITSTORE_SERVE_SWITCH_INTERVAL`` (seconds) overrides it.
    """
    value = os.environ.get("GITSTORE_SERVE_SWITCH_INTERVAL", "")
    try:
        seconds = float(value) if value else SWITCH_INTERVAL
    except ValueError:
        seconds = SWITCH_INTERVAL
    return seconds if seconds > 0 else SWITCH_INTERVAL


def _ensure_committer() -> None:
    """Commits are authored as the ZenML user; the committer is this server's git identity."""
    code, _, _ = vcs.run_status(["var", "GIT_COMMITTER_IDENT"])
    if code != 0:
        os.environ.setdefault("GIT_COMMITTER_NAME", FALLBACK_COMMITTER[0])
        os.environ.setdefault("GIT_COMMITTER_EMAIL", FALLBACK_COMMITTER[1])
        os.environ.setdefault("GIT_AUTHOR_NAME", FALLBACK_COMMITTER[0])
        os.environ.setdefault("GIT_AUTHOR_EMAIL", FALLBACK_COMMITTER[1])
