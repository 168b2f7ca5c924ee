"""Replacing a file by a rename: a reader (or a killed writer) sees the old or the new, whole.

No fsync, as git makes none for refs and checked-out files: what survives a
killed process is what the kernel holds. The temporary file is
``.<name>.<8 random characters>`` beside the file (:data:`TEMP_SUFFIX`), which
is how a watcher tells a write's own temporary files from other changes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = 8  # random characters tempfile.mkstemp puts after ".<name>."


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``; raises OSError, leaving no temporary file behind."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def try_replace_file(path: Path, data: bytes) -> bool:
    """:func:`replace_file` for what is only kept to go faster (caches, saved states):
    False, and nothing left behind, when it cannot be written."""
    try:
        replace_file(path, data)
    except OSError:
        return False
    return True
