"""Who holds what at a commit, kept between checks so that its cost follows the change.

A push is judged by the settings, users, teams and roles at its base. In a large
repository those are thousands of files (a quarter of them can be users), and
reading them all costs more than the rest of the push. So the repository's
``gitstore/`` folder keeps them for the last base judged (``authority-state``):
the settings, each user's identifying fields (:data:`USER_FIELDS`), each team's
members, each role's data, and the grant table (who each role grants what,
before users are checked), which depends on roles and teams alone.

For another base, ``git diff-tree`` between the kept commit and the new one
names the settings, user, team and role files that differ; only those are
read, and the grant table is rebuilt only when a role or a team changed. The
state is written again only when that table was rebuilt or many files
changed: following a few files from the kept commit costs less than writing.
A missing, damaged or foreign state, another configuration folder, or a kept
commit git no longer has (a rejected push's objects are dropped) reads the
whole, as :func:`gitstore.trust.enforce.snapshot_at` does; so does a part of it
that does not read back when it is first asked for. ``tests/test_receive_incremental.py``
pushes random changes to two servers, one judging with this state and one reading every
base whole, and requires the same decisions.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any, cast

from gitstore.errors import GitError
from gitstore.plumbing import vcs
from gitstore.plumbing.atomic import try_replace_file
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS, EntityRef, classify
from gitstore.plumbing.settings import Settings
from gitstore.plumbing.snapshot import Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, GitTreeSource
from gitstore.references import team_members
from gitstore.trust.permissions import Authority, GrantTable

STATE_FILE = "authority-state"
STATE_TAG = "gitstore-authority-2"
USER_FIELDS = ("email", "accounts", "signing_key")  # all a check of a change reads of a user
ROOTS = (CONFIG_FILE, FOLDERS["user"], FOLDERS["team"], FOLDERS["role"])
KINDS = ("user", "team", "role")
REWRITE_AFTER = 16  # authority files changed since the kept commit: then it is written again


class Held:
    """The settings, users, teams and roles at one commit (roles and grant rows are
    unmarshalled only when asked for)."""

    def __init__(self, commit: str, prefix: str, has_settings: bool,
                 settings_data: dict[str, Any] | None, users: dict[str, dict[str, Any]],
                 teams: dict[str, list[str]], roles: dict[str, dict[str, Any]] | bytes,
                 table: dict[str, Any] | None) -> None:
        self.commit = commit
        self.prefix = prefix
        self.has_settings = has_settings  # the commit holds a gitstore.yaml (readable or not)
        self.settings_data = settings_data
        self.users = users  # name -> the USER_FIELDS it has
        self.teams = teams  # name -> its members ([] when `members` is not a list)
        self._roles = roles
        # "operation\0ptype" -> grant rows (marshalled until asked for); None until built,
        # and again after a role or team changed
        self.table = None if table is None else _Rows(table)
        self.dirty = False  # differs from what the repository keeps
        self._authority: Authority | None = None

    @property
    def roles(self) -> dict[str, dict[str, Any]]:
        if isinstance(self._roles, bytes):
            self._roles = _decode(self._roles, dict)
        assert isinstance(self._roles, dict)
        return self._roles

    @property
    def settings(self) -> Settings:
        return Settings.of(self.settings_data)

    @property
    def has_roles(self) -> bool:
        return bool(self.roles) if not isinstance(self._roles, bytes) else self._roles != EMPTY

    def authority(self) -> Authority:
        """The grants these users, teams and roles make (built once)."""
        if self._authority is None:
            if self.table is not None:  # the roles are not read
                self._authority = Authority.of(self.users, self.teams, {},
                                               cast(GrantTable, self.table))
            else:
                self._authority = Authority.of(self.users, self.teams, self.roles)
        return self._authority

    def dump(self, fmt: str) -> bytes:
        roles = self._roles if isinstance(self._roles, bytes) else marshal.dumps(self._roles)
        table = None if self.table is None else self.table.packed()
        return marshal.dumps((STATE_TAG, fmt, self.commit, self.prefix, self.has_settings,
                              self.settings_data, self.users, self.teams, roles, table))


EMPTY = marshal.dumps({})


class Damaged(Exception):
    """A part of the kept state that does not read back (it is then read whole)."""


def _decode(blob: bytes, kind: type) -> Any:
    try:
        value = marshal.loads(blob)
    except (EOFError, ValueError, TypeError) as exc:
        raise Damaged() from exc
    if not isinstance(value, kind):
        raise Damaged()
    return value


class _Rows(dict[str, Any]):
    """A grant table whose rows are unmarshalled per permission, when asked for."""

    def get(self, key: Any, default: Any = None) -> Any:
        value = dict.get(self, key)
        if value is None:
            return default
        if isinstance(value, bytes):
            value = _decode(value, list)
            self[key] = value
        return value

    def packed(self) -> dict[str, bytes]:
        return {k: v if isinstance(v, bytes) else marshal.dumps(v) for k, v in self.items()}


def from_snapshot(snap: Snapshot, commit: str, prefix: str) -> Held:
    members = team_members(snap.of_kind("team"))
    doc = snap.documents.get(EntityRef("settings", None, "gitstore"))
    return Held(commit, prefix, snap.has_settings, doc.data if doc else None,
                {d.ref.name: _slim(d.data) for d in snap.of_kind("user")},
                {d.ref.name: members.get(d.ref.name, []) for d in snap.of_kind("team")},
                {d.ref.name: d.data for d in snap.of_kind("role")}, None)


def _slim(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in USER_FIELDS if key in data}


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
            held.table = _Rows(built)
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
    treeish = f"{commit}:{state.prefix}" if state.prefix else commit
    source = GitTreeSource(f"commit {commit[:12]}", None, git_cwd=Path(git_cwd), treeish=treeish)
    mini = load_snapshot(source, ResultCache(None), entries=entries)
    table = state.table
    _apply(state, mini, touched, {e.path for e in entries})
    state.commit = commit
    # Writing the state costs more than reading a few files again: it is written when many
    # files changed or the grant table must be built again (see HeldStore.keep).
    state.dirty = state.dirty or len(touched) >= REWRITE_AFTER
    if table is not None and state.table is None:
        state.dirty = True
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
        if ref.kind in ("team", "role"):
            state.table = None
        _of_kind(state, ref.kind).pop(ref.name, None)
    # Every touched entity is dropped before any is added: two paths can name one entity
    # only when one is not a readable file, and that one never adds anything.
    for ref, doc in mini.documents.items():
        if ref.kind == "user":
            state.users[ref.name] = _slim(doc.data)
        elif ref.kind == "team":
            state.teams[ref.name] = members.get(ref.name, [])
        elif ref.kind == "role":
            state.roles[ref.name] = doc.data


def _of_kind(state: Held, kind: str) -> dict[str, Any]:
    return state.users if kind == "user" else state.teams if kind == "team" else state.roles


def load(path: Path, fmt: str) -> Held | None:
    """The kept state, or None when it is missing, damaged, foreign or from other code."""
    try:
        blob = marshal.loads(path.read_bytes())
        if not isinstance(blob, tuple) or len(blob) != 10 or blob[:2] != (STATE_TAG, fmt):
            return None
        commit, prefix, has_settings, settings, users, teams, roles, table = blob[2:]
    except (OSError, EOFError, ValueError, TypeError):
        return None
    shapes = ((commit, str), (prefix, str), (has_settings, bool), (users, dict),
              (teams, dict), (roles, bytes))
    if (not all(isinstance(value, kind) for value, kind in shapes)
            or not isinstance(settings, dict | None) or not isinstance(table, dict | None)):
        return None
    return Held(commit, prefix, has_settings, settings, users, teams, roles, table)


def save(path: Path, state: Held, fmt: str) -> None:
    """Replace the state atomically; a repository that cannot be written is still judged."""
    try_replace_file(path, state.dump(fmt))
