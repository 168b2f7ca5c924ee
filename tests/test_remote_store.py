"""``GitZenStore().initialize(url)`` with a git remote, against a real git daemon on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import failures_of, git, run_cli
from gitdaemon import GitDaemon, served_git_daemon  # noqa: F401  (the git_daemon fixture)

from gitstore import GitZenStore
from gitstore.defaults import initial_files
from gitstore.exceptions import EntityExistsError
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StepWrapper
from gitstore.remote import PushRejectedError

WRITER = """
import sys
from gitstore import GitZenStore
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StepWrapper

url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = GitZenStore().initialize(url)
store.create_project(prefix)
for i in range(count):
    store.create_user(f"{prefix}-{i}")
    store.register_pipeline_run(PipelineRunWrapper(
        name=f"{prefix}-run-{i}", pipeline=PipelineWrapper(name="training",
        steps=[StepWrapper(name="trainer")]), stack=store.get_stack("default"),
        runtime_configuration={"epochs": i}, user_id=store.get_user("default").id))
"""


def make_run(store: GitZenStore, name: str) -> PipelineRunWrapper:
    return PipelineRunWrapper(
        name=name, pipeline=PipelineWrapper(name="training", steps=[StepWrapper(name="trainer")]),
        stack=store.get_stack("default"), runtime_configuration={"epochs": 3},
        user_id=store.get_user("default").id)


def open_store(url: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> GitZenStore:
    """A store on its own clone (each cache directory keeps its own clone)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return GitZenStore().initialize(url)


def tree_files(bare: Path) -> list[str]:
    return git(bare, "ls-tree", "-r", "--name-only", "main").split()


def test_initialize_with_a_remote_url_registers_the_defaults_there(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    assert GitZenStore.is_valid_url(url) and GitZenStore.get_path_from_url(url) is None
    store = open_store(url, tmp_path / "a", monkeypatch)
    assert store.url == url
    assert store.repo.root == store._remote.path  # type: ignore[union-attr]
    assert str(store.repo.root).startswith(str(tmp_path / "a" / "gitstore" / "clones"))
    assert tree_files(bare) == sorted(initial_files())
    assert [u.name for u in store.users] == ["default"]
    assert list(store.stack_configurations) == ["default"]
    again = open_store(url, tmp_path / "b", monkeypatch)  # nothing to register twice
    assert int(git(bare, "rev-list", "--count", "main")) == 1
    assert list(again.stack_configurations) == ["default"]


def test_reads_are_the_last_fetch_and_refresh_fetches(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    first = open_store(url, tmp_path / "a", monkeypatch)
    second = open_store(url, tmp_path / "b", monkeypatch)
    first.create_user("alice")
    assert [u.name for u in first.users] == ["alice", "default"]  # a write reads its own result
    assert [u.name for u in second.users] == ["default"]
    second.refresh()
    assert [u.name for u in second.users] == ["alice", "default"]


def test_a_stale_store_replays_its_write_on_the_new_tip(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    first = open_store(url, tmp_path / "a", monkeypatch)
    second = open_store(url, tmp_path / "b", monkeypatch)
    first.create_team("platform")
    first.create_user("alice")
    second.create_team("research")  # stale: replayed on top of the two writes above
    with pytest.raises(EntityExistsError, match="a user named 'alice' exists already"):
        second.create_user("alice")
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        "gitstore: create team research", "gitstore: create user alice",
        "gitstore: create team platform", "gitstore: initialize configuration repository"]
    assert {"teams/platform.yaml", "teams/research.yaml", "users/alice.yaml"} <= set(
        tree_files(bare))
    assert git(second.repo.root, "status", "--porcelain", "--untracked-files=all") == ""


def test_pre_receive_rejection_through_the_store_is_a_clear_error(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    store = open_store(url, tmp_path / "a", monkeypatch)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'configuration is frozen until Monday' >&2\nexit 1\n")
    hook.chmod(0o755)
    tip = git(bare, "rev-parse", "main")
    with pytest.raises(PushRejectedError) as info:
        store.create_user("bob")
    assert str(info.value) == (f"{url} rejected the push (pre-receive hook declined); nothing "
                               "was written\n  remote: configuration is frozen until Monday")
    assert git(bare, "rev-parse", "main") == tip
    assert git(store.repo.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(store.repo.root, "rev-parse", "HEAD") == tip
    assert [u.name for u in store.users] == ["default"]
    hook.unlink()
    store.create_user("bob")
    assert "users/bob.yaml" in tree_files(bare)


def test_the_servers_gitstore_hook_guards_the_remote_too(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    store = open_store(url, tmp_path / "a", monkeypatch)
    installed = run_cli("hooks", "install", "--server", str(bare))
    assert installed.code == 0, installed
    store.create_user("carol")  # a valid write passes the server's check
    assert "users/carol.yaml" in tree_files(bare)
    broken = {"stacks/prod.yaml": "components:\n  orchestrator: kfp\n"}
    assert store._remote is not None

    def write_broken(root: Path) -> list[str]:
        (root / "stacks" / "prod.yaml").write_text(broken["stacks/prod.yaml"])
        return list(broken)

    tip = git(bare, "rev-parse", "main")
    with pytest.raises(PushRejectedError) as info:  # skipping the local check: the server refuses
        store._remote.write(write_broken, "add stack prod", check=False)
    assert info.value.reason == "pre-receive hook declined"
    assert any("stacks/prod.yaml" in line for line in info.value.remote_messages), info.value
    assert git(bare, "rev-parse", "main") == tip


@pytest.mark.slow
def test_processes_writing_through_the_library_lose_nothing(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url = git_daemon.new_repo()
    writers, count = [f"p{n}" for n in range(4)], 3
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, prefix, str(count)],
                              env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / prefix)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for prefix in writers]
    assert failures_of(procs, timeout=300) == []
    files = set(tree_files(bare))
    wanted = {f"users/{p}-{i}.yaml" for p in writers for i in range(count)}
    wanted |= {f"projects/{p}.yaml" for p in writers}
    assert wanted <= files
    # one initialization (whoever won it) and every other write exactly once
    assert int(git(bare, "rev-list", "--count", "main")) == 1 + len(wanted)
    assert git(bare, "rev-list", "--merges", "main") == ""
    records = [p for p in git(bare, "ls-tree", "-r", "--name-only", "gitstore/runs").split()
               if p.startswith("runs/training/")]
    assert sorted(p.rsplit("/", 1)[-1] for p in records) == sorted(
        f"{p}-run-{i}.yaml" for p in writers for i in range(count))
    for path in records:  # each pinned to a configuration commit the remote holds
        pinned = yaml.safe_load(git(bare, "show", f"gitstore/runs:{path}"))["config_commit"]
        git(bare, "merge-base", "--is-ancestor", pinned, "main")
    git(bare, "fsck", "--strict", "--no-progress")


def test_runs_recorded_through_a_remote_store_reach_the_remote(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare, url = git_daemon.new_repo()
    first = open_store(url, tmp_path / "a", monkeypatch)
    second = open_store(url, tmp_path / "b", monkeypatch)
    first.register_pipeline_run(make_run(first, "nightly-1"))
    listed = git(bare, "ls-tree", "-r", "--name-only", "gitstore/runs").split()
    records = [p for p in listed if p.startswith("runs/")]
    assert len(records) == 1 and re.fullmatch(r"runs/training/[0-9a-f]{2}/nightly-1\.yaml",
                                               records[0]), listed
    with pytest.raises(KeyError):
        second.get_pipeline_run("training", "nightly-1")
    second.refresh()
    got = second.get_pipeline_run("training", "nightly-1")
    assert got.config_commit == git(bare, "rev-parse", "main").strip()
    with pytest.raises(EntityExistsError):  # names are unique across clones
        second.register_pipeline_run(make_run(second, "nightly-1"))
    second.register_pipeline_run(make_run(second, "nightly-2"))
    first.refresh()
    assert sorted(r.name for r in first.get_pipeline_runs("training")) == [
        "nightly-1", "nightly-2"]


@pytest.mark.parametrize("crash_at", ["before-ref", "after-ref", "mid-worktree"])
def test_a_store_writer_killed_before_its_push_leaves_the_remote_untouched(
        git_daemon: GitDaemon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        crash_at: str) -> None:
    bare, url = git_daemon.new_repo()
    open_store(url, tmp_path / "a", monkeypatch)
    tip = git(bare, "rev-parse", "main")
    script = ("import sys\nfrom gitstore import GitZenStore\n"
              "GitZenStore().initialize(sys.argv[1]).create_user('zed')\n")
    proc = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True,
                          env={**os.environ, "GITSTORE_CRASH_AT": crash_at}, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert git(bare, "rev-parse", "main") == tip
    store = GitZenStore().initialize(url)  # same cache: recovers the clone
    assert git(store.repo.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert [u.name for u in store.users] == ["default"]
    store.create_user("amy")
    assert "users/zed.yaml" not in tree_files(bare) and "users/amy.yaml" in tree_files(bare)
    git(bare, "fsck", "--strict", "--no-progress")
