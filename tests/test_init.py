"""`gitstore init [PATH]`: a new configuration repository in one commit, valid from the start."""

from __future__ import annotations

from pathlib import Path

from conftest import git, run_cli, write_files

CREATED = [
    "components/artifact_store/default.yaml",
    "components/metadata_store/default.yaml",
    "components/orchestrator/default.yaml",
    "gitstore.yaml",
    "stacks/default.yaml",
    "users/default.yaml",
]


def test_init_path_creates_one_commit_that_validates_clean(tmp_path: Path) -> None:
    target = tmp_path / "platform"
    result = run_cli("init", str(target))
    assert result.code == 0 and result.err == "", result
    assert result.out.startswith(f"Initialized configuration repository in {target} (commit ")
    assert git(target, "rev-list", "--count", "HEAD").strip() == "1"
    assert sorted(git(target, "ls-files").split()) == CREATED
    assert git(target, "status", "--porcelain") == ""
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        check = run_cli("validate", "--strict", *mode, cwd=target)
        assert check.code == 0 and check.out.startswith("ok: 6 files checked in the "), check
    stack = (target / "stacks/default.yaml").read_text()
    assert "  orchestrator: default\n  artifact_store: default\n  metadata_store: default\n" in stack
    assert "flavor: sqlite" in (target / "components/metadata_store/default.yaml").read_text()
    assert "default_stack: default" in (target / "gitstore.yaml").read_text()
    assert str(tmp_path) not in "".join((target / p).read_text() for p in CREATED)  # no machine paths


def test_init_in_the_current_directory_and_with_dash_c(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    assert run_cli("init", cwd=here).code == 0
    assert (here / "gitstore.yaml").is_file()
    there = tmp_path / "there"
    there.mkdir()
    assert run_cli("-C", str(there), "init").code == 0
    assert run_cli("validate", str(there)).code == 0


def test_init_in_an_existing_git_repository_commits_only_its_files(make_repo) -> None:
    repo = make_repo({"README.md": "docs\n"})
    write_files(repo, {"notes.txt": "staged, not part of init\n"})
    git(repo, "add", "notes.txt")
    assert run_cli("init", cwd=repo).code == 0
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == CREATED
    assert git(repo, "status", "--porcelain").strip() == "A  notes.txt"


def test_init_in_a_subfolder_of_a_git_repository(make_repo) -> None:
    repo = make_repo({"README.md": "docs\n"})
    assert run_cli("init", "config", cwd=repo).code == 0
    assert "config/gitstore.yaml" in git(repo, "ls-files")
    assert run_cli("validate", "--rev", "HEAD", cwd=repo / "config").code == 0


def test_init_refuses_an_existing_configuration_repository(tmp_path: Path) -> None:
    target = tmp_path / "platform"
    assert run_cli("init", str(target)).code == 0
    head = git(target, "rev-parse", "HEAD")
    again = run_cli("init", str(target))
    assert (again.code, again.out) == (2, "")
    assert again.err == (f"gitstore: error: {target} is already a configuration repository "
                         "(gitstore.yaml exists)\n")
    assert git(target, "rev-parse", "HEAD") == head


def test_init_refuses_to_overwrite_files_and_writes_nothing(tmp_path: Path) -> None:
    write_files(tmp_path, {"users/default.yaml": "email: mine@example.com\n"})
    result = run_cli("init", str(tmp_path))
    assert result.code == 2
    assert result.err == (f"gitstore: error: {tmp_path / 'users/default.yaml'} already exists; "
                          "move it away or run init in an empty folder\n")
    assert (tmp_path / "users/default.yaml").read_text() == "email: mine@example.com\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users"]  # not even .git


def test_init_refuses_a_file_as_path(tmp_path: Path) -> None:
    write_files(tmp_path, {"file": "x"})
    result = run_cli("init", str(tmp_path / "file"))
    assert result.code == 2 and result.err.count("\n") == 1 and result.err.startswith("gitstore: error:")
