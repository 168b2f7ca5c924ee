"""Every `sh` and `python` block of README.md and docs/*.md, run as written.

Each block runs in a fresh temporary copy of examples/valid/platform made
into a git repository with one commit (the block's working directory), with
the installed `gitstore` first on PATH: `sh` blocks under `bash -euo
pipefail`, `python` blocks with the installed package's python; both must
exit 0. A block preceded by the line `<!-- docs: no-run (reason) -->` is not
run, and the test says why. Tests are generated per block, named by file
and line, so a failure points at the block.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from conftest import git

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT / "examples" / "valid" / "platform"
RUN_LANGUAGES = ("sh", "python")
NO_RUN = re.compile(r"^<!-- docs: no-run \((.+)\) -->$")
FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)")


class Block(NamedTuple):
    file: str  # relative to the project
    line: int  # of the opening fence
    language: str
    code: str
    no_run: str | None  # the reason, when the block is marked not to run


def doc_files() -> list[Path]:
    return [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    """The fenced blocks of a markdown file, with their info string and the no-run mark before them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2)
        end = index + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        mark = NO_RUN.match(previous.strip())
        found.append(Block(path.relative_to(PROJECT).as_posix(), index + 1, language,
                           "\n".join(lines[index + 1:end]) + "\n", mark.group(1) if mark else None))
        index = end + 1
    return found


def runnable_blocks() -> list[Block]:
    return [b for path in doc_files() for b in blocks_of(path) if b.language in RUN_LANGUAGES]


def _param(block: Block) -> object:
    marks = [pytest.mark.skip(reason=f"docs: no-run ({block.no_run})")] if block.no_run else []
    return pytest.param(block, id=f"{block.file}:{block.line}", marks=marks)


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """A fresh git copy of examples/valid/platform with one commit."""
    repo = tmp_path / "platform"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "platform example")
    return repo


def run_block(block: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "gitstore").exists(), f"the installed gitstore is not beside {sys.executable}"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    command = (["bash", "-euo", "pipefail", "-c", block.code] if block.language == "sh"
               else [sys.executable, "-c", block.code])
    return subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True, timeout=300)


@pytest.mark.parametrize("block", [_param(b) for b in runnable_blocks()])
def test_doc_block_runs(block: Block, example_repo: Path) -> None:
    done = run_block(block, example_repo)
    assert done.returncode == 0, (
        f"{block.file}:{block.line}: the {block.language} block exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")


def test_every_document_is_found_and_has_runnable_blocks() -> None:
    names = {p.relative_to(PROJECT).as_posix() for p in doc_files()}
    assert {"README.md", "docs/format.md", "docs/rules.md", "docs/library.md", "docs/hooks-ci.md",
            "docs/runs.md", "docs/migration.md", "docs/trust.md"} <= names
    run = [b for b in runnable_blocks() if not b.no_run]
    assert len(run) >= 20
    assert {b.file for b in run} >= {"README.md", "docs/format.md", "docs/library.md", "docs/hooks-ci.md",
                                     "docs/runs.md", "docs/migration.md", "docs/trust.md"}


def test_no_run_marks_give_a_reason_and_stay_few() -> None:
    skipped = [b for b in runnable_blocks() if b.no_run]
    assert all(b.no_run and b.no_run.strip() for b in skipped)
    assert len(skipped) <= 6, [f"{b.file}:{b.line}" for b in skipped]


def test_block_parser_reads_marks_languages_and_lines(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# t\n\n<!-- docs: no-run (a server) -->\n```sh\nserve\n```\n\n```python\nprint(1)\n```\n"
                    "```yaml\na: 1\n```\n", encoding="utf-8")
    original = PROJECT
    try:
        globals()["PROJECT"] = tmp_path
        found = blocks_of(page)
    finally:
        globals()["PROJECT"] = original
    assert [(b.line, b.language, b.code, b.no_run) for b in found] == [
        (4, "sh", "serve\n", "a server"), (8, "python", "print(1)\n", None), (11, "yaml", "a: 1\n", None)]


def test_a_failing_block_fails(example_repo: Path) -> None:
    done = run_block(Block("x.md", 1, "sh", "gitstore validate\nfalse\n", None), example_repo)
    assert done.returncode == 1 and done.stdout.startswith("ok: ")
    done = run_block(Block("x.md", 1, "sh", "echo $UNSET_VARIABLE_X\n", None), example_repo)
    assert done.returncode != 0  # -u: an unset variable is an error


def test_rules_page_is_generated_from_the_catalogue() -> None:
    from gitstore.explain import page

    assert (PROJECT / "docs" / "rules.md").read_text(encoding="utf-8") == page(), (
        "docs/rules.md is out of date: run `gitstore explain --all > docs/rules.md`")
