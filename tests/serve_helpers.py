"""Running `gitstore serve` for tests: a real server process on 127.0.0.1 and a small client."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conftest import GITSTORE, stop_process


def new_repository(tmp_path: Path) -> Path:
    """A configuration repository made by ``gitstore init`` (one commit, the defaults)."""
    root = tmp_path / "config"
    subprocess.run([str(GITSTORE), "init", str(root)], check=True, capture_output=True)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Answer:
    status: int
    body: Any
    text: str


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def call(self, method: str, path: str, body: Any = None, user: str | None = "default",
             raw: bytes | None = None, headers: dict[str, str] | None = None,
             timeout: float = 60) -> Answer:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if user is not None:
            token = base64.b64encode(f"{user}:".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Answer(status, parsed, text)


@contextmanager
def serving(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None,
            startup: float = 60.0) -> Iterator[Server]:
    """`gitstore serve ARGS --port <free>` until the block ends."""
    assert GITSTORE is not None
    port = free_port()
    log = Path(cwd or Path.cwd()) / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([GITSTORE, "serve", *args, "--port", str(port)], cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        _wait_healthy(server, startup)
        yield server
    finally:
        stop_process(proc, 20)


def _wait_healthy(server: Server, startup: float) -> None:
    deadline = time.monotonic() + startup
    while True:
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError("gitstore serve did not start: "
                                 + server.log.read_text(errors="replace"))
        time.sleep(0.1)
