"""git behind one door.

Every git command gitstore runs goes through this module (ruff's banned-api
rule holds that line), and all of them start in :func:`start`, with git's
messages in the C locale. Each function wraps one git command and turns its
failures into :class:`gitstore.errors.GitError` (or a more precise subclass);
situations are recognised by exit codes and the state of refs and objects,
not by the wording of messages. The ``git`` binary starts in a few
milliseconds and streams objects with ``cat-file --batch``; docs/design.md
says why there is no git library.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, NamedTuple

from gitstore.errors import (
    GitError,
    GitNotFound,
    NotAGitRepository,
    RefLockedError,
    UnknownRevision,
    UnsupportedRepository,
)

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ZERO_OID = "0" * 40


class TreeEntry(NamedTuple):
    mode: str
    oid: str
    path: str
    stage: int = 0


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every git command: the caller's (plus ``extra``), with git's
    messages in the C locale (``LC_ALL=C``, no ``LANGUAGE``), so that what gitstore
    passes on or recognises reads the same on every machine."""
    env = {**os.environ, **(extra or {}), "LC_ALL": "C"}
    env.pop("LANGUAGE", None)
    return env


def start(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
          env: dict[str, str] | None = None, stdin: int | None = subprocess.DEVNULL,
          new_session: bool = False) -> subprocess.Popen[bytes]:
    """Start ``git ARGS`` (the one place that does): output piped, environment from
    :func:`git_env`."""
    try:
        return subprocess.Popen(["git", *args], cwd=cwd, stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=git_env(env),
                                start_new_session=new_session)
    except FileNotFoundError as exc:
        raise GitNotFound() from exc


def run_status(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
               env: dict[str, str] | None = None, input: bytes | None = None
               ) -> tuple[int, bytes, bytes]:
    """Run ``git ARGS`` and return (exit code, stdout, stderr) without raising."""
    proc = start(args, cwd, env, subprocess.PIPE if input is not None else subprocess.DEVNULL)
    out, err = proc.communicate(input)
    return proc.returncode, out, err


def run(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> bytes:
    """Run ``git ARGS`` and return its stdout; raise GitError when it fails."""
    code, out, err = run_status(args, cwd, env, input)
    if check and code != 0:
        raise GitError(list(args), err.decode("utf-8", "replace"), code)
    return out


class RepoInfo(NamedTuple):
    git_dir: Path
    common_dir: Path
    toplevel: Path | None  # None for a bare repository
    prefix: str  # the path of the asked-for directory below toplevel ('' at the top)


def repo_info(path: str | os.PathLike[str]) -> RepoInfo | None:
    """Facts about the git repository holding ``path``, or None if there is none."""
    code, out, _ = run_status(
        ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--is-bare-repository",
         "--show-object-format", "--show-prefix"], cwd=path)
    if code != 0:
        return None
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    object_format = lines.pop(3)
    if object_format != "sha1":
        raise UnsupportedRepository(str(path), object_format)
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


_known_repos: dict[tuple[str, tuple[str | None, ...]], RepoInfo] = {}
REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
            "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_OBJECT_DIRECTORY", "GIT_INDEX_FILE")


def known_repo(path: str | os.PathLike[str]) -> RepoInfo | None:
    """:func:`repo_info`, remembered for the process while its git directory exists
    (and the git environment is the same); None when there is none."""
    key = (os.path.abspath(path), tuple(os.environ.get(k) for k in REPO_ENV))
    info = _known_repos.get(key)
    if info is not None and os.path.isdir(info.git_dir) and os.path.isdir(key[0]):
        return info
    try:
        info = repo_info(path)
    except GitError:
        return None
    if info is not None:
        _known_repos[key] = info
    return info


IDENTITY_ENV = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
                "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_CONFIG_GLOBAL",
                "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_COUNT",
                "GIT_CONFIG_PARAMETERS", "HOME", "XDG_CONFIG_HOME", "EMAIL")
_identities: dict[Path, tuple[tuple[object, ...], dict[str, str]]] = {}


_ONE_IDENTITY: ContextVar[dict[Path, dict[str, str]] | None] = ContextVar(
    "gitstore_one_identity", default=None)


@contextmanager
def one_identity() -> Iterator[None]:
    """Within the block, :func:`identity` is looked up once per repository: the commit and the
    ref update of one write use the same identity and configuration."""
    token = _ONE_IDENTITY.set({})
    try:
        yield
    finally:
        _ONE_IDENTITY.reset(token)


def identity(cwd: str | os.PathLike[str], info: RepoInfo) -> dict[str, str]:
    """``git var -l`` for the repository (identities and configuration), read again when
    the environment or a configuration file changes."""
    scope = _ONE_IDENTITY.get()
    if scope is not None:
        found = scope.get(info.git_dir)
        if found is None:
            found = scope[info.git_dir] = _identity(cwd, info)
        return found
    return _identity(cwd, info)


def _identity(cwd: str | os.PathLike[str], info: RepoInfo) -> dict[str, str]:
    from pathlib import Path as _Path

    home = os.environ.get("HOME") or ""
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = (info.common_dir / "config", info.git_dir / "config.worktree",
             _Path(home) / ".gitconfig", _Path(xdg) / "git" / "config",
             _Path(os.environ.get("GIT_CONFIG_GLOBAL") or "/nonexistent"), _Path("/etc/gitconfig"))
    key = (tuple(os.environ.get(k) for k in IDENTITY_ENV), *(_mtime(f) for f in files))
    known = _identities.get(info.git_dir)
    if known is None or known[0] != key:
        known = (key, var_list(cwd))
        _identities[info.git_dir] = known
    return known[1]


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def require_repo(path: str | os.PathLike[str], wanted: str) -> RepoInfo:
    info = repo_info(path)
    if info is None:
        raise NotAGitRepository(str(path), wanted)
    return info


def commit_or_none(cwd: str | os.PathLike[str], rev: str) -> str | None:
    """The commit id ``rev`` names (a ref, ``HEAD``, an id), or None when it names none
    (a missing ref, an unborn branch)."""
    code, out, _ = run_status(["rev-parse", "--verify", "--quiet", "--end-of-options",
                               f"{rev}^{{commit}}"], cwd=cwd)
    return out.decode().strip() if code == 0 else None


def resolve_commit(cwd: str | os.PathLike[str], rev: str) -> str:
    """The commit id ``rev`` names; UnknownRevision when it names none."""
    oid = None if rev.startswith("-") else commit_or_none(cwd, rev)
    if oid is None:
        raise UnknownRevision(rev)
    return oid


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


def ls_index_records(cwd: str | os.PathLike[str], paths: Iterable[str] = ()
                     ) -> list[tuple[str, str, str, int]]:
    """:func:`ls_index` as plain ``(path, oid, mode, stage)`` tuples: a listing of 50,000
    files is read on every validation, and building named tuples twice costs more than git."""
    return index_records(ls_index_raw(cwd, paths))


def ls_index_raw(cwd: str | os.PathLike[str], paths: Iterable[str] = ()) -> bytes:
    """What ``git ls-files -s -z`` prints for the given paths: NUL-terminated
    ``<mode> <oid> <stage>TAB<path>`` records, sorted by path (see :func:`index_records`)."""
    return run(["ls-files", "-s", "-z", "--full-name", "--", *paths], cwd=cwd)


def index_records(out: bytes) -> list[tuple[str, str, str, int]]:
    """The ``(path, oid, mode, stage)`` tuples of :func:`ls_index_raw`'s output."""
    records = out.decode("utf-8", "surrogateescape").split("\0")
    records.pop()  # after the last NUL
    if not records:
        return []
    # "<mode> <oid> <stage>\t<path>": modes have 6 digits and oids one length per repository
    tab = records[0].find("\t")
    if tab > 9 and all(r[tab:tab + 1] == "\t" and r[6] == " " == r[tab - 2] for r in records):
        oid_end = tab - 2
        return [(r[tab + 1:], r[7:oid_end], r[:6], 0 if r[tab - 1] == "0" else int(r[tab - 1]))
                for r in records]
    return [(e.path, e.oid, e.mode, e.stage) for e in _parse_entries(out, staged=True)]


def read_blobs(cwd: str | os.PathLike[str], oids: Iterable[str],
               limit: int | None = None) -> dict[str, bytes]:
    """The contents of many blobs, streamed from one ``git cat-file --batch``.

    With ``limit``, a blob is cut after ``limit`` bytes and the rest is read
    past without being kept, so a huge file costs time, not memory.
    """
    import threading

    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    proc = start(["cat-file", "--batch"], cwd, stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    request = "\n".join(wanted).encode() + b"\n"

    def feed() -> None:
        try:
            proc.stdin.write(request)  # type: ignore[union-attr]
            proc.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:  # git stopped early; its error is reported below
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        return _read_batch(proc.stdout, wanted, limit)
    except ValueError as exc:
        raise GitError(["cat-file", "--batch"], proc.stderr.read().decode("utf-8", "replace")
                       or str(exc)) from exc
    finally:
        proc.stdout.close()
        feeder.join()
        proc.wait()
        proc.stderr.close()


def _read_batch(out: IO[bytes], wanted: list[str], limit: int | None) -> dict[str, bytes]:
    blobs: dict[str, bytes] = {}
    for oid in wanted:
        header = out.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            raise ValueError(f"object {oid} is missing")
        size = int(header[2])
        keep = size if limit is None else min(size, limit)
        blobs[oid] = out.read(keep)
        rest = size - keep + 1  # the rest of the blob, then its newline
        while rest > 0:
            chunk = out.read(min(rest, 1 << 20))
            if not chunk:
                raise ValueError(f"object {oid} was cut short")
            rest -= len(chunk)
    return blobs


def blob_oid(data: bytes) -> str:
    """The id git gives a blob with these contents."""
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def init_repo(path: str | os.PathLike[str], bare: bool = False) -> RepoInfo:
    """``git init`` (a no-op on an existing repository): sha1 objects, and the first branch
    git's own default names (``init.defaultBranch``)."""
    args = ["init", "--quiet", "--object-format=sha1"]
    if bare:
        args.append("--bare")
    run([*args, str(path)])
    return require_repo(path, "git init")


def identity_problem(cwd: str | os.PathLike[str]) -> str | None:
    """Why git could not commit in ``cwd`` for want of an author or committer identity
    (git's own words), or None when it can."""
    for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        code, _, err = run_status(["var", who], cwd=cwd)
        if code != 0:
            lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
            return lines[-1] if lines else f"git var {who} failed"
    return None


def commit_paths(cwd: str | os.PathLike[str], paths: Sequence[str], message: str) -> str:
    """Stage and commit exactly ``paths`` (nothing else that is staged); return the commit id."""
    run(["add", "--", *paths], cwd=cwd)
    run(["commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *paths], cwd=cwd)
    return run(["rev-parse", "HEAD"], cwd=cwd).decode().strip()


# --- writing commits without touching the checked-out index (the library's writes) ---


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
# --- object plumbing for machine-written branches (pipeline run records) ---

class GitObject(NamedTuple):
    type: str
    oid: str
    data: bytes


def cat_objects(cwd: str | os.PathLike[str], specs: Sequence[str]) -> list[GitObject | None]:
    """Read many objects named by ``rev``, ``rev:path`` or an id, in one ``cat-file --batch``.

    The answer has one item per spec, in order; None where the spec names no object.
    """
    if not specs:
        return []
    for spec in specs:
        if "\n" in spec:
            raise UnknownRevision(spec)
    fast = _cat_here(cwd, specs)
    if fast is not None:
        return fast
    out = run(["cat-file", "--batch"], cwd=cwd, input="\n".join(specs).encode() + b"\n")
    found: list[GitObject | None] = []
    pos = 0
    for _spec in specs:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[-1] in (b"missing", b"ambiguous"):
            found.append(None)
            continue
        size = int(header[2])
        found.append(GitObject(header[1].decode(), header[0].decode(), out[pos:pos + size]))
        pos += size + 1
    return found


def _cat_here(cwd: str | os.PathLike[str], specs: Sequence[str]) -> list[GitObject | None] | None:
    """``cat_objects`` through a kept ``cat-file --batch``, for specs whose revision is an id,
    ``HEAD`` or a full ref name (resolved here, at each call: a long-running git keeps
    refs it has read); None when a spec needs git to resolve it."""
    from gitstore.plumbing import gitfiles

    info = known_repo(cwd)
    if info is None:
        return None
    resolved: dict[str, str | None] = {}
    names = []
    for spec in specs:
        rev, colon, path = spec.partition(":")
        if rev not in resolved:
            if len(rev) == 40 and _is_hex(rev):
                resolved[rev] = rev
            elif rev == "HEAD" or rev.startswith("refs/"):
                try:
                    name = gitfiles.head_target(info.git_dir) if rev == "HEAD" else rev
                    resolved[rev] = gitfiles.read_ref(info.common_dir, name)
                except gitfiles.Unsupported:
                    return None
            else:
                return None
        oid = resolved[rev]
        names.append(None if oid is None else oid + colon + path)
    wanted = [n for n in names if n is not None]
    got = dict(zip(wanted, _batch_for(info).read_many(wanted), strict=True))
    return [None if n is None or got[n] is None else GitObject(*got[n])  # type: ignore[misc]
            for n in names]


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


_batches: dict[Path, CatFile] = {}
KEPT_BATCHES = 4


def _batch_for(info: RepoInfo) -> CatFile:
    batch = _batches.get(info.git_dir)
    if batch is None:
        while len(_batches) >= KEPT_BATCHES:
            _batches.pop(next(iter(_batches))).close()
        if not _batches:
            import atexit

            atexit.register(_close_batches)
        batch = _batches[info.git_dir] = CatFile(info.toplevel or info.git_dir)
    return batch


def _close_batches() -> None:
    while _batches:
        _batches.popitem()[1].close()


def object_oid(type_: str, data: bytes) -> str:
    """The id git gives an object of this type and contents."""
    import hashlib

    return hashlib.sha1(b"%s %d\0" % (type_.encode(), len(data)) + data).hexdigest()


def commit_tree(cwd: str | os.PathLike[str], tree: str, parents: Sequence[str],
                message: str, sign: bool | None = False) -> str:
    """A new commit of ``tree`` with these parents; no ref moves.

    Author and committer come from the environment's git identity (the author from
    :func:`commit_author`, when set). ``sign``:
    False never signs, None follows the user's ``commit.gpgSign``.
    """
    made = commit_here(cwd, tree, parents, message, sign)
    if made is not None:
        return made[0]
    args = ["commit-tree", tree]
    if sign is False:
        args.insert(1, "--no-gpg-sign")
    for parent in parents:
        args += ["-p", parent]
    return run(args, cwd=cwd, input=message.encode(), env=_author_env()).decode().strip()


_AUTHOR: ContextVar[tuple[str, str] | None] = ContextVar("gitstore_commit_author", default=None)


@contextmanager
def commit_author(name: str, email: str) -> Iterator[None]:
    """Commits made in this context (thread or task) are authored by ``name <email>``.

    The committer stays the environment's git identity. A front end that acts for
    someone (``gitstore serve`` for a ZenML user) wraps its store calls in this.
    """
    token = _AUTHOR.set((name, email))
    try:
        yield
    finally:
        _AUTHOR.reset(token)


def _author_env() -> dict[str, str] | None:
    author = _AUTHOR.get()
    if author is None:
        return None
    return {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}


def commit_here(cwd: str | os.PathLike[str], tree: str, parents: Sequence[str], message: str,
                sign: bool | None) -> tuple[str, int] | None:
    """(id, committer time) of the commit written as a loose object in-process, as
    ``git commit-tree`` would write it; None when git must make it (signing, an
    encoding, no identity)."""
    from gitstore.plumbing import gitfiles

    info = known_repo(cwd)
    if info is None:
        return None
    try:
        ident = identity(cwd, info)
    except GitError:
        return None
    if sign is not False and ident.get("commit.gpgsign", "false").lower() not in (
            "false", "no", "off", "0"):
        return None
    if ident.get("i18n.commitencoding", "utf-8").lower() not in ("utf-8", "utf8"):
        return None
    author, committer = ident.get("GIT_AUTHOR_IDENT"), ident.get("GIT_COMMITTER_IDENT")
    if not author or not committer:
        return None
    override = _AUTHOR.get()
    if override is not None:  # commit_author(): git sanitises odd names, so leave those to it
        if any(c in part for part in override for c in "<>\n\0"):
            return None
        author = f"{override[0]} <{override[1]}> " + " ".join(author.rsplit(" ", 2)[-2:])
    if not os.environ.get("GIT_AUTHOR_DATE"):
        author = gitfiles.stamp_ident(author)
    if not os.environ.get("GIT_COMMITTER_DATE"):
        committer = gitfiles.stamp_ident(committer)
    data = gitfiles.commit_bytes(tree, list(parents), author, committer, message)
    oid = write_loose_objects(objects_dir(info.common_dir), [("commit", data)])[0]
    return oid, int(committer.rsplit(" ", 2)[-2])


STALE_LOCK_SECONDS = 5.0


REF_UPDATED, REF_MOVED, REF_LOCKED = "updated", "moved", "locked"


def update_ref_cas(cwd: str | os.PathLike[str], ref: str, new: str, old: str | None,
                   message: str) -> str:
    """Move ``ref`` from ``old`` (None: it must not exist) to ``new``, atomically.

    Returns REF_UPDATED; REF_MOVED when the ref is not at ``old`` any more
    (rebuild on the new tip); REF_LOCKED when another writer holds its lock
    (try the same update again). The outcome is read from the ref and its
    lock file, never from git's wording. A lock file older than
    :data:`STALE_LOCK_SECONDS` is never removed (its process may still be
    running): RefLockedError names it and how to clear it.

    Done in-process with git's lock-file protocol (:mod:`gitfiles`) where
    the repository allows; by ``git update-ref`` otherwise.
    """
    done = _update_ref_here(cwd, ref, new, old, message)
    if done is not None:
        return done
    for _ in range(3):
        code, _, err = run_status(["update-ref", "-m", message, ref, new, old or ZERO_OID], cwd=cwd)
        if code == 0:
            return REF_UPDATED
        if ref_value(cwd, ref) != old:
            return REF_MOVED
        lock = held_ref_lock(cwd, ref)
        if lock is not None:
            _refuse_stale_lock(ref, lock)
            return REF_LOCKED
        # at ``old`` and unlocked now: a lock was released meanwhile; try again
    raise GitError(["update-ref", ref], err.decode("utf-8", "replace"), code)


def _update_ref_here(cwd: str | os.PathLike[str], ref: str, new: str, old: str | None,
                     message: str) -> str | None:
    from gitstore.plumbing import gitfiles

    if os.environ.get("GIT_QUARANTINE_PATH"):
        return None  # inside a pre-receive hook: git itself refuses ref updates there
    info = known_repo(cwd)
    if info is None:
        return None
    try:
        ident = identity(cwd, info)
        committer = ident.get("GIT_COMMITTER_IDENT") or ""
        if not committer:
            return None
        if not os.environ.get("GIT_COMMITTER_DATE"):
            committer = gitfiles.stamp_ident(committer)
        bare = info.toplevel is None
        log = ident.get("core.logallrefupdates", "false" if bare else "true").lower() not in (
            "false", "no", "off", "0")
        status, lock = gitfiles.update_ref(info.git_dir, info.common_dir, ref, new, old, message,
                                           committer, log)
    except (gitfiles.Unsupported, GitError):
        return None
    if status == REF_LOCKED:
        _refuse_stale_lock(ref, lock)
    return status


def ref_value(cwd: str | os.PathLike[str], ref: str) -> str | None:
    """The object id ``ref`` holds (through a symbolic ref), or None when it holds none."""
    code, out, _ = run_status(["rev-parse", "--verify", "--quiet", "--end-of-options", ref], cwd=cwd)
    return out.decode().strip() if code == 0 else None


def held_ref_lock(cwd: str | os.PathLike[str], ref: str) -> Path | None:
    """The lock file git holds while it updates ``ref`` (or the ref it points to), if any."""
    code, out, _ = run_status(["symbolic-ref", "-q", ref], cwd=cwd)
    names = [ref] + ([out.decode().strip()] if code == 0 else [])
    for name in names:
        lock = git_path(cwd, f"{name}.lock")
        if lock.exists():
            return lock
    return None


def _refuse_stale_lock(ref: str, lock: Path) -> None:
    import time

    try:
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return
    if age >= STALE_LOCK_SECONDS:
        raise RefLockedError(ref, str(lock), age)


refuse_stale_lock = _refuse_stale_lock


def is_ancestor(cwd: str | os.PathLike[str], ancestor: str, descendant: str) -> bool:
    code, _, err = run_status(["merge-base", "--is-ancestor", ancestor, descendant], cwd=cwd)
    if code > 1:
        raise GitError(["merge-base", "--is-ancestor"], err.decode("utf-8", "replace"), code)
    return code == 0


def fetch_ref(cwd: str | os.PathLike[str], remote: str, branch: str, into: str) -> str | None:
    """Fetch ``branch`` of ``remote`` into the local ref ``into``; None when the remote lacks it."""
    code, _, err = run_network(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote,
                                f"+refs/heads/{branch}:{into}"], cwd=cwd)
    if code != 0:
        text = err.decode("utf-8", "replace")
        if "couldn't find remote ref" in text:
            return None
        raise GitError(["fetch", remote, branch], text, code)
    return commit_or_none(cwd, into)


def clean_head(cwd: str | os.PathLike[str]) -> str | None:
    """HEAD of the repository holding ``cwd`` when its tree is clean; None when it has
    uncommitted or untracked files, or is no git repository."""
    code, out, _ = run_status(["status", "--porcelain", "--untracked-files=normal"], cwd=cwd)
    if code != 0 or out.strip():
        return None
    return commit_or_none(cwd, "HEAD")


def objects_dir(common_dir: Path) -> Path:
    """Where a repository keeps its objects."""
    env = os.environ.get("GIT_OBJECT_DIRECTORY")
    return Path(env) if env else common_dir / "objects"


def write_loose_objects(objects: Path, items: Sequence[tuple[str, bytes]],
                        oids: Sequence[str] | None = None) -> list[str]:
    """Store objects as loose files the way git does, without starting git.

    Each object is compressed into a temporary file in its fan-out folder and
    renamed into place, so a reader (or a killed writer) never sees a partial
    object; one that exists already is left alone. ``oids``, when given, are
    the objects' ids, already computed.
    """
    import hashlib
    import zlib

    base = os.fspath(objects)
    ids = []
    for n, (type_, data) in enumerate(items):
        header = b"%s %d\0" % (type_.encode(), len(data))
        oid = oids[n] if oids is not None else hashlib.sha1(header + data).hexdigest()
        ids.append(oid)
        folder = f"{base}/{oid[:2]}"
        final = f"{folder}/{oid[2:]}"
        if os.path.exists(final):
            continue
        payload = zlib.compress(header + data, 1)  # level 1: git's own default for loose objects
        tmp = _new_object_file(folder)
        try:
            with open(tmp[0], "wb", closefd=True) as fh:
                fh.write(payload)
            os.replace(tmp[1], final)  # the same id is the same contents: replacing is harmless
        except BaseException:
            if os.path.exists(tmp[1]):
                os.unlink(tmp[1])
            raise
    return ids


def crowded_with_loose_objects(objects: Path, limit: int) -> bool:
    """Whether ``git gc --auto`` would pack: as git estimates it, more than ``limit`` / 256
    loose objects in the fan-out folder ``17`` (``limit`` is ``gc.auto``; 0 turns it off)."""
    if limit <= 0:
        return False
    try:
        names = os.listdir(objects / "17")
    except OSError:
        return False
    hexdigits = set("0123456789abcdef")
    found = sum(1 for name in names if len(name) == 38 and set(name) <= hexdigits)
    return found > (limit + 255) // 256


def auto_gc(cwd: str | os.PathLike[str]) -> None:
    """``git gc --auto``, as git runs it after its own commits: it packs the loose objects,
    in the background (``gc.autoDetach``), and its outcome changes nothing here."""
    run_status(["gc", "--auto", "--quiet"], cwd=cwd)


_object_files = itertools.count()  # names of temporary object files, with the process id


def _new_object_file(folder: str) -> tuple[int, str]:
    """An open, new, read-only temporary file in ``folder`` (made when missing): (fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for _ in range(100):
        path = f"{folder}/tmp_obj_{os.getpid()}_{next(_object_files)}"
        try:
            return os.open(path, flags, 0o444), path
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        except FileExistsError:
            continue  # left by a killed process with the same id
    raise FileExistsError(f"{folder}: no free temporary object name")


def git_path(cwd: str | os.PathLike[str], name: str) -> Path:
    """Where git keeps ``name`` (``hooks``, ...) for the repository at ``cwd``; honours core.hooksPath."""
    out = run(["rev-parse", "--git-path", name], cwd=cwd).decode("utf-8", "surrogateescape").strip()
    path = Path(out)
    return path if path.is_absolute() else Path(cwd) / path


def head_branch(cwd: str | os.PathLike[str]) -> str | None:
    """The ref HEAD points at (``refs/heads/main``), or None when HEAD is detached."""
    code, out, _ = run_status(["symbolic-ref", "-q", "HEAD"], cwd=cwd)
    return out.decode().strip() if code == 0 else None


def read_path_at(cwd: str | os.PathLike[str], commit: str, path: str) -> bytes | None:
    """The contents of ``path`` in ``commit``, or None when it holds no such file."""
    code, out, _ = run_status(["cat-file", "blob", f"{commit}:{path}"], cwd=cwd)
    return out if code == 0 else None
class TreeChange(NamedTuple):
    status: str  # A added, M modified, D deleted, T type changed
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    path: str


def diff_trees(cwd: str | os.PathLike[str], old: str | None, new: str,
               paths: Sequence[str] = ()) -> list[TreeChange]:
    """Every file that differs between two commits or trees (``old`` None: the empty tree),
    below ``paths`` when given; renames are reported as a deletion and an addition."""
    out = run(["--literal-pathspecs", "diff-tree", "-r", "-z", "--no-renames", "--no-commit-id",
               old or EMPTY_TREE, new, "--", *paths], cwd=cwd)
    return _raw_changes(out.split(b"\0"))


def _raw_changes(fields: list[bytes]) -> list[TreeChange]:
    """Parse git's ``--raw -z`` records: ``:<mode> <mode> <oid> <oid> <status>`` NUL ``<path>``."""
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        meta = meta.lstrip(b"\n")
        if not meta.startswith(b":"):
            continue
        old_mode, new_mode, old_oid, new_oid, status = meta[1:].decode().split(" ")
        changes.append(TreeChange(status[:1], old_mode, new_mode, old_oid, new_oid,
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
# --- remotes: clone, fetch, push (network commands have a deadline) ---------

NETWORK_TIMEOUT = 120.0  # seconds a clone, fetch or push may take before it is stopped
_NETWORK_ENV = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


def run_network(args: Sequence[str], cwd: str | os.PathLike[str] | None = None,
                timeout: float = NETWORK_TIMEOUT) -> tuple[int, bytes, bytes]:
    """Run a git command that talks to a remote: never prompts, stopped after ``timeout``.

    Returns (exit code, stdout, stderr) without raising; a command that ran out
    of time is killed with its whole process group (ssh, remote helpers) and
    reports exit code -1.
    """
    import signal

    proc = start(args, cwd, _NETWORK_ENV, new_session=True)
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


def push_commit(cwd: str | os.PathLike[str], local_ref: str, remote_ref: str,
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
    if commit is None:
        run(["symbolic-ref", "HEAD", f"refs/heads/{branch}"], cwd=cwd)
        run_status(["update-ref", "-d", f"refs/heads/{branch}"], cwd=cwd)
        run(["read-tree", "--empty"], cwd=cwd)
    else:
        run(["checkout", "--quiet", "--force", "--no-recurse-submodules", "-B", branch, commit,
             "--"], cwd=cwd)
    run(["clean", "-ffdxq"], cwd=cwd)


# --- long-lived helpers for the library's writes -----------------------------------


def var_list(cwd: str | os.PathLike[str]) -> dict[str, str]:
    """``git var -l``: the identities git would use now and the configuration, by name."""
    out = run(["var", "-l"], cwd=cwd).decode("utf-8", "surrogateescape")
    found: dict[str, str] = {}
    for line in out.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            found.setdefault(key.lower() if "." in key else key, value)
    return found


class CatFile:
    """One ``git cat-file --batch`` kept running, for objects read one at a time."""

    def __init__(self, cwd: str | os.PathLike[str]) -> None:
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, oid: str) -> tuple[str, bytes] | None:
        """(type, contents) of object ``oid``, None when it does not exist."""
        got = self.read_named(oid)
        return None if got is None else (got[0], got[2])

    def read_many(self, names: list[str]) -> list[tuple[str, str, bytes] | None]:
        """:meth:`read_named` for many names, asked for together (in bounded batches, so
        the requests always fit the pipe while git's answers wait to be read)."""
        found: list[tuple[str, str, bytes] | None] = []
        step = 256
        for start in range(0, len(names), step):
            found.extend(self._read_batch(names[start:start + step]))
        return found

    def _read_batch(self, names: list[str]) -> list[tuple[str, str, bytes] | None]:
        if any("\n" in n or not n for n in names):
            return [self.read_named(n) for n in names]
        for attempt in (0, 1):
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write("".join(n + "\n" for n in names).encode())
                proc.stdin.flush()
                out: list[tuple[str, str, bytes] | None] = []
                for _ in names:
                    header = proc.stdout.readline().split()
                    if len(header) >= 2 and header[-1] in (b"missing", b"ambiguous"):
                        out.append(None)
                        continue
                    if len(header) != 3:
                        raise BrokenPipeError("cat-file stopped")
                    size = int(header[2])
                    data = proc.stdout.read(size + 1)[:size]
                    out.append((header[1].decode(), header[0].decode(), data))
                return out
            except (BrokenPipeError, ValueError, OSError):
                self.close()
                if attempt:
                    raise
        return [None] * len(names)

    def read_named(self, oid: str) -> tuple[str, str, bytes] | None:
        """(type, id, contents) of the object ``oid`` names (``<id>:<path>`` too), or None."""
        if "\n" in oid or not oid:
            return None
        for attempt in (0, 1):
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(oid.encode() + b"\n")
                proc.stdin.flush()
                header = proc.stdout.readline().split()
                if len(header) >= 2 and header[-1] in (b"missing", b"ambiguous"):
                    return None
                if len(header) != 3:
                    raise BrokenPipeError("cat-file stopped")
                size = int(header[2])
                data = proc.stdout.read(size + 1)[:size]
                return header[1].decode(), header[0].decode(), data
            except (BrokenPipeError, ValueError, OSError):
                self.close()
                if attempt:
                    raise
        return None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = start(["cat-file", "--batch"], self.cwd, stdin=subprocess.PIPE)
            if self._proc.stderr is not None:
                self._proc.stderr.close()  # nothing is read from it: never let it fill up
        return self._proc

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
