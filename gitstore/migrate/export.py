"""Writing a configuration repository out as a ZenML 0.10 store or a single-stack file.

The target is written beside DEST under a temporary name and moved into place
only when complete, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gitstore.errors import UsageError
from gitstore.migrate.from_repo import read_repo
from gitstore.migrate.secrets import load_secret_values
from gitstore.migrate.stack_file import stack_file_text

FORMATS = ("folder", "sqlite")


@dataclass
class ExportResult:
    dest: Path
    format: str
    stacks: int
    components: int


def export_store(start: Path, dest: Path, fmt: str, secrets_file: Path | None = None
                 ) -> ExportResult:
    """Write the repository at ``start`` as a ``fmt`` store at ``dest`` (which must not exist)."""
    secrets = load_secret_values(secrets_file) if secrets_file else None
    data = read_repo(start, secrets)
    dest = Path(os.path.abspath(dest))
    if fmt == "folder":
        if dest.exists() and not (dest.is_dir() and not any(dest.iterdir())):
            raise UsageError(f"{dest} exists and is not an empty folder")
        from gitstore.migrate.zenml_folder import write_folder

        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.export-", dir=dest.parent))
        _finish(tmp, dest, lambda: write_folder(data, tmp))
    else:
        if dest.exists():
            raise UsageError(f"{dest} exists already; a SQLite store is written to a new file")
        from gitstore.migrate.zenml_sqlite import write_sqlite

        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.export-", dir=dest.parent)
        os.close(fd)
        os.unlink(name)
        _finish(Path(name), dest, lambda: write_sqlite(data, Path(name)))
    return ExportResult(dest, fmt, len(data.stacks), len(data.components))


def move_into_place(tmp: Path, dest: Path) -> None:
    """Move the finished ``tmp`` to ``dest``; an existing empty folder is filled, not replaced
    (a shell may be sitting in it)."""
    if not dest.is_dir():
        os.rename(tmp, dest)
        return
    for child in sorted(tmp.iterdir()):
        os.rename(child, dest / child.name)
    tmp.rmdir()


def _finish(tmp: Path, dest: Path, write: object) -> None:
    try:
        write()  # type: ignore[operator]
        move_into_place(tmp, dest)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def export_stack(start: Path, stack: str, secrets_file: Path | None = None) -> str:
    """The single-stack export file text of ``stack``."""
    secrets = load_secret_values(secrets_file) if secrets_file else None
    data = read_repo(start, secrets)
    if stack not in data.stacks:
        from gitstore.problems import did_you_mean

        hint = did_you_mean(stack, sorted(data.stacks))
        raise UsageError(f"no stack `{stack}` in the repository" + (f" ({hint})" if hint else ""))
    return stack_file_text(stack, data)
