"""What one running server holds: the store, the gate, and how it keeps a remote current."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitstore.serve.access import Gate

if TYPE_CHECKING:
    from gitstore.serve.watch import TreeWatch
    from gitstore.store import GitZenStore


@dataclass
class ServerState:
    store: GitZenStore
    gate: Gate
    remote: bool = False  # the store is a cached clone of --remote URL
    fetch_interval: float = 0.0  # with a remote: fetch before a request when older than this
    max_body: int = 4 * 1024 * 1024
    watch: TreeWatch | None = None  # inotify on the working tree (local repositories, Linux)
    _fetched_at: float = field(default=0.0, repr=False)
    _last_change: float = field(default_factory=time.monotonic, repr=False)
    # the one thread that calls the store: calls run one at a time, in arrival order
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="gitstore-store"),
        repr=False)

    def before_request(self) -> None:
        """With a remote, fetch first: what others pushed is seen by the next request."""
        if not self.remote:
            return  # reads look at the working tree: hand edits and commits show at once
        now = time.monotonic()
        if now - self._fetched_at >= self.fetch_interval:
            self.store.refresh()
            self._fetched_at = time.monotonic()

    def fresh_after(self, arrived: float) -> float | None:
        """Since when a state read of the store is current for a request that arrived then.

        Without a watch, only a read made after the request arrived; with one, any read
        made after the last change the watch saw (the kernel queued every earlier one).
        With a remote, reads follow the fetched tip and nothing is reused.
        """
        if self.remote:
            return None
        if self.watch is None or self.watch.broken:
            return arrived
        if self.watch.changed():
            self._last_change = time.monotonic()
        return self._last_change
