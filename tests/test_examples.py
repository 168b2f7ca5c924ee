"""examples/ doubles as test data: valid examples pass, each invalid one gives its expected output.

An invalid example is a small configuration repository with ``expected.txt``
at its root: header lines ``# exit N`` (and optionally ``# args: ...``), then
the exact text ``gitstore validate`` prints for the working tree. Each is
checked by the installed command as a plain directory first (no git, and
nothing may be written), then, in-process to keep the suite fast, as a git
repository with ``--staged`` and ``--rev HEAD``, which must report the same
problems.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import git, run_cli

from gitstore.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VALID = sorted(p for p in (EXAMPLES / "valid").iterdir() if p.is_dir())
INVALID = sorted(p for p in (EXAMPLES / "invalid").iterdir() if p.is_dir())
EXPECTED = "expected.txt"


class Expected(NamedTuple):
    code: int
    args: list[str]
    text: str


def read_expected(case: Path) -> Expected:
    code, args, body = None, [], []
    for line in (case / EXPECTED).read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("# exit "):
            code = int(line.split()[2])
        elif line.startswith("# args:"):
            args = line.split(":", 1)[1].split()
        else:
            body.append(line)
    assert code is not None, f"{case}/{EXPECTED} has no `# exit N` line"
    return Expected(code, args, "".join(body))


def copy_case(case: Path, tmp_path: Path) -> Path:
    repo = tmp_path / case.name
    shutil.copytree(case, repo, symlinks=True, ignore=shutil.ignore_patterns(EXPECTED))
    return repo


def snapshot_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else b"")
            for p in sorted(root.rglob("*"))}


def in_git_modes(text: str, label: str) -> str:
    return text.replace("checked in the working tree", f"checked in the {label}")


def commit_all(repo: Path) -> str:
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "example")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_example(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    want = read_expected(case)
    repo = copy_case(case, tmp_path)
    before = snapshot_tree(repo)
    result = run_cli("validate", *want.args, cwd=repo)
    assert (result.code, result.out, result.err) == (want.code, want.text, ""), result
    assert snapshot_tree(repo) == before, "validation wrote into the repository"

    sha = commit_all(repo)
    for mode, label in ((["--staged"], "index"), (["--rev", "HEAD"], f"commit {sha[:12]}")):
        code = main(["-C", str(repo), "validate", *mode, *want.args])
        assert (code, capsys.readouterr().out) == (want.code, in_git_modes(want.text, label)), mode


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_valid_example_is_clean(case: Path, tmp_path: Path) -> None:
    repo = copy_case(case, tmp_path)
    result = run_cli("validate", "--strict", cwd=repo)
    assert result.code == 0, result
    assert result.out.endswith("no problems\n") and result.err == ""
    commit_all(repo)
    for mode in (["--staged"], ["--rev", "HEAD"]):
        again = run_cli("validate", "--strict", *mode, cwd=repo)
        assert again.code == 0 and again.out.endswith("no problems\n"), again


def test_every_invalid_example_has_expected_output() -> None:
    assert len(INVALID) >= 30
    for case in INVALID:
        assert (case / EXPECTED).is_file(), case
        assert (case / "gitstore.yaml").is_file(), case


def test_invalid_examples_cover_every_rule_git_can_store() -> None:
    from gitstore.problems import RULES

    seen = set()
    for case in INVALID:
        for line in read_expected(case).text.splitlines():
            if ": GS" in line:
                seen.add(line.split(": ", 1)[1].split()[0])
    # GS010 (a file over 1 MB) and GS012 (an unmerged or special entry) live in test_rules.py;
    # GS4xx check records on the runs branch, which an example folder cannot hold: they live in
    # test_runs_show_validate.py
    run_rules = {code for code in RULES if code >= "GS400"}  # and GS5xx: changes and commits
    assert set(RULES) - seen - run_rules == {"GS010", "GS012"}
