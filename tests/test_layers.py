"""Core modules return data: only the command line (gitstore/cli) imports click or prints."""

from __future__ import annotations

import ast
from pathlib import Path

import gitstore

PACKAGE = Path(gitstore.__file__).parent


def test_only_the_cli_prints_or_uses_click() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/"):
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
