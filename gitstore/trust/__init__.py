"""Trust: the repository's roles enforced on changes, signatures, ownership and history.

:func:`check_change` judges a branch update against the repository before it
(permissions per changed file, and signatures when required); the
pre-receive hook and ``gitstore check-permissions`` both call it. It is
imported on first use, so ``gitstore validate``, which only looks for a stale
generated CODEOWNERS, does not pay for the permission checks.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_change"]


def __getattr__(name: str) -> Any:
    if name == "check_change":
        from gitstore.trust.enforce import check_change

        return check_change
    raise AttributeError(f"module 'gitstore.trust' has no attribute {name!r}")
