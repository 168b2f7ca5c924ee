"""Writing a zen store's content into a configuration repository, in one commit.

Nothing is written until everything has been read, converted and validated
(in memory, together with the files of the repository it is added to): a new
repository is built in a temporary folder beside DEST and moved into place at
the end. Plain-text secrets
go to a file outside the repository (mode 0600), never into git.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.migrate.conflicts import resolve_conflicts, resolve_run_conflicts
from gitstore.migrate.export import move_into_place
from gitstore.migrate.model import SourceProblems, StoreData
from gitstore.migrate.portable import make_portable
from gitstore.migrate.repo_files import repo_files
from gitstore.migrate.runs import (
    invalid_names,
    record_runs,
    recorded_names,
    scrub_run,
    to_wrapper,
)
from gitstore.migrate.secrets import SecretVault, extract_secrets
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE
from gitstore.plumbing.snapshot import Snapshot
from gitstore.plumbing.sources import FileEntry, Source

SECRET_CODES = frozenset({"GS301", "GS302"})  # plain-text secret, secret-looking plain value


@dataclass
class ImportOptions:
    on_conflict: str = "error"
    secrets_file: Path | None = None
    keep_plaintext_secrets: bool = False


@dataclass
class ImportResult:
    dest: Path
    created: bool
    commit: str
    files: list[str]
    secrets: int = 0
    secrets_file: Path | None = None
    rewritten_paths: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    runs: int = 0


def import_into_repo(data: StoreData, dest: Path, options: ImportOptions,
                     message: str) -> ImportResult:
    """Carry ``data`` into the repository at ``dest`` (created when missing or empty)."""
    dangling = data.check_references()
    if dangling:
        raise SourceProblems("the source refers to entities it does not hold", dangling)
    dest = Path(os.path.abspath(dest))
    existing = _existing_repo(dest)
    conflicts = resolve_conflicts(data, existing, options.on_conflict) if existing else []
    if existing:
        names = [str(run.data["name"]) for run in data.runs]
        conflicts += resolve_run_conflicts(data, recorded_names(dest, names), options.on_conflict)
    vault = SecretVault()  # run records never hold plain-text secrets, whatever the options
    rewritten: list[str] = []
    _scrub(data, None if options.keep_plaintext_secrets else vault, vault, rewritten)
    bad_names = invalid_names([to_wrapper(run, None) for run in data.runs])
    if bad_names:
        raise SourceProblems("these pipeline runs cannot be recorded", bad_names)
    files = repo_files(data, with_settings=existing is None)
    tolerated = SECRET_CODES if options.keep_plaintext_secrets else frozenset()
    _check_valid(files, dest if existing else None, tolerated)
    secrets_path = None
    if len(vault):
        secrets_path = _secrets_path(dest, options)
        vault.write(secrets_path)
    result = ImportResult(dest, existing is None, "", sorted(files), len(vault),
                          secrets_path, rewritten, conflicts, len(data.runs))
    write = _create_repo if existing is None else _add_to_repo
    result.commit = write(dest, files, data, message)
    return result


def _existing_repo(dest: Path) -> Snapshot | None:
    from gitstore.plumbing.snapshot import load_snapshot
    from gitstore.plumbing.sources import find_config_repo

    if not dest.exists() or (dest.is_dir() and not any(dest.iterdir())):
        return None
    if not (dest / CONFIG_FILE).is_file():
        raise UsageError(f"{dest} is neither empty nor a configuration repository "
                         f"(it has no {CONFIG_FILE}); import into a new folder or a repository")
    repo = find_config_repo(dest)
    if repo.git is None or repo.git.toplevel is None:
        raise UsageError(f"{dest} is not inside a git working tree; the import is one commit")
    return load_snapshot(repo.worktree())


def _scrub(data: StoreData, vault: SecretVault | None, run_vault: SecretVault,
           rewritten: list[str]) -> None:
    for (type_, name), component in sorted(data.components.items()):
        config = make_portable(component.config, rewritten, f"component {type_}/{name}")
        if vault is not None:
            config = extract_secrets(type_, component.flavor, name, config, vault)
        component.config = config
    data.runs = [scrub_run(run, run_vault, rewritten) for run in data.runs]


def _secrets_path(dest: Path, options: ImportOptions) -> Path:
    path = (options.secrets_file or dest.parent / f"{dest.name}.secrets.yaml").absolute()
    if path.resolve().is_relative_to(dest.resolve()):
        raise UsageError(f"the secrets file {path} must be outside the repository {dest}")
    if path.exists():
        raise UsageError(f"{path} exists already; choose another file with --secrets-file")
    return path


def _check_valid(files: dict[str, str], existing_root: Path | None,
                 tolerated: frozenset[str]) -> None:
    """Refuse unless the repository with ``files`` added has no error it did not have before."""
    from gitstore.plumbing.sources import WorkTreeSource

    base = WorkTreeSource("import", None, root=existing_root) if existing_root else None
    before = _errors(base, tolerated) if base else set()
    new = sorted(_errors(_WithFiles("import", None, base=base, files=files), tolerated) - before)
    if new:
        raise SourceProblems("the imported content would not be a valid configuration repository",
                             new)


@dataclass
class _WithFiles(Source):
    """A repository's files (if any) with ``files`` added, validated without writing anything."""

    base: Source | None = None
    files: dict[str, str] = field(default_factory=dict)

    def entries(self) -> list[FileEntry]:
        known = self.base.entries() if self.base else []
        added = [FileEntry(rel, vcs.blob_oid(text.encode("utf-8")), "100644")
                 for rel, text in sorted(self.files.items())]
        return known + added

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        mine = [e for e in entries if e.path in self.files]
        theirs = [e for e in entries if e.path not in self.files]
        found = self.base.read(theirs) if self.base and theirs else {}
        return {**found, **{e.path: self.files[e.path].encode("utf-8") for e in mine}}


def _errors(source: Source, tolerated: frozenset[str]) -> set[str]:
    from gitstore.report import problem_lines
    from gitstore.validate import validate

    report = validate(source, use_cache=False)
    return {problem_lines(p)[0] for p in report.problems
            if (p.is_error or p.code in SECRET_CODES) and p.code not in tolerated}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _commit_with_runs(root: Path, rels: list[str], data: StoreData, message: str) -> str:
    commit = vcs.commit_paths(root, rels, message) if rels else vcs.resolve_commit(root, "HEAD")
    record_runs(root, [to_wrapper(run, commit) for run in data.runs], commit)
    return commit


def _create_repo(dest: Path, files: dict[str, str], data: StoreData, message: str) -> str:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
    try:
        vcs.init_repo(tmp)
        _write(tmp, files)
        outcome = _commit_with_runs(tmp, sorted(files), data, message)
        move_into_place(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return outcome


def _add_to_repo(dest: Path, files: dict[str, str], data: StoreData, message: str) -> str:
    from gitstore.plumbing.sources import find_config_repo

    repo = find_config_repo(dest)
    prefix = f"{repo.prefix}/" if repo.prefix else ""
    _write(repo.root, files)
    return _commit_with_runs(repo.git_cwd, [prefix + rel for rel in sorted(files)], data, message)
