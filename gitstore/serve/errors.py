"""The store's exceptions as ZenML's server answered them: status code and error body.

ZenML 0.10's server answered a failed call with ``{"detail": [<exception class
name>, <its arguments>...]}``: 404 for a missing entity (``KeyError``), 409 for
one that exists. Its client recognises the class names in the body
(``StackExistsError``, ``StackComponentExistsError``, ``EntityExistsError``) and
raises the same exception, so those names are ZenML's even where gitstore
raises a subclass. What ZenML never had: a write that would break the
repository is a 422 whose body also carries the located problems, a refused
permission a 403, a busy repository a 503; no error ever answers with a
traceback.
"""

from __future__ import annotations

from typing import Any

from gitstore.errors import GitError, GitstoreError, UsageError
from gitstore.exceptions import (
    EntityExistsError,
    IntegrityError,
    LockTimeoutError,
    StackComponentExistsError,
    StackExistsError,
    UncommittedChangesError,
)
from gitstore.problems import Problem

# ZenML's exception names, most specific first: the client matches these in the body
ZENML_EXISTS = (StackComponentExistsError, StackExistsError, EntityExistsError)


class ApiError(Exception):
    """An answer other than success: a status code and the JSON body to send."""

    def __init__(self, status: int, detail: Any, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.body: dict[str, Any] = {"detail": detail, **extra}


def detail_of(error: BaseException, name: str | None = None) -> list[Any]:
    """ZenML's error detail: the exception's class name, then its arguments as strings."""
    args = [str(a) for a in error.args] if not isinstance(error, GitstoreError) else [str(error)]
    return [name or type(error).__name__, *args]


def problem_json(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path, "line": problem.line, "column": problem.column,
            "code": problem.code, "severity": problem.severity, "message": problem.message,
            "hint": problem.hint}


def not_found(error: KeyError) -> ApiError:
    return ApiError(404, detail_of(error, "KeyError"))


def conflict(error: Exception) -> ApiError:
    return ApiError(409, detail_of(error))


def translate(error: Exception) -> ApiError:
    """The answer for an exception a store call raised (unexpected ones: a bare 500)."""
    if isinstance(error, KeyError):
        return not_found(error)
    for kind in ZENML_EXISTS:
        if isinstance(error, kind):
            return ApiError(409, detail_of(error, kind.__name__))
    if isinstance(error, IntegrityError):
        return ApiError(422, detail_of(error),
                        problems=[problem_json(p) for p in error.problems])
    if isinstance(error, UncommittedChangesError):
        return ApiError(409, detail_of(error), paths=error.paths)
    if isinstance(error, LockTimeoutError):
        return ApiError(503, detail_of(error))
    remote = _remote_error(error)
    if remote is not None:
        return remote
    if isinstance(error, GitError):
        return ApiError(500, detail_of(error))
    if isinstance(error, (UsageError, GitstoreError, ValueError, TypeError)):
        return ApiError(422, detail_of(error))
    return ApiError(500, ["InternalError", f"{type(error).__name__}: {error}"])


def _remote_error(error: Exception) -> ApiError | None:
    from gitstore.remote import PushRejectedError, PushRetriesExhausted, RemoteError

    if isinstance(error, PushRejectedError):
        return ApiError(409, detail_of(error), remote_messages=error.remote_messages)
    if isinstance(error, PushRetriesExhausted):
        return ApiError(503, detail_of(error))
    if isinstance(error, RemoteError):
        return ApiError(502, detail_of(error))
    return None
