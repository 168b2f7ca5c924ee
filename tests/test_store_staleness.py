"""Reads answer from memory, but never stale: another process's write, a hand edit and a
``git checkout`` are seen on the very next call, with file events (inotify) and without."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git
from store_helpers import component, status

from gitstore import GitZenStore
from gitstore.models import StackComponentType, StackWrapper

ORCH = StackComponentType.ORCHESTRATOR


@pytest.fixture(params=["events", "listing"])
def store(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> GitZenStore:
    if request.param == "listing":
        monkeypatch.setenv("GITSTORE_NO_WATCH", "1")
    opened = GitZenStore().initialize(str(tmp_path / "config"))
    reader = opened._reader
    assert reader is not None
    if request.param == "events":
        assert reader.watcher is not None, "this machine must offer inotify for this test"
    else:
        assert reader.watcher is None
    return opened


def other_process(root: Path, code: str) -> None:
    script = f"from gitstore import GitZenStore\nstore = GitZenStore().initialize({str(root)!r})\n"
    subprocess.run([sys.executable, "-c", script + code], check=True, timeout=120)


def test_another_process_write_is_seen_and_kept(store: GitZenStore) -> None:
    root = store.repo.root
    assert [u.name for u in store.users] == ["default"]
    store.get_stack("default")  # warm
    other_process(root, "store.create_user('bob')")
    assert [u.name for u in store.users] == ["bob", "default"]
    assert store.get_user("bob").name == "bob"
    store.create_user("carol")  # this store's next write starts from the other's commit
    assert [u.name for u in store.users] == ["bob", "carol", "default"]
    assert git(root, "log", "--format=%s").splitlines()[:2] == [
        "gitstore: create user carol", "gitstore: create user bob"]
    assert status(root) == ""


def test_another_process_deregistration_is_seen(store: GitZenStore) -> None:
    root = store.repo.root
    store.register_stack_component(component("orchestrator", "kf", "kubeflow"))
    assert [c.name for c in store.get_stack_components(ORCH)] == ["default", "kf"]
    other_process(root, "from gitstore.models import StackComponentType as T\n"
                        "store.deregister_stack_component(T.ORCHESTRATOR, 'kf')")
    assert [c.name for c in store.get_stack_components(ORCH)] == ["default"]
    with pytest.raises(KeyError):
        store.get_stack_component(ORCH, "kf")


def test_a_hand_edit_is_seen_on_the_next_call(store: GitZenStore) -> None:
    root = store.repo.root
    store.register_stack_component(component("orchestrator", "kf", "kubeflow"))
    store.register_stack(StackWrapper(name="prod", components=[
        store.get_stack_component(ORCH, "default"),
        store.get_stack_component(StackComponentType.ARTIFACT_STORE, "default")]))
    assert store.stack_configurations["prod"][ORCH] == "default"
    text = (root / "stacks/prod.yaml").read_text()
    (root / "stacks/prod.yaml").write_text(text.replace("orchestrator: default",
                                                        "orchestrator: kf"))
    assert store.stack_configurations["prod"][ORCH] == "kf"
    assert store.get_stack("prod").get_component_wrapper(ORCH).name == "kf"  # type: ignore[union-attr]
    (root / "users/handmade.yaml").write_text("# by hand\nemail: h@example.com\n")
    assert "handmade" in [u.name for u in store.users]
    (root / "users/handmade.yaml").unlink()
    assert "handmade" not in [u.name for u in store.users]
    (root / "stacks/prod.yaml").rename(root / "stacks/renamed.yaml")
    assert sorted(store.stack_configurations) == ["default", "renamed"]


def test_a_checkout_is_seen_on_the_next_call(store: GitZenStore) -> None:
    root = store.repo.root
    store.create_user("alice")
    git(root, "branch", "before-bob")
    store.create_user("bob")
    store.register_stack_component(component("orchestrator", "kf", "kubeflow"))
    assert [u.name for u in store.users] == ["alice", "bob", "default"]
    git(root, "checkout", "-q", "before-bob")
    assert [u.name for u in store.users] == ["alice", "default"]
    assert [c.name for c in store.get_stack_components(ORCH)] == ["default"]
    store.create_user("carol")  # written on the checked-out branch
    assert git(root, "log", "-1", "--format=%s", "before-bob").strip() == (
        "gitstore: create user carol")
    git(root, "checkout", "-q", "main")
    assert [u.name for u in store.users] == ["alice", "bob", "default"]
    assert [c.name for c in store.get_stack_components(ORCH)] == ["default", "kf"]
    store.create_user("dave")
    assert git(root, "show", "--stat", "--format=", "HEAD").count("|") == 1
    assert status(root) == ""


def test_a_new_folder_of_components_made_by_hand_is_seen(store: GitZenStore) -> None:
    root = store.repo.root
    assert store.get_stack_components(StackComponentType.STEP_OPERATOR) == []
    folder = root / "components/step_operator"
    folder.mkdir(parents=True)
    (folder / "sm.yaml").write_text("flavor: sagemaker\nconfig: {role: r, instance_type: t}\n")
    assert [c.name for c in store.get_stack_components(StackComponentType.STEP_OPERATOR)] == [
        "sm"]
    (folder / "sm2.yaml").write_text("flavor: sagemaker\nconfig: {role: r, instance_type: t}\n")
    assert [c.name for c in store.get_stack_components(StackComponentType.STEP_OPERATOR)] == [
        "sm", "sm2"]


def test_a_read_after_a_write_takes_the_writes_snapshot_unless_the_files_differ(
        store: GitZenStore) -> None:
    """The read after a store's own write reads the written files again; when they hold
    what the write wrote, the write's checked snapshot is taken whole (nothing is patched
    twice), and when a hand edit changed one meanwhile, the edit is what the read sees."""
    root = store.repo.root
    opened = GitZenStore().initialize(str(root))  # a store opened on a repository that exists
    reader, writer = opened._reader, opened._writer
    assert reader is not None and writer is not None
    opened.get_stack("default")
    for name in ("ann", "amy"):
        opened.create_user(name)
        assert opened.get_user(name).name == name
        current = reader.last_read
        assert current is not None and writer._last is not None
        if reader.watcher is not None:  # followed by file events: the write's tables, shared
            assert current.snapshot.documents is writer._last.tree.snapshot.documents
        assert current.snapshot.label in ("working tree", "working tree + changes")
    assert {u.name for u in GitZenStore().initialize(str(root)).users} == {
        u.name for u in opened.users} == {"default", "ann", "amy"}

    opened.create_user("ben")
    mine = "5b0c6a3e-8d1f-4c1e-9a57-2f3c0d4e5a61"
    (root / "users" / "ben.yaml").write_text(f"id: {mine}\n")  # before any read
    assert str(opened.get_user("ben").id) == mine
    assert opened.get_user("ann").name == "ann"
