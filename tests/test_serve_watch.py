"""The server's watch on the working tree: every change is noticed, also in new folders."""

from __future__ import annotations

import time
from pathlib import Path

from gitstore.serve.state import ServerState
from gitstore.serve.watch import start_watch


def test_every_change_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "users").mkdir()
    (tmp_path / ".git").mkdir()
    watch = start_watch(tmp_path)
    assert watch is not None, "inotify is expected on Linux"
    try:
        assert not watch.changed()
        (tmp_path / "users" / "a.yaml").write_text("email: a@example.com\n")
        assert watch.changed()
        assert not watch.changed()
        (tmp_path / ".git" / "index").write_text("ignored")  # git's own files are not watched
        assert not watch.changed()
        (tmp_path / "flavors" / "orchestrator").mkdir(parents=True)
        assert watch.changed()
        (tmp_path / "flavors" / "orchestrator" / "x.yaml").write_text("source: a.B\n")
        assert watch.changed()  # a folder made after the start is watched too
        (tmp_path / "users" / "a.yaml").rename(tmp_path / "users" / "b.yaml")
        assert watch.changed()
    finally:
        watch.close()


def test_freshness_follows_the_watch(tmp_path: Path) -> None:
    watch = start_watch(tmp_path)
    assert watch is not None
    state = ServerState(store=None, gate=None, watch=watch)  # type: ignore[arg-type]
    first = state.fresh_after(time.monotonic())
    assert state.fresh_after(time.monotonic()) == first  # nothing changed: earlier reads hold
    (tmp_path / "gitstore.yaml").write_text("format: 1\n")
    later = time.monotonic()
    assert state.fresh_after(later) > first  # a change: only reads made after it
    unwatched = ServerState(store=None, gate=None)  # type: ignore[arg-type]
    assert unwatched.fresh_after(later) == later  # no watch: only reads after arrival
    watch.close()
