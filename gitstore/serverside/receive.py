"""The server side: decide whether a push may update its branches.

git runs the ``pre-receive`` hook with one ``<old> <new> <ref>`` line per
updated ref. For each branch, :func:`check_ref_update` validates the new tip
and compares its problems with those of the tip it replaces (for a new
branch, the default branch): a problem already there is a warning, never a
reason to reject, so a repository with legacy problems can adopt the hook.

Both tips are read through the per-blob result cache in the bare
repository's ``gitstore/`` folder, so a push that changes a few files parses
only those files; the cross-file checks run over already-parsed facts.

Further checks (permissions, signatures) append themselves to
:data:`EXTRA_CHECKS`; each gets the same :class:`RefContext` and returns
problems, whose severity decides whether they block the push.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE
from gitstore.plumbing.settings import Settings, config_path, settings_at
from gitstore.plumbing.sources import ConfigRepo
from gitstore.problems import Problem
from gitstore.serverside.refs import RefContext, RefUpdate
from gitstore.validate import Report

if TYPE_CHECKING:
    pass

LEGACY_SHOWN = 20  # problems already on a branch listed in full; the rest are counted


@dataclass
class RefVerdict:
    ref: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    legacy: list[Problem] = field(default_factory=list)  # errors already at the base
    notes: list[str] = field(default_factory=list)
    refusal: str | None = None  # a reason to reject that is not a located problem

    @property
    def accepted(self) -> bool:
        return not self.errors and self.refusal is None


ExtraCheck = Callable[[RefContext], Iterable[Problem]]


def _trust_check(ctx: RefContext) -> Iterable[Problem]:
    """Permissions and signed commits (gitstore.trust), judged at the base."""
    from gitstore.serverside.trust_hook import check_ref

    return check_ref(ctx)


EXTRA_CHECKS: list[ExtraCheck] = [_trust_check]


def parse_updates(text: str) -> list[RefUpdate]:
    """The ``<old> <new> <ref>`` lines git writes to a pre-receive hook."""
    updates = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            updates.append(RefUpdate(*parts))
    return updates


def problem_identity(problem: Problem) -> tuple[str, str, str]:
    """What makes two problems the same across commits (lines move; messages do not)."""
    return (problem.path, problem.code, problem.message)


def runs_branch(repo: ConfigRepo, commits: Iterable[str | None]) -> str:
    """The runs branch named in gitstore.yaml of the first of ``commits`` that has one."""
    for commit in commits:
        if commit is None:
            continue
        settings = settings_at(repo.git_cwd, commit, repo.prefix)
        if settings is not None:
            return settings.runs_branch
    return Settings().runs_branch


def default_tip(repo: ConfigRepo) -> str | None:
    head = vcs.head_branch(repo.git_cwd)
    return vcs.commit_or_none(repo.git_cwd, head) if head else None


def check_push(repo: ConfigRepo, updates: list[RefUpdate],
               env: dict[str, str] | None = None) -> list[RefVerdict]:
    """One verdict per ref update; the push is accepted when every verdict is.

    The configuration may sit in a subfolder of the repository: see
    :func:`locate_configuration`. Problems then name files from the git root.
    """
    tips = [u.new for u in updates if u.is_branch and not u.is_deletion]
    default = default_tip(repo)
    repo, refusal = locate_configuration(repo, [default, *tips])
    verdicts = [_check_update(repo, u, env or {}, default) for u in updates]
    for verdict, update in zip(verdicts, updates, strict=True):
        if refusal and update.is_branch and not update.is_deletion:
            verdict.refusal = refusal
        if repo.prefix:
            for problems in (verdict.errors, verdict.warnings, verdict.legacy):
                problems[:] = [replace(p, path=f"{repo.prefix}/{p.path}") for p in problems]
    return verdicts


def locate_configuration(repo: ConfigRepo, commits: Iterable[str | None]
                         ) -> tuple[ConfigRepo, str | None]:
    """``repo`` with the folder its configuration sits in, and a reason to refuse, if any.

    The first of ``commits`` (the default branch's tip, then the pushed tips)
    that holds a gitstore.yaml decides: at its root, or in the one folder that
    holds one. Two configurations in one repository are refused: the hook
    could not tell which one a branch is.
    """
    if repo.prefix:
        return repo, None
    for commit in commits:
        if commit is None:
            continue
        if vcs.cat_objects(repo.git_cwd, [f"{commit}:{CONFIG_FILE}"])[0] is not None:
            return repo, None
        marker = f"/{CONFIG_FILE}"
        folders = sorted(e.path[: -len(marker)] for e in vcs.ls_tree(repo.git_cwd, commit)
                         if e.path.endswith(marker))
        if len(folders) == 1:
            return replace(repo, prefix=folders[0]), None
        if folders:
            found = ", ".join(f"{f}/{CONFIG_FILE}" for f in folders)
            return repo, (f"{len(folders)} configurations in one repository ({found}); "
                          "the server checks one: keep one gitstore.yaml per repository")
    return repo, None


def check_ref_update(repo: ConfigRepo, old: str, new: str, ref: str,
                     env: dict[str, str]) -> RefVerdict:
    """Whether moving ``ref`` from ``old`` to ``new`` keeps its configuration valid."""
    return _check_update(repo, RefUpdate(old, new, ref), env, default_tip(repo))


def _check_update(repo: ConfigRepo, update: RefUpdate, env: dict[str, str],
                  default: str | None) -> RefVerdict:
    """:func:`check_ref_update`, with the default branch's tip as the push found it."""
    old, new = update.old, update.new
    verdict = RefVerdict(update.ref)
    if not update.is_branch:
        verdict.notes.append("not a branch; not checked")
        return verdict
    if update.is_deletion:
        verdict.notes.append("branch deleted")
        return verdict
    if update.branch == runs_branch(repo, (default, new)):
        verdict.notes.append("runs branch; its records are checked separately")
        from gitstore.serverside.trust_hook import check_runs_update

        for problem in check_runs_update(repo, old, new, env, default):
            (verdict.errors if problem.is_error else verdict.warnings).append(problem)
        return verdict
    base = default if update.is_creation else old
    ctx = RefContext(repo, update, env, None if base == new and update.is_creation else base)
    _validate_tips(ctx)
    _judge(ctx, verdict)
    for check in EXTRA_CHECKS:
        for problem in check(ctx):
            (verdict.errors if problem.is_error else verdict.warnings).append(problem)
    return verdict


def _validate_tips(ctx: RefContext) -> None:
    """Validate the new tip; the base too, but only when there are problems to compare."""
    ctx.new_report = _report_at(ctx.repo, ctx.update.new)
    if ctx.base is not None and (ctx.new_report is None or ctx.new_report.problems):
        ctx.base_report = _report_at(ctx.repo, ctx.base)


def _report_at(repo: ConfigRepo, commit: str) -> Report | None:
    """The validation report of a commit (its per-file results cached by blob), or None
    when the commit holds no configuration."""
    from gitstore.errors import NotAConfigRepository
    from gitstore.validate import validate

    try:
        return validate(repo.commit(commit))
    except NotAConfigRepository:
        return None


def _judge(ctx: RefContext, verdict: RefVerdict) -> None:
    new, base = ctx.new_report, ctx.base_report
    if new is None:
        if base is not None:
            verdict.refusal = (f"{config_path(ctx.repo.prefix)} is deleted: the branch would no longer "
                               "be a configuration repository")
        else:
            verdict.notes.append(f"no {CONFIG_FILE}; not a configuration branch")
        return
    before = {problem_identity(p) for p in base.problems} if base else set()
    for problem in new.problems:
        known = problem_identity(problem) in before
        if problem.is_error:
            (verdict.legacy if known else verdict.errors).append(problem)
        elif not known:
            verdict.warnings.append(problem)
    verdict.notes.append(f"{new.files} files checked")


def format_verdicts(verdicts: list[RefVerdict]) -> str:
    """The message a pusher sees (git prefixes each line with ``remote:``)."""
    lines: list[str] = []
    for verdict in verdicts:
        lines.extend(_verdict_lines(verdict))
    rejected = sum(1 for v in verdicts if not v.accepted)
    if rejected:
        lines.append(f"gitstore: push rejected: {rejected} of {len(verdicts)} ref"
                     f"{'s' if len(verdicts) != 1 else ''} would be left invalid; "
                     "fix the errors above and push again")
    return "".join(f"{line}\n" for line in lines)


def _verdict_lines(verdict: RefVerdict) -> list[str]:
    notes = f" ({'; '.join(verdict.notes)})" if verdict.notes else ""
    if verdict.refusal:
        return [f"gitstore: {verdict.ref}: rejected: {verdict.refusal}"]
    if verdict.errors:
        head = [f"gitstore: {verdict.ref}: rejected: {_count(verdict.errors, 'new error')}{notes}"]
    else:
        head = [f"gitstore: {verdict.ref}: ok{notes}"]
    body = [_problem_line(p, "error") for p in verdict.errors]
    body += [_problem_line(p, "warning") for p in verdict.warnings]
    if verdict.legacy:
        body.append(f"gitstore: {verdict.ref}: {_count(verdict.legacy, 'error')} already on the "
                    "branch before this push (not blocking):")
        body += [_problem_line(p, "warning") for p in verdict.legacy[:LEGACY_SHOWN]]
        if len(verdict.legacy) > LEGACY_SHOWN:
            body.append(f"... and {len(verdict.legacy) - LEGACY_SHOWN} more "
                        f"(`gitstore validate --rev {verdict.ref}` lists them all)")
    return head + body


def _problem_line(problem: Problem, severity: str) -> str:
    from gitstore.report import problem_lines

    return "\n".join(problem_lines(problem, severity))


def _count(items: list[Any], noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"



def hook_verdict(updates: str, cwd: str, env: dict[str, str]) -> tuple[int, str]:
    """What the installed ``hooks/pre-receive`` runs (``gitstore hooks pre-receive`` without
    the command line's start-up, which every push would wait for): the exit code (1 rejects
    the push, 2 is an error) and the text for stderr, given the ``<old> <new> <ref>`` lines."""
    from pathlib import Path

    from gitstore.errors import EXIT_PROBLEMS, EXIT_USAGE, GitstoreError, error_text
    from gitstore.plumbing.sources import find_config_repo

    try:
        repo = find_config_repo(Path(cwd), need_worktree_file=False)
        verdicts = check_push(repo, parse_updates(updates), env)
    except GitstoreError as exc:
        return exc.exit_code, error_text(exc.message) + "\n"
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if env.get("GITSTORE_DEBUG"):
            raise
        return EXIT_USAGE, (f"gitstore: internal error: {type(exc).__name__}: {exc} (set "
                            "GITSTORE_DEBUG=1 for the traceback, and please report it)\n")
    return (0 if all(v.accepted for v in verdicts) else EXIT_PROBLEMS), format_verdicts(verdicts)
