"""``gitstore runs sync`` against a real git server on loopback (git daemon)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, run_cli
from test_runs_support import (  # noqa: F401  (git_server is a fixture)
    BRANCH,
    a_run,
    checkout_state,
    config_files,
    fsck_problems,
    git_server,
)

from gitstore.runs import list_runs, record_run
from gitstore.runs.sync import sync_runs


def clones(make_repo, git_server, tmp_path: Path, count: int = 2) -> tuple[str, list[Path]]:  # noqa: F811
    origin = make_repo(config_files())
    url = git_server("config")
    git(origin, "push", "-q", url, "main")
    made = []
    for n in range(count):
        dest = tmp_path / f"clone{n}"
        git(tmp_path, "clone", "-q", url, str(dest))
        made.append(dest)
    return url, made


def remote_runs(url: str, tmp_path: Path) -> list[str]:
    check = tmp_path / "check"
    if check.exists():
        git(check, "fetch", "-q", "origin", f"+{BRANCH}:{BRANCH}")
    else:
        git(tmp_path, "clone", "-q", "--bare", url, str(check))
    out = git(check, "ls-tree", "-r", "--name-only", BRANCH, "runs")
    return sorted(Path(p).stem for p in out.split())


def test_two_clones_record_and_sync_to_the_union(make_repo, git_server, tmp_path):  # noqa: F811
    url, (a, b, c) = clones(make_repo, git_server, tmp_path, count=3)
    record_run(a, a_run("a1"))
    record_run(a, a_run("a2"))
    record_run(b, a_run("b1", pipeline="etl"))
    state_a = checkout_state(a)
    first = sync_runs(a)
    assert (first.sent, first.received, first.merged, first.pushed) == (2, 0, False, True)
    second = sync_runs(b)
    assert (second.sent, second.received, second.merged, second.pushed) == (1, 2, True, True)
    third = sync_runs(a)
    assert (third.sent, third.received, third.merged, third.pushed) == (0, 1, False, False)
    assert remote_runs(url, tmp_path) == ["a1", "a2", "b1"]
    fresh = sync_runs(c)  # a clone without a runs branch of its own
    assert (fresh.sent, fresh.received, fresh.merged, fresh.pushed) == (0, 3, False, False)
    for clone in (a, b, c):
        assert git(clone, "rev-parse", BRANCH) == git(a, "rev-parse", BRANCH)
        assert [r.name for r in list_runs(clone, "etl")] == ["b1"]
        assert fsck_problems(clone) == []
    assert checkout_state(a) == state_a


def test_cli_sync_and_a_name_recorded_on_both_sides(make_repo, git_server, tmp_path):  # noqa: F811
    url, (a, b) = clones(make_repo, git_server, tmp_path)
    record_run(a, a_run("dup"))
    record_run(b, a_run("dup", pipeline="etl"))
    record_run(b, a_run("b1"))
    assert run_cli("runs", "sync", cwd=a).out == ("synced gitstore/runs with origin: 0 record(s) "
                                                  "received, 1 sent\n")
    result = run_cli("runs", "sync", "origin", cwd=b)
    assert result.code == 0, result
    assert result.out == "synced gitstore/runs with origin: 1 record(s) received, 2 sent (merged)\n"
    assert result.err == ("gitstore: warning: run `dup` was recorded on both sides; the remote's "
                          "record is kept at its path\n")
    assert remote_runs(url, tmp_path) == ["b1", "dup", "dup"]
    validate = run_cli("validate", "--runs", cwd=b)
    assert validate.code == 1 and "GS405 the name index entry" in validate.out


def test_sync_with_nothing_anywhere_and_an_unknown_remote(make_repo, git_server, tmp_path):  # noqa: F811
    url, (a,) = clones(make_repo, git_server, tmp_path, count=1)
    empty = sync_runs(a)
    assert (empty.commit, empty.pushed) == (None, False)
    bad = run_cli("runs", "sync", "nowhere", cwd=a)
    assert bad.code == 2
    assert bad.err.startswith("gitstore: error: `git fetch nowhere gitstore/runs` failed")


SYNCER = """
import sys, uuid
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper
from gitstore.runs import record_run
from gitstore.runs.sync import sync_runs
repo, prefix = sys.argv[1], sys.argv[2]
for i in range(4):
    record_run(repo, PipelineRunWrapper(
        name=f"{prefix}-{i}", pipeline=PipelineWrapper(name="train"),
        stack=StackWrapper(name="default"), user_id=uuid.uuid4()))
    sync_runs(repo)
"""


@pytest.mark.slow
def test_clones_syncing_at_once_end_with_every_record(make_repo, git_server, tmp_path):  # noqa: F811
    url, repos = clones(make_repo, git_server, tmp_path, count=3)
    procs = [subprocess.Popen([sys.executable, "-c", SYNCER, str(repo), f"c{n}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n, repo in enumerate(repos)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert remote_runs(url, tmp_path) == sorted(f"c{n}-{i}" for n in range(3) for i in range(4))


def test_a_remote_hook_refusing_the_runs_push_is_a_clear_error(make_repo, tmp_path):
    origin = make_repo(config_files())
    bare = tmp_path / "server.git"
    git(tmp_path, "clone", "-q", "--bare", str(origin), str(bare))
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'run records are frozen this week' >&2\nexit 1\n")
    hook.chmod(0o755)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    record_run(clone, a_run("frozen-1"))
    result = run_cli("runs", "sync", cwd=clone)
    assert result.code == 1, result
    assert result.err == (
        "gitstore: error: origin rejected the push (pre-receive hook declined); nothing was written"
        "\n  remote: run records are frozen this week\n")
    assert git(bare, "branch", "--list", "gitstore/runs") == ""
