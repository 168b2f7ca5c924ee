"""`gitstore hooks install`: the native pre-commit hook, and installing over existing hooks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import git, run_cli, write_files

BASE = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/local.yaml": "flavor: local\n",
    "stacks/dev.yaml": "components:\n  orchestrator: local\n",
}


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, capture_output=True,
                          text=True, timeout=60)


def test_pre_commit_hook_refuses_a_breaking_deletion_and_accepts_a_valid_commit(make_repo):
    repo = make_repo(BASE)
    result = run_cli("hooks", "install", cwd=repo)
    assert result.code == 0, result
    assert result.out == (f"gitstore: installed {repo / '.git/hooks/pre-commit'}\n"
                          f"gitstore: installed {repo / '.git/hooks/pre-merge-commit'}\n")
    hook = (repo / ".git/hooks/pre-commit").read_text()
    assert f"PYTHON={sys.executable}" in hook or f"PYTHON='{sys.executable}'" in hook
    git(repo, "rm", "-q", "components/orchestrator/local.yaml")
    done = commit(repo, "drop it")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "stacks/dev.yaml:2:17: GS203 orchestrator `local` does not exist "
        "(expected components/orchestrator/local.yaml)")
    git(repo, "reset", "-q", "--hard")
    write_files(repo, {"users/bob.yaml": "email: bob@example.com\n",
                       "teams/untracked.yaml": "members: [nobody]\n"})
    git(repo, "add", "users/bob.yaml")
    assert commit(repo, "bob").returncode == 0


def test_repository_code_is_never_imported_by_the_hook(make_repo):
    repo = make_repo({**BASE, "gitstore/__init__.py": "raise SystemExit('imported!')\n"})
    assert run_cli("hooks", "install", cwd=repo).code == 0
    write_files(repo, {"users/bob.yaml": "email: bob@example.com\n"})
    git(repo, "add", "-A")
    done = commit(repo, "bob")
    assert done.returncode == 0, done.stderr


def test_config_in_a_subfolder(make_repo):
    repo = make_repo({f"platform/{k}": v for k, v in BASE.items()})
    assert run_cli("hooks", "install", "platform", cwd=repo).code == 0
    git(repo, "rm", "-q", "platform/components/orchestrator/local.yaml")
    done = commit(repo, "drop it")
    assert done.returncode == 1
    assert "stacks/dev.yaml:2:17: GS203" in done.stderr


def test_install_is_idempotent_and_keeps_foreign_hooks(make_repo):
    repo = make_repo(BASE)
    hook = repo / ".git/hooks/pre-commit"
    write_files(repo, {".git/hooks/pre-commit": "#!/bin/sh\necho mine\n"})
    refused = run_cli("hooks", "install", cwd=repo)
    assert refused.code == 2
    assert refused.err == (f"gitstore: error: {hook} exists and was not written by gitstore; rerun "
                           "with --force to replace it (it is kept as pre-commit.pre-gitstore)\n")
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    forced = run_cli("hooks", "install", "--force", cwd=repo)
    assert forced.code == 0, forced
    assert (repo / ".git/hooks/pre-commit.pre-gitstore").read_text() == "#!/bin/sh\necho mine\n"
    again = run_cli("hooks", "install", cwd=repo)
    merge_hook = hook.with_name("pre-merge-commit")
    assert again.out == f"gitstore: updated {hook}\ngitstore: updated {merge_hook}\n"
    assert "# gitstore-hook: pre-commit" in hook.read_text()


def test_core_hooks_path_is_honoured(make_repo):
    repo = make_repo(BASE)
    git(repo, "config", "core.hooksPath", "githooks")
    assert run_cli("hooks", "install", cwd=repo).code == 0
    assert (repo / "githooks/pre-commit").exists()


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path):
    result = run_cli("hooks", "install", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("gitstore: error: not a configuration repository")
    result = run_cli("hooks", "install", "--server", str(tmp_path))
    assert result.code == 2
    assert "needs a git repository" in result.err


def test_server_install_warms_the_cache(make_repo, tmp_path: Path):
    repo = make_repo(BASE)
    bare = tmp_path / "srv.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    assert run_cli("hooks", "install", "--server", str(bare)).code == 0
    assert (bare / "hooks/pre-receive").stat().st_mode & 0o111
    assert (bare / "gitstore/validate-cache").exists()


def test_a_clean_merge_that_breaks_integrity_is_refused(make_repo):
    repo = make_repo({**BASE, "components/artifact_store/s3.yaml": "flavor: s3\n"})
    assert run_cli("hooks", "install", cwd=repo).code == 0
    git(repo, "checkout", "-q", "-b", "uses-s3")
    write_files(repo, {"stacks/prod.yaml": "components:\n  orchestrator: local\n  artifact_store: s3\n"})
    git(repo, "add", "-A")
    assert commit(repo, "prod uses s3").returncode == 0
    git(repo, "checkout", "-q", "main")
    git(repo, "rm", "-q", "components/artifact_store/s3.yaml")
    assert commit(repo, "s3 is unused here").returncode == 0
    merge = subprocess.run(["git", "merge", "-q", "--no-edit", "uses-s3"], cwd=repo,
                           capture_output=True, text=True, timeout=60)
    assert merge.returncode != 0
    assert ("stacks/prod.yaml:3:19: GS203 artifact_store `s3` does not exist "
            "(expected components/artifact_store/s3.yaml)") in merge.stderr
    assert git(repo, "log", "-1", "--format=%s").strip() == "s3 is unused here"
