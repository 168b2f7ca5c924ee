"""Many writers: compare-and-swap with retry, killed writers, stale locks."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git
from test_runs_support import (
    BRANCH,
    a_run,
    branch_files,
    checkout_state,
    config_files,
    fsck_problems,
)

from gitstore.errors import RefLockedError
from gitstore.runs import list_runs, record_run

WRITER = """
import sys, uuid
from gitstore.models import PipelineRunWrapper, PipelineWrapper, StackWrapper
from gitstore.runs import record_run
repo, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
i = 0
while count < 0 or i < count:
    record_run(repo, PipelineRunWrapper(
        name=f"{prefix}-{i}", pipeline=PipelineWrapper(name="train"),
        stack=StackWrapper(name="default"), user_id=uuid.uuid4()))
    print(i, flush=True)
    i += 1
"""


def start_writer(repo: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(repo), prefix, str(count)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_concurrent_writers_lose_nothing(make_repo):
    repo = make_repo(config_files())
    write_state = checkout_state(repo)
    writers = [start_writer(repo, f"w{n}", 8) for n in range(4)]
    for proc in writers:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    names = sorted(r.name for r in list_runs(repo, "train"))
    assert names == sorted(f"w{n}-{i}" for n in range(4) for i in range(8))
    assert git(repo, "rev-list", "--count", "--merges", BRANCH).strip() == "0"
    assert git(repo, "rev-list", "--count", BRANCH).strip() == "32"
    assert len(branch_files(repo)) == 64  # a record and a name index entry each
    assert fsck_problems(repo) == []
    assert checkout_state(repo) == write_state


def test_concurrent_writers_of_one_name_record_it_once(make_repo):
    repo = make_repo(config_files())
    writers = [start_writer(repo, "same", 3) for _ in range(3)]
    failures = 0
    for proc in writers:
        _, err = proc.communicate(timeout=120)
        failures += proc.returncode != 0
        if proc.returncode:
            assert "RunExistsError: a run named `same-0` exists already" in err
    assert failures == 2  # one writer wins `same-0` and goes on; the others stop there
    assert [r.name for r in list_runs(repo, "train")] == ["same-0", "same-1", "same-2"]


def test_a_stale_lock_is_reported_and_left_alone(make_repo):
    """A lock file may belong to a process still running: never delete it, say how to clear it."""
    repo = make_repo(config_files())
    record_run(repo, a_run("r1"))
    lock = repo / ".git" / "refs" / "heads" / "gitstore" / "runs.lock"
    lock.write_text("")
    old = time.time() - 60
    os.utime(lock, (old, old))
    started = time.monotonic()
    with pytest.raises(RefLockedError) as info:
        record_run(repo, a_run("r2"))
    assert time.monotonic() - started < 5
    assert re.fullmatch(
        f"refs/heads/gitstore/runs is locked by {re.escape(str(lock))} " + r"\([6-9]\ds\); "
        "if no git process is working on this repository, remove the lock and try again: "
        f"rm {re.escape(str(lock))}", str(info.value).replace("(for ", "("))
    assert lock.exists()
    assert [r.name for r in list_runs(repo, "train")] == ["r1"]
    lock.unlink()
    record_run(repo, a_run("r2"))
    assert [r.name for r in list_runs(repo, "train")] == ["r1", "r2"]


@pytest.mark.slow
def test_writers_killed_mid_record_leave_a_consistent_branch(make_repo):
    repo = make_repo(config_files())
    for round_ in range(6):
        proc = start_writer(repo, f"k{round_}", -1)
        assert proc.stdout is not None
        proc.stdout.readline()  # at least one record landed; now kill it somewhere in the next
        time.sleep(0.005 * round_)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        assert fsck_problems(repo) == []
    tip = git(repo, "rev-parse", BRANCH).strip()
    record_run(repo, a_run("after"))  # the next writer is not blocked
    assert git(repo, "rev-parse", f"{BRANCH}^").strip() == tip
    runs = list_runs(repo, "train")
    assert runs[-1].name == "after" and len(runs) >= 7
    # every record has its index entry: no torn write
    assert len(branch_files(repo)) == 2 * len(runs)
    assert fsck_problems(repo) == []


def test_a_lock_left_by_a_killed_gitstore_writer_is_released_and_no_other(make_repo):
    """A ref lock whose claim names a process that is gone is that writer's own: removed.
    A lock with no claim (git's, or anyone's) is left alone and reported."""
    from gitstore.plumbing import gitfiles
    from gitstore.plumbing.vcs import REF_LOCKED, REF_UPDATED

    repo = make_repo(config_files())
    common = repo / ".git"
    head = git(repo, "rev-parse", "HEAD").strip()
    ref = "refs/heads/side"
    lock = common / "refs" / "heads" / "side.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder, key = gitfiles._claims_of(common, lock)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{key}.{dead.pid}").write_bytes(b"")
    lock.write_text("0" * 40 + "\n")
    status, _ = gitfiles.update_ref(common, common, ref, head, None, "test", "T <t@e> 0 +0000")
    assert status == REF_UPDATED and not lock.exists()
    # the dead writer's claim is gone; this process's own claim stays, settled (no lock held)
    mine = [c.name for c in folder.iterdir()]
    assert mine == [f"{key}.{os.getpid()}"]
    assert (folder / mine[0]).stat().st_mtime == 0
    lock.write_text("0" * 40 + "\n")  # no claim: not ours to remove
    status, _ = gitfiles.update_ref(common, common, ref, head, head, "test", "T <t@e> 0 +0000")
    assert status == REF_LOCKED and lock.exists()


def test_a_settled_claim_of_a_dead_writer_releases_no_later_lock(make_repo):
    """A writer that finished its update and died later leaves a settled claim: a lock made
    after it (by git, say) is not that writer's, even moments later, and stays."""
    from gitstore.plumbing import gitfiles
    from gitstore.plumbing.vcs import REF_LOCKED

    repo = make_repo(config_files())
    common = repo / ".git"
    head = git(repo, "rev-parse", "HEAD").strip()
    lock = common / "refs" / "heads" / "side.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder, key = gitfiles._claims_of(common, lock)
    folder.mkdir(parents=True, exist_ok=True)
    claim = folder / f"{key}.{dead.pid}"
    claim.write_bytes(b"")
    os.utime(claim, (0, 0))
    lock.write_text("0" * 40 + "\n")
    status, _ = gitfiles.update_ref(common, common, "refs/heads/side", head, None, "test",
                                    "T <t@e> 0 +0000")
    assert status == REF_LOCKED and lock.exists()
