"""Moving in and out: ZenML 0.10 zen stores to and from a configuration repository.

:func:`read_store` reads a folder store or a SQLite store;
:func:`gitstore.migrate.to_repo.import_into_repo` writes what was read into a
repository in one commit; :mod:`gitstore.migrate.from_repo` reads a repository
back and writes a store.
"""

from __future__ import annotations

from pathlib import Path

from gitstore.migrate.model import SourceError, StoreData

SQLITE_MAGIC = b"SQLite format 3\x00"


def store_kind(src: str) -> str:
    """``folder`` or ``sqlite`` for a source given as a path or ``sqlite:///`` URL."""
    if src.startswith("sqlite:///"):
        return "sqlite"
    path = Path(src)
    if path.is_dir():
        return "folder"
    if path.is_file():
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if path.suffix == ".db" or head == SQLITE_MAGIC:
            return "sqlite"
        if path.name == "stacks.yaml":
            return "folder"
        raise SourceError(f"{src} is neither a ZenML folder store (a folder with stacks.yaml) "
                          "nor a SQLite store (a .db file or sqlite:/// URL)")
    raise SourceError(f"{src}: no such file or folder")


def read_store(src: str) -> tuple[StoreData, str]:
    """The content of the store ``src`` and its kind."""
    kind = store_kind(src)
    if kind == "sqlite":
        from gitstore.migrate.zenml_sqlite import read_sqlite, sqlite_path

        return read_sqlite(sqlite_path(src) if src.startswith("sqlite:") else Path(src)), kind
    from gitstore.migrate.zenml_folder import read_folder

    path = Path(src)
    return read_folder(path.parent if path.is_file() else path), kind
