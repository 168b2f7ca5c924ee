"""Pipeline runs pinned to commits of the configuration repository.

Records live on their own branch (``runs_branch``, default ``gitstore/runs``)
and are committed with git's object plumbing, so nobody's checkout moves.
"""

from __future__ import annotations

from gitstore.runs.read import get_run, list_runs
from gitstore.runs.record import record_run

__all__ = ["get_run", "list_runs", "record_run"]
