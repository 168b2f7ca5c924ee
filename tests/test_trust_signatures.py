"""Signed commits: checked by git against the users' signing keys at the base."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git
from trust_repo import TRUST_FILES, commit_as, make_key

from gitstore.trust import check_change
from gitstore.trust.permissions import Authority
from gitstore.trust.signatures import allowed_signers

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                reason="ssh-keygen (openssh-client) is needed to sign commits")
STACK = "components:\n  orchestrator: local\n"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    return {name: make_key(tmp_path, name) for name in ("alice", "carol", "other")}


@pytest.fixture
def repo(make_repo: Callable[..., Path], keys: dict[str, tuple[Path, str]]) -> Path:
    files = dict(TRUST_FILES)
    files["gitstore.yaml"] = "format: 1\nenforce_permissions: true\nrequire_signed_commits: true\n"
    files["users/alice.yaml"] += f"signing_key: {keys['alice'][1]}\n"
    files["users/carol.yaml"] += f"signing_key: {keys['carol'][1]}\n"
    return make_repo(files)


def problems(root: Path, base: str) -> list[tuple[object, ...]]:
    new = git(root, "rev-parse", "HEAD").strip()
    return [(p.path, p.code, p.message) for p in check_change(root, base, new, {})]


def test_a_commit_signed_with_its_authors_key_is_accepted(repo: Path, keys: dict) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK}, sign_key=keys["alice"][0])
    commit_as(repo, "carol@example.com", {"stacks/dev.yaml": STACK}, sign_key=keys["carol"][0])
    assert problems(repo, base) == []


def test_an_unsigned_commit_is_refused(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    new = commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK})
    found = check_change(repo, base, new, {})
    assert [p.to_tuple() for p in found] == [(
        f"commit {new[:12]}", None, None, "GS503",
        "commit by alice@example.com is not signed, and gitstore.yaml sets "
        "`require_signed_commits: true`",
        "sign with the key in users/alice.yaml: git config gpg.format ssh; "
        "git config user.signingKey <key>; git commit --amend -S")]


def test_a_commit_signed_with_someone_elses_key_is_refused(repo: Path, keys: dict) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    new = commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK},
                    sign_key=keys["carol"][0])
    assert problems(repo, base) == [(
        f"commit {new[:12]}", "GS504",
        "it is signed with the key of user carol, but its author is user alice")]


def test_a_key_no_user_has_is_refused(repo: Path, keys: dict) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    new = commit_as(repo, "dave@example.com", {"stacks/prod.yaml": STACK},
                    sign_key=keys["other"][0])
    found = check_change(repo, base, new, {})
    sig = [p for p in found if p.code == "GS504"]
    assert len(sig) == 1 and sig[0].path == f"commit {new[:12]}"
    assert sig[0].message.startswith("its signature (key SHA256:")
    assert sig[0].message.endswith("is not made with the signing key of its author, user dave")
    assert sig[0].hint == "add the public key you sign with as `signing_key` in users/dave.yaml"


def test_a_key_added_in_the_same_change_does_not_count(repo: Path, keys: dict) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    dave = f"email: dave@example.com\nsigning_key: {keys['other'][1]}\n"
    commit_as(repo, "dave@example.com", {"users/dave.yaml": dave}, sign_key=keys["other"][0])
    assert [p[1] for p in problems(repo, base)] == ["GS501", "GS504"]


def test_the_allowed_signers_file_names_users_as_principals(repo: Path, keys: dict) -> None:
    from gitstore.trust.enforce import snapshot_at

    text = allowed_signers(Authority(snapshot_at(repo, "HEAD")))
    alice_key = " ".join(keys["alice"][1].split()[:2])
    carol_key = " ".join(keys["carol"][1].split()[:2])
    assert text == (f'alice namespaces="git" {alice_key}\n'
                    f'carol namespaces="git" {carol_key}\n')
