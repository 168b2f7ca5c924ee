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


# --- remotes: clone, fetch, push (network commands have a deadline) ---------

NETWORK_TIMEOUT = 120.0  # seconds a clone, fetch or push may take before it is stopped
_NETWORK_ENV = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "LC_ALL": "C"}


def run_network(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
                timeout: float = NETWORK_TIMEOUT) -> tuple[int, bytes, bytes]:
    """Run a git command that talks to a remote: never prompts, stopped after ``timeout``.

    Returns (exit code, stdout, stderr) without raising; a command that ran out
    of time is killed with its whole process group (ssh, remote helpers) and
    reports exit code -1.
    """
    import signal

    try:
        proc = subprocess.Popen(
            ["git", *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env={**os.environ, **_NETWORK_ENV}, start_new_session=True)
    except FileNotFoundError as exc:
        raise GitNotFound() from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return -1, out, err + f"\ngit {args[0]} timed out after {timeout:g}s".encode()
    return proc.returncode, out, err


def clone_repo(url: str, dest: str | os.PathLike[str], timeout: float = NETWORK_TIMEOUT
               ) -> tuple[int, str]:
    """``git clone`` URL into DEST (origin named ``origin``); returns (exit code, stderr)."""
    code, _, err = run_network(["clone", "--quiet", "--no-checkout", "--origin", "origin",
                                "--", url, str(dest)], timeout=timeout)
    return code, err.decode("utf-8", "replace")


def fetch_remote(cwd: str | os.PathLike[str], remote: str = "origin",
                 timeout: float = NETWORK_TIMEOUT) -> tuple[int, str]:
    """``git fetch --prune REMOTE`` with its configured refspecs; returns (exit code, stderr)."""
    code, _, err = run_network(["fetch", "--quiet", "--prune", "--no-tags", remote],
                               cwd=cwd, timeout=timeout)
    return code, err.decode("utf-8", "replace")


# what receive-pack says when a concurrent push took the ref first
_LOST_REF_RACE = ("failed to update ref", "failed to lock", "cannot lock ref",
                  "incorrect old value")


class PushResult(NamedTuple):
    code: int  # git's exit code (-1: timed out)
    status: str  # "ok", "rejected" (not a fast-forward), "remote-rejected", "error"
    reason: str  # git's reason, e.g. "fetch first", "pre-receive hook declined"
    remote_messages: list[str]  # what the remote's hooks printed ("remote: " lines)
    stderr: str


def push_ref(cwd: str | os.PathLike[str], local_ref: str, remote_ref: str,
             remote: str = "origin", timeout: float = NETWORK_TIMEOUT) -> PushResult:
    """``git push --porcelain REMOTE LOCAL:REMOTE_REF`` (never forced), its outcome parsed."""
    code, out, err = run_network(["push", "--porcelain", "--no-verify", remote,
                                  f"{local_ref}:{remote_ref}"], cwd=cwd, timeout=timeout)
    return parse_push(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def parse_push(code: int, stdout: str, stderr: str) -> PushResult:
    """The outcome of ``git push --porcelain`` from its exit code and output."""
    messages = [line[len("remote:"):].strip() for line in stderr.splitlines()
                if line.startswith("remote:")]
    status, reason = ("ok", "") if code == 0 else ("error", "")
    for line in stdout.splitlines():
        flag, _, rest = line.partition("\t")
        if flag != "!" or "\t" not in rest:
            continue
        summary = rest.split("\t", 1)[1]
        reason = summary[summary.find("(") + 1:summary.rfind(")")] if "(" in summary else summary
        status = "remote-rejected" if summary.startswith("[remote rejected]") else (
            "rejected" if summary.startswith("[rejected]") else "error")
        if status == "remote-rejected" and reason.startswith(_LOST_REF_RACE):
            status = "rejected"  # another push updated the ref between our check and our lock
    return PushResult(code, status, reason, [m for m in messages if m], stderr.strip())


def reset_worktree(cwd: str | os.PathLike[str], branch: str, commit: str | None) -> None:
    """Point BRANCH (checked out) at COMMIT and make index and working tree match it exactly.

    With ``commit=None`` the branch becomes unborn and the tree empty. Files
    that git does not track are removed too.
    """
    run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], cwd=cwd)
    if commit is None:
        run_status(["update-ref", "-d", f"refs/heads/{branch}"], cwd=cwd)
        run(["read-tree", "--empty"], cwd=cwd)
    else:
        run(["reset", "--quiet", "--hard", commit], cwd=cwd)
    run(["clean", "-ffdxq"], cwd=cwd)


def ref_commit(cwd: str | os.PathLike[str], ref: str) -> str | None:
    """The commit REF points at, or None when it does not exist."""
    code, out, _ = run_status(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=cwd)
    return out.decode().strip() if code == 0 else None
