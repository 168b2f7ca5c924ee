"""git behind one door.

Every git command gitstore runs goes through this module, and so does every
use of GitPython. Each function wraps one git command and turns its failures
into :class:`gitstore.errors.GitError` (or a more precise subclass). The
validation path uses the ``git`` binary directly: it starts in a few
milliseconds and streams objects with ``cat-file --batch``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitstore.errors import GitError, GitNotFound, NotAGitRepository, UnknownRevision

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_OID = "0" * 40


class TreeEntry(NamedTuple):
    mode: str
    oid: str
    path: str
    stage: int = 0


def run(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> bytes:
    """Run ``git ARGS`` and return its stdout; raise GitError when it fails."""
    full_env = None
    if env:
        full_env = {**os.environ, **env}
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, env=full_env,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise GitNotFound() from exc
    if check and proc.returncode != 0:
        raise GitError(list(args), proc.stderr.decode("utf-8", "replace"), proc.returncode)
    return proc.stdout


def run_status(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
               env: dict[str, str] | None = None, input: bytes | None = None
               ) -> tuple[int, bytes, bytes]:
    """Run ``git ARGS`` and return (exit code, stdout, stderr) without raising."""
    full_env = {**os.environ, **env} if env else None
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=full_env, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise GitNotFound() from exc
    return proc.returncode, proc.stdout, proc.stderr


class RepoInfo(NamedTuple):
    git_dir: Path
    common_dir: Path
    toplevel: Path | None  # None for a bare repository
    prefix: str  # the path of the asked-for directory below toplevel ('' at the top)


def repo_info(path: str | os.PathLike[str]) -> RepoInfo | None:
    """Facts about the git repository holding ``path``, or None if there is none."""
    code, out, _ = run_status(
        ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--is-bare-repository",
         "--show-prefix"], cwd=path)
    if code != 0:
        return None
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    git_dir = Path(lines[0])
    common = Path(lines[1])
    if not common.is_absolute():
        common = (Path(path) / common).resolve()
    bare = lines[2] == "true"
    prefix = lines[3].rstrip("/") if len(lines) > 3 else ""
    toplevel = None
    if not bare:
        code, out, _ = run_status(["rev-parse", "--show-toplevel"], cwd=path)
        toplevel = Path(out.decode("utf-8", "surrogateescape").strip()) if code == 0 else None
    return RepoInfo(git_dir, common, toplevel, prefix)


def require_repo(path: str | os.PathLike[str], wanted: str) -> RepoInfo:
    info = repo_info(path)
    if info is None:
        raise NotAGitRepository(str(path), wanted)
    return info


def resolve_commit(cwd: str | os.PathLike[str], rev: str) -> str:
    """The commit id ``rev`` names; UnknownRevision when it names none."""
    if rev.startswith("-"):
        raise UnknownRevision(rev)
    code, out, _ = run_status(["rev-parse", "--verify", "--quiet", "--end-of-options",
                               f"{rev}^{{commit}}"], cwd=cwd)
    if code != 0:
        raise UnknownRevision(rev)
    return out.decode().strip()


def _parse_entries(out: bytes, staged: bool) -> list[TreeEntry]:
    text = out.decode("utf-8", "surrogateescape")
    entries = []
    for record in text.split("\0"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        fields = meta.split(" ")
        if staged:  # <mode> <oid> <stage>
            entries.append(TreeEntry(fields[0], fields[1], name, int(fields[2])))
        else:  # <mode> <type> <oid>
            entries.append(TreeEntry(fields[0], fields[2], name))
    return entries


def ls_tree(cwd: str | os.PathLike[str], treeish: str, paths: Iterable[str] = ()) -> list[TreeEntry]:
    """Every blob (and link, and submodule) below ``treeish``, recursively."""
    out = run(["ls-tree", "-r", "-z", "--full-tree", treeish, "--", *paths], cwd=cwd)
    return _parse_entries(out, staged=False)


def ls_index(cwd: str | os.PathLike[str], paths: Iterable[str] = ()) -> list[TreeEntry]:
    """Every entry of the index below the given paths, with its stage."""
    out = run(["ls-files", "-s", "-z", "--full-name", "--", *paths], cwd=cwd)
    return _parse_entries(out, staged=True)


def read_blobs(cwd: str | os.PathLike[str], oids: Iterable[str]) -> dict[str, bytes]:
    """The contents of many blobs, read by one ``git cat-file --batch``."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = run(["cat-file", "--batch"], cwd=cwd, input="\n".join(wanted).encode() + b"\n")
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(["cat-file", "--batch"], f"object {oid} is missing")
        size = int(header[2])
        blobs[oid] = out[pos:pos + size]
        pos += size + 1
    return blobs


def blob_oid(data: bytes) -> str:
    """The id git gives a blob with these contents."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def init_repo(path: str | os.PathLike[str], bare: bool = False) -> RepoInfo:
    """``git init`` (a no-op on an existing repository), with ``main`` as the first branch."""
    args = ["init", "--quiet", "--initial-branch=main"]
    if bare:
        args.append("--bare")
    run([*args, str(path)])
    return require_repo(path, "git init")


def commit_paths(cwd: str | os.PathLike[str], paths: Sequence[str], message: str) -> str:
    """Stage and commit exactly ``paths`` (nothing else that is staged); return the commit id."""
    run(["add", "--", *paths], cwd=cwd)
    run(["commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *paths], cwd=cwd)
    return run(["rev-parse", "HEAD"], cwd=cwd).decode().strip()


# --- writing commits without touching the checked-out index (the library's writes) ---


def head_commit(cwd: str | os.PathLike[str]) -> str | None:
    """The commit HEAD points at, or None on an unborn branch."""
    code, out, _ = run_status(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=cwd)
    return out.decode().strip() if code == 0 else None


def hash_blob(cwd: str | os.PathLike[str], data: bytes) -> str:
    """Store ``data`` as a blob in the object database; return its id."""
    return run(["hash-object", "-w", "--stdin"], cwd=cwd, input=data).decode().strip()


def build_tree(cwd: str | os.PathLike[str], base: str | None,
               updates: dict[str, tuple[str, str] | None], index_file: str | os.PathLike[str]) -> str:
    """The tree of commit ``base`` with ``updates`` (path -> (mode, blob id), or None to remove).

    Works in a private index file, so the repository's index (and whatever is
    staged there) is never read or changed.
    """
    env = {"GIT_INDEX_FILE": str(index_file)}
    if base:
        run(["read-tree", base], cwd=cwd, env=env)
    else:
        run(["read-tree", "--empty"], cwd=cwd, env=env)
    lines = []
    for path, entry in updates.items():
        mode, oid = entry if entry else ("0", ZERO_OID)
        lines.append(f"{mode} {oid}\t{path}")
    run(["update-index", "-z", "--index-info"], cwd=cwd, env=env,
        input="\0".join(lines).encode("utf-8", "surrogateescape") + b"\0")
    return run(["write-tree"], cwd=cwd, env=env).decode().strip()


def commit_tree(cwd: str | os.PathLike[str], tree: str, parent: str | None, message: str) -> str:
    """A new commit object (author and committer from the environment's git identity)."""
    args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
    return run(args, cwd=cwd, input=message.encode("utf-8")).decode().strip()


def update_ref_checked(cwd: str | os.PathLike[str], ref: str, new: str, old: str | None,
                       message: str) -> bool:
    """Move ``ref`` to ``new`` only if it still points at ``old``; False when it moved meanwhile."""
    code, _, err = run_status(["update-ref", "-m", message, ref, new, old or ZERO_OID], cwd=cwd)
    if code == 0:
        return True
    if b"but expected" in err or b"is at" in err or b"already exists" in err:
        return False
    raise GitError(["update-ref", ref], err.decode("utf-8", "replace"), code)


def refresh_index_paths(cwd: str | os.PathLike[str], paths: Sequence[str]) -> None:
    """Stage exactly ``paths`` as they are in the working tree (removed files leave the index)."""
    if paths:
        run(["update-index", "--add", "--remove", "-z", "--stdin"], cwd=cwd,
            input="\0".join(paths).encode("utf-8", "surrogateescape") + b"\0")


def file_added_times(cwd: str | os.PathLike[str], rev: str, paths: Sequence[str]) -> dict[str, int]:
    """path -> commit time (unix seconds) of the commit that added it, for files below ``paths``."""
    out = run(["log", "--no-renames", "--diff-filter=A", "--name-only", "-z", "--format=%x01%ct",
               rev, "--", *paths], cwd=cwd)
    added: dict[str, int] = {}
    for chunk in out.decode("utf-8", "surrogateescape").split("\x01")[1:]:
        stamp, _, names = chunk.partition("\0")
        for name in names.split("\0"):
            name = name.strip("\n")
            if name:
                added[name] = int(stamp)  # log runs newest first: the oldest add wins
    return added


def object_exists(cwd: str | os.PathLike[str], name: str) -> bool:
    """True when ``name`` (such as ``<commit>:<folder>``) names an object."""
    code, _, _ = run_status(["cat-file", "-e", name], cwd=cwd)
    return code == 0
