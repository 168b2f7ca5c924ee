"""One request's call of the store: identify, judge, call, answer.

Every authenticated route builds a :class:`Call` through the :func:`need`
dependency (which names the permission the route takes) and hands it the
store method to run. :meth:`Call.run` reads the repository once for the
whole request (identification, permissions and the call itself see the
same state), authors any commit as the caller, and turns the result into
JSON or the exception into ZenML's error answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import TypeAdapter

from gitstore.plumbing import vcs
from gitstore.serve.errors import ApiError, translate

if TYPE_CHECKING:
    from gitstore.serve.state import ServerState
    from gitstore.store import GitZenStore

log = logging.getLogger("gitstore.serve")
security = HTTPBasic()
_JSON = TypeAdapter(Any)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(_JSON.dump_json(value), status_code=status, media_type="application/json")


@dataclass
class Call:
    state: ServerState
    peer: str | None
    user_name: str
    operation: str
    ptype: str
    arrived: float  # time.monotonic() when the request came in

    async def run(self, action: Callable[[GitZenStore], Any], project: str | None = None,
                  translate_error: Callable[[Exception], ApiError] = translate) -> Response:
        """Run ``action(store)`` for the caller; its result as JSON, or the error's answer.

        Store calls run one at a time on the server's store thread, so the event loop
        keeps accepting requests (and noting when each arrived) meanwhile.
        """
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.state.executor, self._execute, action, project,
                                            translate_error)
        answer = json_response(result)
        # how long the server took, from arrival (queueing for the store included)
        answer.headers["Server-Timing"] = f"app;dur={(time.monotonic() - self.arrived) * 1000:.2f}"
        return answer

    def _execute(self, action: Callable[[GitZenStore], Any], project: str | None,
                 translate_error: Callable[[Exception], ApiError]) -> Any:
        state = self.state
        store = state.store
        try:
            state.before_request()
            with store.consistent_reads(fresh_after=state.fresh_after(self.arrived)):
                caller = state.gate.identify(store, self.peer, self.user_name)
                state.gate.require(store, caller, self.operation, self.ptype, project)
                with vcs.commit_author(caller.name, caller.email):
                    return action(store)
        except ApiError:
            raise
        except Exception as error:  # the store's errors become ZenML's answers
            answer = translate_error(error)
            if answer.status >= 500:
                log.exception("%s failed", self.operation)
            raise answer from None

    def check(self, operation: str, ptype: str, project: str | None = None) -> None:
        """Also require ``operation: ptype`` (inside :meth:`run`'s action)."""
        store = self.state.store
        caller = self.state.gate.identify(store, self.peer, self.user_name)
        self.state.gate.require(store, caller, operation, ptype, project)


ARRIVED = "gitstore.arrived"  # the ASGI scope key the outermost middleware stamps


def need(operation: str, ptype: str) -> Any:
    """A dependency giving the route's :class:`Call`, which takes ``operation: ptype``."""

    async def dependency(request: Request,
                         credentials: HTTPBasicCredentials = Depends(security)) -> Call:
        peer = request.client.host if request.client else None
        arrived = request.scope.get(ARRIVED) or time.monotonic()
        return Call(request.app.state.gitstore, peer, credentials.username, operation, ptype,
                    arrived)

    return Depends(dependency)
