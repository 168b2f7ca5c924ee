"""Reads beside writes: answered from the last published model while a write commits,
and still seeing every acknowledged write, hand edit and commit."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from conftest import GITSTORE, git
from serve_helpers import Answer, Server, new_repository, serving

from gitstore.exceptions import ReadOnlyStoreError
from gitstore.plumbing.locking import file_lock
from gitstore.serve.model import take
from gitstore.store import GitZenStore
from gitstore.store.transaction import Journal

HELD = 6.0  # seconds the test holds the write lock


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return new_repository(tmp_path)


@pytest.fixture
def server(repo: Path, tmp_path: Path) -> Server:
    env = {**os.environ, "GITSTORE_LOCK_TIMEOUT": "60"}
    with serving([str(repo)], cwd=tmp_path, env=env) as running:
        yield running


def in_thread(server: Server, method: str, path: str, body: object = None
              ) -> tuple[threading.Thread, list[Answer]]:
    answers: list[Answer] = []
    thread = threading.Thread(target=lambda: answers.append(server.call(method, path, body)))
    thread.start()
    return thread, answers


def test_reads_are_answered_while_a_write_waits_for_the_lock(server: Server, repo: Path) -> None:
    assert server.call("GET", "/users/aria").status == 404
    with file_lock(repo / ".git" / "gitstore" / "write.lock", 5):  # as another writer would
        writing, written = in_thread(server, "POST", "/users", {"name": "aria"})
        time.sleep(0.5)  # the write is on the store thread now, waiting for the lock
        started = time.monotonic()
        for _ in range(20):
            stack = server.call("GET", "/stacks/default", timeout=HELD / 2)
            assert stack.status == 200 and stack.body["name"] == "default"
        assert server.call("GET", "/users/aria", timeout=HELD / 2).status == 404  # not yet
        assert server.call("GET", "/users", timeout=HELD / 2).status == 200
        assert time.monotonic() - started < HELD / 2
        assert writing.is_alive() and not written, "the write should still wait for the lock"
        time.sleep(HELD - (time.monotonic() - started))
        assert writing.is_alive()
    writing.join(30)
    assert written and written[0].status == 200
    assert server.call("GET", "/users/aria").body["name"] == "aria"  # the client's next read
    assert git(repo, "log", "-1", "--format=%s").strip() == "gitstore: create user aria"


def test_a_hand_edit_during_a_write_is_seen_by_the_next_read(server: Server, repo: Path) -> None:
    with file_lock(repo / ".git" / "gitstore" / "write.lock", 5):
        writing, written = in_thread(server, "POST", "/users", {"name": "aria"})
        time.sleep(0.5)
        (repo / "users" / "carol.yaml").write_text("email: carol@example.com\n")
        # the store thread is busy with the write: the read may wait for it, but it must not
        # answer from the model taken before the edit
        reading, read = in_thread(server, "GET", "/users/carol")
        time.sleep(1.0)
    writing.join(30)
    reading.join(30)
    assert written[0].status == 200
    assert read[0].status == 200 and read[0].body["name"] == "carol"


def test_every_acknowledged_write_is_in_the_next_read(server: Server, repo: Path) -> None:
    failures: list[str] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        for k in range(8):
            name = f"w{n}-{k}"
            made = server.call("POST", "/users" if k % 2 else "/teams", {"name": name})
            if made.status != 200:
                failures.append(f"{name}: {made.status} {made.text}")
                continue
            seen = server.call("GET", f"/users/{name}" if k % 2 else f"/teams/{name}")
            if seen.status != 200 or seen.body["name"] != name:
                failures.append(f"{name} acknowledged, then not read: {seen.status}")

    def reader() -> None:
        while not stop.is_set():
            answer = server.call("GET", "/stacks/default")
            if answer.status != 200:
                failures.append(f"read: {answer.status}")

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join(120)
    stop.set()
    for thread in readers:
        thread.join(30)
    assert failures == []
    subjects = git(repo, "log", "--format=%s").splitlines()
    assert sum(s.startswith("gitstore: create ") for s in subjects) == 32


def test_a_commit_by_hand_is_seen_by_the_next_read(server: Server, repo: Path) -> None:
    (repo / "users" / "carol.yaml").write_text("email: carol@example.com\n")
    fresh = server.call("GET", "/users/carol").body["creation_date"]
    assert not fresh.startswith("2001-")  # not committed: dated by its last write
    git(repo, "add", "users/carol.yaml")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2001-02-03T04:05:06Z"}
    subprocess.run(["git", "commit", "-qm", "carol"], cwd=repo, env=env, check=True)
    # only HEAD moved (nothing in the working tree): the date comes from the commit
    assert server.call("GET", "/users/carol").body["creation_date"].startswith("2001-02-03")


def test_a_model_is_a_read_only_view_of_one_state(repo: Path) -> None:
    store = GitZenStore().initialize(str(repo), skip_default_registrations=True)
    model = take(store, 1)
    store.create_user("aria")
    assert [u.name for u in store.users] == ["aria", "default"]
    assert [u.name for u in model.view.users] == ["default"]  # the state it was taken at
    with pytest.raises(ReadOnlyStoreError):
        model.view.create_user("bob")
    assert take(store, 2).view.get_user("aria").name == "aria"
    assert model.head != take(store, 3).head


def test_a_write_in_flight_explains_its_own_files_only(tmp_path: Path) -> None:
    flight = Journal("a" * 40, "b" * 40, ["users/aria.yaml", "flavors/x/y.yaml"])
    fd, real_temporary = tempfile.mkstemp(prefix=".aria.yaml.", dir=tmp_path)  # as replace_file
    os.close(fd)
    assert flight.explains("users/" + Path(real_temporary).name)
    assert flight.explains("users/aria.yaml")
    assert flight.explains("users/.aria.yaml.k2j4_x9q")  # the atomic write's temporary file
    assert flight.explains("flavors") and flight.explains("flavors/x")  # folders made for it
    assert not flight.explains("users/carol.yaml")
    assert not flight.explains("users/.carol.yaml.k2j4_x9q")
    assert not flight.explains("users/.aria.yaml.tmp")


def test_writes_that_wait_together_land_together_each_its_own_commit(server: Server,
                                                                     repo: Path) -> None:
    """Writes queued while the store is busy land as one batch: each its own commit, the
    branch moved once for them; every write is answered only once it has landed."""
    assert server.call("POST", "/users", {"name": "first"}).status == 200
    names = [f"burst-{i}" for i in range(16)]
    with file_lock(repo / ".git" / "gitstore" / "write.lock", 5):  # the store is busy
        started = [in_thread(server, "POST", "/users", {"name": name}) for name in names]
        time.sleep(1.0)
        assert all(not answers for _, answers in started)
    for thread, _ in started:
        thread.join(60)
    assert [answers[0].status for _, answers in started] == [200] * len(names)
    made = [s for s in git(repo, "log", "--format=%s").splitlines() if "burst-" in s]
    assert sorted(made) == sorted(f"gitstore: create user {name}" for name in names)
    moves = [m for m in git(repo, "reflog", "--format=%gs").splitlines() if "burst-" in m]
    assert len(moves) < len(names) and any(m.endswith(" more") for m in moves), moves
    for name in names:
        assert server.call("GET", f"/users/{name}").status == 200
    assert git(repo, "status", "--porcelain") == ""
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=repo, capture_output=True, text=True)
    assert fsck.returncode == 0 and "error" not in fsck.stdout + fsck.stderr
    checked = subprocess.run([str(GITSTORE), "validate", str(repo)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
