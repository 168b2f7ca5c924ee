"""The pre-commit framework hook `gitstore-validate`, run by the real `pre-commit` tool.

pre-commit installs gitstore from a local git repository holding this
project's current files (so the test exercises the code as it is), into a
PRE_COMMIT_HOME shared by the whole test session so the install happens once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, write_files

pytestmark = pytest.mark.slow  # the first test installs gitstore into pre-commit's environment

PROJECT = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"

BASE = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/local.yaml": "flavor: local\n",
    "components/artifact_store/store.yaml": "flavor: local\n",
    "stacks/dev.yaml": "components:\n  orchestrator: local\n  artifact_store: store\n",
}


@pytest.fixture(scope="session")
def project_clone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this project's tracked files as they are on disk, and its commit."""
    clone = tmp_path_factory.mktemp("gitstore-project")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = PROJECT / rel
        if source.is_file():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / rel)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=clone, env=env, check=True, capture_output=True)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    return clone, rev


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def config_repo(tmp_path: Path, project_clone: tuple[Path, str], pre_commit_home: Path,
                monkeypatch: pytest.MonkeyPatch) -> Path:
    clone, rev = project_clone
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    repo = tmp_path / "config"
    repo.mkdir()
    git(repo, "init", "-q")
    write_files(repo, {**BASE, ".pre-commit-config.yaml":
                       f"repos:\n  - repo: {clone}\n    rev: {rev}\n"
                       "    hooks:\n      - id: gitstore-validate\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    installed = subprocess.run([PRE_COMMIT, "install"], cwd=repo, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    return repo


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, capture_output=True,
                          text=True, timeout=600)


def test_valid_commit_passes(config_repo: Path):
    write_files(config_repo, {"users/alice.yaml": "email: alice@example.com\n"})
    git(config_repo, "add", "-A")
    done = commit(config_repo, "add alice")
    assert done.returncode == 0, done.stderr
    assert "gitstore validate" in done.stderr and "Passed" in done.stderr


def test_deletion_only_commit_is_refused_with_located_errors(config_repo: Path):
    git(config_repo, "rm", "-q", "components/orchestrator/local.yaml")
    done = commit(config_repo, "drop the orchestrator")
    assert done.returncode != 0
    assert "Failed" in done.stderr
    assert ("stacks/dev.yaml:2:17: GS203 orchestrator `local` does not exist "
            "(expected components/orchestrator/local.yaml)") in done.stderr
    assert git(config_repo, "log", "--format=%s").splitlines() == ["initial"]


def test_untracked_files_do_not_fool_the_hook(config_repo: Path):
    # the stack refers to a component that exists only as an untracked file
    write_files(config_repo, {
        "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: store\n",
        "components/orchestrator/kf.yaml": "flavor: kubeflow\n",
    })
    git(config_repo, "add", "stacks/prod.yaml")
    done = commit(config_repo, "prod stack without its orchestrator")
    assert done.returncode != 0
    assert "stacks/prod.yaml:2:17: GS203 orchestrator `kf` does not exist" in done.stderr
    # and a broken untracked file does not block a valid commit
    write_files(config_repo, {"teams/broken.yaml": "members: [nobody]\n"})
    git(config_repo, "add", "components/orchestrator/kf.yaml")
    done = commit(config_repo, "prod stack")
    assert done.returncode == 0, done.stderr


EXAMPLES = PROJECT / "examples"
CASES = sorted([*EXAMPLES.glob("valid/*/"), *EXAMPLES.glob("invalid/*/")])


def _expected(case: Path) -> tuple[int, list[str]]:
    """The exit code and the problem lines a case expects (without its summary line)."""
    expected = case / "expected.txt"
    if not expected.exists():  # a valid example
        return 0, []
    lines = expected.read_text(encoding="utf-8").splitlines()
    code = int(next(line for line in lines if line.startswith("# exit ")).split()[-1])
    args = next((line for line in lines if line.startswith("# args: ")), "")
    if "--strict" in args:  # the hook runs without --strict: warnings pass
        code = 0
    body = [line for line in lines if not line.startswith("# ")]
    return code, body[:-1]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{c.name}")
def test_every_example_through_the_hook(case: Path, tmp_path: Path,
                                        project_clone: tuple[Path, str], pre_commit_home: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clone, rev = project_clone
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    repo = tmp_path / "config"
    shutil.copytree(case, repo, symlinks=True, ignore=shutil.ignore_patterns("expected.txt"))
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {clone}\n    rev: {rev}\n    hooks:\n      - id: gitstore-validate\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    code, problems = _expected(case)
    ran = subprocess.run([PRE_COMMIT, "run", "--verbose", "gitstore-validate"], cwd=repo,
                         capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == min(code, 1), ran.stdout + ran.stderr
    for line in problems:
        assert line in ran.stdout, f"{line!r} missing from:\n{ran.stdout}"
