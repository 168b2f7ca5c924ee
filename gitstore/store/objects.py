"""The git side of a write, done in-process where git's formats allow it.

:class:`GitObjects` reads HEAD, builds a commit (blobs, the trees on the
changed paths, the commit) as loose objects, moves the branch with git's
lock-file protocol, answers "what is staged for these paths" from the index
file and stages the written files by rewriting the index as git does, so that
a write starts no git process where it used to start a dozen. Whenever the
repository needs git itself (a signed commit, a detached HEAD, a reftable, a
split, sparse or version-4 index, no identity configured) that step runs
through :mod:`gitstore.plumbing.vcs` instead.
"""

from __future__ import annotations

import bisect
import os
import stat
import struct
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from gitstore.plumbing import gitfiles, vcs
from gitstore.plumbing.gitfiles import TREE_MODE, TreeItem, Unsupported
from gitstore.plumbing.snapshot import Snapshot
from gitstore.plumbing.sources import READ_LIMIT, ConfigRepo, FileEntry
from gitstore.store.state import Tree

if TYPE_CHECKING:
    from gitstore.store.transaction import Committed


class GitObjects:
    def __init__(self, repo: ConfigRepo) -> None:
        assert repo.git is not None
        self.repo = repo
        self.cwd = repo.git_cwd
        self.git_dir = repo.git.git_dir
        self.common_dir = repo.git.common_dir
        self.objects_dir = vcs.objects_dir(self.common_dir)
        self.prefix = repo.prefix
        self.catfile = vcs.CatFile(self.cwd)
        weakref.finalize(self, self.catfile.close)
        # oid -> sorted entries, the trees used last (a write reads the ones it made before)
        self._trees: OrderedDict[str, tuple[list[bytes], list[bytes]]] = OrderedDict()
        self._roots: OrderedDict[str, str] = OrderedDict()  # commit -> its tree
        self._index: tuple[bytes, gitfiles.IndexImage] | None = None  # (checksum, parsed)
        self.commit_time: int | None = None  # committer time of the last commit made

    # --- reading ---------------------------------------------------------------

    def head(self) -> str | None:
        try:
            return gitfiles.read_head(self.git_dir, self.common_dir)
        except Unsupported:
            return vcs.commit_or_none(self.cwd, "HEAD")

    def root_tree(self, commit: str) -> str:
        known = self._roots.get(commit)
        if known is not None:
            return known
        found = self.catfile.read(commit)
        if found is None or found[0] != "commit" or not found[1].startswith(b"tree "):
            raise vcs.GitError(["cat-file", commit], f"{commit} is not a commit")
        root = found[1][5:45].decode("ascii")
        _keep(self._roots, commit, root, ROOTS_KEPT)
        return root

    def _tree_data(self, oid: str) -> tuple[list[bytes], list[bytes]]:
        known = self._trees.get(oid)
        if known is None:
            found = self.catfile.read(oid)
            if found is None or found[0] != "tree":
                raise vcs.GitError(["cat-file", oid], f"{oid} is not a tree")
            known = gitfiles.split_tree(found[1])
        _keep(self._trees, oid, known, TREES_KEPT)
        return known

    def read(self, entries: list[FileEntry]) -> dict[str, bytes]:
        out = {}
        for entry in entries:
            found = self.catfile.read(entry.oid)
            if found is None:
                raise vcs.GitError(["cat-file", entry.oid], f"object {entry.oid} is missing")
            out[entry.path] = found[1][:READ_LIMIT]
        return out

    def tree_of(self, commit: str | None, snap: Snapshot) -> Tree:
        """A Tree of ``commit`` from a snapshot known to hold its files; reads go to cat-file."""
        label = f"commit {commit[:12]}" if commit else "empty repository"
        by_path = snap.by_path()
        kinds = snap._kinds
        snap = Snapshot(label, snap.entries, snap.documents, snap.present, snap.problems)
        snap._by_path, snap._kinds = by_path, kinds

        def read_text(path: str) -> str:
            return self.read([by_path[path]])[path].decode("utf-8")

        return Tree(snap, read_text, self.read)

    # --- the index ---------------------------------------------------------------

    def _index_path(self) -> Path | None:
        if os.environ.get("GIT_INDEX_FILE"):
            return None
        return self.git_dir / "index"

    def _image_of(self, data: bytes) -> gitfiles.IndexImage:
        """The index ``data`` taken apart (remembered by its checksum, so parsed once)."""
        checksum = data[-20:]
        if self._index is not None and self._index[0] == checksum and any(checksum):
            return self._index[1]
        image = gitfiles.parse_index(data)
        self._index = (checksum, image)
        return image

    def staged_oids(self, paths: list[str]) -> dict[str, str]:
        """git path -> staged blob id (or ``unmerged``) for those of ``paths`` in the index."""
        path = self._index_path()
        try:
            if path is None:
                raise Unsupported("GIT_INDEX_FILE")
            try:
                image = self._image_of(path.read_bytes())
            except FileNotFoundError:
                return {}
        except (Unsupported, ValueError, IndexError, struct.error):
            return {
                e.path: (e.oid if e.stage == 0 else "unmerged")
                for e in vcs.ls_index(self.cwd, paths)
            }
        found = {}
        for gpath in paths:
            key = gpath.encode("utf-8", "surrogateescape") + b"\0"
            at = bisect.bisect_left(image.keys, key)
            if at < len(image.keys) and image.keys[at].startswith(key):
                entry = image.entries[at]
                found[gpath] = entry.oid if entry.stage == 0 else "unmerged"
        return found

    def stage(self, paths: list[str], committed: Mapping[str, FileEntry] | None = None) -> None:
        """Stage exactly ``paths`` (git paths) as the working tree holds them, as
        ``git update-index --add --remove`` does; through git when the index needs it.

        ``committed`` (by configuration path) gives the file modes the commit
        holds, which the index takes (as git does under ``core.fileMode=false``).
        """
        if not paths:
            return
        index = self._index_path()
        try:
            if index is None:
                raise Unsupported("GIT_INDEX_FILE")
            cut = len(self.prefix) + 1 if self.prefix else 0
            updates = {}
            for gpath in paths:
                entry = (committed or {}).get(gpath[cut:])
                updates[gpath] = self._worktree_entry(gpath, entry.mode if entry else None)

            def change(current: bytes) -> bytes:
                image, data = gitfiles.updated_index(self._image_of(current), updates)
                self._index = (data[-20:], image)
                return data

            if gitfiles.replace_index(index, change):
                return
        except (Unsupported, ValueError, IndexError, struct.error):
            self._index = None
        stage_with_git(self.cwd, paths)

    def _worktree_entry(self, gpath: str, mode: str | None
                        ) -> tuple[os.stat_result, str, str] | None:
        full = Path(self.cwd) / gpath
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode):
            raise Unsupported("not a regular file")
        data = full.read_bytes()
        if os.lstat(full).st_mtime_ns != st.st_mtime_ns:
            raise Unsupported("changing while staged")
        if mode is None:
            mode = "100755" if st.st_mode & 0o111 else "100644"
        return st, mode, vcs.blob_oid(data)

    # --- writing ---------------------------------------------------------------

    def commit(self, base: Committed, changes: Mapping[str, str | None], message: str
               ) -> tuple[str, str]:
        """The commit of ``base`` with ``changes`` (made, not referenced); (commit, tree)."""
        try:
            return self._commit_here(base, changes, message)
        except Unsupported:
            return self._commit_with_git(base, changes, message)

    def _commit_here(self, base: Committed, changes: Mapping[str, str | None], message: str
                     ) -> tuple[str, str]:
        modes = base.tree.entries
        objects: list[tuple[str, bytes]] = []
        oids: list[str] = []
        updates: dict[tuple[str, ...], TreeItem | None] = {}
        pre = tuple(self.prefix.split("/")) if self.prefix else ()
        for path, text in changes.items():
            parts = (*pre, *path.split("/"))
            if text is None:
                updates[parts] = None
                continue
            data = text.encode("utf-8")
            oid = vcs.object_oid("blob", data)
            objects.append(("blob", data))
            oids.append(oid)
            entry = modes.get(path)
            mode = entry.mode if entry is not None else "100644"
            updates[parts] = TreeItem(mode, parts[-1], oid)
        root = self._patch(base.root_tree, updates, objects, oids)
        if root is None:
            root = vcs.EMPTY_TREE
            objects.append(("tree", b""))
            oids.append(root)
        vcs.write_loose_objects(self.objects_dir, objects, oids)
        made = vcs.commit_here(self.cwd, root, [base.commit] if base.commit else [], message, None)
        if made is None:
            raise Unsupported("git makes this commit")
        commit, self.commit_time = made
        _keep(self._roots, commit, root, ROOTS_KEPT)
        return commit, root

    def _patch(self, tree: str | None, updates: dict[tuple[str, ...], TreeItem | None],
               objects: list[tuple[str, bytes]], oids: list[str]) -> str | None:
        """The tree ``tree`` with ``updates`` (path parts -> item, None to remove); None if empty.

        A tree is kept as its sorted entries, raw; a change splices them, so a
        folder of thousands of files costs a few list operations, not a rebuild.
        """
        keys, chunks = self._tree_data(tree) if tree else ([], [])
        keys, chunks = list(keys), list(chunks)
        below: dict[str, dict[tuple[str, ...], TreeItem | None]] = {}
        for parts, item in updates.items():
            if len(parts) == 1:
                _remove(keys, chunks, parts[0].encode("utf-8", "surrogateescape"))
                if item is not None:
                    _insert(keys, chunks, *gitfiles.tree_entry(item.mode, item.name, item.oid))
            else:
                below.setdefault(parts[0], {})[parts[1:]] = item
        for name, sub in below.items():
            raw = name.encode("utf-8", "surrogateescape")
            if _find(keys, raw) is not None:
                raise Unsupported("a file becomes a folder")
            at = _find(keys, raw + b"/")
            current = chunks[at][-20:].hex() if at is not None else None
            oid = self._patch(current, sub, objects, oids)
            _remove(keys, chunks, raw + b"/")
            if oid is not None:
                _insert(keys, chunks, *gitfiles.tree_entry(TREE_MODE, name, oid))
        if not keys:
            return None
        data = b"".join(chunks)
        oid = vcs.object_oid("tree", data)
        _keep(self._trees, oid, (keys, chunks), TREES_KEPT)
        objects.append(("tree", data))
        oids.append(oid)
        return oid

    def _commit_with_git(self, base: Committed, changes: Mapping[str, str | None],
                         message: str) -> tuple[str, str]:
        modes = base.tree.entries
        updates: dict[str, tuple[str, str] | None] = {}
        for path, text in changes.items():
            gpath = f"{self.prefix}/{path}" if self.prefix else path
            if text is None:
                updates[gpath] = None
            else:
                oid = vcs.hash_blob(self.cwd, text.encode("utf-8"))
                entry = modes.get(path)
                updates[gpath] = (entry.mode if entry is not None else "100644", oid)
        state_dir = self.git_dir / "gitstore"
        state_dir.mkdir(parents=True, exist_ok=True)
        fd, index_file = tempfile.mkstemp(prefix="index.", dir=state_dir)
        os.close(fd)
        os.unlink(index_file)
        try:
            tree = vcs.build_tree(self.cwd, base.commit, updates, index_file)
        finally:
            Path(index_file).unlink(missing_ok=True)
        parents = [base.commit] if base.commit else []
        commit = vcs.commit_tree(self.cwd, tree, parents, message, sign=None)
        self.commit_time = None
        _keep(self._roots, commit, tree, ROOTS_KEPT)
        return commit, tree

    def tidy(self) -> None:
        """After commits: ``git gc --auto`` when git would run it after its own (loose objects
        crowding past ``gc.auto``), so a store that writes for months, such as a server
        nobody runs git in, keeps its objects packed."""
        info = vcs.known_repo(self.cwd)
        if info is None:
            return
        try:
            limit = int(vcs.identity(self.cwd, info).get("gc.auto", "6700"))
        except (ValueError, vcs.GitError):
            return
        if vcs.crowded_with_loose_objects(self.objects_dir, limit):
            vcs.auto_gc(self.cwd)

    def move_head(self, new: str, old: str | None, message: str) -> str:
        """Compare-and-swap the checked-out branch from ``old`` to ``new``."""
        return vcs.update_ref_cas(self.cwd, "HEAD", new, old, message)


# A tree of a folder of thousands of files is kept as lists of its entries; a write makes a new
# version of each tree on its paths. Only the trees used last are kept (a write starts from the
# ones the write before made), so a store that writes for months does not keep every version.
TREES_KEPT = 64
ROOTS_KEPT = 256

_K = TypeVar("_K")
_V = TypeVar("_V")


def _keep(table: OrderedDict[_K, _V], key: _K, value: _V, limit: int) -> None:
    """Remember ``key`` as used last, forgetting the least recently used past ``limit``."""
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)


def _find(keys: list[bytes], key: bytes) -> int | None:
    at = bisect.bisect_left(keys, key)
    return at if at < len(keys) and keys[at] == key else None


def _remove(keys: list[bytes], chunks: list[bytes], key: bytes) -> None:
    at = _find(keys, key)
    if at is not None:
        del keys[at]
        del chunks[at]


def _insert(keys: list[bytes], chunks: list[bytes], key: bytes, raw: bytes) -> None:
    at = bisect.bisect_left(keys, key)
    keys.insert(at, key)
    chunks.insert(at, raw)


def stage_with_git(cwd: Path, paths: list[str], patience: float = 10.0) -> None:
    """Stage ``paths`` with git, waiting out another git process that holds the index lock."""
    deadline = time.monotonic() + patience
    while True:
        try:
            vcs.refresh_index_paths(cwd, paths)
            return
        except vcs.GitError as exc:
            if "index.lock" not in exc.stderr or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
