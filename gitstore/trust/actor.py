"""Who is acting: the pusher a git server names, else a commit's author.

A git server that authenticates its users names the pusher to its hooks:
GitLab as ``GL_USERNAME``, GitHub Enterprise as ``GITHUB_USER_LOGIN`` (both
matched against users' ``accounts``), and any other server can set
``GITSTORE_PUSHER`` to a gitstore user name. When a server names the pusher,
that name is the actor for the whole push and commit authors are not
believed (an author email is whatever the committer typed). Otherwise the
actor of a change is the author of the commit that made it, found by the
author's email in users' ``email``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gitstore.trust.permissions import Authority

# environment variable -> the git host whose account it names
HOST_VARIABLES = (("GL_USERNAME", "gitlab"), ("GITHUB_USER_LOGIN", "github"))
PUSHER_VARIABLE = "GITSTORE_PUSHER"
PUSHER_OPTION = "gitstore:--pusher"  # not a variable: the command line's --pusher, in the mapping


@dataclass(frozen=True)
class Actor:
    """Someone acting on the repository, and the gitstore user they are (None: unknown)."""

    user: str | None
    claim: str  # what identified them: "gitlab account `bob` named by GL_USERNAME", "author bob@x"
    email: str | None = None  # the author email, when that is what identified them
    host: str | None = None  # the git host whose account identified them
    account: str | None = None

    def describe(self) -> str:
        if self.user is None:
            return self.claim
        return f"user {self.user} ({self.claim})"

    def how_to_become_known(self) -> str:
        if self.email is not None:
            entry = f"`email: {self.email}`"
        elif self.host is not None:
            entry = f"`accounts: {{{self.host}: {self.account}}}`"
        else:
            return f"create users/{self.account}.yaml"
        return f"add {entry} to users/<you>.yaml"


def user_by_account(authority: Authority, host: str, account: str) -> str | None:
    """The user whose ``accounts`` name ``account`` on ``host`` (a key such as ``gitlab``
    or ``gitlab.example.com``)."""
    return authority.user_by_account(host, account)


def user_by_email(authority: Authority, email: str) -> str | None:
    """The user whose ``email`` is ``email`` (compared without regard to case)."""
    return authority.user_by_email(email)


def pusher(authority: Authority, env: Mapping[str, str]) -> Actor | None:
    """The pusher the server names, known or not; None when it names nobody."""
    for variable, host in HOST_VARIABLES:
        account = env.get(variable)
        if account:
            claim = f"{host} account `{account}` named by {variable}"
            return Actor(user_by_account(authority, host, account), claim, host=host,
                         account=account)
    name = env.get(PUSHER_OPTION) or env.get(PUSHER_VARIABLE)
    if name:
        source = "--pusher" if env.get(PUSHER_OPTION) else PUSHER_VARIABLE
        known = name if name in authority.users else None
        claim = f"pusher named by {source}" if known else f"pusher `{name}` named by {source}"
        return Actor(known, claim, account=name)
    return None


def with_pusher_option(env: Mapping[str, str], name: str) -> dict[str, str]:
    """``env`` with the pusher named on the command line (``--pusher``): it is the actor,
    whatever the environment's variables name, and messages say where it came from."""
    ignored = {variable for variable, _ in HOST_VARIABLES} | {PUSHER_VARIABLE}
    return {**{k: v for k, v in env.items() if k not in ignored}, PUSHER_OPTION: name}


def author(authority: Authority, email: str) -> Actor:
    """The actor behind a commit author email."""
    return Actor(user_by_email(authority, email), f"author {email}", email=email)
