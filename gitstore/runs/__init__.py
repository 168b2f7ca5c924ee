"""Pipeline runs pinned to commits of the configuration repository.

Records live on their own branch (``runs_branch``, default ``gitstore/runs``)
and are committed with git's object plumbing, so nobody's checkout moves.
"""

from __future__ import annotations

from gitstore.runs.read import get_run, list_runs
from gitstore.runs.record import record_run
from gitstore.runs.sync import SyncResult, sync_runs

__all__ = ["SyncResult", "get_run", "list_runs", "record_run", "sync_runs"]
