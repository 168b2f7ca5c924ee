"""One request's call of the store: identify, judge, call, answer.

Every authenticated route builds a :class:`Call` through the :func:`need`
dependency (which names the permission the route takes) and hands it the
store method to run. :meth:`Call.run` reads the repository once for the
whole request (identification, permissions and the call itself see the
same state), authors any commit as the caller, and turns the result into
JSON or the exception into ZenML's error answer.
"""

from __future__ import annotations

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
        """Run ``action(store)`` for the caller on the store thread (writes, and what needs
        the store itself); its result as JSON, or the error's answer.

        Store calls run one at a time (those that waited together, as one batch: see
        :mod:`gitstore.serve.queue`), so the event loop keeps accepting requests (and
        answering reads) meanwhile. The call's answer leaves after the store thread has
        published the model it left, so the caller's next read sees its write.
        """
        result = await self.state.queue.run(self, action, project, translate_error)
        return self._answer(result)

    async def read(self, action: Callable[[GitZenStore], Any],
                   translate_error: Callable[[Exception], ApiError] = translate) -> Response:
        """Answer ``action(view)`` from the published model, beside a committing write.

        Runs on the event loop: a read of the model is a few dictionary lookups and
        never waits for the store thread unless a change nobody has read yet must
        be (see :class:`~gitstore.serve.state.ServerState`).
        """
        model = await self.state.current_model()
        if model is None:  # a remote, or no watch: the store answers, one call at a time
            return await self.run(action, translate_error=translate_error)
        return self._answer(self._call(model.view, action, None, translate_error, author=False))

    def _answer(self, result: Any) -> Response:
        answer = json_response(result)
        # how long the server took, from arrival (any wait for the store included)
        answer.headers["Server-Timing"] = f"app;dur={(time.monotonic() - self.arrived) * 1000:.2f}"
        return answer

    def _call(self, store: GitZenStore, action: Callable[[GitZenStore], Any],
              project: str | None, translate_error: Callable[[Exception], ApiError],
              author: bool = True) -> Any:
        state = self.state
        try:
            caller = state.gate.identify(store, self.peer, self.user_name)
            state.gate.require(store, caller, self.operation, self.ptype, project)
            if not author:
                return action(store)
            with vcs.commit_author(caller.name, caller.email):  # commits are the caller's
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
