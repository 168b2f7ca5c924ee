"""The one error root of gitstore and the exit-code map.

Every error the toolkit raises on purpose derives from :class:`GitstoreError`.
Each subclass carries the fields that describe what went wrong and builds its
own message; the CLI turns any of them into one line on stderr and
``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class GitstoreError(Exception):
    """Base class of every error gitstore raises deliberately."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAConfigRepository(GitstoreError):
    """No ``gitstore.yaml`` was found where one was expected."""

    def __init__(self, path: str, detail: str = "") -> None:
        self.path = path
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"not a configuration repository: {path}{extra}; "
            "a configuration repository has gitstore.yaml at its root "
            "(create one with `gitstore init`)"
        )


class GitError(GitstoreError):
    """A git command failed."""

    def __init__(self, args: list[str], stderr: str, returncode: int | None = None) -> None:
        self.args_ = args
        self.stderr = stderr.strip()
        self.returncode = returncode
        cmd = " ".join(["git", *args[:3]])
        super().__init__(f"`{cmd}` failed: {self.stderr or f'exit {returncode}'}")


class RefLockedError(GitstoreError):
    """A ref's lock file has stood for long: its process may still run, so it is left alone."""

    def __init__(self, ref: str, lock: str, age: float) -> None:
        import shlex

        self.ref = ref
        self.lock = lock
        self.age = age
        super().__init__(
            f"{ref} is locked by {lock} (for {age:.0f}s); if no git process is working on this "
            f"repository, remove the lock and try again: rm {shlex.quote(lock)}")


class GitNotFound(GitstoreError):
    def __init__(self) -> None:
        super().__init__("the `git` command was not found on PATH; gitstore needs git >= 2.25")


class NotAGitRepository(GitstoreError):
    def __init__(self, path: str, wanted: str) -> None:
        self.path = path
        super().__init__(f"{wanted} needs a git repository, and {path} is not inside one")


class UnsupportedRepository(GitstoreError):
    """A git repository gitstore cannot work in (one whose objects are named by sha256)."""

    def __init__(self, path: str, object_format: str) -> None:
        self.path = path
        self.object_format = object_format
        super().__init__(f"{path} is a {object_format} git repository; gitstore works in sha1 "
                         "repositories only (git's default object format)")


class UnknownRevision(GitstoreError):
    def __init__(self, rev: str) -> None:
        self.rev = rev
        super().__init__(f"unknown revision: {rev!r}")


class UsageError(GitstoreError):
    """The caller asked for something that cannot be done as asked."""


def error_text(message: str) -> str:
    """An error as printed: one line `gitstore: error: ...`, any further lines indented under it."""
    first, *rest = [line.rstrip() for line in message.splitlines() if line.strip()] or [""]
    more = [line if line.startswith("  ") else f"  {line}" for line in rest]
    return "\n".join([f"gitstore: error: {first}", *more])

