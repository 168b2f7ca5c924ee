"""The zen store API of ZenML 0.10 over a configuration repository.

``GitZenStore`` reads the checked-out working tree through the core's reader
and cache, and turns every change into one commit, checked with the same
integrity rules as ``gitstore validate`` before it lands.
"""

from __future__ import annotations

from gitstore.store.zenstore import GitZenStore

__all__ = ["GitZenStore"]
