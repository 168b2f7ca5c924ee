"""Progress on stderr for long work, only when a person is watching."""

from __future__ import annotations

import os
import sys
import time


class TerminalProgress:
    """Reports ``done/total`` on stderr once work has run for ``after`` seconds, on a terminal only."""

    def __init__(self, what: str, after: float | None = None) -> None:
        self.what = what
        # GITSTORE_PROGRESS_AFTER (seconds) lets a terminal session see progress sooner
        self.after = after if after is not None else float(os.environ.get("GITSTORE_PROGRESS_AFTER", 2))
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < self.after:
            return
        self.shown = True
        sys.stderr.write(f"\r{self.what}: {done}/{total} files")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
