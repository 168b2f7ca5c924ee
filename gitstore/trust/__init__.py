"""Trust: the repository's roles enforced on changes, signatures, ownership and history.

:func:`check_change` judges a branch update against the repository before it
(permissions per changed file, and signatures when required); the
pre-receive hook and ``gitstore check-permissions`` both call it.
"""

from __future__ import annotations

from gitstore.trust.enforce import check_change

__all__ = ["check_change"]
