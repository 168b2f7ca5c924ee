"""Where a configuration repository's files come from: the working tree, the index, a commit.

A source lists the files the layout governs (with a blob id for each, so that
results can be kept by content) and reads the ones asked for. Symbolic links
are listed as links and never followed, in any mode.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple

from gitstore.errors import NotAConfigRepository
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS
from gitstore.plumbing.yamlio import MAX_BYTES

LAYOUT_ROOTS = (CONFIG_FILE, *FOLDERS.values())
# What is read of one file: one byte more than a configuration file may hold,
# enough to refuse a larger one without holding it in memory.
READ_LIMIT = MAX_BYTES + 1


def read_head(path: str | os.PathLike[str]) -> bytes:
    """A file's contents, cut after READ_LIMIT bytes."""
    with open(path, "rb") as fh:
        return fh.read(READ_LIMIT)


class FileEntry(NamedTuple):
    path: str  # relative to the configuration root, forward slashes
    oid: str  # git blob id of the contents
    mode: str  # git file mode: 100644/100755 file, 120000 link, 160000 submodule
    stage: int = 0  # index stage; non-zero for an unmerged path

    @property
    def is_file(self) -> bool:
        return self.mode.startswith("100") and self.stage == 0


@dataclass
class Source:
    """Base: a set of files plus the way to read them."""

    label: str
    cache_dir: Path | None = None

    def entries(self) -> list[FileEntry]:
        raise NotImplementedError

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        raise NotImplementedError


@dataclass
class WorkTreeSource(Source):
    """The files on disk below ``root``; a plain directory needs no git."""

    root: Path = field(default_factory=Path)
    _data: dict[str, bytes] = field(default_factory=dict, repr=False)

    def entries(self) -> list[FileEntry]:
        found: list[FileEntry] = []
        root = str(self.root)
        for name in LAYOUT_ROOTS:
            full = os.path.join(root, name)
            try:
                st = os.lstat(full)
            except FileNotFoundError:
                continue
            self._add(full, name, st.st_mode, found)
        return found

    def _add(self, full: str, rel: str, mode: int, found: list[FileEntry]) -> None:
        if stat.S_ISLNK(mode):
            target = os.readlink(full).encode("utf-8", "surrogateescape")
            found.append(FileEntry(rel, vcs.blob_oid(target), vcs.MODE_SYMLINK))
        elif stat.S_ISDIR(mode):
            if rel == CONFIG_FILE:
                found.append(FileEntry(rel, "0" * 40, vcs.MODE_SUBMODULE))
                return
            with os.scandir(full) as it:
                children = sorted(it, key=lambda e: e.name)
            for child in children:
                self._add(child.path, f"{rel}/{child.name}", _entry_mode(child), found)
        elif stat.S_ISREG(mode):
            data = read_head(full)
            self._data[rel] = data
            found.append(FileEntry(rel, vcs.blob_oid(data), "100644"))
        else:
            found.append(FileEntry(rel, "0" * 40, vcs.MODE_SUBMODULE))

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        return {e.path: self._data[e.path] for e in entries if e.path in self._data}


def _entry_mode(entry: os.DirEntry[str]) -> int:
    """A directory entry's file type, from the listing itself where the system gives it."""
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    return entry.stat(follow_symlinks=False).st_mode


@dataclass
class GitTreeSource(Source):
    """The files of one commit (or any tree), read from git objects."""

    git_cwd: Path = field(default_factory=Path)
    treeish: str = "HEAD"
    prefix: str = ""

    def entries(self) -> list[FileEntry]:
        listing = vcs.ls_tree(self.git_cwd, self.treeish, LAYOUT_ROOTS)
        return [FileEntry(e.path, e.oid, e.mode) for e in listing]

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        blobs = vcs.read_blobs(self.git_cwd, (e.oid for e in entries), READ_LIMIT)
        return {e.path: blobs[e.oid] for e in entries}


@dataclass
class IndexSource(Source):
    """Exactly what the index would commit: untracked files and unstaged edits do not count."""

    git_cwd: Path = field(default_factory=Path)
    prefix: str = ""

    def entries(self) -> list[FileEntry]:
        pre = f"{self.prefix}/" if self.prefix else ""
        return self.parse(vcs.ls_index_raw(self.git_cwd, [pre + name for name in LAYOUT_ROOTS]))

    def listing_bytes(self) -> bytes | None:
        """The index's listing as git prints it (see :func:`vcs.ls_index_raw`), when its
        paths are those of :meth:`entries` (the configuration at the top); None otherwise."""
        return None if self.prefix else vcs.ls_index_raw(self.git_cwd, LAYOUT_ROOTS)

    def parse(self, raw: bytes) -> list[FileEntry]:
        """The entries of a listing read by :meth:`listing_bytes` (or :meth:`entries`)."""
        pre = f"{self.prefix}/" if self.prefix else ""
        records = vcs.index_records(raw)
        if not pre:  # tuple.__new__ straight from C: FileEntry._make runs Python per entry
            return list(map(partial(tuple.__new__, FileEntry), records))
        return [FileEntry(path[len(pre):], oid, mode, stage) for path, oid, mode, stage in records]

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        blobs = vcs.read_blobs(self.git_cwd, (e.oid for e in entries), READ_LIMIT)
        return {e.path: blobs[e.oid] for e in entries}


@dataclass(frozen=True)
class ConfigRepo:
    """Where a configuration repository lives."""

    root: Path  # the folder holding gitstore.yaml, or the git dir of a bare repository
    git: vcs.RepoInfo | None
    prefix: str  # the configuration root's path inside the git tree ('' at the top)

    @property
    def cache_dir(self) -> Path | None:
        return self.git.common_dir / "gitstore" if self.git else None

    @property
    def git_cwd(self) -> Path:
        assert self.git is not None
        return self.git.toplevel or self.git.git_dir

    def worktree(self) -> WorkTreeSource:
        return WorkTreeSource("working tree", self.cache_dir, root=self.root)

    def index(self) -> IndexSource:
        self._require_git("--staged")
        return IndexSource("index", self.cache_dir, git_cwd=self.git_cwd, prefix=self.prefix)

    def commit(self, rev: str) -> GitTreeSource:
        self._require_git("--rev")
        oid = vcs.resolve_commit(self.git_cwd, rev)
        treeish = f"{oid}:{self.prefix}" if self.prefix else oid
        return GitTreeSource(f"commit {oid[:12]}", self.cache_dir, git_cwd=self.git_cwd,
                             treeish=treeish, prefix=self.prefix)

    def _require_git(self, wanted: str) -> None:
        if self.git is None:
            raise vcs.NotAGitRepository(str(self.root), wanted)


def find_config_repo(start: str | os.PathLike[str], need_worktree_file: bool = True) -> ConfigRepo:
    """Find the configuration repository at ``start`` or above it, the way git finds its own.

    With ``need_worktree_file=False`` (reading git objects), a git repository
    without gitstore.yaml on disk is accepted at its top level, and a bare
    repository is accepted as it is.
    """
    start_path = Path(start).absolute()
    if not start_path.exists():
        raise NotAConfigRepository(str(start), "no such directory")
    if start_path.is_file():
        start_path = start_path.parent
    for candidate in (start_path, *start_path.parents):
        marker = candidate / CONFIG_FILE
        if os.path.lexists(marker):
            git = vcs.known_repo(candidate)
            return ConfigRepo(candidate, git, git.prefix if git else "")
    if not need_worktree_file:
        git = vcs.known_repo(start_path)
        if git is not None:
            root = git.toplevel or git.git_dir
            return ConfigRepo(root, git, "")
    raise NotAConfigRepository(str(start))
