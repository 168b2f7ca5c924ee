"""The result cache is only ever an accelerator.

A warm run reads no file again, a one-file change reads that file only, and a
corrupt, truncated or foreign cache file, an unwritable git directory and two
processes validating at once all give the answer a full check gives.
"""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import GITSTORE, git, run_cli

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import generate  # noqa: E402
from gitstore.checks.resume import STATE_FILE  # noqa: E402
from gitstore.plumbing.cache import CACHE_FILE, REPORTS_FILE, ResultCache  # noqa: E402
from gitstore.plumbing.sources import FileEntry, Source, find_config_repo  # noqa: E402
from gitstore.validate import listing_digest, validate  # noqa: E402


@dataclass
class RecordingSource(Source):
    """Another source's files, noting every path it is asked to read."""

    inner: Source | None = None
    asked: list[str] = field(default_factory=list)

    def entries(self) -> list[FileEntry]:
        assert self.inner is not None
        return self.inner.entries()

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        assert self.inner is not None
        self.asked.extend(e.path for e in entries)
        return self.inner.read(entries)


def recording(inner: Source) -> RecordingSource:
    return RecordingSource(inner.label, inner.cache_dir, inner=inner)


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    return generate(tmp_path / "repo", files=80, seed=5, rules=["GS203", "GS202", "GS302"]).root


def cache_path(root: Path) -> Path:
    return root / ".git" / "gitstore" / CACHE_FILE


@pytest.mark.parametrize("mode", ["worktree", "index", "commit"])
def test_warm_run_reads_nothing_and_a_change_reads_one_file(generated: Path, mode: str) -> None:
    repo = find_config_repo(generated)

    def source() -> Source:
        return repo.commit("HEAD") if mode == "commit" else getattr(repo, mode)()

    first = recording(source())
    cold = validate(first)
    assert len(first.asked) == cold.files == 80 + 3
    warm_source = recording(source())
    assert validate(warm_source) == cold
    assert warm_source.asked == []
    target = "users/" + sorted(os.listdir(generated / "users"))[0]
    (generated / target).write_text("email: changed@example.com\n")
    git(generated, "add", target)
    git(generated, "commit", "-q", "-m", "one change")
    changed = recording(source())
    assert validate(changed) == validate(source(), use_cache=False)
    assert changed.asked == [target]


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "empty", "foreign marshal",
                                    "pickle", "old format key", "directory"])
@pytest.mark.parametrize("name", [CACHE_FILE, REPORTS_FILE])
def test_damaged_cache_is_ignored_and_replaced(generated: Path, damage: str, name: str) -> None:
    repo = find_config_repo(generated)
    modes = {"worktree": repo.worktree, "index": repo.index, "HEAD": lambda: repo.commit("HEAD")}
    expected = {mode: validate(source(), use_cache=False) for mode, source in modes.items()}
    assert not expected["worktree"].ok()
    validate(repo.worktree())
    path = cache_path(generated).with_name(name)
    good = path.read_bytes()
    if damage == "directory":
        path.unlink()
        path.mkdir()
        (path / "x").write_text("x")
    else:
        path.write_bytes({
            "random bytes": os.urandom(4096),
            "truncated": good[: len(good) // 2],
            "empty": b"",
            "foreign marshal": marshal.dumps({"some": "other tool"}),
            "pickle": pickle.dumps(("gitstore-cache-3", {})),
            "old format key": marshal.dumps(("gitstore-cache-0/0.0.1/0", {"gitstore.yaml\0x": 1})),
        }[damage])
    for mode, source in modes.items():
        assert validate(source()) == expected[mode], mode
    if damage != "directory":
        again = ResultCache(path.parent)
        assert again._old and again.recall_report(listing_digest(repo.worktree().entries())) \
            is not None, "the next run keeps its results again"


def test_damaged_cache_through_the_command(generated: Path) -> None:
    expected = run_cli("validate", "--no-cache", cwd=generated)
    cache_path(generated).parent.mkdir(parents=True, exist_ok=True)
    cache_path(generated).write_bytes(b"\xe3" + os.urandom(2048))
    result = run_cli("validate", cwd=generated)
    assert (result.code, result.out, result.err) == (expected.code, expected.out, "")


def test_unwritable_git_directory_still_validates(generated: Path) -> None:
    expected = run_cli("validate", "--no-cache", cwd=generated)
    (generated / ".git" / "gitstore").write_text("a file where the cache folder would go\n")
    for _ in range(2):
        result = run_cli("validate", cwd=generated)
        assert (result.code, result.out, result.err) == (expected.code, expected.out, "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders anyway")
def test_read_only_git_directory_still_validates(generated: Path) -> None:
    expected = run_cli("validate", "--no-cache", cwd=generated)
    folders = [generated / ".git", *(p for p in (generated / ".git").rglob("*") if p.is_dir())]
    try:
        for folder in folders:
            folder.chmod(0o555)
        for args in (("validate",), ("validate", "--rev", "HEAD")):
            result = run_cli(*args, cwd=generated)
            assert (result.code, result.err) == (expected.code, "")
    finally:
        for folder in folders:
            folder.chmod(0o755)


def test_concurrent_runs_do_not_corrupt_the_cache(generated: Path) -> None:
    expected = {args: run_cli(*args, "--no-cache", cwd=generated)
                for args in (("validate",), ("validate", "--staged"))}
    assert GITSTORE is not None
    for _ in range(3):
        for name in (CACHE_FILE, REPORTS_FILE):
            cache_path(generated).with_name(name).unlink(missing_ok=True)
        for state in cache_path(generated).parent.glob(STATE_FILE + "*"):
            state.unlink()  # else the runs resume from it and write no per-file results
        procs = [(args, subprocess.Popen([GITSTORE, *args], cwd=generated, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True))
                 for args in (("validate",), ("validate", "--staged"), ("validate",),
                              ("validate", "--staged"))]
        for args, proc in procs:
            out, err = proc.communicate(timeout=60)
            assert (proc.returncode, out, err) == (expected[args].code, expected[args].out, "")
        loaded = ResultCache(cache_path(generated).parent)
        assert loaded._old, "the cache left behind is whole and readable"
        leftovers = [p.name for p in cache_path(generated).parent.iterdir()
                     if p.name not in (CACHE_FILE, REPORTS_FILE) and not p.name.startswith(STATE_FILE)]
        assert leftovers == []
    warm = run_cli("validate", cwd=generated)
    assert (warm.code, warm.out) == (expected[("validate",)].code, expected[("validate",)].out)


def test_a_listing_validated_before_is_answered_from_its_kept_report(generated: Path) -> None:
    repo = find_config_repo(generated)
    first = validate(repo.index())
    cache_path(generated).unlink()  # the per-file results are not needed for a listing seen before
    again = recording(repo.commit("HEAD"))  # the index and HEAD hold the same files
    report = validate(again)
    assert again.asked == []
    assert report.problems == first.problems and report.label.startswith("commit ")
    assert report == validate(repo.commit("HEAD"), use_cache=False)
