"""Installing gitstore's native git hooks.

A configuration repository gets ``pre-commit`` and ``pre-merge-commit`` (the
one git runs for a merge without conflicts); a server repository gets
``pre-receive``.

The scripts in the ``gitstore.hooks`` package are templates: installing one
fills in the Python interpreter that runs this gitstore (so the hook finds it
without PATH) and writes it executable into the repository's hooks folder
(``core.hooksPath`` is honoured). A hook gitstore wrote is recognised by its
marker line and replaced silently; any other hook is kept unless ``force``,
and then it is moved aside, never lost.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.exceptions import ForeignHook
from gitstore.plumbing import vcs
from gitstore.resources import hook_script

MARKER = "# gitstore-hook:"
BACKUP_SUFFIX = ".pre-gitstore"


@dataclass(frozen=True)
class Installed:
    hook: Path
    replaced: bool  # an earlier gitstore hook was rewritten
    backup: Path | None  # where a foreign hook was moved


def render(name: str, config_dir: str = ".") -> str:
    """The text of hook ``name`` for this interpreter."""
    text = hook_script(name)
    return (text.replace("'@PYTHON@'", shlex.quote(sys.executable))
                .replace("'@CONFIG_DIR@'", shlex.quote(config_dir)))


CLIENT_HOOKS = ("pre-commit", "pre-merge-commit")  # a clean merge runs only the second


def install_client(start: Path, force: bool = False) -> list[Installed]:
    """Write the pre-commit and pre-merge-commit hooks into the repository holding the
    configuration at ``start``."""
    from gitstore.plumbing.sources import find_config_repo

    repo = find_config_repo(start)
    if repo.git is None or repo.git.toplevel is None:
        raise vcs.NotAGitRepository(str(start), "gitstore hooks install")
    text = render("pre-commit", repo.prefix or ".")
    hooks = vcs.git_path(repo.git.toplevel, "hooks")
    for name in CLIENT_HOOKS:  # refuse before writing anything
        if not force and (hooks / name).exists() and not _is_ours(hooks / name):
            raise ForeignHook(hooks / name, f"{name}{BACKUP_SUFFIX}")
    return [_write(hooks / name, text, force) for name in CLIENT_HOOKS]


def install_server(path: Path, force: bool = False, warm: bool = True) -> list[Installed]:
    """Write the pre-receive hook into the (normally bare) repository at ``path``."""
    info = vcs.repo_info(path)
    if info is None:
        raise vcs.NotAGitRepository(str(path), "gitstore hooks install --server")
    cwd = info.toplevel or info.git_dir
    installed = _write(vcs.git_path(cwd, "hooks") / "pre-receive", render("pre-receive"), force)
    if warm:
        warm_cache(cwd)
    return [installed]


def warm_cache(cwd: Path) -> None:
    """Check the default branch once, so the first push parses only what it changes."""
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.serverside.receive import RefUpdate, check_push, default_tip

    repo = find_config_repo(cwd, need_worktree_file=False)
    tip = default_tip(repo)
    head = vcs.head_branch(repo.git_cwd)
    if tip and head:
        check_push(repo, [RefUpdate(vcs.ZERO_OID, tip, head)])


def _write(target: Path, text: str, force: bool) -> Installed:
    replaced = False
    backup = None
    if target.exists() or target.is_symlink():
        ours = _is_ours(target)
        if ours:
            replaced = True
        elif not force:
            raise ForeignHook(target, f"{target.name}{BACKUP_SUFFIX}")
        else:
            backup = target.with_name(target.name + BACKUP_SUFFIX)
            if backup.exists():
                raise UsageError(f"{backup} already exists; move it away first")
            os.replace(target, backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, target)
    return Installed(target, replaced, backup)


def _is_ours(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:400]
    except OSError:
        return False
    return MARKER in head
