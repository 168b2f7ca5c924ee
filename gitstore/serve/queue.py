"""The store thread's queue: store calls run there one at a time, in arrival order.

Calls that arrive while the store thread is busy wait together, and are then
run as one batch (:meth:`GitZenStore.batched_writes`): each write is still its
own commit, checked and authored as if it ran alone, but the branch moves
once and the working tree and index are brought up to date once for them
all. Under a burst of writes the store thread therefore does less work per
write, and the queue drains faster than it fills. A call runs alone when
nothing else waits, when it records a pipeline run (which pins the branch's
commit, so it must see it moved), or when the batch cannot be made (a remote,
or a working tree holding changes the store has not committed). If the branch
moves under a batch (a commit made past gitstore), nothing of it landed and
each call runs again on its own.

Every call of a batch is answered after the batch has landed and the model
is published, so a client that got a 2xx sees its write in its next read.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitstore.exceptions import BatchLost

if TYPE_CHECKING:
    from gitstore.serve.calls import Call
    from gitstore.serve.errors import ApiError
    from gitstore.serve.state import ServerState

log = logging.getLogger("gitstore.serve")
MAX_BATCH = 32  # calls landed together at most
APART = frozenset({"pipeline_run"})  # kinds of call that always run alone

Outcome = tuple[bool, Any]  # (succeeded, its result or its exception)


@dataclass
class Waiting:
    call: Call
    action: Callable[[Any], Any]
    project: str | None
    translate_error: Callable[[Exception], ApiError]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop

    def settle(self, outcome: Outcome) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, outcome)


def _settle(future: asyncio.Future[Any], outcome: Outcome) -> None:
    if future.done():  # the client went away
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def _failed(item: Waiting, error: Exception) -> Outcome:
    """The answer a call gets for an error of its batch, as if the call had met it alone."""
    answer = item.translate_error(error)
    if answer.status >= 500:
        log.error("%s failed: %s", item.call.operation, error)
    return False, answer


class StoreQueue:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._waiting: list[Waiting] = []
        self._lock = threading.Lock()
        self.batches = 0  # batches of more than one call landed (for the tests and logs)

    async def run(self, call: Call, action: Callable[[Any], Any], project: str | None,
                  translate_error: Callable[[Exception], ApiError]) -> Any:
        """``action(store)`` for ``call`` on the store thread: its result, or its error raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._waiting.append(Waiting(call, action, project, translate_error, future, loop))
        loop.run_in_executor(self.state.executor, self._drain)  # a later drain may find none
        return await future

    def _drain(self) -> None:
        """On the store thread: run every call waiting now."""
        with self._lock:
            items, self._waiting = self._waiting, []
        if not items:
            return
        outcomes: list[Outcome]
        try:
            outcomes = self._run(items)
        except BaseException as error:  # not one call's failure: every waiting call gets it
            log.exception("store calls failed")
            outcomes = [(False, error)] * len(items)
        for item, outcome in zip(items, outcomes, strict=True):
            item.settle(outcome)

    def _run(self, items: list[Waiting]) -> list[Outcome]:
        state = self.state
        for _ in items:
            state.call_started()
        try:
            state.before_request()
            outcomes: list[Outcome] = []
            group: list[Waiting] = []
            for item in items:
                if item.call.ptype in APART:
                    outcomes.extend(self._together(group))
                    group = []
                    outcomes.append(self._alone(item))
                    continue
                group.append(item)
                if len(group) == MAX_BATCH:
                    outcomes.extend(self._together(group))
                    group = []
            outcomes.extend(self._together(group))
            return outcomes
        finally:
            state.call_ended(len(items))

    def _together(self, group: list[Waiting]) -> list[Outcome]:
        if len(group) < 2:
            return [self._alone(item) for item in group]
        store = self.state.store
        try:
            with store.batched_writes() as batched:
                if batched:
                    outcomes = [self._alone(item) for item in group]
            if batched:
                self.batches += 1
                return outcomes
        except BatchLost as lost:
            log.info("%s; each call runs again on its own", lost)
        except Exception as error:  # the write lock not had in time, a failure landing
            return [_failed(item, error) for item in group]
        return [self._alone(item) for item in group]

    def _alone(self, item: Waiting) -> Outcome:
        state = self.state
        try:
            with state.store.consistent_reads(fresh_after=state.fresh_after(item.call.arrived)):
                return True, item.call._call(state.store, item.action, item.project,
                                             item.translate_error)
        except Exception as error:  # the call's own answer (an ApiError, as _call made it)
            return False, error
