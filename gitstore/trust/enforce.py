"""A change judged against the repository before it: permissions and signatures.

:func:`check_change` is the one check the pre-receive hook and
``gitstore check-permissions`` share. Who holds what is read from the base
commit (the old tip of a push, the base of a pull request), never from the
change itself, so a change that grants its own author a role is judged
without that role. With ``enforce_permissions: true`` in the base's
gitstore.yaml a missing permission is an error; otherwise, in a repository
that has roles, the same findings are warnings. With
``require_signed_commits: true`` every new commit must be signed by its user.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS
from gitstore.plumbing.snapshot import Snapshot, load_snapshot
from gitstore.plumbing.sources import FileEntry, GitTreeSource, WorkTreeSource
from gitstore.problems import Problem
from gitstore.trust import actor as actors
from gitstore.trust.changes import Requirement, requirements
from gitstore.trust.held import Damaged, Held, HeldStore
from gitstore.trust.permissions import Authority

if TYPE_CHECKING:
    from gitstore.plumbing.sources import ConfigRepo
    from gitstore.validate import Report


AUTHORITY_ROOTS = (CONFIG_FILE, FOLDERS["user"], FOLDERS["team"], FOLDERS["role"])


@dataclass
class AuthoritySource(GitTreeSource):
    """Only the files that say who holds what: settings, users, teams and roles."""

    def entries(self) -> list[FileEntry]:
        listing = vcs.ls_tree(self.git_cwd, self.treeish, AUTHORITY_ROOTS)
        return [FileEntry(e.path, e.oid, e.mode) for e in listing]


@dataclass
class AuthorityWorkTree(WorkTreeSource):
    """Only the settings, users, teams and roles of a working tree."""

    def entries(self) -> list[FileEntry]:
        found: list[FileEntry] = []
        for name in AUTHORITY_ROOTS:
            full = os.path.join(self.root, name)
            if os.path.lexists(full):
                self._add(full, name, os.lstat(full).st_mode, found)
        return found


def authority_snapshot(repo: ConfigRepo, rev: str | None = None) -> Snapshot:
    """The settings, users, teams and roles of the working tree (or of commit ``rev``),
    read through the repository's result cache (which this never rewrites)."""
    cache = ResultCache(repo.cache_dir)
    if rev is None:
        return load_snapshot(AuthorityWorkTree("working tree", root=repo.root), cache)
    commit = vcs.resolve_commit(git_cwd(repo, "--rev"), rev)
    return snapshot_at(repo.git_cwd, commit, repo.prefix, cache)


def snapshot_at(git_cwd: str | os.PathLike[str], commit: str, prefix: str = "",
                cache: ResultCache | None = None) -> Snapshot:
    """The settings, users, teams and roles as they are in ``commit``."""
    treeish = f"{commit}:{prefix}" if prefix else commit
    source = AuthoritySource(f"commit {commit[:12]}", git_cwd=Path(git_cwd), treeish=treeish)
    return load_snapshot(source, cache)


def check_change(git_cwd: str | os.PathLike[str], old: str | None, new: str,
                 env: Mapping[str, str], *, prefix: str = "", diff_from: str | None = None,
                 authority_at: str | None = None, cache: ResultCache | None = None
                 ) -> list[Problem]:
    """Problems of moving a branch from ``old`` to ``new``.

    Permissions are judged at ``authority_at`` (default ``old``); the files
    compared are those between ``diff_from`` (default ``old``; the empty tree
    when both are absent) and ``new``; the new commits are those reachable
    from ``new`` and not from ``old`` (without ``old``: from no ref, as in a
    pre-receive hook). Nothing is judged when there is no configuration to
    judge by (a new repository has nobody to ask). The settings, users, teams and roles
    at the base come from the state ``cache``'s folder keeps (see :mod:`gitstore.trust.held`),
    followed to the base by reading only what differs.
    """
    old = None if old == vcs.ZERO_OID else old
    judge_at = authority_at or old
    if judge_at is None:
        return []
    store = HeldStore(cache)
    base = store.at(git_cwd, judge_at, prefix)
    try:
        problems = _judge(git_cwd, base, old, new, env, prefix, diff_from)
    except Damaged:  # a part of the kept state read only now does not read back
        base = store.whole(git_cwd, judge_at, prefix)
        problems = _judge(git_cwd, base, old, new, env, prefix, diff_from)
    store.keep(base)
    return problems


def _judge(git_cwd: str | os.PathLike[str], base: Held, old: str | None, new: str,
           env: Mapping[str, str], prefix: str, diff_from: str | None) -> list[Problem]:
    if not base.has_settings:
        return []
    authority = base.authority()
    settings = base.settings
    enforce = settings.enforce_permissions
    revs = [new, f"^{old}"] if old else [new, "--not", "--all"]
    problems: list[Problem] = []
    if enforce or base.has_roles:  # without roles there is nothing to preview
        needs = requirements(git_cwd, vcs.diff_trees(git_cwd, diff_from or old, new), prefix)
        acting = _actors(git_cwd, authority, env, revs, needs, prefix)
        problems = permission_problems(authority, needs, acting, enforce)
    if settings.require_signed_commits:
        from gitstore.trust.signatures import signature_problems

        problems.extend(signature_problems(git_cwd, authority, revs))
    return problems


def _actors(git_cwd: str | os.PathLike[str], authority: Authority, env: Mapping[str, str],
            revs: list[str], needs: list[Requirement], prefix: str
            ) -> dict[str, list[actors.Actor]]:
    """Who acted on each changed file: the pusher when the server names one, else the
    authors of the new commits that touched it (the tip's author for a file only a
    merge changed)."""
    named = actors.pusher(authority, env)
    if named is not None:
        return {need.path: [named] for need in needs}
    if not needs:
        return {}
    start = f"{prefix}/" if prefix else ""
    commits = vcs.commits_with_files(git_cwd, revs)
    emails: dict[str, list[str]] = {}
    for commit in commits:
        for path in commit.paths:
            if path.startswith(start):
                emails.setdefault(path[len(start):], []).append(commit.author_email)
    tip = [commits[0].author_email] if commits else []
    return {need.path: [actors.author(authority, email)
                        for email in dict.fromkeys(emails.get(need.path) or tip)]
            for need in needs}


def permission_problems(authority: Authority, needs: list[Requirement],
                        acting: dict[str, list[actors.Actor]], enforce: bool) -> list[Problem]:
    """One problem per changed file and actor lacking the permission the change takes."""
    problems = []
    for need in needs:
        holders = authority.holder_names(need.operation, need.ptype, need.project)
        for actor in acting.get(need.path, []):
            if actor.user is None:
                problems.append(_unknown(authority, need, actor, holders, enforce))
            elif actor.user not in holders:
                problems.append(Problem(
                    need.path, None, None, "GS501" if enforce else "GS511",
                    f"{need.describe()}, which {actor.describe()} does not hold",
                    _approvers(need, holders)))
    return problems


def _approvers(need: Requirement, holders: Collection[str]) -> str:
    if not holders:
        return (f"no user holds {need.permission()}; a role granting it must be added first "
                "(roles/*.yaml)")
    return f"users holding {need.permission()}, who could approve it: {_some(holders)}"


def _some(names: Iterable[str], shown: int = 8) -> str:
    """The first few names, and how many more there are (`gitstore who-can` lists them all)."""
    ordered = sorted(names)
    more = len(ordered) - shown
    return ", ".join(ordered[:shown]) + (f" and {more} more" if more > 0 else "")


def _unknown(authority: Authority, need: Requirement, actor: actors.Actor,
             holders: Collection[str], enforce: bool) -> Problem:
    admins = sorted(authority.holder_names("user", "update"))
    through = (f"through someone holding `user: update` ({_some(admins)})" if admins
               else "through someone holding `user: update`")
    return Problem(need.path, None, None, "GS502" if enforce else "GS512",
                   f"{need.describe()}, and {actor.claim} is not a gitstore user",
                   f"to become known, {actor.how_to_become_known()}, {through}; "
                   + _approvers(need, holders))


def check_range(repo: ConfigRepo, base_rev: str, head_rev: str, env: Mapping[str, str],
                roles_from: str | None = None) -> Report:
    """``check_change`` for a pull request: the changes ``head_rev`` makes since it left
    ``base_rev``, judged by the roles at ``base_rev`` (or ``roles_from``)."""
    from gitstore.validate import Report

    cwd = git_cwd(repo, "gitstore check-permissions")
    base = vcs.resolve_commit(cwd, base_rev)
    head = vcs.resolve_commit(cwd, head_rev)
    authority_at = vcs.resolve_commit(cwd, roles_from) if roles_from else base
    fork = vcs.merge_base(cwd, base, head) or base
    cache = ResultCache(repo.cache_dir)
    problems = check_change(cwd, base, head, env, prefix=repo.prefix, diff_from=fork,
                            authority_at=authority_at, cache=cache)
    cache.save()
    changed = len(requirements(cwd, vcs.diff_trees(cwd, fork, head), repo.prefix))
    label = f"change {base[:12]}..{head[:12]}"
    return Report(label, changed, sorted(problems, key=Problem.sort_key))


def git_cwd(repo: ConfigRepo, wanted: str) -> Path:
    """Where git runs for ``repo``; NotAGitRepository for a plain directory."""
    if repo.git is None:
        raise vcs.NotAGitRepository(str(repo.root), wanted)
    return repo.git_cwd
