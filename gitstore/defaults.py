"""The default registrations: what ``gitstore init`` and a new store start with.

The default stack uses paths below the user's home directory (``~``), which
every machine expands for itself, never an absolute path of the machine that
created the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.plumbing.layout import CONFIG_FILE, derive_id, entity_path

LOCAL_STORES = "~/.config/gitstore/local_stores"

SETTINGS_TEXT = """\
# gitstore repository settings (format version 1).
format: 1
default_stack: default
"""

DEFAULT_COMPONENTS: dict[str, tuple[str, dict[str, object]]] = {
    # type: (flavor, config)
    "orchestrator": ("local", {}),
    "artifact_store": ("local", {"path": f"{LOCAL_STORES}/default"}),
    "metadata_store": ("sqlite", {"uri": f"{LOCAL_STORES}/default/metadata.db",
                                  "upgrade_migration_enabled": True}),
}


def component_text(type_: str, name: str = "default") -> str:
    flavor, config = DEFAULT_COMPONENTS[type_]
    lines = [f"id: {derive_id('component', name, type_)}", f"flavor: {flavor}"]
    if config:
        lines.append("config:")
        for key, value in config.items():
            lines.append(f"  {key}: {'true' if value is True else value}")
    else:
        lines.append("config: {}")
    return "\n".join(lines) + "\n"


def stack_text(name: str = "default") -> str:
    body = "".join(f"  {t}: default\n" for t in DEFAULT_COMPONENTS)
    return (f"id: {derive_id('stack', name)}\n"
            "description: Local stack that runs pipelines on this machine\n"
            f"components:\n{body}")


def user_text(name: str = "default") -> str:
    return f"id: {derive_id('user', name)}\n"


def initial_files() -> dict[str, str]:
    """Repository path -> text of a new configuration repository."""
    files = {CONFIG_FILE: SETTINGS_TEXT}
    for type_ in DEFAULT_COMPONENTS:
        files[entity_path("component", "default", type_)] = component_text(type_)
    files[entity_path("stack", "default")] = stack_text()
    files[entity_path("user", "default")] = user_text()
    return files


INIT_MESSAGE = "gitstore: initialize configuration repository"


def create_repository(target: Path) -> str:
    """Write a new configuration repository at ``target`` (``git init`` when it is in none) and
    commit exactly its files; the commit id. Nothing is written when anything is in the way,
    and a failure leaves the folder as it was."""
    from gitstore.plumbing import vcs

    if os.path.lexists(target / CONFIG_FILE):
        raise UsageError(f"{target} is already a configuration repository ({CONFIG_FILE} exists)")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file, not a folder")
    files = initial_files()
    for rel in files:
        if os.path.lexists(target / rel):
            raise UsageError(f"{target / rel} already exists; move it away or run init in an empty folder")
    problem = vcs.identity_problem(_nearest_folder(target))
    if problem is not None:
        raise UsageError(f"git cannot make the first commit: {problem}; set your identity with "
                         '`git config --global user.name "Your Name"` and '
                         "`git config --global user.email you@example.com`, then run init again")
    undo = _Undo(target)
    try:
        return _create(target, files, undo)
    except BaseException:
        undo.run()
        raise


def _nearest_folder(path: Path) -> Path:
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


def _create(target: Path, files: dict[str, str], undo: _Undo) -> str:
    from gitstore.plumbing import vcs

    undo.make_dir(target)
    info = vcs.repo_info(target)
    if info is None or info.toplevel is None:
        info = vcs.init_repo(target)
        undo.git_dir = target / ".git"
    top = info.toplevel or target
    undo.top = top
    for rel, text in files.items():
        dest = target / rel
        undo.make_dir(dest.parent)
        undo.files.append(dest)
        dest.write_text(text, encoding="utf-8")
        undo.staged.append(dest.resolve().relative_to(top.resolve()).as_posix())
    return vcs.commit_paths(top, undo.staged, INIT_MESSAGE)


class _Undo:
    """What a failed init takes back: the files it wrote and staged, the folders and the
    git repository it made."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.dirs: list[Path] = []
        self.files: list[Path] = []
        self.staged: list[str] = []
        self.git_dir: Path | None = None
        self.top: Path | None = None

    def make_dir(self, path: Path) -> None:
        missing = []
        probe = path
        while not probe.exists():
            missing.append(probe)
            probe = probe.parent
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create {path}: {exc.strerror or exc}") from exc
        self.dirs.extend(reversed(missing))

    def run(self) -> None:
        import shutil

        from gitstore.plumbing import vcs

        if self.git_dir is not None:
            shutil.rmtree(self.git_dir, ignore_errors=True)
        elif self.top is not None and self.staged:  # the index as it was
            if vcs.commit_or_none(self.top, "HEAD") is not None:
                vcs.run_status(["reset", "--quiet", "HEAD", "--", *self.staged], cwd=self.top)
            else:
                vcs.run_status(["rm", "--cached", "--quiet", "--ignore-unmatch", "--",
                                *self.staged], cwd=self.top)
        for path in self.files:
            path.unlink(missing_ok=True)
        for folder in reversed(self.dirs):
            try:
                folder.rmdir()
            except OSError:
                pass
