"""What can go wrong with run records (defined with every other error in
:mod:`gitstore.exceptions`, and importable from here too)."""

from __future__ import annotations

from gitstore.exceptions import (
    InvalidRunNameError,
    NoConfigCommitError,
    PlainSecretError,
    RunExistsError,
    RunsBranchBusyError,
    RunSyncError,
    StackNotAtCommitError,
    UnknownNameError,
)

__all__ = [
    "InvalidRunNameError",
    "NoConfigCommitError",
    "PlainSecretError",
    "RunExistsError",
    "RunSyncError",
    "RunsBranchBusyError",
    "StackNotAtCommitError",
    "UnknownNameError",
]
