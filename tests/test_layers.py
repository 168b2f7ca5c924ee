"""Core modules return data: only the command line (gitstore/cli, and its entry point
gitstore/launch.py, which answers `validate --staged` without click) imports click or prints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gitstore

PACKAGE = Path(gitstore.__file__).parent


def test_only_the_cli_prints_or_uses_click() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/") or rel == "launch.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "print":
                offenders.append(f"{rel}:{node.lineno} print()")
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{rel}:{node.lineno} imports {n}" for n in names
                          if n == "click" or n.startswith("click.")]
    assert offenders == []


# ZenML's own files and payloads (its stores, base64 component configs), which ZenML writes
# and reads with PyYAML: the only places PyYAML's loader may read
ZENML_FORMAT_READERS = {"migrate/zenml_sqlite.py", "migrate/runs.py", "migrate/zenml_folder.py",
                        "store/stacks.py", "models.py", "runs/record.py"}


def _sources() -> dict[str, str]:
    return {path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_repository_files_have_one_reader() -> None:
    loaders = {rel for rel, text in _sources().items()
               if re.search(r"yaml\.(safe_load|load|full_load|unsafe_load)\(", text)}
    assert loaders <= ZENML_FORMAT_READERS, loaders - ZENML_FORMAT_READERS


def test_settings_have_one_lookup() -> None:
    readers = {rel for rel, text in _sources().items()
               if re.search(r"""(\.get\(|\[)["'](runs_branch|default_stack|enforce_permissions|"""
                            r"""require_signed_commits|required_components)["'](\)|\](?!\s*=))""", text)}
    assert readers == {"plumbing/settings.py"}, readers
    defaults = {rel for rel, text in _sources().items() if '"gitstore/runs"' in text}
    assert defaults == {"plumbing/settings.py"}
