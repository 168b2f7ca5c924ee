"""GitZenStore.consistent_reads: one state per block, writes seen, reuse only when fresh."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitstore import GitZenStore
from gitstore.plumbing import vcs


@pytest.fixture
def store(tmp_path: Path) -> GitZenStore:
    return GitZenStore().initialize(str(tmp_path / "config"))


def test_one_state_per_block_and_each_write_seen(store: GitZenStore) -> None:
    users = store.repo.root / "users"
    with store.consistent_reads():
        assert [u.name for u in store.users] == ["default"]
        (users / "carol.yaml").write_text("{}\n")  # an edit in the middle of the block...
        assert [u.name for u in store.users] == ["default"]  # ...is not half-seen
        store.create_user("dave")  # but the block's own writes are
        assert [u.name for u in store.users] == ["carol", "dave", "default"]
    assert store.get_user("carol").name == "carol"


def test_an_earlier_read_serves_only_requests_that_came_before_it(store: GitZenStore) -> None:
    assert store.users  # a read
    arrived = time.monotonic()
    (store.repo.root / "users" / "erin.yaml").write_text("{}\n")
    with store.consistent_reads(fresh_after=arrived):  # the read before is too old
        assert "erin" in [u.name for u in store.users]
    later = time.monotonic()
    time.sleep(0.01)
    with store.consistent_reads(fresh_after=later - 1):  # the read above is recent enough
        (store.repo.root / "users" / "frank.yaml").write_text("{}\n")
        assert "frank" not in [u.name for u in store.users]
    store.create_user("gina")  # a write: no earlier read serves again
    with store.consistent_reads(fresh_after=0.0):
        names = [u.name for u in store.users]
    assert "frank" in names and "gina" in names


def test_commits_are_authored_as_asked(store: GitZenStore) -> None:
    with vcs.commit_author("alice", "alice@example.com"):
        store.create_team("ml")
    store.create_team("ops")
    log = vcs.run(["log", "--format=%an <%ae>|%cn|%s", "-2"], cwd=store.repo.root).decode()
    assert log.splitlines() == [
        "Test Author <author@example.com>|Test Author|gitstore: create team ops",
        "alice <alice@example.com>|Test Author|gitstore: create team ml",
    ]
