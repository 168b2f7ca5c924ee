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
import tempfile
import zlib
from pathlib import Path
from typing import Any

from gitstore import __version__

CACHE_FILE = "validate-cache"


def _format_key() -> str:
    """Identifies the code and schemas that produced the results.

    Besides the version, the modification times of the modules and schema
    files that shape a result are part of the key, so an edited checkout never
    reuses results of the code it replaced.
    """
    package = Path(__file__).parent
    stamps: list[int] = []
    for rel in ("yamlio.py", "flavors.py", "layout.py", "problems.py", "checks"):
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


class ResultCache:
    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_FILE if directory else None
        self._old: dict[str, Any] = {}
        self._used: dict[str, Any] = {}
        self._dirty = False
        self.format = _format_key() if self.path else ""
        if self.path and os.environ.get("GITSTORE_NO_CACHE") != "1":
            self._old = self._load(self.path)
        else:
            self.path = None

    def _load(self, path: Path) -> dict[str, Any]:
        try:
            raw = path.read_bytes()  # marshal.load on a file object reads in small steps: far slower
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

    def save(self) -> None:
        """Keep what this run used, plus older entries up to twice as many."""
        if not self.path or not self._dirty:
            return
        keep = dict(self._used)
        room = max(2 * len(keep), 2000)
        for key, value in self._old.items():
            if len(keep) >= room:
                break
            keep.setdefault(key, value)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".validate-cache.", dir=self.path.parent)
            with os.fdopen(fd, "wb") as fh:
                marshal.dump((self.format, keep), fh)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only repository still validates, just without keeping results
