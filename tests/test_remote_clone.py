"""A remote configuration repository worked on through a cached clone, against a real git daemon."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import git
from gitdaemon import GitDaemon, served_git_daemon  # noqa: F401  (the git_daemon fixture)

from gitstore.defaults import initial_files
from gitstore.errors import UsageError
from gitstore.exceptions import EntityExistsError, IntegrityError
from gitstore.plumbing import vcs
from gitstore.remote import (
    PushRejectedError,
    PushRetriesExhausted,
    RemoteClone,
    RemoteError,
    cache_root,
)

Op = Callable[[Path], Sequence[str]]


def put(files: dict[str, str]) -> Op:
    def operation(root: Path) -> list[str]:
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        return list(files)
    return operation


def add_user(name: str, calls: list[str] | None = None, domain: str = "example.com") -> Op:
    """Adds users/NAME.yaml; refuses (as the store does) when it is there already."""
    def operation(root: Path) -> list[str]:
        if calls is not None:
            calls.append(name)
        path = root / "users" / f"{name}.yaml"
        if path.exists():
            raise EntityExistsError(f"a user named {name!r} exists already")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"email: {name}@{domain}\n")
        return [f"users/{name}.yaml"]
    return operation


def initialized(daemon: GitDaemon, cache: Path) -> tuple[Path, str, RemoteClone]:
    bare, url = daemon.new_repo()
    clone = RemoteClone.open(url, cache=cache)
    clone.write(put(initial_files()), "gitstore: initialize configuration repository")
    return bare, url, clone


def remote_files(bare: Path) -> list[str]:
    return git(bare, "ls-tree", "-r", "--name-only", "main").split()


def assert_clean_at_remote_tip(clone: RemoteClone, bare: Path) -> None:
    tip = git(bare, "rev-parse", "main").strip()
    assert git(clone.path, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(clone.path, "rev-parse", "HEAD").strip() == tip
    assert clone.tip == tip


def test_empty_remote_is_cloned_into_the_cache_and_first_write_creates_main(
        git_daemon: GitDaemon) -> None:
    bare, url = git_daemon.new_repo()
    clone = RemoteClone.open(url)
    assert clone.path.parent == cache_root()
    assert str(cache_root()).startswith(str(Path.home()))  # $XDG_CACHE_HOME, isolated by conftest
    assert (clone.tip, clone.branch) == (None, "main")
    commit = clone.write(put(initial_files()), "gitstore: initialize configuration repository")
    assert commit == git(bare, "rev-parse", "main").strip()
    assert remote_files(bare) == sorted(initial_files())
    assert_clean_at_remote_tip(clone, bare)


def test_reads_come_from_the_last_fetch_until_refresh(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, writer = initialized(git_daemon, tmp_path / "a")
    reader = RemoteClone.open(url, cache=tmp_path / "b")
    before = reader.tip
    writer.write(add_user("alice"), "add user alice")
    assert reader.tip == before
    assert "users/alice.yaml" not in {e.path for e in reader.source().entries()}
    assert reader.refresh() == writer.tip
    source = reader.source()
    alice = [e for e in source.entries() if e.path == "users/alice.yaml"]
    assert source.read(alice) == {"users/alice.yaml": b"email: alice@example.com\n"}
    assert (reader.path / "users" / "alice.yaml").is_file()


def test_reopening_a_cached_clone_fetches(git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, writer = initialized(git_daemon, tmp_path / "a")
    RemoteClone.open(url, cache=tmp_path / "b")
    writer.write(add_user("bob"), "add user bob")
    assert RemoteClone.open(url, cache=tmp_path / "b", fetch=False).tip != writer.tip
    assert RemoteClone.open(url, cache=tmp_path / "b").tip == writer.tip


def test_stale_clone_replays_the_same_operation_on_the_new_tip(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, first = initialized(git_daemon, tmp_path / "a")
    second = RemoteClone.open(url, cache=tmp_path / "b")
    first.write(add_user("alice"), "add user alice")
    calls: list[str] = []
    second.write(add_user("bob", calls), "add user bob")
    assert calls == ["bob", "bob"]  # rejected once (fetch first), applied again on the new tip
    assert git(bare, "log", "--format=%s", "main").splitlines() == [
        "add user bob", "add user alice", "gitstore: initialize configuration repository"]
    assert git(bare, "rev-list", "--merges", "main") == ""
    assert_clean_at_remote_tip(second, bare)


def test_publish_pushes_a_commit_made_with_plumbing_and_replays_it(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    """The door a store's writer uses: it commits on the branch itself; publish pushes."""
    bare, url, first = initialized(git_daemon, tmp_path / "a")
    second = RemoteClone.open(url, cache=tmp_path / "b")
    stale = second.tip
    first.write(add_user("alice"), "add user alice")
    bases: list[str] = []

    def make_commit() -> str:
        head = git(second.path, "rev-parse", "HEAD").strip()
        bases.append(head)
        blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=second.path, text=True,
                              input="email: henry@example.com\n", capture_output=True,
                              check=True).stdout.strip()
        env = {**os.environ, "GIT_INDEX_FILE": str(tmp_path / "private-index")}
        for args in (["read-tree", head], ["update-index", "--add", "--cacheinfo",
                                           f"100644,{blob},users/henry.yaml"]):
            subprocess.run(["git", *args], cwd=second.path, env=env, check=True)
        tree = subprocess.run(["git", "write-tree"], cwd=second.path, env=env, text=True,
                              capture_output=True, check=True).stdout.strip()
        commit = git(second.path, "commit-tree", tree, "-p", head, "-m", "add user henry").strip()
        git(second.path, "update-ref", "HEAD", commit, head)
        return commit

    commit = second.publish(make_commit)
    assert bases == [stale, first.tip]  # rejected on the stale tip, replayed on alice's commit
    assert commit == git(bare, "rev-parse", "main").strip()
    assert git(bare, "log", "--format=%s", "-2", "main").splitlines() == [
        "add user henry", "add user alice"]
    assert (second.path / "users" / "henry.yaml").read_text() == "email: henry@example.com\n"
    assert_clean_at_remote_tip(second, bare)


def test_operation_refusing_on_the_new_tip_leaves_everything_clean(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, first = initialized(git_daemon, tmp_path / "a")
    second = RemoteClone.open(url, cache=tmp_path / "b")
    first.write(add_user("alice"), "add user alice")
    tip = git(bare, "rev-parse", "main")
    with pytest.raises(EntityExistsError, match="a user named 'alice' exists already"):
        second.write(add_user("alice", domain="other.example.com"), "add user alice")
    assert git(bare, "rev-parse", "main") == tip
    assert_clean_at_remote_tip(second, bare)


def test_write_adding_validation_errors_is_refused(git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    tip = git(bare, "rev-parse", "main")
    broken = put({"stacks/prod.yaml": "components:\n  orchestrator: kfp\n"})
    with pytest.raises(IntegrityError) as info:
        clone.write(broken, "add stack prod\n\nwith kubeflow")
    assert info.value.operation == "add stack prod"
    assert [(p.path, p.line) for p in info.value.problems] == [("stacks/prod.yaml", 2)]
    assert str(info.value).startswith("add stack prod would break the repository; nothing was "
                                      "changed:\n  stacks/prod.yaml:2:")
    assert git(bare, "rev-parse", "main") == tip
    assert_clean_at_remote_tip(clone, bare)


def test_errors_already_on_the_remote_do_not_block_unrelated_writes(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    clone.write(put({"stacks/prod.yaml": "components:\n  orchestrator: kfp\n"}), "broken",
                check=False)
    commit = clone.write(add_user("carol"), "add user carol")
    assert commit == git(bare, "rev-parse", "main").strip()


def test_deleting_a_file_and_writing_nothing(git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    clone.write(add_user("dave"), "add user dave")
    tip = git(bare, "rev-parse", "main").strip()
    assert clone.write(lambda root: [], "nothing") is None
    assert clone.write(put({"users/dave.yaml": "email: dave@example.com\n"}), "same") is None
    assert git(bare, "rev-parse", "main").strip() == tip

    def remove(root: Path) -> list[str]:
        (root / "users" / "dave.yaml").unlink()
        return ["users/dave.yaml"]

    clone.write(remove, "delete user dave")
    assert "users/dave.yaml" not in remote_files(bare)
    assert_clean_at_remote_tip(clone, bare)


def test_pre_receive_hook_rejection_carries_the_hooks_message(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'stacks/prod.yaml: changes to prod need a review' >&2\n"
                    "exit 1\n")
    hook.chmod(0o755)
    tip = git(bare, "rev-parse", "main")
    with pytest.raises(PushRejectedError) as info:
        clone.write(add_user("eve"), "add user eve")
    assert info.value.reason == "pre-receive hook declined"
    assert info.value.remote_messages == ["stacks/prod.yaml: changes to prod need a review"]
    assert str(info.value) == (
        f"{url} rejected the push (pre-receive hook declined); nothing was written\n"
        "  remote: stacks/prod.yaml: changes to prod need a review")
    assert info.value.exit_code == 1
    assert git(bare, "rev-parse", "main") == tip
    assert_clean_at_remote_tip(clone, bare)


def test_retries_are_bounded_when_other_writers_always_win(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    rival = RemoteClone.open(url, cache=tmp_path / "b")
    rival_writes = iter(range(100))

    def racing(root: Path) -> list[str]:
        rival.write(add_user(f"rival{next(rival_writes)}"), "rival write")
        return add_user("frank")(root)

    clone.attempts = 3
    with pytest.raises(PushRetriesExhausted) as info:
        clone.write(racing, "add user frank")
    assert str(info.value) == (
        f"{url}: the branch main moved on under each of 3 push attempts (other writers are "
        "busy); nothing was written, try again")
    assert "users/frank.yaml" not in remote_files(bare)
    assert [f for f in remote_files(bare) if "rival" in f] == [
        "users/rival0.yaml", "users/rival1.yaml", "users/rival2.yaml"]
    assert_clean_at_remote_tip(clone, bare)


def test_a_killed_writers_leftovers_do_not_block_the_next_write(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare, url, clone = initialized(git_daemon, tmp_path / "a")
    (clone.path / ".git" / "index.lock").write_text("")
    (clone.path / "users" / "half-written.yaml").write_text("emai")
    (clone.path / "gitstore.yaml").write_text("garbage: [")
    clone.write(add_user("grace"), "add user grace")  # a long-lived clone object
    (clone.path / ".git" / "refs" / "heads" / "main.lock").write_text("")
    (clone.path / "users" / "half-written.yaml").write_text("emai")
    reopened = RemoteClone.open(url, cache=tmp_path / "a")
    reopened.write(add_user("hank"), "add user hank")
    assert "users/half-written.yaml" not in remote_files(bare)
    assert git(bare, "show", "main:gitstore.yaml") == initial_files()["gitstore.yaml"]
    assert {"users/grace.yaml", "users/hank.yaml"} <= set(remote_files(bare))
    assert_clean_at_remote_tip(reopened, bare)


def test_unreachable_and_missing_remotes_are_clear_errors(
        git_daemon: GitDaemon, tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match=r"^cannot clone git://127\.0\.0\.1:\d+/absent\.git: "):
        RemoteClone.open(git_daemon.url("absent.git"), cache=tmp_path)
    secret = "https://deploy:s3cret@127.0.0.1:1/config.git"
    with pytest.raises(RemoteError) as info:
        RemoteClone.open(secret, cache=tmp_path)
    assert "s3cret" not in str(info.value)
    assert str(info.value).startswith("cannot clone https://deploy:***@127.0.0.1:1/config.git: ")
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".lock", ".lock"]  # no partial clone


def test_a_remote_that_never_answers_is_stopped_by_the_deadline(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code, _, err = vcs.run_network(["ls-remote", f"git://127.0.0.1:{port}/x.git"],
                                       timeout=1.0)
    assert code == -1
    assert err.decode().endswith("git ls-remote timed out after 1s")


def test_unusable_cache_branch_or_local_url_are_clear_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RemoteError) as info:
        RemoteClone.open("git://127.0.0.1:1/x.git", cache=blocker / "clones")
    assert str(info.value) == f"cannot use the clone cache {blocker}/clones: Not a directory"
    with pytest.raises(UsageError, match=r"^'-x\.\.y' is not a valid branch name$"):
        RemoteClone.open("git://127.0.0.1:1/x.git", cache=tmp_path, branch="-x..y")
    with pytest.raises(UsageError, match=r"^'-f' is not a valid branch name$"):
        RemoteClone.open("git://127.0.0.1:1/x.git", cache=tmp_path, branch="-f")
    with pytest.raises(RemoteError, match="is a local repository, not a remote$"):
        RemoteClone.open(str(tmp_path / "work"), cache=tmp_path)


def test_bare_repository_by_path_or_file_url_is_shared_like_a_server(tmp_path: Path) -> None:
    bare = tmp_path / "shared.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(bare))
    by_url = RemoteClone.open(f"file://{bare}", cache=tmp_path / "cache")
    by_url.write(put(initial_files()), "gitstore: initialize configuration repository")
    by_path = RemoteClone.open(str(bare), cache=tmp_path / "cache")
    (by_path.path / ".git" / "kept").write_text("")
    by_path.write(add_user("ivy"), "add user ivy")
    again = RemoteClone.open(str(bare) + "/", cache=tmp_path / "cache")
    assert again.path == by_path.path != by_url.path
    assert (again.path / ".git" / "kept").exists()  # the cached clone was reused, not re-cloned
    assert remote_files(bare) == sorted([*initial_files(), "users/ivy.yaml"])
    assert by_url.refresh() == again.tip
