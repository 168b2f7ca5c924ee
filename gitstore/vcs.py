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
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        fields = meta.split()
        name = path.decode("utf-8", "surrogateescape")
        if staged:  # <mode> <oid> <stage>
            entries.append(TreeEntry(fields[0].decode(), fields[1].decode(), name, int(fields[2])))
        else:  # <mode> <type> <oid>
            entries.append(TreeEntry(fields[0].decode(), fields[2].decode(), name))
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


class TreeChange(NamedTuple):
    status: str  # A added, M modified, D deleted, T type changed
    old_oid: str
    new_oid: str
    path: str


def diff_trees(cwd: str | os.PathLike[str], old: str | None, new: str) -> list[TreeChange]:
    """Every file that differs between two commits (``old`` None: the empty tree); renames
    are reported as a deletion and an addition."""
    out = run(["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old or EMPTY_TREE, new],
              cwd=cwd)
    return _raw_changes(out.split(b"\0"))


def _raw_changes(fields: list[bytes]) -> list[TreeChange]:
    """Parse git's ``--raw -z`` records: ``:<mode> <mode> <oid> <oid> <status>`` NUL ``<path>``."""
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        meta = meta.lstrip(b"\n")
        if not meta.startswith(b":"):
            continue
        _, _, old_oid, new_oid, status = meta[1:].decode().split(" ")
        changes.append(TreeChange(status[:1], old_oid, new_oid,
                                  path.decode("utf-8", "surrogateescape")))
    return changes


def merge_base(cwd: str | os.PathLike[str], a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when they share no history."""
    code, out, _ = run_status(["merge-base", a, b], cwd=cwd)
    return out.decode().strip() if code == 0 else None


class CommitFiles(NamedTuple):
    oid: str
    author_email: str
    paths: tuple[str, ...]  # files the commit changed against its first parent (none for merges)


def commits_with_files(cwd: str | os.PathLike[str], revs: Sequence[str]) -> list[CommitFiles]:
    """The commits ``git log REVS`` lists, newest first, each with the files it changed."""
    out = run(["log", "--no-renames", "--format=%x01%H%x00%ae", "--name-only", "-z", *revs, "--"],
              cwd=cwd)
    commits = []
    for chunk in out.split(b"\x01")[1:]:
        oid, _, rest = chunk.partition(b"\0")
        email, _, names = rest.partition(b"\0")
        paths = tuple(p.decode("utf-8", "surrogateescape") for p in names.strip(b"\n").split(b"\0")
                      if p.strip(b"\n"))
        commits.append(CommitFiles(oid.decode(), email.decode("utf-8", "replace"), paths))
    return commits


class CommitSignature(NamedTuple):
    oid: str
    author_email: str
    status: str  # git's %G?: G good, B bad, U unknown validity, N none, E cannot check, ...
    signer: str  # the principal of the allowed-signers file that matched, or ''
    key: str  # the signing key's fingerprint, or ''


def commit_signatures(cwd: str | os.PathLike[str], revs: Sequence[str],
                      allowed_signers: str | os.PathLike[str]) -> list[CommitSignature]:
    """The SSH signature of each commit ``git log REVS`` lists, verified by git against
    an allowed-signers file."""
    out = run(["-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={allowed_signers}",
               "log", "--format=%x01%H%x00%ae%x00%G?%x00%GS%x00%GK", *revs, "--"], cwd=cwd)
    found = []
    for chunk in out.split(b"\x01")[1:]:
        parts = chunk.rstrip(b"\n").decode("utf-8", "replace").split("\0")
        parts += [""] * (5 - len(parts))
        found.append(CommitSignature(*parts[:5]))
    return found


class LoggedCommit(NamedTuple):
    oid: str
    author_name: str
    author_email: str
    date: str  # author date, strict ISO 8601
    subject: str
    changes: list[TreeChange]  # against the first parent; none for a merge


def log_changes(cwd: str | os.PathLike[str], rev: str, paths: Sequence[str]) -> list[LoggedCommit]:
    """The commits reachable from ``rev`` that change ``paths``, newest first, with their
    changed files (renames as a deletion and an addition)."""
    out = run(["log", "--format=%x01%H%x00%an%x00%ae%x00%aI%x00%s", "--raw", "--no-renames",
               "--no-abbrev", "-z", rev, "--", *paths], cwd=cwd)
    commits = []
    for chunk in out.split(b"\x01")[1:]:
        fields = chunk.split(b"\0")
        oid, name, email, date, subject = (f.decode("utf-8", "replace") for f in fields[:5])
        commits.append(LoggedCommit(oid, name, email, date, subject, _raw_changes(fields[5:])))
    return commits
