"""Validation resumed from the last whole result reports exactly what a full check reports.

The state kept next to the per-file results (``validate-state-<source>``) lets a
run read only the files that changed and re-check only what they touch. Random
changes (adds, edits, deletes, renames, injected errors, custom flavor edits) in
all three modes must give the report ``use_cache=False`` gives, with the resumed
path actually taken; a damaged or foreign state file falls back to a full check.
"""

from __future__ import annotations

import marshal
import os
import random
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli
from parts_file import flip, join_state, replaced, split_state, with_header, with_parts
from test_incremental import random_walk

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import INJECTABLE, generate  # noqa: E402
from gitstore.checks import resume as resume_module  # noqa: E402
from gitstore.checks.resume import (  # noqa: E402
    CORE,
    DOCUMENTS,
    LISTING,
    PRESENT,
    REFERRERS,
    STATE_FILE,
    changed_records,
    load_state,
    save_state,
)
from gitstore.plumbing.cache import CACHE_FILE, REPORTS_FILE  # noqa: E402
from gitstore.plumbing.parts import BUCKETS, DamagedState, Parts  # noqa: E402
from gitstore.plumbing.sources import Source, find_config_repo  # noqa: E402
from gitstore.validate import validate  # noqa: E402


class Counting:
    """Wraps :func:`gitstore.checks.resume.resume` and ``resume_raw`` (the index's path),
    counting the runs they answered."""

    def __init__(self) -> None:
        self.answered = 0
        self.declined = 0

    def wrap(self, inner: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any) -> Any:
            found = inner(*args)
            if found is None:
                self.declined += 1
            else:
                self.answered += 1
            return found

        return counted


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counter = Counting()
    for name in ("resume", "resume_raw"):
        monkeypatch.setattr(resume_module, name, counter.wrap(getattr(resume_module, name)))
    return counter


def sources(root: Path) -> dict[str, Callable[[], Source]]:
    repo = find_config_repo(root)
    return {"working tree": repo.worktree, "index": repo.index,
            "HEAD": lambda: repo.commit("HEAD")}


def forget_reports(root: Path) -> None:
    """Drop the whole results kept by listing, so every run goes through the state."""
    (root / ".git" / "gitstore" / REPORTS_FILE).unlink(missing_ok=True)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_resumed_reports_equal_a_full_check_through_random_changes(
        tmp_path: Path, seed: int, counting: Counting) -> None:
    rng = random.Random(seed)
    gen = generate(tmp_path / "repo", files=120, seed=seed, rules=rng.sample(INJECTABLE, 3))
    root = gen.root
    history: list[str] = []
    for source_of in sources(root).values():
        validate(source_of())  # keeps a state per kind of source
    for _ in random_walk(gen, rng, history, steps=12, most=2):
        for mode, source_of in sources(root).items():
            forget_reports(root)
            warm = validate(source_of())
            cold = validate(source_of(), use_cache=False)
            assert warm == cold, f"{mode} differs after {history[-1]}; steps: {history}"
    assert counting.answered >= 12, (counting.answered, counting.declined)


def test_many_small_changes_keep_resuming_and_rewrite_the_state(tmp_path: Path,
                                                                  counting: Counting) -> None:
    gen = generate(tmp_path / "repo", files=150, seed=3)
    root = gen.root
    repo = find_config_repo(root)
    validate(repo.index())
    state = root / ".git" / "gitstore" / (STATE_FILE + "indexsource")
    first = state.read_bytes()
    users = sorted((root / "users").glob("*.yaml"))
    for count, user in enumerate(users[:20], 1):
        user.unlink()  # teams naming them now fail (GS205), with a hint from the names left
        git(root, "add", "-A")
        forget_reports(root)
        assert validate(repo.index()) == validate(repo.index(), use_cache=False), count
    assert counting.answered == 20 and counting.declined == 0
    assert state.read_bytes() != first, "a state far from the files is written again"


def test_a_one_file_change_reads_that_file_and_not_the_per_file_results(tmp_path: Path) -> None:
    gen = generate(tmp_path / "repo", files=120, seed=4)
    root = gen.root
    repo = find_config_repo(root)
    validate(repo.index())
    cache = root / ".git" / "gitstore" / CACHE_FILE
    cache.unlink()  # the state alone answers
    target = sorted((root / "components" / "orchestrator").glob("*.yaml"))[0]
    target.write_text(target.read_text(encoding="utf-8").replace("flavor:", "flavour:", 1),
                      encoding="utf-8")
    git(root, "add", "-A")
    report = validate(repo.index())
    assert report == validate(repo.index(), use_cache=False)
    assert not report.ok()
    assert not cache.exists(), "the per-file results were neither needed nor rewritten"


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "random bytes": lambda good: os.urandom(4096),
    "truncated": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "foreign marshal": lambda good: marshal.dumps({"some": "other tool"}),
    "the older format": lambda good: marshal.dumps(("gitstore-state-2", *([{}] * 14))),
    "the format before the entity files were kept in parts": lambda good: with_parts(
        with_header(good, lambda h: ("gitstore-state-3", *h[1:])),
        lambda parts: [parts[CORE], parts[LISTING], marshal.dumps(set()),
                       *parts[DOCUMENTS:PRESENT]]),
    "old tag": lambda good: with_header(good, lambda h: ("gitstore-state-0", *h[1:])),
    "other code": lambda good: with_header(good, lambda h: (h[0], "other", *h[2:])),
    "fields of the wrong type": lambda good: with_parts(good, replaced(0, tuple([[]] * 12))),
    "a part missing": lambda good: with_parts(good, lambda parts: parts[:-1]),
    "a part too many": lambda good: with_parts(good, lambda parts: [*parts, parts[-1]]),
    "trailing bytes": lambda good: good + b"\0",
    "every part damaged, checksums kept": lambda good: with_parts(
        good, lambda parts: [flip(p) for p in parts], sums=False),
    "the listing damaged, checksum kept": lambda good: with_parts(
        good, lambda parts: [flip(p) if i == LISTING else p for i, p in enumerate(parts)],
        sums=False),
    "the entity files damaged, checksums kept": lambda good: with_parts(
        good, lambda parts: [flip(p) if i >= PRESENT else p for i, p in enumerate(parts)],
        sums=False),
    "documents of the wrong shape": lambda good: with_parts(
        good, lambda parts: [*parts[:DOCUMENTS], *[marshal.dumps({"x": 1})] * BUCKETS,
                             *parts[REFERRERS:]]),
    "referrers of the wrong shape": lambda good: with_parts(
        good, lambda parts: [*parts[:REFERRERS], *[marshal.dumps([])] * BUCKETS,
                             *parts[PRESENT:]]),
    "entity files of the wrong shape": lambda good: with_parts(
        good, lambda parts: [*parts[:PRESENT], *[marshal.dumps({1, 2})] * BUCKETS]),
}


@pytest.mark.parametrize("damage", [*DAMAGE, "directory"])
def test_damaged_state_falls_back_to_a_full_check(tmp_path: Path, damage: str) -> None:
    gen = generate(tmp_path / "repo", files=80, seed=5, rules=["GS203", "GS205"])
    root = gen.root
    for source_of in sources(root).values():
        validate(source_of())
    target = sorted((root / "users").glob("*.yaml"))[0]
    target.unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", "one user less")
    for name in os.listdir(root / ".git" / "gitstore"):
        if not name.startswith(STATE_FILE):
            continue
        path = root / ".git" / "gitstore" / name
        if damage == "directory":
            path.unlink()
            path.mkdir()
            (path / "x").write_text("x")
        else:
            path.write_bytes(DAMAGE[damage](path.read_bytes()))
    forget_reports(root)
    for mode, source_of in sources(root).items():
        assert validate(source_of()) == validate(source_of(), use_cache=False), mode
    result = run_cli("validate", "--staged", cwd=root)
    assert result.code == 1 and "Traceback" not in result.out + result.err


def test_a_part_not_read_is_checked_before_it_is_written_again(tmp_path: Path) -> None:
    """A run reads only the parts it needs; writing the state copies the others, and a
    damaged one is never passed on with a fresh checksum: the state is dropped instead."""
    gen = generate(tmp_path / "repo", files=80, seed=6)
    repo = find_config_repo(gen.root)
    validate(repo.index())
    path = gen.root / ".git" / "gitstore" / (STATE_FILE + "indexsource")
    header, parts = split_state(path.read_bytes())
    fmt = header[1]
    damaged = [flip(p) if DOCUMENTS <= i < REFERRERS else p for i, p in enumerate(parts)]
    path.write_bytes(join_state(header, damaged, sums=False))
    state = load_state(path, fmt)
    assert state is not None  # only the parts every run needs are read (and sound)
    with pytest.raises(DamagedState):
        state.results.dumps()
    save_state(path, state, fmt)
    assert not path.exists(), "a state with a damaged part is dropped, not written again"
    forget_reports(gen.root)
    assert validate(repo.index()) == validate(repo.index(), use_cache=False)
    assert load_state(path, fmt) is not None


def test_parts_answer_like_a_dict() -> None:
    rng = random.Random(1)
    model = {f"k{rng.randrange(10_000)}": f"v{i}" for i in range(500)}
    parts = Parts.of(dict(model), str)
    for step in range(2_000):
        key = f"k{rng.randrange(10_000)}"
        action = rng.choice(["get", "set", "pop", "contains", "reload"])
        if action == "get":
            assert parts.get(key) == model.get(key)
        elif action == "set":
            parts[key] = model[key] = f"w{step}"
        elif action == "pop":
            assert parts.pop(key) == model.pop(key, None)
        elif action == "contains":
            assert (key in parts) == (key in model)
        else:  # as written and read back, only some parts read
            blobs = parts.dumps()
            parts = Parts([(b, zlib.crc32(b)) for b in blobs], str)
    assert parts.all() == model


@pytest.mark.parametrize("seed", range(6))
def test_changed_records_are_what_sets_of_records_say(seed: int) -> None:
    """The records only one of two sorted listings holds, found while skipping the blocks the
    two share at each end, equal the plain set difference (blocks of every size, edits,
    additions and removals anywhere, including at both ends)."""
    rng = random.Random(seed)
    for _ in range(200):
        paths = sorted({f"p/{rng.randrange(400):03d}{'x' * rng.randrange(4)}"
                        for _ in range(rng.randrange(1, 60))})
        before = {p: f"{rng.randrange(3)}" for p in paths}
        after = dict(before)
        for _ in range(rng.randrange(0, 4)):
            roll = rng.random()
            if roll < 0.4 and after:
                after[rng.choice(sorted(after))] = f"{rng.randrange(3, 9)}"
            elif roll < 0.7 and after:
                del after[rng.choice(sorted(after))]
            else:
                after[f"p/{rng.randrange(400):03d}"] = "9"

        def listing(files: dict[str, str]) -> bytes:
            return b"".join(f"100644 {v * 4} 0\t{p}\0".encode() for p, v in sorted(files.items()))

        old, new = listing(before), listing(after)
        if not old or not new:
            continue
        want_old, want_new = set(old.split(b"\0")), set(new.split(b"\0"))
        for block in (1, 2, 3, 7, 16, 64, 1 << 16):
            assert changed_records(old, new, block) == (want_old - want_new, want_new - want_old)


def test_case_collisions_coming_and_going_are_followed(tmp_path: Path, counting: Counting) -> None:
    """GS024 is found again for the names a change touches, from the few entity paths with
    capitals the state keeps; each step equals a full check, in all three modes."""
    gen = generate(tmp_path / "repo", files=80, seed=8)
    root = gen.root
    for source_of in sources(root).values():
        validate(source_of())
    user = sorted((root / "users").glob("*.yaml"))[0]
    upper = user.with_name(user.stem.upper() + ".yaml")
    mixed = user.with_name(user.stem.capitalize() + ".yaml")
    steps: list[Callable[[], None]] = [
        lambda: upper.write_text("email: u@example.com\n", encoding="utf-8"),
        lambda: mixed.write_text("email: m@example.com\n", encoding="utf-8"),
        lambda: user.unlink(),
        lambda: upper.unlink(),
        lambda: user.write_text("email: back@example.com\n", encoding="utf-8"),
        lambda: mixed.unlink(),
    ]
    for number, step in enumerate(steps):
        step()
        git(root, "add", "-A")
        git(root, "commit", "-q", "--no-verify", "-m", f"step {number}")
        for mode, source_of in sources(root).items():
            forget_reports(root)
            assert validate(source_of()) == validate(source_of(), use_cache=False), (mode, number)
    assert counting.answered >= len(steps)
