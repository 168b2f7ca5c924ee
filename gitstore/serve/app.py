"""The ASGI application: ZenML 0.10.0's zen server routes over a GitZenStore.

``create_app(state)`` mounts the routes of :mod:`routes_stacks` and
:mod:`routes_people` behind HTTP basic authentication, as ZenML's server
did, plus ``/health`` and ``/`` (the server's profile). Errors are answered
as JSON and never with a traceback; request bodies larger than the limit
are refused with 413 before they are parsed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from gitstore import __version__
from gitstore.serve import routes_people, routes_stacks
from gitstore.serve.calls import ARRIVED, Call, json_response, need
from gitstore.serve.errors import ApiError
from gitstore.serve.state import ServerState

log = logging.getLogger("gitstore.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def create_app(state: ServerState) -> FastAPI:
    app = FastAPI(title="ZenML (gitstore)", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None, **_without_telemetry())
    app.state.gitstore = state
    app.include_router(routes_stacks.router)
    app.include_router(routes_people.router)
    app.add_api_route("/health", health, methods=["GET", "HEAD"])
    app.add_api_route("/", service_info, methods=["GET"])
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(BodyLimit, limit=state.max_body)
    return app


def _without_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry switched off where FastAPI has it (0.165 and later).

    Otherwise it traces, counts and logs every request (bodies of refused
    writes and exception messages included) through whatever providers the
    environment sets up, and exports them when ``FASTAPI_OTEL_AUTO_CONFIGURE``
    is set: the server sends nothing anywhere by itself.
    """
    import inspect

    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False,
                          "operation_spans": False, "auto_configure": False}}


async def health() -> Response:
    return PlainTextResponse('"OK"', media_type="application/json")


async def service_info(call: Call = need("stack", "read")) -> Response:
    """ZenML answered its profile here; this is the server's equivalent."""
    def profile(store: Any) -> dict[str, Any]:
        return {"name": "gitstore", "active_user": call.user_name, "store_url": store.url,
                "store_type": store.type.value,
                "active_stack": store.snapshot().settings.default_stack}

    return await call.read(profile)


async def _api_error(request: Request, error: ApiError) -> Response:
    return json_response(error.body, status=error.status)


async def _internal_error(request: Request, error: Exception) -> Response:
    log.error("internal error answering %s %s: %r", request.method, request.url.path, error)
    return JSONResponse({"detail": ["InternalError", type(error).__name__]}, status_code=500)


class BodyLimit:
    """Refuse (413) a request body larger than ``limit`` bytes, declared or streamed; read a
    body sent without a content type as JSON, as ZenML's server did."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[ARRIVED] = time.monotonic()
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and b"content-type" not in dict(scope.get("headers") or []):
            # ZenML's clients send JSON without a content type; older FastAPI read it as JSON
            scope = {**scope, "headers": [*scope["headers"], (b"content-type", b"application/json")]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload = json.dumps({"detail": ["RequestTooLarge",
                                         f"request bodies are limited to {self.limit} bytes"]})
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload.encode()})
