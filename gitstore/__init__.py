"""gitstore: an ML platform's configuration kept in a git repository.

``gitstore.GitZenStore`` (the zen store API of ZenML 0.10 over a git
repository) is imported on first use, so that commands which only validate do
not pay for the library's imports.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["GitZenStore", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "GitZenStore":
        from gitstore.store import GitZenStore

        return GitZenStore
    raise AttributeError(f"module 'gitstore' has no attribute {name!r}")
