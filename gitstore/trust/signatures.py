"""Signed commits: every new commit signed with the key of the user it is attributed to.

The allowed-signers file git checks SSH signatures against is built from the
users' ``signing_key`` at the base state (never from the change being
judged, so nobody can register a key and use it in the same push), with the
user name as the principal. git itself verifies each signature; a commit is
accepted when git reports a good signature whose principal is the user the
commit's author email belongs to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence

from gitstore.plumbing import vcs
from gitstore.problems import Problem
from gitstore.trust.actor import user_by_email
from gitstore.trust.permissions import Authority

GOOD = "G"
UNSIGNED = "N"


def allowed_signers(authority: Authority) -> str:
    """git's allowed-signers list: one line per user with a ``signing_key``."""
    lines = []
    for name in sorted(authority.users):
        key = authority.users[name].get("signing_key")
        if isinstance(key, str) and len(key.split()) >= 2 and "\n" not in key:
            keytype, blob = key.split()[:2]
            lines.append(f'{name} namespaces="git" {keytype} {blob}')
    return "".join(f"{line}\n" for line in lines)


def signature_problems(git_cwd: str | os.PathLike[str], authority: Authority,
                       revs: Sequence[str]) -> list[Problem]:
    """A problem for each commit ``git log REVS`` lists that is not signed by its user."""
    with tempfile.TemporaryDirectory(prefix="gitstore-signers-") as tmp:
        signers = os.path.join(tmp, "allowed_signers")
        with open(signers, "w", encoding="utf-8") as handle:
            handle.write(allowed_signers(authority))
        found = vcs.commit_signatures(git_cwd, revs, signers)
    problems = []
    for sig in found:
        problem = _judge(authority, sig)
        if problem is not None:
            problems.append(problem)
    return problems


def _judge(authority: Authority, sig: vcs.CommitSignature) -> Problem | None:
    where = f"commit {sig.oid[:12]}"
    user = user_by_email(authority, sig.author_email)
    if sig.status == GOOD and user is not None and sig.signer == user:
        return None
    has_key = user is not None and isinstance(authority.users[user].get("signing_key"), str)
    if user is None:
        hint = f"add `email: {sig.author_email}` and a `signing_key` to users/<you>.yaml"
    elif not has_key:
        hint = f"add the public key you sign with as `signing_key` in users/{user}.yaml"
    else:
        hint = (f"sign with the key in users/{user}.yaml: git config gpg.format ssh; "
                "git config user.signingKey <key>; git commit --amend -S")
    if sig.status == UNSIGNED:
        return Problem(where, None, None, "GS503",
                       f"commit by {sig.author_email} is not signed, and gitstore.yaml "
                       "sets `require_signed_commits: true`", hint)
    who = f"user {user}" if user else f"{sig.author_email}, who is not a gitstore user"
    if sig.status == GOOD:
        detail = f"it is signed with the key of user {sig.signer}, but its author is {who}"
    else:
        detail = (f"its signature (key {sig.key or 'unknown'}) is not made with the signing key "
                  f"of its author, {who}")
    return Problem(where, None, None, "GS504", detail, hint)
