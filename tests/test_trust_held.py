"""The kept authority (gitstore/trust/held.py) followed from commit to commit holds what a
whole read holds, part by part, and a damaged, truncated or older state is read whole.

Random commits add, edit and remove users (emails in any case, shared emails, accounts on
several hosts, values of the wrong shape, unreadable files), teams, roles and the settings;
after each, the state followed from the kept one (and written, and read back) must hold
the same names, users, email and account index, teams, roles and grants as a state read
whole, and answer every question the permission checks ask alike.
"""

from __future__ import annotations

import marshal
import os
import random
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from parts_file import flip, replaced, split_state, with_header, with_parts
from trust_repo import OPERATIONS, TRUST_FILES, commit_as

from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.parts import BUCKETS
from gitstore.trust import held
from gitstore.trust.enforce import check_change, snapshot_at
from gitstore.trust.permissions import Authority

PTYPES = ("create", "read", "update", "delete")
USERS = ["alice", "bob", "carol", "dave", "erin", "Frank"]
TEAMS = ["ml-platform", "other", "empty"]
ROLES = ["admin", "stack-editor", "runner", "extra"]
EMAILS = ["alice@example.com", "Alice@Example.com", "bob@example.com", "shared@example.com",
          "SHARED@example.com", "x@y.z"]
ACCOUNTS = ["alice-gl", "bob-gl", "carol-gh", "shared", "x"]
HOSTS = ["gitlab", "github", "gitlab.example.com", "GitHub"]


class Counting(held.HeldStore):
    """A HeldStore that counts whole reads (to see the state was followed)."""

    wholes = 0

    def whole(self, git_cwd: str | os.PathLike[str], commit: str, prefix: str) -> held.Held:
        self.wholes += 1
        return super().whole(git_cwd, commit, prefix)


def user_file(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.1:
        return "email: [unclosed\n"
    if shape < 0.2:
        return "email: 42\naccounts: [gitlab, x]\n"
    lines = [f"email: {rng.choice(EMAILS)}\n"] if rng.random() < 0.85 else []
    if rng.random() < 0.6:
        lines.append("accounts:\n")
        for host in rng.sample(HOSTS, rng.randint(1, 3)):
            value = rng.choice([*ACCOUNTS, 7])
            lines.append(f"  {host}: {value}\n")
    if rng.random() < 0.2:
        lines.append("signing_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE\n")
    return "".join(lines) or "{}\n"


def role_file(rng: random.Random) -> str:
    perms = "".join(f"  {op}: [{', '.join(rng.sample(PTYPES, rng.randint(1, 4)))}]\n"
                    for op in rng.sample(OPERATIONS, rng.randint(0, 4))) or "  {}\n"
    who = []
    for _ in range(rng.randint(1, 3)):
        item = rng.choice([f"user: {rng.choice([*USERS, 'ghost'])}",
                           f"team: {rng.choice([*TEAMS, 'nobody'])}"])
        if rng.random() < 0.3:
            item += f"\n    project: {rng.choice(['fraud', 'churn'])}"
        who.append(f"  - {item}\n")
    return f"permissions:\n{perms}assignments:\n{''.join(who)}"


def random_change(root: Path, rng: random.Random) -> tuple[dict[str, str], tuple[str, ...]]:
    files: dict[str, str] = {}
    remove: list[str] = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["user", "user", "user", "team", "role", "settings", "drop", "other"])
        if kind == "user":
            files[f"users/{rng.choice(USERS)}.yaml"] = user_file(rng)
        elif kind == "team":
            members = rng.sample([*USERS, "ghost"], rng.randint(0, 4))
            files[f"teams/{rng.choice(TEAMS)}.yaml"] = (
                "members: oops\n" if rng.random() < 0.1 else f"members: [{', '.join(members)}]\n")
        elif kind == "role":
            files[f"roles/{rng.choice(ROLES)}.yaml"] = role_file(rng)
        elif kind == "settings":
            files["gitstore.yaml"] = rng.choice(["format: 1\nenforce_permissions: true\n",
                                                 "format: 1\n", "format: [\n"])
        elif kind == "other":
            files["stacks/local.yaml"] = f"description: {rng.random()}\ncomponents: {{}}\n"
        else:
            present = sorted(str(p.relative_to(root)) for folder in ("users", "teams", "roles")
                             for p in (root / folder).glob("*.yaml"))
            if present:
                remove.append(rng.choice(present))
    return files, tuple(p for p in remove if p not in files)


def contents(state: held.Held) -> dict[str, Any]:
    """Everything a state holds, read from every part."""
    return {"commit": state.commit, "has_settings": state.has_settings,
            "settings": state.settings_data, "has_roles": state.has_roles,
            "names": set(state.names.value), "users": state.users.all(),
            "emails": state.emails.all(), "accounts": state.accounts.all(),
            "teams": state.teams, "roles": state.roles}


def answers(authority: Authority) -> dict[str, Any]:
    """Every question the permission checks ask of an authority."""
    found: dict[str, Any] = {}
    for op in OPERATIONS:
        for ptype in PTYPES:
            for project in (None, "fraud"):
                found[f"{op}:{ptype}:{project}"] = sorted(authority.holder_names(op, ptype, project))
    for email in [*EMAILS, "nobody@example.com", " ALICE@example.com "]:
        found[f"email {email}"] = authority.user_by_email(email)
    for host in ["gitlab", "github", "example"]:
        for account in [*ACCOUNTS, "7"]:
            found[f"account {host} {account}"] = authority.user_by_account(host, account)
    found["users"] = sorted(authority.users)
    found["keys"] = {name: authority.users[name].get("signing_key") for name in authority.users}
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_followed_state_holds_what_a_whole_read_holds(make_repo: Callable[..., Path],
                                                          tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    root = make_repo(TRUST_FILES)
    cache = ResultCache(tmp_path / "cache")
    store = Counting(cache)
    commits = [git(root, "rev-parse", "HEAD").strip()]
    for round_ in range(30):
        files, remove = random_change(root, rng)
        files.setdefault("stacks/dev.yaml", f"description: round {round_}\ncomponents: {{}}\n")
        commits.append(commit_as(root, rng.choice(EMAILS), files, remove=remove))
        # mostly the newest commit, sometimes an older one (a push to an older branch)
        commit = commits[-1] if rng.random() < 0.8 else rng.choice(commits)
        state = store.at(root, commit, "")
        whole = held.from_snapshot(snapshot_at(root, commit), commit, "")
        assert contents(state) == contents(whole), round_
        snap = snapshot_at(root, commit)
        expected = answers(Authority(snap))
        assert answers(state.authority()) == expected, round_
        assert answers(whole.authority()) == expected, round_
        plain = Authority(snap)
        for op in OPERATIONS:  # holder_names are the holders, without making the grants
            for ptype in PTYPES:
                for project in (None, "fraud", "churn"):
                    assert set(plain.holders(op, ptype, project)) == plain.holder_names(
                        op, ptype, project), (round_, op, ptype, project)
        if rng.random() < 0.7:
            store.keep(state)
            kept = held.load(store.path, cache.format) if store.path else None
            if kept is not None:  # written now or before: it reads back as what it holds
                assert kept.commit in commits
                if kept.commit == commit:
                    assert contents(kept) == contents(whole), round_
                    assert answers(kept.authority()) == expected, round_
    assert store.wholes <= 2, "the state was followed, not read whole each time"


def test_a_followed_state_rebuilds_the_grant_table_after_a_role_or_team_change(
        make_repo: Callable[..., Path], tmp_path: Path) -> None:
    root = make_repo(TRUST_FILES)
    cache = ResultCache(tmp_path / "cache")
    store = held.HeldStore(cache)
    first = git(root, "rev-parse", "HEAD").strip()
    state = store.at(root, first, "")
    assert state.authority().holder_names("stack", "create") == {"alice", "carol"}
    store.keep(state)
    second = commit_as(root, "alice@example.com", {"teams/ml-platform.yaml": "members: [bob]\n"})
    state = store.at(root, second, "")
    assert state.table is None
    assert state.authority().holder_names("stack", "create") == {"alice", "bob"}
    store.keep(state)
    kept = held.load(tmp_path / "cache" / held.STATE_FILE, cache.format)
    assert kept is not None and kept.commit == second and kept.table is not None
    assert kept.authority().holder_names("stack", "create") == {"alice", "bob"}


# --- a damaged, truncated or older state: read whole, the same problems ------------------


def older_format(good: bytes) -> bytes:
    """The state as the code before kept it: one marshalled tuple, read whole."""
    fmt = split_state(good)[0][1]
    return marshal.dumps(("gitstore-authority-2", fmt, "0" * 40, "", True, None, {}, {},
                          marshal.dumps({}), None))


def every(start: int) -> set[int]:
    return set(range(start, start + BUCKETS))


def flipped(indexes: set[int]) -> Callable[[bytes], bytes]:
    return lambda good: with_parts(
        good, lambda parts: [flip(p) if i in indexes else p for i, p in enumerate(parts)],
        sums=False)


def wrong_values(start: int) -> Callable[[bytes], bytes]:
    """Every part of a mapping replaced by one whose values are of the wrong type (with its
    checksum: only the shape tells)."""
    def change(parts: list[bytes]) -> list[bytes]:
        for index in range(start, start + BUCKETS):
            parts = replaced(index, {"alice": 1})(parts)
        return parts
    return lambda good: with_parts(good, change)


# damage -> the scenario whose check reads the damaged part
DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "random bytes": (lambda good: os.urandom(2048), "quiet"),
    "truncated": (lambda good: good[: len(good) // 2], "quiet"),
    "truncated to the header": (lambda good: good[:40], "quiet"),
    "empty": (lambda good: b"", "quiet"),
    "trailing bytes": (lambda good: good + b"\0", "quiet"),
    "the older format": (older_format, "quiet"),
    "old tag": (lambda good: with_header(good, lambda h: ("gitstore-authority-2", *h[1:])),
                "quiet"),
    "other code": (lambda good: with_header(good, lambda h: (h[0], "other", *h[2:])), "quiet"),
    "a part missing": (lambda good: with_parts(good, lambda parts: parts[:-1]), "quiet"),
    "the core damaged": (flipped({held.CORE}), "quiet"),
    "the core of the wrong shape": (lambda good: with_parts(good, replaced(0, ("x",) * 6)),
                                    "quiet"),
    "the names damaged": (flipped({held.NAMES}), "quiet"),
    "the emails damaged": (flipped(every(held.EMAILS)), "quiet"),
    "the emails of the wrong type": (wrong_values(held.EMAILS), "quiet"),
    "the grant table damaged": (flipped(every(held.TABLE)), "quiet"),
    "the grant table of the wrong type": (wrong_values(held.TABLE), "quiet"),
    "the teams damaged": (flipped({held.TEAMS}), "busy"),
    "the roles damaged": (flipped({held.ROLES}), "busy"),
    "the users damaged": (flipped(every(held.USERS)), "busy"),
    "the users of the wrong type": (wrong_values(held.USERS), "busy"),
    "the accounts damaged": (flipped(every(held.ACCOUNTS)), "busy"),
}

STACK = "components:\n  orchestrator: local\n  artifact_store: local\n"


def scenario(root: Path, name: str) -> tuple[str, str, str, dict[str, str]]:
    """Commits for a check that reads the parts ``name`` reads: (kept, base, new, env)."""
    kept = git(root, "rev-parse", "HEAD").strip()
    if name == "quiet":  # the base changes no authority file; an unknown author pushes
        base = commit_as(root, "alice@example.com", {"stacks/local.yaml": STACK + "description: x\n"})
        new = commit_as(root, "Stranger@Example.com", {"stacks/prod.yaml": STACK})
        return kept, base, new, {}
    # the base changes a team, a role and a user; a pusher named by account pushes
    base = commit_as(root, "alice@example.com", {
        "teams/ml-platform.yaml": "members: [carol, bob]\n",
        "roles/runner.yaml": "permissions:\n  pipeline_run: [create]\nassignments:\n  - user: bob\n",
        "users/dave.yaml": "email: DAVE@example.com\naccounts:\n  gitlab: dave-gl\n"})
    new = commit_as(root, "bob@example.com", {"stacks/prod.yaml": STACK},
                    remove=("components/orchestrator/local.yaml",))
    return kept, base, new, {"GL_USERNAME": "bob-gl"}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_or_older_state_is_read_whole_with_the_same_problems(
        make_repo: Callable[..., Path], tmp_path: Path, damage: str) -> None:
    change, kind = DAMAGE[damage]
    root = make_repo(TRUST_FILES)
    cache_dir = tmp_path / "cache"
    kept, base, new, env = scenario(root, kind)
    # keep the state at ``kept``, with its grant table built
    assert check_change(root, kept, base, {}, cache=ResultCache(cache_dir)) == []
    path = cache_dir / held.STATE_FILE
    good = path.read_bytes()
    state = held.load(path, ResultCache(cache_dir).format)
    assert state is not None and state.commit == kept and state.table is not None
    path.write_bytes(change(good))
    found = check_change(root, base, new, env, cache=ResultCache(cache_dir))
    assert found == check_change(root, base, new, env, cache=None)
    assert found, "the check found problems (bob and the stranger lack permissions)"
    # the state was read whole and kept again, every part sound
    header, parts = split_state(path.read_bytes())
    assert all(zlib.crc32(p) == crc for p, (_, crc) in zip(parts, header[2], strict=True))
    state = held.load(path, ResultCache(cache_dir).format)
    assert state is not None and state.commit == base
    assert contents(state) == contents(held.from_snapshot(snapshot_at(root, base), base, ""))


def test_an_unwritable_state_is_still_judged(make_repo: Callable[..., Path],
                                             tmp_path: Path) -> None:
    root = make_repo(TRUST_FILES)
    kept, base, new, env = scenario(root, "quiet")
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / held.STATE_FILE).mkdir()  # a directory where the state would be
    found = check_change(root, base, new, env, cache=ResultCache(cache_dir))
    assert found and found == check_change(root, base, new, env, cache=None)
