"""Writes landed together (``GitZenStore.batched_writes``): each its own checked commit,
one move of the branch, and nothing lost when the branch moves or the writer is killed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git
from store_helpers import component, status

from gitstore import GitZenStore
from gitstore.exceptions import BatchLost, EntityExistsError, IntegrityError
from gitstore.models import StackComponentType
from gitstore.plumbing import vcs

ORCH = StackComponentType.ORCHESTRATOR


@pytest.fixture
def root(tmp_path: Path) -> Path:
    GitZenStore().initialize(str(tmp_path / "config"))
    return tmp_path / "config"


def in_step(root: Path) -> GitZenStore:
    """A store on the repository whose reads and writes are in step (its first write made)."""
    store = GitZenStore().initialize(str(root))
    store.get_stack("default")
    store.create_user("first")
    return store


def subjects(root: Path, count: int) -> list[str]:
    return git(root, "log", f"-{count}", "--format=%an|%s").splitlines()[::-1]


def fsck(root: Path) -> str:
    """What ``git fsck --strict`` finds wrong (unreferenced objects are not wrong)."""
    done = subprocess.run(["git", "fsck", "--strict"], cwd=root, capture_output=True, text=True)
    found = [line for line in (done.stdout + done.stderr).splitlines()
             if not line.startswith("dangling ")]
    return "\n".join(found) + ("" if done.returncode == 0 else f"\nexit {done.returncode}")


def test_a_batch_lands_each_write_as_its_own_commit_and_moves_the_branch_once(root):
    store = in_step(root)
    before = git(root, "rev-parse", "HEAD").strip()
    reflog = len(git(root, "reflog").splitlines())
    with store.batched_writes() as batched:
        assert batched
        with vcs.commit_author("Ann", "ann@example.com"):
            store.create_user("ann")
        assert store.get_user("ann").name == "ann"  # reads see the writes staged so far
        with pytest.raises(EntityExistsError):
            store.create_user("ann")
        with vcs.commit_author("Bob", "bob@example.com"):
            store.create_team("ops")
            store.add_user_to_team("ops", "ann")
        with pytest.raises(IntegrityError, match="GS201"):  # a flavor that does not exist
            store.register_stack_component(component("orchestrator", "x", "kubeflw"))
        assert git(root, "rev-parse", "HEAD").strip() == before  # nothing landed yet
        assert not (root / "users" / "ann.yaml").exists()
    assert subjects(root, 3) == ["Ann|gitstore: create user ann", "Bob|gitstore: create team ops",
                                 "Bob|gitstore: add user ann to team ops"]
    assert git(root, "rev-parse", "HEAD~3").strip() == before
    assert len(git(root, "reflog").splitlines()) == reflog + 1  # the branch moved once
    assert status(root) == "" and fsck(root) == ""
    assert [u.name for u in store.get_users_for_team("ops")] == ["ann"]
    fresh = GitZenStore().initialize(str(root))
    assert [u.name for u in fresh.get_users_for_team("ops")] == ["ann"]
    assert fresh.get_user("ann").creation_date == store.get_user("ann").creation_date
    done = subprocess.run([sys.executable, "-m", "gitstore", "validate", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_later_write_of_the_batch_changes_a_file_an_earlier_one_made(root):
    store = in_step(root)
    with store.batched_writes() as batched:
        assert batched
        store.register_stack_component(component("orchestrator", "kf", "kubeflow",
                                                  {"kubernetes_context": "one"}))
        store.update_stack_component("kf", ORCH, component("orchestrator", "kf", "kubeflow",
                                                           {"kubernetes_context": "two"}))
        store.create_user("gone")
        store.delete_user("gone")
    assert subjects(root, 4)[0].endswith("register orchestrator kf")
    text = (root / "components" / "orchestrator" / "kf.yaml").read_text()
    assert "two" in text and "one" not in text
    assert not (root / "users" / "gone.yaml").exists()
    assert status(root) == "" and fsck(root) == ""


def test_a_batch_whose_branch_moved_lands_nothing(root):
    store = in_step(root)
    with pytest.raises(BatchLost):
        with store.batched_writes() as batched:
            assert batched
            store.create_user("ann")
            git(root, "commit", "-q", "--allow-empty", "-m", "made past gitstore")
    assert git(root, "log", "-1", "--format=%s").strip() == "made past gitstore"
    assert not (root / "users" / "ann.yaml").exists() and status(root) == ""
    assert "ann" not in [u.name for u in store.users]
    store.create_user("ann")  # the next write starts from the moved branch
    assert git(root, "log", "-2", "--format=%s").splitlines() == [
        "gitstore: create user ann", "made past gitstore"]
    assert status(root) == "" and fsck(root) == ""


def test_no_batch_while_the_working_tree_holds_an_edit_not_committed(root):
    store = in_step(root)
    (root / "users" / "first.yaml").write_text(
        (root / "users" / "first.yaml").read_text() + "# edited by hand\n")
    store.get_user("first")
    with store.batched_writes() as batched:
        assert not batched  # its writes go one at a time, each seeing the working tree
        store.create_user("ann")
        assert git(root, "log", "-1", "--format=%s").strip() == "gitstore: create user ann"
    assert "edited by hand" in (root / "users" / "first.yaml").read_text()


BATCH = """
import sys
from gitstore import GitZenStore
store = GitZenStore().initialize(sys.argv[1])
store.get_stack("default")
store.create_user("first")
with store.batched_writes() as batched:
    assert batched
    for name in ("ann", "bob", "cid"):
        store.create_user(name)
"""


@pytest.mark.parametrize("point", ["before-ref", "after-ref", "mid-worktree"])
def test_a_writer_killed_in_a_batch_leaves_all_of_it_or_none(root, point):
    env = {**os.environ, "GITSTORE_CRASH_AT": ""}
    head = None
    done = subprocess.run([sys.executable, "-c", BATCH.replace(
        'store.create_user("first")\n', 'store.create_user("first")\nimport os\n'
        f'os.environ["GITSTORE_CRASH_AT"] = {point!r}\n'), str(root)],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    head = git(root, "log", "-1", "--format=%s").strip()
    store = GitZenStore().initialize(str(root))  # finishes what the killed writer left
    names = {u.name for u in store.users}
    if point == "before-ref":
        assert head == "gitstore: create user first" and not names & {"ann", "bob", "cid"}
    else:
        assert head == "gitstore: create user cid" and {"ann", "bob", "cid"} <= names
        assert all((root / "users" / f"{n}.yaml").exists() for n in ("ann", "bob", "cid"))
    assert status(root) == "" and fsck(root) == ""
    store.create_user("after")
    assert status(root) == ""


def test_loose_objects_are_packed_when_git_would_pack_them(root):
    """A store that writes on and on (a server nobody runs git in) packs its loose objects
    as git does after its own commits (``git gc --auto``, per ``gc.auto``)."""
    git(root, "config", "gc.auto", "1")  # git packs past 1 loose object in objects/17
    git(root, "config", "gc.autoDetach", "false")  # the test waits for it
    store = in_step(root)

    def counts() -> dict[str, int]:
        found = dict(line.split(": ") for line in git(root, "count-objects", "-v").splitlines())
        return {key: int(value) for key, value in found.items() if value.isdigit()}

    assert counts()["packs"] == 0
    for n in range(400):
        store.create_user(f"user-{n}")
        if counts()["packs"]:
            break
    assert counts()["packs"] >= 1, counts()
    assert counts()["count"] < 20  # the loose objects went into the pack
    assert status(root) == "" and fsck(root) == ""
    store.create_user("after-the-pack")
    assert {"user-0", "after-the-pack"} <= {u.name for u in GitZenStore().initialize(
        str(root)).users}


def test_a_store_that_writes_on_keeps_a_bounded_number_of_trees(root):
    """Each write makes a new version of the trees on its paths; a long-running store (a
    server) keeps only those used last, not every version."""
    from gitstore.store.objects import ROOTS_KEPT, TREES_KEPT

    store = in_step(root)
    objects = store._writer.objects
    for n in range(TREES_KEPT + 40):
        store.create_user(f"user-{n}")
    assert len(objects._trees) <= TREES_KEPT and len(objects._roots) <= ROOTS_KEPT
    store.create_user("one-more")  # the next write still starts from what the last one made
    assert git(root, "log", "-1", "--format=%s").strip() == "gitstore: create user one-more"
    assert status(root) == "" and fsck(root) == ""
