"""Two `gitstore serve --remote URL` sharing one bare remote: concurrent writes, nothing lost."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

from conftest import GITSTORE, git
from serve_helpers import Server, serving

WRITERS_PER_SERVER = 3
WRITES_PER_WRITER = 4


def test_two_servers_on_one_remote_lose_nothing(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    subprocess.run([str(GITSTORE), "init", str(seed)], check=True, capture_output=True)
    bare = tmp_path / "shared.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(bare))
    url = f"file://{bare}"
    # two machines: each server has its own cache of clones
    env_a = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache-a")}
    env_b = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache-b")}
    with serving(["--remote", url], cwd=tmp_path, env=env_a) as a, \
            serving(["--remote", url], cwd=tmp_path, env=env_b) as b:
        acknowledged: list[str] = []
        answers: list[tuple[str, int, str]] = []
        lock = threading.Lock()

        def writer(server: Server, label: str) -> None:
            for n in range(WRITES_PER_WRITER):
                name = f"{label}-{n}"
                answer = server.call("POST", "/users", {"name": name})
                with lock:
                    answers.append((name, answer.status, answer.text))
                    if answer.status == 200:
                        acknowledged.append(name)

        threads = [threading.Thread(target=writer, args=(server, f"{tag}{i}"))
                   for tag, server in (("a", a), ("b", b)) for i in range(WRITERS_PER_SERVER)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not [t for t in threads if t.is_alive()]
        failed = [x for x in answers if x[1] != 200]
        assert not failed, failed
        assert len(acknowledged) == 2 * WRITERS_PER_SERVER * WRITES_PER_WRITER

        # each server sees what the other wrote, and what was pushed by hand
        names_a = {u["name"] for u in a.call("GET", "/users").body}
        assert set(acknowledged) <= names_a
        hand = tmp_path / "hand"
        git(tmp_path, "clone", "-q", url, str(hand))
        (hand / "users" / "pushed-by-hand.yaml").write_text("email: hand@example.com\n")
        git(hand, "add", "-A")
        git(hand, "commit", "-qm", "a user pushed by hand")
        git(hand, "push", "-q", "origin", "HEAD:main")
        assert b.call("GET", "/users/pushed-by-hand").status == 200

    authors = git(bare, "log", "--format=%an|%s", "main").splitlines()
    assert all(line.startswith("default|") for line in authors if "create user" in line)
    history = git(bare, "log", "--format=%s", "main").splitlines()
    for name in acknowledged:
        assert history.count(f"gitstore: create user {name}") == 1, name
    tree = git(bare, "ls-tree", "--name-only", "main", "users/").split()
    assert {f"users/{n}.yaml" for n in acknowledged} <= set(tree)
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=bare, capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr
