"""What one running server holds: the store, the gate, the published model, the watch.

Writes (and whatever else must see the store itself: pipeline runs, a
``--remote`` clone) run one at a time on the store thread, in arrival order.
Reads answer from the last published :class:`~gitstore.serve.model.Model`,
beside a write that is committing. The store thread publishes a new model
after every call it runs, before the call's answer leaves, so a client that
got a 2xx for a write sees it in its next read.

Hand edits and pushes are seen by the next request: before answering from
the model, a read drains the watch on the working tree and reads HEAD. A
change that the write in flight explains (its journal names the commit HEAD
moved to and the files it touches) leaves the model current: that write is
not acknowledged yet. Any other change (a hand edit, a commit or push by
someone else) makes the read wait for a model taken after it: the in-flight
write's, or a refresh on the store thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitstore.serve.access import Gate
from gitstore.serve.model import Model, head_of, take
from gitstore.serve.queue import StoreQueue
from gitstore.store.transaction import Journal, in_flight

if TYPE_CHECKING:
    from gitstore.serve.watch import TreeWatch
    from gitstore.store import GitZenStore

log = logging.getLogger("gitstore.serve")
WAIT_LIMIT = 1.0  # seconds a read waits for a publication before it looks again


@dataclass
class ServerState:
    store: GitZenStore
    gate: Gate
    remote: bool = False  # the store is a cached clone of --remote URL
    fetch_interval: float = 0.0  # with a remote: fetch before a request when older than this
    max_body: int = 4 * 1024 * 1024
    watch: TreeWatch | None = None  # inotify on the working tree (local repositories, Linux)
    _fetched_at: float = field(default=0.0, repr=False)
    # the one thread that calls the store: calls run one at a time, in arrival order
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="gitstore-store"),
        repr=False)
    model: Model | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _noticed: int = field(default=0, repr=False)  # changes reads saw that no write explained
    _covered: int = field(default=0, repr=False)  # how many of them the model has seen
    _calls: int = field(default=0, repr=False)  # store calls running or waiting
    _waiters: list[asyncio.Future[None]] = field(default_factory=list, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    queue: StoreQueue = field(init=False, repr=False)  # store calls, for the store thread

    def __post_init__(self) -> None:
        self.queue = StoreQueue(self)

    @property
    def serves_model(self) -> bool:
        """Whether reads answer from the published model (a local repository, watched)."""
        return not self.remote and self.watch is not None and not self.watch.broken

    def before_request(self) -> None:
        """With a remote, fetch first: what others pushed is seen by the next request."""
        if not self.remote:
            return  # reads look at the working tree: hand edits and commits show at once
        now = time.monotonic()
        if now - self._fetched_at >= self.fetch_interval:
            self.store.refresh()
            self._fetched_at = time.monotonic()

    def fresh_after(self, arrived: float) -> float | None:
        """Since when a state read of the store is current for a store call that arrived then
        (see :meth:`GitZenStore.consistent_reads`).

        With a watch the store's own reader follows every change cheaply, so each call
        reads anew; without one, a read made after the request arrived; with a remote,
        reads follow the fetched tip.
        """
        if self.remote or self.watch is not None:
            return None
        return arrived

    # --- the store thread ----------------------------------------------------

    def publish(self) -> None:
        """Take a new model of the store (on the store thread, or before serving)."""
        if not self.serves_model:
            return
        assert self.watch is not None
        with self._lock:
            self.watch.changes()  # whatever these were, the read below sees them
            mark = self._noticed
        model = take(self.store, (self.model.serial + 1) if self.model else 1)
        with self._lock:
            self.model = model
            self._covered = max(self._covered, mark)
        loop = self._loop
        if loop is not None:  # always: a read may be about to wait (waiters are the loop's)
            loop.call_soon_threadsafe(self._wake)

    def call_started(self) -> None:
        with self._lock:
            self._calls += 1

    def call_ended(self, count: int = 1) -> None:
        try:
            self.publish()
        except Exception:  # the call's answer stands; reads ask for a refresh instead
            log.exception("could not read the repository after a store call")
            with self._lock:
                self.model = None
        finally:
            with self._lock:
                self._calls -= count

    # --- the event loop ------------------------------------------------------

    async def current_model(self) -> Model | None:
        """The model a read arriving now may answer from (None: ask the store thread)."""
        self._loop = asyncio.get_running_loop()
        while True:
            verdict = self._judge()
            if verdict is None or isinstance(verdict, Model):
                return verdict
            if verdict == "wait":
                await self._next_publication()
            else:  # refresh: nothing in flight will publish soon enough
                await self._loop.run_in_executor(self.executor, self.publish)

    def _judge(self) -> Model | str | None:
        if not self.serves_model:
            return None
        assert self.watch is not None
        with self._lock:
            model = self.model
            if model is None:
                return "refresh"
            paths = self.watch.changes()
            if paths is None:
                return None  # the watch broke: every call goes to the store again
            head = head_of(self.store)
            if paths or head != model.head:
                flight = self._flight()
                explained = (flight is not None and flight.old == model.head
                             and head in (model.head, flight.new)
                             and all(flight.explains(p) for p in paths))
                if not explained:
                    self._noticed += 1
            if self._covered >= self._noticed:
                return model
            return "wait" if self._calls else "refresh"

    def _flight(self) -> Journal | None:
        git = self.store.repo.git
        assert git is not None
        return in_flight(git.git_dir / "gitstore")

    async def _next_publication(self) -> None:
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(future)
        try:
            await asyncio.wait_for(future, WAIT_LIMIT)
        except asyncio.TimeoutError:
            pass
        finally:
            if future in self._waiters:
                self._waiters.remove(future)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)
