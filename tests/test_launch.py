"""``gitstore validate --staged`` as a commit hook runs it skips the command-line framework
(:mod:`gitstore.launch`); it must say and exit exactly what the click command does.

The click command is reached with ``-C <the same folder>`` (which the quick path does not
take)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli

BAD_STACK = "components:\n  orchestrator: missing\n"
CASES: dict[str, Callable[[Path], Path]] = {}


def case(name: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES[name] = build
        return build

    return register


@case("valid")
def _valid(root: Path) -> Path:
    return root


@case("problems staged")
def _problems(root: Path) -> Path:
    (root / "stacks").mkdir(exist_ok=True)
    (root / "stacks" / "broken.yaml").write_text(BAD_STACK, encoding="utf-8")
    git(root, "add", "-A")
    return root


@case("a problem only in the working tree")
def _unstaged(root: Path) -> Path:
    (root / "stacks").mkdir(exist_ok=True)
    (root / "stacks" / "broken.yaml").write_text(BAD_STACK, encoding="utf-8")
    return root


@case("a subfolder")
def _subfolder(root: Path) -> Path:
    (root / "users").mkdir(exist_ok=True)
    return root / "users"


@case("not a configuration repository")
def _not_config(root: Path) -> Path:
    git(root, "rm", "-q", "--cached", "gitstore.yaml")
    (root / "gitstore.yaml").unlink()
    return root


@case("not a git repository")
def _no_git(root: Path) -> Path:
    plain = root.parent / f"{root.name}-plain"
    plain.mkdir()
    return plain


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("flags", [["--staged"], ["--staged", "--strict"], ["--strict", "--staged"]])
def test_the_quick_path_says_what_the_command_says(make_repo: Callable[..., Path], name: str,
                                                   flags: list[str]) -> None:
    cwd = CASES[name](make_repo())
    quick = run_cli("validate", *flags, cwd=cwd)
    full = run_cli("-C", str(cwd), "validate", *flags, cwd=cwd)
    assert (quick.code, quick.out, quick.err) == (full.code, full.out, full.err), (quick, full)
    assert "Traceback" not in quick.err


def test_the_quick_path_loads_no_command_line_framework(make_repo: Callable[..., Path]) -> None:
    root = make_repo()
    probe = ("import sys\nfrom gitstore.launch import main\ncode = main(['validate', '--staged'])\n"
             "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
             "('click', 'jsonschema', 'pydantic', 'ruamel')))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.splitlines()[-1] == "0 []", proc


@pytest.mark.parametrize("args", [["validate"], ["validate", "--staged", "--staged"],
                                  ["validate", "--staged", "--format", "json"],
                                  ["validate", "--staged", "--bogus"]])
def test_other_forms_go_to_the_command(make_repo: Callable[..., Path], args: list[str]) -> None:
    root = make_repo()
    assert run_cli(*args, cwd=root).code == run_cli("-C", ".", *args, cwd=root).code
