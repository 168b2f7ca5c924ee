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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli
from test_incremental import random_walk

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import INJECTABLE, generate  # noqa: E402
from gitstore.checks import resume as resume_module  # noqa: E402
from gitstore.checks.resume import STATE_FILE, STATE_TAG  # noqa: E402
from gitstore.plumbing.cache import CACHE_FILE, REPORTS_FILE  # noqa: E402
from gitstore.plumbing.sources import Source, find_config_repo  # noqa: E402
from gitstore.validate import validate  # noqa: E402


class Counting:
    """Wraps :func:`gitstore.checks.resume.resume`, counting the runs it answered."""

    def __init__(self) -> None:
        self.inner = resume_module.resume
        self.answered = 0
        self.declined = 0

    def __call__(self, *args: Any) -> Any:
        found = self.inner(*args)
        if found is None:
            self.declined += 1
        else:
            self.answered += 1
        return found


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counter = Counting()
    monkeypatch.setattr(resume_module, "resume", counter)
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
    "old tag": lambda good: marshal.dumps(("gitstore-state-0", *marshal.loads(good)[1:])),
    "fields of the wrong type": lambda good: marshal.dumps(
        (STATE_TAG, marshal.loads(good)[1], *([[]] * (len(marshal.loads(good)) - 2)))),
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
