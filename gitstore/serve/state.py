"""What one running server holds: the store, the gate, and how it keeps a remote current."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitstore.serve.access import Gate

if TYPE_CHECKING:
    from gitstore.store import GitZenStore


@dataclass
class ServerState:
    store: GitZenStore
    gate: Gate
    remote: bool = False  # the store is a cached clone of --remote URL
    fetch_interval: float = 0.0  # with a remote: fetch before a request when older than this
    max_body: int = 4 * 1024 * 1024
    _fetched_at: float = field(default=0.0, repr=False)

    def before_request(self) -> None:
        """With a remote, fetch first: what others pushed is seen by the next request."""
        if not self.remote:
            return  # reads look at the working tree: hand edits and commits show at once
        now = time.monotonic()
        if now - self._fetched_at >= self.fetch_interval:
            self.store.refresh()
            self._fetched_at = time.monotonic()
