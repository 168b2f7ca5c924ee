"""Who is calling, and whether they may: the server's one door before every store call.

ZenML 0.10 clients send HTTP basic credentials holding the active user's
name and an empty password; ZenML's server only checked that the name
exists (401 ``Incorrect username.`` otherwise). gitstore does the same,
with two additions: a name is believed only from a loopback peer unless the
server was started with ``--allow-remote`` (behind a proxy that
authenticates), and with ``enforce_permissions: true`` in gitstore.yaml each
request needs the permission its route takes, judged by the repository's
roles as :mod:`gitstore.trust` judges a push.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitstore.serve.errors import ApiError
from gitstore.trust.permissions import Authority, permission_label

if TYPE_CHECKING:
    from gitstore.plumbing.snapshot import Snapshot
    from gitstore.store import GitZenStore

SHOWN_HOLDERS = 8


@dataclass(frozen=True)
class Caller:
    """The ZenML user making a request, as their commits will be authored."""

    name: str
    email: str


@dataclass
class Gate:
    """Authentication and permissions for one server."""

    allow_remote: bool = False
    # the roles judged from the last snapshot asked about (the snapshot itself is held, so
    # that a new one is never taken for it; reads and the store thread may both ask)
    _authority: tuple[Snapshot, Authority] | None = field(default=None, repr=False)

    def identify(self, store: GitZenStore, peer: str | None, user_name: str) -> Caller:
        """The caller named by the credentials; ApiError 403 or 401 when not believed."""
        if not self.allow_remote and not is_loopback(peer):
            raise ApiError(403, ["RemoteRefused",
                                 f"requests from {peer or 'an unknown peer'} are refused: this server "
                                 "believes user names only from this machine (start it with "
                                 "--allow-remote behind a proxy that authenticates)"])
        snap = store.snapshot()
        doc = snap.get("user", user_name) if user_name else None
        if doc is None:
            raise ApiError(401, "Incorrect username.")
        email = doc.data.get("email")
        return Caller(user_name, email if isinstance(email, str) else "")

    def require(self, store: GitZenStore, caller: Caller, operation: str, ptype: str,
                project: str | None = None) -> None:
        """ApiError 403 naming the missing permission, when the repository enforces roles."""
        snap = store.snapshot()
        if not snap.settings.enforce_permissions:
            return
        authority = self._authority_of(snap)
        holders = authority.holders(operation, ptype, project)
        if caller.name in holders:
            return
        label = permission_label(operation, ptype, project)
        shown = sorted(holders)[:SHOWN_HOLDERS]
        more = len(holders) - len(shown)
        who = (", ".join(shown) + (f" and {more} more" if more > 0 else "")) if shown else "nobody"
        raise ApiError(403, ["PermissionDenied",
                             f"user {caller.name} does not hold {label}, which this request needs "
                             f"(enforce_permissions is on; users holding it: {who})"],
                       permission={"operation": operation, "type": ptype, "project": project})

    def _authority_of(self, snap: Snapshot) -> Authority:
        known = self._authority
        if known is None or known[0] is not snap:
            known = (snap, Authority(snap))
            self._authority = known
        return known[1]


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"
