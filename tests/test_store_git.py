"""What git adds to the store: one commit per write, refusals, hand edits, at(rev)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from store_helpers import commit_count, component, last_commit, status

from gitstore import GitZenStore
from gitstore.errors import UnknownRevision
from gitstore.exceptions import IntegrityError, ReadOnlyStoreError, UncommittedChangesError
from gitstore.models import StackComponentType, StackWrapper

ORCH = StackComponentType.ORCHESTRATOR

HAND_WRITTEN_STACK = """\
# Production stack: reviewed by the platform team.
description: "Production on Kubeflow"   # shown in the dashboard
components:
  orchestrator: default     # the local one, for now
  artifact_store: 'default'
  metadata_store: default
"""


@pytest.fixture
def store(tmp_path: Path) -> GitZenStore:
    return GitZenStore().initialize(str(tmp_path / "config"))


def snapshot_state(root: Path) -> tuple[str, str, str, dict[str, bytes]]:
    """HEAD, status, staged diff and every file's bytes: what a refused write must not change."""
    files = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }
    return (git(root, "rev-parse", "HEAD"), status(root), git(root, "diff", "--cached"), files)


def test_each_write_is_one_commit_by_the_environment_identity(store, monkeypatch):
    root = store.repo.root
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Carol Example")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "carol@example.com")
    store.create_user("carol")
    store.create_team("ml")
    assert commit_count(root) == 3
    assert git(root, "log", "-2", "--format=%s|%an <%ae>").splitlines() == [
        "gitstore: create team ml|Carol Example <carol@example.com>",
        "gitstore: create user carol|Carol Example <carol@example.com>",
    ]
    assert status(root) == ""


def test_unrelated_staged_changes_are_not_committed_and_stay_staged(store):
    root = store.repo.root
    write_files(root, {"README.md": "notes\n", "users/bob.yaml": "email: bob@example.com\n"})
    git(root, "add", "README.md", "users/bob.yaml")
    store.create_user("alice")
    assert last_commit(root) == ("gitstore: create user alice", ["users/alice.yaml"])
    assert git(root, "diff", "--cached", "--name-only").split() == ["README.md", "users/bob.yaml"]
    assert status(root) == "A  README.md\nA  users/bob.yaml\n"


def test_uncommitted_edit_of_a_needed_file_is_refused(store):
    root = store.repo.root
    (root / "stacks/default.yaml").write_text(HAND_WRITTEN_STACK)
    before = snapshot_state(root)
    default = store.get_stack("default")
    with pytest.raises(UncommittedChangesError) as info:
        store.update_stack(
            "default", StackWrapper(name="default", components=default.components[:1])
        )
    assert str(info.value) == (
        "refusing to write: uncommitted changes in stacks/default.yaml; commit or stash them first"
    )
    assert snapshot_state(root) == before


def test_staged_edit_of_a_needed_file_is_refused(store):
    root = store.repo.root
    (root / "stacks/default.yaml").write_text(HAND_WRITTEN_STACK)
    git(root, "add", "stacks/default.yaml")
    (root / "stacks/default.yaml").write_text(HAND_WRITTEN_STACK.replace("# Production", "# Prod"))
    before = snapshot_state(root)
    with pytest.raises(UncommittedChangesError):
        store.deregister_stack("default")
    assert snapshot_state(root) == before


def test_untracked_file_in_the_way_is_refused(store):
    root = store.repo.root
    (root / "users/alice.yaml").write_text("email: mine@example.com\n")
    before = snapshot_state(root)
    with pytest.raises(UncommittedChangesError, match="users/alice.yaml"):
        store.create_user("alice")
    assert snapshot_state(root) == before


def test_integrity_failure_leaves_repository_index_and_worktree_untouched(store):
    root = store.repo.root
    write_files(root, {"notes.txt": "x\n", "users/zed.yaml": "{}\n"})
    git(root, "add", "notes.txt")
    before = snapshot_state(root)
    with pytest.raises(IntegrityError) as info:
        store.register_stack_component(component("orchestrator", "bad", "no-such-flavor"))
    assert str(info.value).splitlines()[0] == (
        "register orchestrator bad would break the repository; nothing was changed:"
    )
    assert snapshot_state(root) == before


def test_hand_written_file_keeps_comments_order_and_quoting(store):
    root = store.repo.root
    (root / "stacks/default.yaml").write_text(HAND_WRITTEN_STACK)
    git(root, "commit", "-qam", "hand edit")
    kfp = component("orchestrator", "kfp", "kubeflow")
    current = store.get_stack("default").components
    store.update_stack("default", StackWrapper(name="default", components=[kfp, *current[1:]]))
    diff = git(root, "diff", "-U0", "HEAD~1", "HEAD", "--", "stacks/default.yaml")
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        "-  orchestrator: default     # the local one, for now",
        "+  orchestrator: kfp         # the local one, for now",
    ]


def test_component_edit_keeps_unchanged_config_lines(store):
    root = store.repo.root
    write_files(
        root,
        {
            "components/orchestrator/kfp.yaml": (
                "# owned by platform\nflavor: kubeflow\nconfig:\n"
                "  kubernetes_context: 'prod'  # cluster\n  synchronous: true\n"
            )
        },
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "kfp")
    store.update_stack_component(
        "kfp",
        ORCH,
        component(
            "orchestrator", "kfp", "kubeflow", {"kubernetes_context": "prod", "synchronous": False}
        ),
    )
    assert (root / "components/orchestrator/kfp.yaml").read_text() == (
        "# owned by platform\nflavor: kubeflow\nconfig:\n  kubernetes_context: 'prod'  # cluster\n"
        "  synchronous: false\n"
    )


def test_reads_see_hand_edits_without_reopening(store):
    root = store.repo.root
    assert [u.name for u in store.users] == ["default"]
    (root / "users/zoe.yaml").write_text("id: 6f1c1c1e-2b6a-4d3e-9a57-5c0f9e7d4a21\n")
    assert [u.name for u in store.users] == ["default", "zoe"]
    (root / "users/zoe.yaml").write_text("id: 7f1c1c1e-2b6a-4d3e-9a57-5c0f9e7d4a21\n")
    assert str(store.get_user("zoe").id) == "7f1c1c1e-2b6a-4d3e-9a57-5c0f9e7d4a21"
    (root / "users/zoe.yaml").unlink()
    with pytest.raises(KeyError):
        store.get_user("zoe")


def count_reads(monkeypatch: pytest.MonkeyPatch, root: Path) -> tuple[list[str], list[str]]:
    """Record every working-tree file the store reads and every file it parses."""
    import gitstore.checks.files as checks
    from gitstore.store.state import StatWorkTreeSource

    reads: list[str] = []
    parses: list[str] = []
    read_file, check_file = StatWorkTreeSource.read_file, checks.check_file

    def counting_read(full: str | Path) -> bytes:
        reads.append(Path(full).relative_to(root).as_posix())
        return read_file(full)

    def counting_check(ref, path, raw):  # type: ignore[no-untyped-def]
        parses.append(path)
        return check_file(ref, path, raw)

    monkeypatch.setattr(StatWorkTreeSource, "read_file", staticmethod(counting_read))
    monkeypatch.setattr(checks, "check_file", counting_check)
    return reads, parses


def settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let every file be old enough for its stat to be trusted (a short window, for speed)."""
    from gitstore.store import state

    monkeypatch.setattr(state, "RACY_SECONDS", 0.2)
    time.sleep(0.3)


def test_reads_after_the_first_do_not_read_unchanged_files(store, monkeypatch):
    root = store.repo.root
    settle(monkeypatch)
    store.get_stack("default")  # first load: remembers every file's stat
    reads, parses = count_reads(monkeypatch, root)
    store.get_stack("default")
    assert store.stack_configurations
    assert store.users
    assert (reads, parses) == ([], [])
    (root / "users/default.yaml").write_text("id: 7f1c1c1e-2b6a-4d3e-9a57-5c0f9e7d4a21\n")
    assert str(store.get_user("default").id) == "7f1c1c1e-2b6a-4d3e-9a57-5c0f9e7d4a21"
    assert (reads, parses) == (["users/default.yaml"], ["users/default.yaml"])


def test_a_new_store_reuses_what_the_last_one_read(store, monkeypatch):
    root = store.repo.root
    settle(monkeypatch)
    store.get_stack("default")
    (root / "stacks/default.yaml").write_text(HAND_WRITTEN_STACK)
    reads, parses = count_reads(monkeypatch, root)
    again = GitZenStore().initialize(str(root))
    assert again.get_stack_configuration("default")[ORCH] == "default"
    assert set(reads) == {"stacks/default.yaml"}  # read at each listing while it is this new
    assert parses == ["stacks/default.yaml"]


def test_at_rev_is_a_read_only_view(store):
    root = store.repo.root
    store.create_user("alice")
    store.create_user("bob")
    old = store.at("HEAD~1")
    assert [u.name for u in old.users] == ["alice", "default"]
    assert [u.name for u in store.at("HEAD~2").users] == ["default"]
    assert [u.name for u in store.users] == ["alice", "bob", "default"]
    head = git(root, "rev-parse", "HEAD")
    with pytest.raises(ReadOnlyStoreError):
        old.create_user("carol")
    with pytest.raises(ReadOnlyStoreError):
        old.register_stack(StackWrapper(name="x", components=[]))
    assert git(root, "rev-parse", "HEAD") == head
    with pytest.raises(UnknownRevision):
        store.at("no-such-rev")


def test_at_rev_ignores_uncommitted_edits(store):
    root = store.repo.root
    (root / "users/default.yaml").unlink()
    assert store.users == []
    assert [u.name for u in store.at("HEAD").users] == ["default"]


def test_configuration_in_a_subfolder_of_a_git_repository(tmp_path):
    top = tmp_path / "monorepo"
    top.mkdir()
    git(top, "init", "-q")
    write_files(top, {"README.md": "monorepo\n"})
    git(top, "add", "-A")
    git(top, "commit", "-qm", "initial")
    store = GitZenStore().initialize(str(top / "platform"))
    store.create_user("alice")
    assert last_commit(top) == ("gitstore: create user alice", ["platform/users/alice.yaml"])
    assert [u.name for u in store.at("HEAD").users] == ["alice", "default"]
    assert status(top) == ""
    assert run_cli("validate", cwd=top / "platform").code == 0


def test_write_on_a_detached_head_moves_head_only(store):
    root = store.repo.root
    git(root, "checkout", "-q", "--detach")
    store.create_user("alice")
    assert git(root, "rev-parse", "main") != git(root, "rev-parse", "HEAD")
    assert last_commit(root)[0] == "gitstore: create user alice"


def test_a_commit_landing_mid_write_is_kept_and_the_write_replayed(store):
    from gitstore.store import writer
    from gitstore.store.transaction import Operation

    root = store.repo.root
    calls: list[str | None] = []

    def plan(tree):  # type: ignore[no-untyped-def]
        calls.append(tree.snapshot.label)
        if len(calls) == 1:  # someone commits after this write planned against HEAD
            write_files(root, {"users/bob.yaml": "{}\n"})
            git(root, "add", "users/bob.yaml")
            git(root, "commit", "-qm", "add bob by hand")
        return {"users/carol.yaml": writer.new_file("users/carol.yaml", {"email": "carol@example.com"})}

    assert store._writer is not None
    store._writer.apply(Operation("create user carol", plan))
    assert len(calls) == 2
    assert git(root, "log", "-3", "--format=%s").splitlines() == [
        "gitstore: create user carol",
        "add bob by hand",
        "gitstore: initialize configuration repository",
    ]
    assert [u.name for u in store.users] == ["bob", "carol", "default"]
    assert status(root) == ""
