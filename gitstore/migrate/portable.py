"""Machine-specific paths of ZenML's default local stores, made portable.

ZenML gives a local artifact store ``path: /home/u/.config/zenml/local_stores/<uuid>``
and its sqlite metadata store ``uri: <that path>/metadata.db``. In a shared
repository these become ``~/.config/gitstore/local_stores/<uuid>``, which every
clone expands for itself (see :data:`gitstore.defaults.LOCAL_STORES`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gitstore.defaults import LOCAL_STORES

_LOCAL_STORE = re.compile(
    r"^(?:[A-Za-z]:)?[\\/](?:.*[\\/])?(?:zenml|gitstore)[\\/]local_stores[\\/]"
    r"(?P<store>[^\\/]+)(?P<rest>(?:[\\/].*)?)$")


def portable_path(value: str) -> str | None:
    """The portable form of an absolute local-store path, or None for any other value."""
    match = _LOCAL_STORE.match(value)
    if not match:
        return None
    rest = match.group("rest").replace("\\", "/")
    return f"{LOCAL_STORES}/{match.group('store')}{rest}"


def make_portable(config: dict[str, Any], notes: list[str], where: str) -> dict[str, Any]:
    """``config`` with local-store paths rewritten; each rewrite is described in ``notes``."""
    result = dict(config)
    for key, value in config.items():
        if isinstance(value, str):
            portable = portable_path(value)
            if portable is not None and portable != value:
                result[key] = portable
                notes.append(f"{where}: `{key}` {value} -> {portable}")
    return result


def expand_home(config: dict[str, Any], home: Path) -> dict[str, Any]:
    """``config`` with portable local-store paths expanded for this machine (for export)."""
    prefix = LOCAL_STORES.removeprefix("~")
    return {k: str(home) + v[1:] if isinstance(v, str) and v.startswith(f"~{prefix}/") else v
            for k, v in config.items()}
