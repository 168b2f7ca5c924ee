"""Who holds what at a commit, kept between checks so that its cost follows the change.

A push is judged by the settings, users, teams and roles at its base. In a large
repository those are thousands of files (a quarter of them can be users), and
reading them all costs more than the rest of the push. So the repository's
``gitstore/`` folder keeps them for the last base judged (``authority-state``):
the settings, each user's identifying fields (:data:`USER_FIELDS`), each team's
members, each role's data, and the grant table (who each role grants what,
before users are checked), which depends on roles and teams alone.

The state is a file of parts (:mod:`gitstore.plumbing.parts`), each read only when a check
asks for it: the settings and the kept commit (always read), the users' names, the users
by name, by lower-cased email and by account (BUCKETS parts each), the teams, the roles and
the grant table (BUCKETS parts, by permission). A push by one author that changes one
component reads the names, the author's email part and the two or three permissions' rows
it asks about, not 12,000 users and every grant.

For another base, ``git diff-tree`` between the kept commit and the new one
names the settings, user, team and role files that differ; only those are
read, and the grant table is rebuilt only when a role or a team changed. The
state is written again only when that table was rebuilt or many files
changed: following a few files from the kept commit costs less than writing.
A missing, damaged, older or foreign state, another configuration folder, or a kept
commit git no longer has (a rejected push's objects are dropped) reads the
whole, as :func:`gitstore.trust.enforce.snapshot_at` does; so does a part of it
that does not read back when it is first asked for. ``tests/test_receive_incremental.py``
pushes random changes to two servers, one judging with this state and one reading every
base whole, and requires the same decisions; ``tests/test_trust_held.py`` follows random
changes and requires the same state as one read whole, part by part.
"""

from __future__ import annotations

import bisect
import contextlib
import marshal
import os
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from gitstore.errors import GitError
from gitstore.plumbing import vcs
from gitstore.plumbing.atomic import try_replace_file
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS, EntityRef, classify
from gitstore.plumbing.parts import BUCKETS, DamagedState, Part, Parts, decode, pack, read_parts
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.snapshot import Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, GitTreeSource
from gitstore.references import team_members
from gitstore.trust.permissions import Authority

STATE_FILE = "authority-state"
STATE_TAG = "gitstore-authority-3"
USER_FIELDS = ("email", "accounts", "signing_key")  # all a check of a change reads of a user
ROOTS = (CONFIG_FILE, FOLDERS["user"], FOLDERS["team"], FOLDERS["role"])
KINDS = ("user", "team", "role")
REWRITE_AFTER = 16  # authority files changed since the kept commit: then it is written again

# The parts of the file, in order: four single parts, then four mappings of BUCKETS parts.
CORE, NAMES, TEAMS, ROLES = range(4)
USERS, EMAILS, ACCOUNTS, TABLE = (4 + i * BUCKETS for i in range(4))
PARTS = 4 + 4 * BUCKETS
EMPTY = marshal.dumps({})

Damaged = DamagedState  # a part of the kept state that does not read back (then read whole)


class Held:
    """The settings, users, teams and roles at one commit; each part is unmarshalled only
    when asked for (see the module's docstring)."""

    def __init__(self, commit: str, prefix: str, has_settings: bool,
                 settings_data: dict[str, Any] | None, has_roles: bool, names: Part,
                 users: Parts, emails: Parts, accounts: Parts, teams: Part, roles: Part,
                 table: Parts | None) -> None:
        self.commit = commit
        self.prefix = prefix
        self.has_settings = has_settings  # the commit holds a gitstore.yaml (readable or not)
        self.settings_data = settings_data
        self._has_roles = has_roles  # as kept, for when the roles are not read
        self.names = names  # the users' names (a set)
        self.users = users  # name -> the USER_FIELDS it has
        self.emails = emails  # lower-cased email -> the users (sorted) whose email it is
        self.accounts = accounts  # account -> the users (sorted) with it on some host
        self._teams = teams  # name -> its members ([] when `members` is not a list)
        self._roles = roles  # name -> its data
        # "operation\0ptype" -> grant rows; None until built, and again after a role or team
        # changed
        self.table = table
        self.dirty = False  # differs from what the repository keeps
        self._authority: Authority | None = None

    @property
    def settings(self) -> Settings:
        return Settings.of(self.settings_data)

    @property
    def teams(self) -> dict[str, list[str]]:
        return self._teams.value

    @property
    def roles(self) -> dict[str, dict[str, Any]]:
        return self._roles.value

    @property
    def has_roles(self) -> bool:
        return bool(self.roles) if self._roles.loaded else self._has_roles

    def authority(self) -> Authority:
        """The grants these users, teams and roles make (built once)."""
        if self._authority is None:
            users = _Users(self)
            self._authority = Authority.of(users, _Deferred(self._teams),
                                           _Deferred(self._roles), self.table, users)
        return self._authority

    def dump(self, fmt: str) -> bytes:
        """The state as kept on disk (raises DamagedState when a part not read this run does
        not match its checksum)."""
        core = marshal.dumps((self.commit, self.prefix, self.has_settings, self.settings_data,
                              self.has_roles, self.table is not None))
        table = self.table.dumps() if self.table is not None else [EMPTY] * BUCKETS
        return pack(STATE_TAG, fmt, [core, self.names.dumps(), self._teams.dumps(),
                                     self._roles.dumps(), *self.users.dumps(),
                                     *self.emails.dumps(), *self.accounts.dumps(), *table])


class _Users(Mapping[str, dict[str, Any]]):
    """The users of a :class:`Held` state, as :class:`Authority` reads them: by name (a name
    is looked up in one part), by email and by account (:class:`UserIndex`)."""

    def __init__(self, held: Held) -> None:
        self.held = held

    def __contains__(self, name: object) -> bool:
        return name in self.held.names.value

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in self:
            raise KeyError(name)
        return self.held.users[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.held.names.value)

    def __len__(self) -> int:
        return len(self.held.names.value)

    def names(self) -> AbstractSet[str]:
        return self.held.names.value

    def by_email(self, email: str) -> str | None:
        found = self.held.emails.get(email)
        return found[0] if found else None

    def by_account(self, account: str) -> list[str]:
        return list(self.held.accounts.get(account, []))


class _Deferred(Mapping[str, Any]):
    """A mapping kept as one part, read when first used (the teams and the roles: only
    building the grant table reads them)."""

    def __init__(self, part: Part) -> None:
        self.part = part

    def __getitem__(self, key: str) -> Any:
        return self.part.value[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.part.value.get(key, default)

    def items(self) -> Any:
        return self.part.value.items()

    def __iter__(self) -> Iterator[str]:
        return iter(self.part.value)

    def __len__(self) -> int:
        return len(self.part.value)


def from_snapshot(snap: Snapshot, commit: str, prefix: str) -> Held:
    members = team_members(snap.of_kind("team"))
    doc = snap.documents.get(EntityRef("settings", None, "gitstore"))
    users = {d.ref.name: _slim(d.data) for d in snap.of_kind("user")}
    roles = {d.ref.name: d.data for d in snap.of_kind("role")}
    teams = {d.ref.name: members.get(d.ref.name, []) for d in snap.of_kind("team")}
    emails: dict[str, list[str]] = {}
    accounts: dict[str, list[str]] = {}
    for name in sorted(users):  # so each list is sorted
        user = users[name]
        if "email" in user and (key := _email_key(user)) is not None:
            emails.setdefault(key, []).append(name)
        if "accounts" in user:
            for account in _account_keys(user):
                accounts.setdefault(account, []).append(name)
    return Held(commit, prefix, snap.has_settings, doc.data if doc else None, bool(roles),
                Part.of(set(users)), Parts.of(users, dict), Parts.of(emails, list),
                Parts.of(accounts, list), Part.of(teams), Part.of(roles), None)


def _slim(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in USER_FIELDS if key in data}


def _email_key(user: dict[str, Any]) -> str | None:
    """How :meth:`Authority.user_by_email` compares a user's email (None: it has none)."""
    email = user.get("email")
    return email.lower() if isinstance(email, str) else None


def _account_keys(user: dict[str, Any]) -> set[str]:
    """The accounts a user has on any host (only a string can equal an account asked for)."""
    accounts = user.get("accounts")
    if not isinstance(accounts, dict):
        return set()
    return {value for value in accounts.values() if isinstance(value, str)}


class HeldStore:
    """Where a repository keeps its :class:`Held` state (nowhere without a cache folder)."""

    def __init__(self, cache: ResultCache | None) -> None:
        self.cache = cache
        directory = cache.path.parent if cache is not None and cache.path is not None else None
        self.path = directory / STATE_FILE if directory else None
        self.format = cache.format if cache is not None else ""

    def at(self, git_cwd: str | os.PathLike[str], commit: str, prefix: str) -> Held:
        """The settings, users, teams and roles at ``commit``: followed from the kept state
        when there is one, else read whole."""
        state = load(self.path, self.format) if self.path else None
        if state is not None and state.prefix == prefix:
            try:
                if state.commit == commit or _follow(state, git_cwd, commit):
                    return state
            except Damaged:
                pass
        return self.whole(git_cwd, commit, prefix)

    def whole(self, git_cwd: str | os.PathLike[str], commit: str, prefix: str) -> Held:
        """The settings, users, teams and roles at ``commit``, read whole."""
        from gitstore.trust.enforce import snapshot_at

        held = from_snapshot(snapshot_at(git_cwd, commit, prefix, self.cache), commit, prefix)
        held.dirty = True
        return held

    def keep(self, held: Held) -> None:
        """Keep ``held`` (with the grant table, if it was built) for the next check."""
        built = held._authority.built_table if held._authority is not None else None
        if held.table is None and built is not None:
            held.table = Parts.of(dict(built), list)
            held.dirty = True
        if held.dirty and self.path:
            save(self.path, held, self.format)
            held.dirty = False


def _follow(state: Held, git_cwd: str | os.PathLike[str], commit: str) -> bool:
    """Move ``state`` to ``commit`` by reading only what differs; False when git cannot
    tell what differs (the kept commit is gone)."""
    start = f"{state.prefix}/" if state.prefix else ""
    try:
        changes = vcs.diff_trees(git_cwd, state.commit, commit, [start + r for r in ROOTS])
    except GitError:
        return False
    entries: list[FileEntry] = []
    touched: set[str] = set()
    for change in changes:
        path = change.path[len(start):]
        touched.add(path)
        if change.new_oid != vcs.ZERO_OID:
            entries.append(FileEntry(path, change.new_oid, change.new_mode))
    if touched:
        treeish = f"{commit}:{state.prefix}" if state.prefix else commit
        source = GitTreeSource(f"commit {commit[:12]}", None, git_cwd=Path(git_cwd),
                               treeish=treeish)
        mini = load_snapshot(source, ResultCache(None), entries=entries)
        table = state.table
        _apply(state, mini, touched, {e.path for e in entries})
        if table is not None and state.table is None:
            state.dirty = True
    state.commit = commit
    # Writing the state costs more than reading a few files again: it is written when many
    # files changed or the grant table must be built again (see HeldStore.keep).
    state.dirty = state.dirty or len(touched) >= REWRITE_AFTER
    return True


def _apply(state: Held, mini: Snapshot, touched: set[str], present: set[str]) -> None:
    """Replace what ``state`` holds of the ``touched`` paths by what ``mini`` read of them."""
    members = team_members(mini.of_kind("team"))
    for path in touched:
        if path == CONFIG_FILE:
            state.has_settings = path in present
            doc = mini.documents.get(EntityRef("settings", None, "gitstore"))
            state.settings_data = doc.data if doc else None
            continue
        ref = classify(path)
        if not isinstance(ref, EntityRef) or ref.kind not in KINDS:
            continue
        if ref.kind == "user":
            _drop_user(state, ref.name)
            continue
        state.table = None
        part = state._teams if ref.kind == "team" else state._roles
        part.value.pop(ref.name, None)
        part.changed()
    # Every touched entity is dropped before any is added: two paths can name one entity
    # only when one is not a readable file, and that one never adds anything.
    for ref, doc in mini.documents.items():
        if ref.kind == "user":
            _add_user(state, ref.name, _slim(doc.data))
        elif ref.kind == "team":
            state.teams[ref.name] = members.get(ref.name, [])
            state._teams.changed()
        elif ref.kind == "role":
            state.roles[ref.name] = doc.data
            state._roles.changed()


def _drop_user(state: Held, name: str) -> None:
    data = state.users.pop(name, None)
    if name in state.names.value:
        state.names.value.discard(name)
        state.names.changed()
    if data is None:
        return
    key = _email_key(data)
    if key is not None:
        _unlist(state.emails, key, name)
    for account in _account_keys(data):
        _unlist(state.accounts, account, name)


def _add_user(state: Held, name: str, data: dict[str, Any]) -> None:
    state.users[name] = data
    state.names.value.add(name)
    state.names.changed()
    key = _email_key(data)
    if key is not None:
        _list(state.emails, key, name)
    for account in _account_keys(data):
        _list(state.accounts, account, name)


def _list(index: Parts, key: str, name: str) -> None:
    names = list(index.get(key, []))
    at = bisect.bisect_left(names, name)
    if at == len(names) or names[at] != name:
        names.insert(at, name)
        index[key] = names


def _unlist(index: Parts, key: str, name: str) -> None:
    names = [n for n in index.get(key, []) if n != name]
    if names:
        index[key] = names
    else:
        index.pop(key, None)


def load(path: Path, fmt: str) -> Held | None:
    """The kept state, or None when it is missing, damaged, foreign or from other code.
    Only the header and the core (the commit and the settings) are read here; the rest is
    read (and checked) when asked for, and raises DamagedState then."""
    raw = read_parts(path, STATE_TAG, fmt, PARTS)
    if raw is None:
        return None
    try:
        core = decode(*raw[CORE], tuple)
    except DamagedState:
        return None
    if len(core) != 6:
        return None
    commit, prefix, has_settings, settings, has_roles, has_table = core
    shapes = ((commit, str), (prefix, str), (has_settings, bool), (has_roles, bool),
              (has_table, bool))
    if not all(isinstance(value, kind) for value, kind in shapes) or not isinstance(
            settings, dict | None):
        return None
    return Held(commit, prefix, has_settings, settings, has_roles, Part(raw[NAMES], set),
                Parts(raw[USERS:EMAILS], dict), Parts(raw[EMAILS:ACCOUNTS], list),
                Parts(raw[ACCOUNTS:TABLE], list), Part(raw[TEAMS], dict), Part(raw[ROLES], dict),
                Parts(raw[TABLE:], list) if has_table else None)


def save(path: Path, state: Held, fmt: str) -> None:
    """Replace the state atomically; a repository that cannot be written is still judged."""
    try:
        data = state.dump(fmt)
    except DamagedState:  # a part this check did not need is damaged: the next starts over
        with contextlib.suppress(OSError):
            os.unlink(path)
        return
    try_replace_file(path, data)
