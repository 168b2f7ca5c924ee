"""git's on-disk formats, read and written in-process: refs, trees, commits, the index.

The library makes one commit per write; starting ``git`` for each step of it
(hash the blob, build the tree, make the commit, move the branch) costs more
than the write itself. These functions do what git does for those steps,
with git's own lock files and formats, so a concurrent ``git`` (or another
gitstore process) sees exactly what it would see had git done them. Anything
out of the ordinary (a reftable repository, a detached HEAD, a symbolic ref
pointing at another symbolic ref, a split index) raises :class:`Unsupported`
and the caller runs git instead (:mod:`gitstore.plumbing.vcs`).
"""

from __future__ import annotations

import bisect
import hashlib
import os
import struct
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

ZERO_OID = "0" * 40
TREE_MODE = "40000"

REF_UPDATED, REF_MOVED, REF_LOCKED = "updated", "moved", "locked"


class Unsupported(Exception):
    """This repository needs git itself for the step at hand."""


# --- refs ------------------------------------------------------------------------


def head_target(git_dir: Path) -> str:
    """The branch HEAD points at (``refs/heads/main``); Unsupported when it is detached."""
    try:
        text = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise Unsupported("HEAD unreadable") from exc
    if not text.startswith("ref: refs/"):
        raise Unsupported("detached HEAD")
    return text[5:].strip()


def _check_files_backend(common_dir: Path) -> None:
    if (common_dir / "reftable").exists():
        raise Unsupported("reftable")


def read_ref(common_dir: Path, name: str) -> str | None:
    """The commit id of ref ``name`` (loose or packed), None when it does not exist."""
    _check_files_backend(common_dir)
    try:
        text = (common_dir / name).read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        return _packed_ref(common_dir, name)
    except (OSError, UnicodeDecodeError) as exc:
        raise Unsupported(f"ref {name} unreadable") from exc
    if len(text) != 40 or not _is_hex(text):
        raise Unsupported(f"ref {name} is not a plain id")
    return text


def _packed_ref(common_dir: Path, name: str) -> str | None:
    try:
        data = (common_dir / "packed-refs").read_bytes()
    except FileNotFoundError:
        return None
    target = name.encode()
    for line in data.split(b"\n"):
        if line.endswith(b" " + target) and not line.startswith((b"#", b"^")):
            oid = line[:40].decode("ascii")
            return oid if _is_hex(oid) else None
    return None


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def read_head(git_dir: Path, common_dir: Path) -> str | None:
    """The commit HEAD names (None on an unborn branch)."""
    return read_ref(common_dir, head_target(git_dir))


def update_ref(git_dir: Path, common_dir: Path, ref: str, new: str, old: str | None,
               message: str, ident: str, log_refs: bool = True) -> tuple[str, Path]:
    """Move ``ref`` (``HEAD``: the branch it points at) from ``old`` to ``new``, as
    ``git update-ref`` does.

    The ref's ``.lock`` file is created exclusively (so git and other writers
    wait or fail as they would against git), the old value is checked under
    it, the reflogs get their line, and the lock is renamed into place.
    Returns (REF_UPDATED, REF_MOVED or REF_LOCKED, the lock file's path).
    """
    _check_files_backend(common_dir)
    via_head = ref == "HEAD"
    branch = head_target(git_dir) if via_head else ref
    if not branch.startswith("refs/") or ".." in branch or "\n" in branch:
        raise Unsupported(f"ref {ref}")
    ref_path = common_dir / branch
    lock = ref_path.with_name(ref_path.name + ".lock")
    if not ref_path.parent.is_dir():
        ref_path.parent.mkdir(parents=True, exist_ok=True)
    claim = _write_claim(common_dir, lock)
    try:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            if not _release_abandoned(common_dir, lock):
                return REF_LOCKED, lock
            try:  # a killed gitstore writer's own lock, now removed: one more try
                fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return REF_LOCKED, lock
        try:
            with os.fdopen(fd, "wb") as fh:
                if read_ref(common_dir, branch) != old:
                    lock.unlink()
                    return REF_MOVED, lock
                fh.write(new.encode("ascii") + b"\n")
            line = f"{old or ZERO_OID} {new} {ident}\t{' '.join(message.split())}\n".encode()
            logged = branch.startswith(("refs/heads/", "refs/remotes/", "refs/notes/"))
            _log(common_dir / "logs" / branch, line, log_refs and logged)
            if via_head or _head_points_at(git_dir, branch):
                _log(git_dir / "logs" / "HEAD", line, log_refs)
            os.replace(lock, ref_path)
            return REF_UPDATED, lock
        except BaseException:
            lock.unlink(missing_ok=True)
            raise
    finally:
        _settle_claim(claim)


# Before this process takes a ref's lock it leaves a claim in gitstore's own folder, one file
# per process and ref, made once (whole, by rename), stamped with the time (its mtime) before
# each lock and set back to the epoch after it; the process removes its claims when it exits.
# A writer killed while it holds the lock leaves both behind. The next writer removes such a
# lock only when a claim names a process that is gone and the lock was made within moments
# after that claim was stamped, not by git or anyone else since. Any other lock is never
# removed: it is reported, as git reports it.
CLAIM_WINDOW = 2.0  # seconds between a claim and the lock its writer makes
_claims: set[Path] = set()  # this process's claims, removed at exit


def _claims_of(common_dir: Path, lock: Path) -> tuple[Path, str]:
    import hashlib

    return common_dir / "gitstore" / "ref-claims", hashlib.sha1(str(lock).encode()).hexdigest()


def _write_claim(common_dir: Path, lock: Path) -> Path:
    folder, key = _claims_of(common_dir, lock)
    claim = folder / f"{key}.{os.getpid()}"
    if claim in _claims:
        try:
            os.utime(claim)
            return claim
        except FileNotFoundError:
            pass  # removed by hand, or by a clean-up: make it again
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    tmp.write_bytes(b"")
    os.replace(tmp, claim)
    if not _claims:
        import atexit

        atexit.register(_remove_claims)
    _claims.add(claim)
    return claim


def _settle_claim(claim: Path) -> None:
    """The claim's process holds no lock now: its stamp goes back to the epoch."""
    try:
        os.utime(claim, (0, 0))
    except OSError:
        pass


def _remove_claims() -> None:
    for claim in _claims:
        try:
            claim.unlink()
        except OSError:
            pass
    _claims.clear()


def _release_abandoned(common_dir: Path, lock: Path) -> bool:
    """Remove ``lock`` when a gitstore writer that has died left it; True when removed."""
    folder, key = _claims_of(common_dir, lock)
    try:
        lock_time = os.stat(lock).st_mtime
        claims = [c for c in folder.iterdir() if c.name.startswith(key + ".")]
    except OSError:
        return False
    for claim in claims:
        try:
            pid = int(claim.name.rsplit(".", 1)[1])
            claim_time = claim.stat().st_mtime
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        if claim_time - 0.01 <= lock_time <= claim_time + CLAIM_WINDOW:
            lock.unlink(missing_ok=True)
            claim.unlink(missing_ok=True)
            return True
        claim.unlink(missing_ok=True)  # a dead writer's claim that took no lock
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _head_points_at(git_dir: Path, branch: str) -> bool:
    try:
        return head_target(git_dir) == branch
    except Unsupported:
        return False


def _log(path: Path, line: bytes, create: bool) -> None:
    """Append a reflog line; a missing log is created only when git would create it."""
    if create or path.exists():
        _append(path, line)


def _append(path: Path, line: bytes) -> None:
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(line)


# --- trees and commits ---------------------------------------------------------------


class TreeItem(NamedTuple):
    mode: str  # as git writes it in a tree: 40000, 100644, 100755, 120000, 160000
    name: str
    oid: str


def split_tree(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """A tree object's entries as (sort keys, raw entries), both in the tree's (git's) order."""
    keys, chunks = [], []
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        end = nul + 21
        name = data[space + 1:nul]
        keys.append(name + b"/" if data[pos:space] == b"40000" else name)
        chunks.append(data[pos:end])
        pos = end
    return keys, chunks


def tree_entry(mode: str, name: str, oid: str) -> tuple[bytes, bytes]:
    """(sort key, raw entry) of one tree entry; a folder sorts as ``name/``, as git sorts it."""
    raw_name = name.encode("utf-8", "surrogateescape")
    key = raw_name + b"/" if mode == TREE_MODE else raw_name
    return key, mode.encode("ascii") + b" " + raw_name + b"\0" + bytes.fromhex(oid)


def commit_bytes(tree: str, parents: list[str], author: str, committer: str,
                 message: str) -> bytes:
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents), f"author {author}",
             f"committer {committer}"]
    return ("\n".join(lines) + "\n\n" + message).encode("utf-8")


def stamp_ident(ident: str, now: float | None = None) -> str:
    """``Name <email> <seconds> <zone>`` with the current time (the zone of this machine)."""
    person = ident.rsplit(">", 1)[0] + ">"
    seconds = int(time.time() if now is None else now)
    offset = time.localtime(seconds).tm_gmtoff // 60
    sign = "+" if offset >= 0 else "-"
    return f"{person} {seconds} {sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"


# --- the index ---------------------------------------------------------------------


class IndexEntry(NamedTuple):
    mode: str
    oid: str
    stage: int


class IndexImage(NamedTuple):
    """An index file taken apart: its entries raw (sorted by path, stage) and its extensions."""

    version: int
    keys: list[bytes]  # path NUL stage, in the index's order
    entries: list[IndexEntry]
    chunks: list[bytes]  # each entry's bytes, padding included
    extensions: bytes  # what follows the entries, less the checksum


def parse_index(data: bytes) -> IndexImage:
    version, keys, entries, chunks, end = _entries(data)
    return IndexImage(version, keys, entries, chunks, data[end:-20])


def _entries(data: bytes) -> tuple[int, list[bytes], list[IndexEntry], list[bytes], int]:
    if data[:4] != b"DIRC":
        raise Unsupported("not an index file")
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4):
        raise Unsupported(f"index version {version}")
    keys: list[bytes] = []
    entries: list[IndexEntry] = []
    chunks: list[bytes] = []
    pos = 12
    previous = b""
    unpack = struct.unpack_from
    for _ in range(count):
        start = pos
        mode, = unpack(">I", data, pos + 24)
        oid = data[pos + 40:pos + 60].hex()
        flags, = unpack(">H", data, pos + 60)
        stage = (flags >> 12) & 3
        head = pos + 62
        if flags & 0x4000 and version >= 3:
            head += 2
        if version == 4:
            strip, n = _varint(data, head)
            end = data.index(b"\0", n)
            name = previous[:len(previous) - strip] + data[n:end]
            pos = end + 1
        else:
            end = data.index(b"\0", head)
            name = data[head:end]
            pos += ((end - pos) // 8 + 1) * 8  # NUL-padded to a multiple of eight bytes
        previous = name
        if mode & 0o170000 == 0o040000:
            raise Unsupported("sparse index")
        keys.append(name + b"\0" + bytes([48 + stage]))
        entries.append(IndexEntry(f"{mode:o}", oid, stage))
        chunks.append(data[start:pos])
    return version, keys, entries, chunks, pos


# extensions a rewritten index keeps (their contents do not depend on the entries)
KEPT_EXTENSIONS = (b"REUC",)


def updated_index(image: IndexImage, updates: Mapping[str, tuple[os.stat_result, str, str] | None]
                  ) -> tuple[IndexImage, bytes]:
    """The index with ``updates`` (path -> (stat of the file, mode, blob id), None to remove).

    Entries not named are kept byte for byte. Optional caches that describe the
    entries (the cache tree, the untracked cache, fsmonitor data, offset tables)
    are dropped, as git drops what it cannot keep valid; a required extension
    git might add (split index, sparse directories) is Unsupported.
    """
    if image.version == 4:
        raise Unsupported("index version 4 compresses paths: an entry cannot be replaced alone")
    keys, entries, chunks = list(image.keys), list(image.entries), list(image.chunks)
    for path, update in sorted(updates.items()):
        raw = path.encode("utf-8", "surrogateescape")
        lo = bisect.bisect_left(keys, raw + b"\0")
        hi = bisect.bisect_right(keys, raw + b"\0\xff")
        del keys[lo:hi], entries[lo:hi], chunks[lo:hi]
        if update is not None:
            st, mode, oid = update
            keys.insert(lo, raw + b"\x000")
            entries.insert(lo, IndexEntry(mode, oid, 0))
            chunks.insert(lo, _entry_bytes(raw, st, int(mode, 8), oid))
    header = b"DIRC" + struct.pack(">II", image.version, len(keys))
    extensions = _kept_extensions(image.extensions)
    body = header + b"".join(chunks) + extensions
    new = IndexImage(image.version, keys, entries, chunks, extensions)
    return new, body + hashlib.sha1(body).digest()


def _entry_bytes(name: bytes, st: os.stat_result, mode: int, oid: str) -> bytes:
    m = 0xFFFFFFFF
    fixed = struct.pack(
        ">10I", int(st.st_ctime) & m, st.st_ctime_ns % 1_000_000_000, int(st.st_mtime) & m,
        st.st_mtime_ns % 1_000_000_000, st.st_dev & m, st.st_ino & m, mode, st.st_uid & m,
        st.st_gid & m, st.st_size & m)
    flags = struct.pack(">H", min(len(name), 0xFFF))
    entry = fixed + bytes.fromhex(oid) + flags + name
    return entry + b"\0" * (8 - len(entry) % 8)


def _kept_extensions(data: bytes) -> bytes:
    kept = []
    pos = 0
    while pos + 8 <= len(data):
        signature = data[pos:pos + 4]
        size, = struct.unpack(">I", data[pos + 4:pos + 8])
        if not signature[:1].isupper():
            raise Unsupported(f"index extension {signature!r}")
        if signature in KEPT_EXTENSIONS:
            kept.append(data[pos:pos + 8 + size])
        pos += 8 + size
    return b"".join(kept)


def replace_index(path: Path, change: Callable[[bytes], bytes]) -> bool:
    """Replace the index as git does: under ``index.lock``, ``change(current bytes)`` is
    written and renamed into place. False when another process holds the lock."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = b"DIRC" + struct.pack(">II", 2, 0) + hashlib.sha1(
                    b"DIRC" + struct.pack(">II", 2, 0)).digest()
            data = change(current)
            _allocate(fd, len(data))
            fh.write(data)
        os.replace(lock, path)
        return True
    except BaseException:
        lock.unlink(missing_ok=True)
        raise


def _allocate(fd: int, size: int) -> None:
    """Reserve the file's blocks before writing it, where the file system can: a file whose
    blocks are allocated is renamed over the old one without the flush some file systems
    (ext4's ``auto_da_alloc``) start for a replaced file written with delayed allocation."""
    try:
        os.posix_fallocate(fd, 0, size)
    except (OSError, AttributeError):
        pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset varint (index version 4): (value, position after it)."""
    byte = data[pos]
    value = byte & 0x7F
    pos += 1
    while byte & 0x80:
        byte = data[pos]
        value = ((value + 1) << 7) | (byte & 0x7F)
        pos += 1
    return value, pos
