"""The server's watch on the working tree: every change is noticed, also in new folders."""

from __future__ import annotations

import time
from pathlib import Path

from gitstore.serve.state import ServerState
from gitstore.serve.watch import start_watch


def test_every_change_is_noticed_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "users").mkdir()
    (tmp_path / ".git").mkdir()
    watch = start_watch(tmp_path)
    assert watch is not None, "inotify is expected on Linux"
    try:
        assert watch.changes() == set()
        (tmp_path / "users" / "a.yaml").write_text("email: a@example.com\n")
        assert watch.changes() == {"users/a.yaml"}
        assert watch.changes() == set()
        (tmp_path / ".git" / "index").write_text("ignored")  # git's own files are not watched
        assert watch.changes() == set()
        (tmp_path / "flavors" / "orchestrator").mkdir(parents=True)
        assert watch.changes() == {"flavors"}
        (tmp_path / "flavors" / "orchestrator" / "x.yaml").write_text("source: a.B\n")
        # a folder made after the start is watched too
        assert "flavors/orchestrator/x.yaml" in (watch.changes() or set())
        (tmp_path / "users" / "a.yaml").rename(tmp_path / "users" / "b.yaml")
        assert watch.changes() == {"users/a.yaml", "users/b.yaml"}
    finally:
        watch.close()


def test_freshness_of_store_calls(tmp_path: Path) -> None:
    watch = start_watch(tmp_path)
    assert watch is not None
    watched = ServerState(store=None, gate=None, watch=watch)  # type: ignore[arg-type]
    assert watched.fresh_after(time.monotonic()) is None  # the store's reader follows changes
    unwatched = ServerState(store=None, gate=None)  # type: ignore[arg-type]
    later = time.monotonic()
    assert unwatched.fresh_after(later) == later  # no watch: only reads after arrival
    watch.close()
