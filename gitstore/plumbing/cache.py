"""Results kept by content, so that a check costs what changed.

Per-file results are keyed by the file's path and git blob id; results that
depend on two files (a component and its custom flavor) by both ids. The
cache lives in the git directory (``.git/gitstore/``), is written atomically,
and is only ever an accelerator: a missing, stale or corrupt cache gives the
same answer, computed again.
"""

from __future__ import annotations

import marshal
import os
import zlib
from pathlib import Path
from typing import Any

from gitstore import __version__
from gitstore.plumbing.atomic import try_replace_file

CACHE_FILE = "validate-cache"


_format: list[str] = []  # the key, computed once per process (the code it loaded stays)


def _format_key() -> str:
    """Identifies the code and schemas that produced the results.

    Besides the version, the modification times of the modules and schema
    files that shape a result are part of the key, so an edited checkout never
    reuses results of the code it replaced.
    """
    if not _format:
        _format.append(_compute_format_key())
    return _format[0]


def _compute_format_key() -> str:
    package = Path(__file__).parent.parent
    stamps: list[int] = []
    for rel in ("plumbing/yamlio.py", "flavors.py", "plumbing/layout.py", "problems.py",
                "plumbing/snapshot.py", "plumbing/sources.py", "validate.py", "checks"):
        target = package / rel
        files = sorted(target.glob("*.py")) if target.is_dir() else [target]
        stamps.extend(f.stat().st_mtime_ns for f in files)
    try:
        from importlib import resources

        for item in resources.files("gitstore.schemas").iterdir():
            if item.name.endswith(".json"):
                stamps.append(zlib.crc32(item.read_bytes()))
    except OSError:  # pragma: no cover - schemas always ship with the package
        pass
    return f"gitstore-cache-3/{__version__}/{zlib.crc32(repr(stamps).encode()):08x}"


REPORTS_FILE = "validate-reports"
KEPT_REPORTS = 8
SAVE_INTERVAL = 5.0  # seconds between saves of a long-lived process (see save_soon)


class ResultCache:
    """Per-file results by path and blob id, and whole results by the digest of a file listing.

    The per-file results are read only when first asked for, so a run whose
    whole listing was validated before reads just the small reports file.
    """

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_FILE if directory else None
        self._loaded: dict[str, Any] | None = None
        self._used: dict[str, Any] = {}
        self._dirty = False
        self._reports: dict[str, Any] | None = None
        self._reports_dirty = False
        self._saved_at = -SAVE_INTERVAL
        self._at_exit = False
        self.format = _format_key() if self.path else ""
        if not self.path or os.environ.get("GITSTORE_NO_CACHE") == "1":
            self.path = None

    @property
    def _old(self) -> dict[str, Any]:
        if self._loaded is None:
            self._loaded = self._load(self.path) if self.path else {}
        return self._loaded

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            raw = path.read_bytes()  # marshal.load on a file reads in small steps: far slower
            blob = marshal.loads(raw)
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(blob, tuple) or len(blob) != 2 or blob[0] != self.format:
            return {}
        return blob[1] if isinstance(blob[1], dict) else {}

    def get(self, key: str) -> Any:
        value = self._used.get(key)
        if value is None:
            value = self._old.get(key)
            if value is not None:
                self._used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self._used[key] = value
        self._dirty = True

    def used(self, prefixes: tuple[str, ...]) -> dict[str, Any]:
        """The results this run asked for or computed whose keys start with one of ``prefixes``."""
        return {k: v for k, v in self._used.items() if k.startswith(prefixes)}

    def recall_report(self, digest: str) -> Any:
        """The problems (as tuples) of a listing validated before, or None."""
        if self._reports is None:
            self._reports = self._load(self.path.with_name(REPORTS_FILE)) if self.path else {}
        return self._reports.get(digest)

    def keep_report(self, digest: str, problems: list[tuple[Any, ...]]) -> None:
        if self.recall_report(digest) == problems:
            return
        assert self._reports is not None
        self._reports.pop(digest, None)
        self._reports[digest] = problems
        while len(self._reports) > KEPT_REPORTS:
            del self._reports[next(iter(self._reports))]
        self._reports_dirty = True

    def save_soon(self) -> None:
        """Save now if the last save is older than SAVE_INTERVAL seconds, else at exit.

        For a long-lived process (the library) that changes a few results per
        call: rewriting the whole file after each would cost more than the call.
        """
        import time

        now = time.monotonic()
        if now - self._saved_at >= SAVE_INTERVAL:
            self.save()
            self._saved_at = now
            return
        if not self._at_exit:
            import atexit
            import weakref

            atexit.register(_save_at_exit, weakref.ref(self))
            self._at_exit = True

    def save(self) -> None:
        """Keep what this run used, older entries up to twice as many, and recent reports."""
        if not self.path:
            return
        if self._reports_dirty and self._reports is not None:
            self._write(self.path.with_name(REPORTS_FILE), self._reports)
        if not self._dirty:
            return
        keep = dict(self._used)
        room = max(2 * len(keep), 2000)
        for key, value in self._old.items():
            if len(keep) >= room:
                break
            keep.setdefault(key, value)
        self._write(self.path, keep)

    def _write(self, path: Path, entries: dict[str, Any]) -> None:
        """Replace ``path`` atomically; a repository that cannot be written still validates."""
        try_replace_file(path, marshal.dumps((self.format, entries)))


def _save_at_exit(ref: Any) -> None:
    cache = ref()
    if cache is not None:
        cache.save()
