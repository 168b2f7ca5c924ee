"""The trust checks as a check of the pre-receive hook (``gitstore.serverside.receive.EXTRA_CHECKS``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gitstore.plumbing import vcs
from gitstore.plumbing.cache import ResultCache
from gitstore.problems import Problem
from gitstore.trust.enforce import check_change

if TYPE_CHECKING:
    from gitstore.plumbing.sources import ConfigRepo
    from gitstore.serverside.refs import RefContext


def check_ref(ctx: RefContext) -> list[Problem]:
    """Permissions (and signatures, when required) of one pushed branch update, judged by
    the repository at the base the hook compares with: the old tip, or for a new branch
    the default branch."""
    repo = ctx.repo
    fork = None
    if ctx.base is not None and ctx.update.is_creation:  # judge what the branch adds
        fork = vcs.merge_base(repo.git_cwd, ctx.base, ctx.update.new)
    return check_change(repo.git_cwd, ctx.base, ctx.update.new, ctx.env, prefix=repo.prefix,
                        diff_from=fork, cache=ResultCache(repo.cache_dir))


def check_runs_update(repo: ConfigRepo, old: str, new: str, env: Mapping[str, str],
                      default_tip: str | None) -> list[Problem]:
    """``pipeline_run`` permissions of a push to the runs branch, judged by the roles on
    the default branch (the runs branch holds records only)."""
    if default_tip is None:
        return []
    return check_change(repo.git_cwd, old, new, env, prefix=repo.prefix,
                        authority_at=default_tip, cache=ResultCache(repo.cache_dir))
