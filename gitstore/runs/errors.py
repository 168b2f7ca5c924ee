"""What can go wrong with run records."""

from __future__ import annotations

from collections.abc import Sequence

from gitstore.errors import EXIT_PROBLEMS, GitstoreError, UsageError
from gitstore.exceptions import EntityExistsError, LockTimeoutError


class RunExistsError(EntityExistsError):
    """A run of that name exists already, in any pipeline."""

    def __init__(self, run_name: str, existing_path: str) -> None:
        self.run_name = run_name
        self.existing_path = existing_path
        super().__init__(f"a run named `{run_name}` exists already ({existing_path}); "
                         "run names are unique across the repository")


class InvalidRunNameError(UsageError):
    def __init__(self, what: str, name: str) -> None:
        super().__init__(f"`{name}` is not a valid {what} name: names start with a letter or digit "
                         "and hold only letters, digits, `.`, `_` and `-` (at most 128 characters)")


class StackNotAtCommitError(GitstoreError):
    """The stack a run names is not in the configuration commit.

    ``hint`` says what to do: commit the stack when the working tree has it,
    else the stack it may have meant.
    """

    def __init__(self, stack: str, commit: str, detail: str = "",
                 hint: str = "commit the stack before recording runs on it") -> None:
        self.stack = stack
        self.commit = commit
        self.hint = hint
        super().__init__(f"stack `{stack}` {detail or 'does not exist'} at configuration commit "
                         f"{commit[:12]}; {hint}")


class UnknownNameError(UsageError):
    """A run names a user or project the configuration commit does not hold."""

    def __init__(self, kind: str, name: str, commit: str, hint: str) -> None:
        self.kind = kind
        self.name = name
        self.commit = commit
        super().__init__(f"{kind} `{name}` does not exist at configuration commit {commit[:12]}; "
                         f"{hint}")


class NoConfigCommitError(GitstoreError):
    def __init__(self) -> None:
        super().__init__("the configuration repository has no commit yet; "
                         "commit it before recording runs")


class PlainSecretError(GitstoreError):
    """A value bound for a run record is a plain-text secret; nothing was recorded."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, places: Sequence[str]) -> None:
        self.places = list(places)
        super().__init__("refusing to record the run: plain-text secrets in " + ", ".join(places)
                         + "; use secret references `{{ <secret>.<key> }}` instead")


class RunsBranchBusyError(LockTimeoutError):
    def __init__(self, branch: str, attempts: int) -> None:
        super().__init__(f"could not update branch {branch} in {attempts} attempts: "
                         "other writers kept moving it; try again")


class RunSyncError(GitstoreError):
    """Exchanging run records with a remote failed."""
