"""Every error gitstore raises on purpose lives in one module tree and is importable from
gitstore.exceptions (as the README documents), and from where it was importable before."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import gitstore
from gitstore import errors, exceptions

OLD_HOMES = {
    "gitstore.errors": ["GitError", "UnknownRevision", "UsageError", "NotAConfigRepository"],
    "gitstore.runs.errors": ["RunExistsError", "PlainSecretError", "StackNotAtCommitError"],
    "gitstore.remote": ["RemoteError", "PushRejectedError", "PushRetriesExhausted"],
    "gitstore.migrate.model": ["SourceError", "DanglingReference", "SourceProblems"],
    "gitstore.plumbing.vcs": ["GitError", "UnknownRevision"],
}


def test_readme_imports_work() -> None:
    from gitstore.exceptions import (  # noqa: F401
        EntityExistsError,
        IntegrityError,
        LockTimeoutError,
        PushRejectedError,
        ReadOnlyStoreError,
        UncommittedChangesError,
        UnknownRevision,
    )


def test_every_error_class_is_defined_in_the_error_modules_and_exported() -> None:
    defined = {}
    for module in pkgutil.walk_packages(gitstore.__path__, "gitstore."):
        if module.name.split(".")[1] in ("cli", "lsp", "serve", "site"):
            continue  # front ends: imported by their commands (and their extras)
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if inspect.isclass(value) and issubclass(value, errors.GitstoreError):
                defined[name] = value.__module__
    assert set(defined.values()) <= {"gitstore.errors", "gitstore.exceptions"}, defined
    assert set(defined) <= set(exceptions.__all__)
    for name in exceptions.__all__:
        assert getattr(exceptions, name).__module__ in {"gitstore.errors", "gitstore.exceptions"}


def test_old_import_paths_keep_working() -> None:
    for module_name, names in OLD_HOMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert getattr(module, name) is getattr(exceptions, name), (module_name, name)
