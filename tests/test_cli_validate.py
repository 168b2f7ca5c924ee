"""End-to-end: the installed ``gitstore validate`` on real repositories."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, run_cli, write_files

STACK_BAD = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/kfp-prod.yaml": "flavor: kubeflow\n",
    "stacks/production.yaml": "components:\n  orchestrator: kfp-prd\n",
}


def test_valid_repository_exits_zero(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/alice.yaml": "email: a@example.com\n"})
    result = run_cli("validate", cwd=repo)
    assert result.code == 0, result
    assert result.out == "ok: 2 files checked in the working tree, no problems\n"


def test_broken_reference_is_located_with_hint(make_repo):
    repo = make_repo(STACK_BAD)
    result = run_cli("validate", cwd=repo)
    assert result.code == 1, result
    assert result.out.splitlines()[:2] == [
        "stacks/production.yaml:2:17: GS203 orchestrator `kfp-prd` does not exist "
        "(expected components/orchestrator/kfp-prd.yaml)",
        "    hint: did you mean `kfp-prod`?",
    ]


def test_staged_ignores_untracked_and_unstaged(make_repo):
    repo = make_repo(STACK_BAD)
    git(repo, "rm", "-q", "--cached", "stacks/production.yaml")
    write_files(repo, {"teams/t.yaml": "members: [nobody]\n"})  # untracked: does not count
    assert run_cli("validate", "--staged", cwd=repo).code == 0
    assert run_cli("validate", cwd=repo).code == 1


def test_rev_reads_commits_in_a_bare_repository(make_repo, tmp_path: Path):
    repo = make_repo(STACK_BAD)
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    result = run_cli("validate", "--rev", "HEAD", cwd=bare)
    assert result.code == 1, result
    assert "stacks/production.yaml:2:17: GS203" in result.out


def test_json_format(make_repo):
    repo = make_repo(STACK_BAD)
    body = json.loads(run_cli("validate", "--format", "json", cwd=repo).out)
    assert body["valid"] is False
    assert body["problems"][0] == {
        "path": "stacks/production.yaml", "line": 2, "column": 17, "severity": "error",
        "code": "GS203", "message": "orchestrator `kfp-prd` does not exist "
        "(expected components/orchestrator/kfp-prd.yaml)", "hint": "did you mean `kfp-prod`?"}


def test_not_a_configuration_repository_exits_two(tmp_path: Path):
    result = run_cli("validate", str(tmp_path))
    assert result.code == 2
    assert result.err.startswith("gitstore: error: not a configuration repository")
    assert result.out == ""


def test_unknown_revision_exits_two(make_repo):
    result = run_cli("validate", "--rev", "no-such-branch", cwd=make_repo())
    assert result.code == 2
    assert result.err == "gitstore: error: unknown revision: 'no-such-branch'\n"


def test_init_creates_a_valid_repository(tmp_path: Path):
    target = tmp_path / "platform"
    result = run_cli("init", str(target))
    assert result.code == 0, result
    assert git(target, "log", "--format=%s").strip() == "gitstore: initialize configuration repository"
    assert run_cli("validate", cwd=target).code == 0
    assert run_cli("-C", str(target), "validate", "--rev", "HEAD").code == 0
