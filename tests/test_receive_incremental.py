"""The pre-receive hook decides every push as full checks do, though its cost follows the change.

The hook resumes validation from the state of its last check (followed to the pushed tree
with ``git diff-tree``), keeps whole results by tree id, and keeps the settings, users,
teams and roles of the last base judged (:mod:`gitstore.trust.held`). Here two bare
repositories receive the same random pushes, with real ``git push`` and the installed hook:
one checks with its caches, the other with ``GITSTORE_NO_CACHE=1`` (every check whole).
Pushes are fast-forwards, force pushes, new branches, deletions and several refs at once,
by random authors and pushers, with permissions enforced or not; rejected pushes drop their
objects (the quarantine), so a later check must notice that a kept tree is gone. Every
verdict and every message must be the same.
"""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from parts_file import flip, join_state, split_state
from trust_repo import TRUST_FILES, commit_as

USERS = ["alice", "bob", "carol", "dave"]
EMAILS = [f"{u}@example.com" for u in USERS] + ["stranger@example.com"]
COMPONENTS = ["components/orchestrator/local.yaml", "components/orchestrator/k8s.yaml",
              "components/artifact_store/local.yaml", "components/artifact_store/s3.yaml"]
OPS = ["stack", "stack_component", "user", "team", "role"]


class Pair:
    """A working clone pushing to two guarded bare repositories: cached and whole."""

    def __init__(self, root: Path) -> None:
        self.work = root / "work"
        self.work.mkdir()
        git(self.work, "init", "-q", "-b", "main")
        files = {**TRUST_FILES, "gitstore.yaml": "format: 1\nenforce_permissions: false\n"}
        commit_as(self.work, "alice@example.com", files, message="initial")
        self.bares = {"cached": root / "cached.git", "whole": root / "whole.git"}
        for bare in self.bares.values():
            git(root, "clone", "-q", "--bare", str(self.work), str(bare))
            installed = run_cli("hooks", "install", "--server", str(bare))
            assert installed.code == 0, installed

    def push(self, refspecs: list[str], env: dict[str, str]) -> dict[str, tuple[int, list[str]]]:
        found = {}
        for name, bare in self.bares.items():
            extra = {"GITSTORE_NO_CACHE": "1"} if name == "whole" else {}
            proc = subprocess.run(["git", "push", "--porcelain", str(bare), *refspecs],
                                  cwd=self.work, text=True, capture_output=True, timeout=120,
                                  env={**os.environ, **env, **extra})
            remote = [line for line in proc.stderr.splitlines() if line.startswith("remote: ")]
            found[name] = (proc.returncode, remote)
        return found

    def follow_accepted(self, refspecs: list[str]) -> None:
        """Point each pushed branch of the clone where the server has it (a refused push
        is dropped; a refused new branch is removed)."""
        for spec in refspecs:
            ref = spec.rsplit(":", 1)[1]
            tip = git(self.bares["cached"], "rev-parse", "--verify", "--quiet", ref,
                      check=False).strip()
            if tip:
                git(self.work, "update-ref", ref, tip)
            elif ref != "refs/heads/main":
                git(self.work, "update-ref", "-d", ref)
        git(self.work, "reset", "-q", "--hard", "main")

    def refs(self, name: str) -> str:
        return git(self.bares[name], "for-each-ref", "--format=%(refname) %(objectname)")


def change(work: Path, rng: random.Random) -> tuple[dict[str, str], tuple[str, ...]]:
    """One to three random edits (one in five breaks something): files to write and files
    to remove."""
    files: dict[str, str] = {}
    remove: list[str] = []
    for _ in range(rng.randint(1, 3)):
        bad = rng.random() < 0.2
        kind = rng.choice(["component", "stack", "role", "team", "user", "settings", "drop"])
        if kind == "component":
            flavor = "nope" if bad else rng.choice(["local", "kubeflow"])
            files[rng.choice(COMPONENTS)] = f"flavor: {flavor}\n"
        elif kind == "stack":
            orch = "gone" if bad else rng.choice(["local", "local", "k8s"])
            files[f"stacks/{rng.choice(['local', 'prod', 'dev'])}.yaml"] = (
                f"components:\n  orchestrator: {orch}\n  artifact_store: local\n")
        elif kind == "role":
            ops = rng.sample(OPS, rng.randint(0, 3))
            who = (rng.choice(["user: ghost", "team: nobody"]) if bad else
                   rng.choice([f"user: {rng.choice(USERS)}", "team: ml-platform"]))
            perms = "".join(f"  {op}: [create, update, delete]\n" for op in ops) or "  {}\n"
            files[f"roles/{rng.choice(['admin', 'stack-editor', 'extra'])}.yaml"] = (
                f"permissions:\n{perms}assignments:\n  - {who}\n  - user: alice\n")
        elif kind == "team":
            members = rng.sample(USERS + (["ghost"] if bad else []), rng.randint(0, 3))
            files[f"teams/{rng.choice(['ml-platform', 'other'])}.yaml"] = (
                f"members: [{', '.join(members)}]\n")
        elif kind == "user":
            user = rng.choice(USERS + ["erin"])
            files[f"users/{user}.yaml"] = ("key: [unclosed\n" if bad else
                                           f"email: {rng.choice(EMAILS)}\n")
        elif kind == "settings":
            enforce = rng.choice(["true", "false", "false"])
            files["gitstore.yaml"] = f"format: 1\nenforce_permissions: {enforce}\n"
        else:
            candidates = [p for p in ["users/dave.yaml", "users/erin.yaml", "teams/other.yaml",
                                      "roles/runner.yaml", "roles/extra.yaml", *COMPONENTS[1:]]
                          if (work / p).exists() and p not in files and p not in remove]
            if candidates:
                remove.append(rng.choice(candidates))
    return files, tuple(p for p in remove if p not in files)


def commit(work: Path, email: str, files: dict[str, str], remove: tuple[str, ...]) -> None:
    write_files(work, files)
    for path in remove:
        (work / path).unlink()
    git(work, "add", "-A")
    name = email.split("@")[0]
    env = {**os.environ, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_NAME": name}
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "change"], cwd=work,
                   check=True, env=env, capture_output=True)


def step(pair: Pair, rng: random.Random, branches: set[str]) -> list[str]:
    """Make commits for one random push; the refspecs to push."""
    work = pair.work
    action = rng.choice(["forward", "forward", "force", "branch", "delete", "several"])
    if action == "delete" and branches:
        gone = rng.choice(sorted(branches))
        branches.discard(gone)
        return [f":refs/heads/{gone}"]
    if action == "branch" or (action == "delete" and not branches):
        name = f"topic-{len(branches)}-{rng.randint(0, 999)}"
        start = rng.choice(git(work, "rev-list", "--max-count=6", "main").split())
        git(work, "checkout", "-q", "-B", name, start)
        branches.add(name)
        targets = [name]
    elif action == "several" and branches:
        targets = ["main", rng.choice(sorted(branches))]
    else:
        targets = ["main"]
    for target in targets:
        git(work, "checkout", "-q", target)
        if action == "force" and git(work, "rev-list", "--count", "HEAD").strip() != "1":
            git(work, "reset", "-q", "--hard", "HEAD~1")
        files, remove = change(work, rng)
        commit(work, rng.choice(EMAILS), files, remove)
    git(work, "checkout", "-q", "main")
    return [f"+refs/heads/{t}:refs/heads/{t}" for t in targets]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_push_is_decided_as_full_checks_decide_it(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    pair = Pair(tmp_path)
    branches: set[str] = set()
    outcomes = set()
    for round_ in range(20):
        refspecs = step(pair, rng, branches)
        pusher = rng.choice([None, None, "alice", "alice", "alice", *USERS[1:], "ghost"])
        env = {"GITSTORE_PUSHER": pusher} if pusher else {}
        found = pair.push(refspecs, env)
        assert found["cached"] == found["whole"], (round_, refspecs, env)
        assert pair.refs("cached") == pair.refs("whole")
        outcomes.add(found["cached"][0])
        pair.follow_accepted(refspecs)
        branches = set(pair.refs("cached").split()[0::2]) - {"refs/heads/main"}
        branches = {b[len("refs/heads/"):] for b in branches if b.startswith("refs/heads/")}
    assert outcomes == {0, 1}  # some pushes were accepted and some refused
    assert (pair.bares["cached"] / "gitstore" / "authority-state").exists()


def test_a_damaged_or_older_state_falls_back_to_a_whole_check(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    cache = pair.bares["cached"] / "gitstore"
    commit_as(pair.work, "alice@example.com", {"stacks/prod.yaml": "components: {}\n",
                                               "gitstore.yaml": TRUST_FILES["gitstore.yaml"]})
    assert pair.push(["main"], {})["cached"][0] == 0
    for name in ("authority-state", "validate-state-gittreesource"):
        assert (cache / name).exists()
    damaged = {"authority-state": b"\x00garbage", "validate-state-gittreesource": b"\xe3\x00"}
    for name, data in damaged.items():
        (cache / name).write_bytes(data)
    (cache / "validate-reports").unlink()
    commit_as(pair.work, "bob@example.com", {"stacks/dev.yaml": "components: {}\n"})
    found = pair.push(["main"], {})
    assert found["cached"] == found["whole"]
    assert found["cached"][0] == 1  # bob holds no `stack: create`


def test_the_first_pushes_to_an_empty_repository_are_decided_as_full_checks_decide_them(
        tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    for name, bare in pair.bares.items():  # start again from empty repositories
        subprocess.run(["rm", "-rf", str(bare)], check=True)
        git(tmp_path, "init", "-q", "--bare", str(bare))
        assert run_cli("hooks", "install", "--server", str(bare)).code == 0, name
    commit(pair.work, "alice@example.com", {"gitstore.yaml": TRUST_FILES["gitstore.yaml"]}, ())
    first = pair.push(["main"], {})
    assert first["cached"] == first["whole"] and first["cached"][0] == 0
    commit(pair.work, "bob@example.com", {"stacks/dev.yaml": "components: {}\n"}, ())
    second = pair.push(["main"], {})
    assert second["cached"] == second["whole"]
    assert second["cached"][0] == 1  # judged by the roles the first push brought


def test_a_kept_authority_damaged_inside_is_read_whole(tmp_path: Path) -> None:
    from gitstore.trust import held

    pair = Pair(tmp_path)
    commit(pair.work, "alice@example.com", {"gitstore.yaml": TRUST_FILES["gitstore.yaml"]}, ())
    assert pair.push(["main"], {})["cached"][0] == 0
    commit(pair.work, "carol@example.com", {"stacks/dev.yaml": "components: {}\n"}, ())
    second = pair.push(["main"], {})["cached"]
    assert second[0] == 0, second  # judged by roles: the table is kept
    path = pair.bares["cached"] / "gitstore" / held.STATE_FILE
    header, parts = split_state(path.read_bytes())
    assert parts[held.TABLE] != marshal.dumps({}), "the grant table is kept"
    # the header and the core read; the names, the roles and the grant table do not
    damaged = {held.NAMES, held.ROLES, *range(held.TABLE, held.PARTS)}
    path.write_bytes(join_state(header, [flip(p) if i in damaged else p
                                         for i, p in enumerate(parts)], sums=False))
    commit(pair.work, "bob@example.com", {"stacks/qa.yaml": "components: {}\n"}, ())
    found = pair.push(["main"], {})
    assert found["cached"] == found["whole"]
    assert found["cached"][0] == 1  # bob holds no `stack: create`
    header, parts = split_state(path.read_bytes())  # read whole, then kept again
    assert all(zlib.crc32(p) == crc for p, (_, crc) in zip(parts, header[2], strict=True))
