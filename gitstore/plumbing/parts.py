"""A kept state in parts: each part checked and unmarshalled only when it is asked for.

The states kept between runs (validation's ``validate-state-*``, the pre-receive hook's
``authority-state``) grow with the repository while a run needs a few entries of them. So
they are written as one file of parts with a small header naming each part's size and
crc32, mapped with mmap, and a part is checked against its crc32 and unmarshalled the first
time a run reads it (:class:`Part` for one value, :class:`Parts` for a str-keyed mapping
spread over BUCKETS parts by its keys' crc32).

On disk: MAGIC, the header's length (4 bytes, big-endian), the header (marshalled
``(tag, fmt, [(size, crc32) per part])``), then the parts one after another. A file of
another tag, code (``fmt``) or number of parts, or whose sizes do not add up, is not read
(:func:`read_parts` answers None); a part that does not match its checksum or its type
raises :class:`DamagedState` when it is read, and the caller computes the whole again.
"""

from __future__ import annotations

import marshal
import mmap
import zlib
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

MAGIC = b"GSST"
BUCKETS = 64  # a Parts mapping is kept in this many parts

Raw = tuple[Any, int]  # one part as kept: its bytes (a view into the mapped file), their crc32


class DamagedState(ValueError):
    """A part of a kept state does not match its checksum or shape (checked when read)."""


def bucket_of(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % BUCKETS


def decode(raw: Any, crc: int, kind: type) -> Any:
    """One part of the file: checked against its checksum and its type, then unmarshalled."""
    if zlib.crc32(raw) != crc:
        raise DamagedState("a part of the state does not match its checksum")
    try:
        value = marshal.loads(raw)
    except (EOFError, ValueError, TypeError) as exc:
        raise DamagedState(str(exc)) from exc
    if not isinstance(value, kind):
        raise DamagedState("a part of the state is of the wrong type")
    return value


def pack(tag: str, fmt: str, parts: list[bytes]) -> bytes:
    """The file holding ``parts`` (each already marshalled), for :func:`read_parts`."""
    header = marshal.dumps((tag, fmt, [(len(part), zlib.crc32(part)) for part in parts]))
    return b"".join([MAGIC, len(header).to_bytes(4, "big"), header, *parts])


def read_parts(path: Path, tag: str, fmt: str, count: int) -> list[Raw] | None:
    """The ``count`` parts of the file at ``path``, mapped and not yet read (nor checked), or
    None when it is missing, empty, of another tag, code or number of parts, or its sizes
    do not add up."""
    try:
        with open(path, "rb") as fh:
            data: Any = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # missing, a directory, empty
        return None
    try:
        return unpack(data, tag, fmt, count)
    except (EOFError, ValueError, TypeError, IndexError):
        return None


def unpack(data: Any, tag: str, fmt: str, count: int) -> list[Raw] | None:
    """:func:`read_parts` of the bytes (or mapping) ``data``."""
    if data[:4] != MAGIC:
        return None
    size = int.from_bytes(data[4:8], "big")
    header = marshal.loads(data[8:8 + size])
    if (not isinstance(header, tuple) or len(header) != 3 or header[:2] != (tag, fmt)
            or not isinstance(header[2], list) or len(header[2]) != count):
        return None
    view = memoryview(data)
    raw: list[Raw] = []
    pos = 8 + size
    for length, crc in header[2]:
        raw.append((view[pos:pos + length], crc))
        pos += length
    return raw if pos == len(data) else None


def copy(raw: Raw) -> bytes:
    """A part not read this run, to write again: copied once its checksum is seen to match
    (a damaged part is never passed on as sound)."""
    if zlib.crc32(raw[0]) != raw[1]:
        raise DamagedState("a part of the state does not match its checksum")
    return bytes(raw[0])


class Part:
    """One value kept as one part, unmarshalled (and checked) the first time it is asked for."""

    def __init__(self, raw: Raw | None, kind: type, value: Any = None) -> None:
        self.raw = raw  # None: made in this run (``value`` holds it)
        self.kind = kind
        self._value = value
        self.dirty = raw is None

    @classmethod
    def of(cls, value: Any) -> Part:
        return cls(None, type(value), value)

    @property
    def loaded(self) -> bool:
        return self._value is not None or self.raw is None

    @property
    def value(self) -> Any:
        """The value; change it in place and call :meth:`changed`, or :meth:`set` another."""
        if self._value is None:
            assert self.raw is not None
            self._value = decode(*self.raw, self.kind)
        return self._value

    def set(self, value: Any) -> None:
        self._value = value
        self.dirty = True

    def changed(self) -> None:
        self.dirty = True

    def dumps(self) -> bytes:
        if self.dirty or self.raw is None:
            return marshal.dumps(self.value)
        return copy(self.raw)


class Parts(MutableMapping[str, Any]):
    """A str-keyed mapping kept in BUCKETS parts, each part unmarshalled (and checked) only
    when a key of it is asked for: a one-file change reads a few parts, not all of them.
    Every value is of type ``values``; iterating reads every part."""

    def __init__(self, raw: list[Raw], values: type) -> None:
        self.raw = raw  # per part: (its marshalled bytes, their crc32); [] when made in this run
        self.value_type = values
        self.loaded: list[dict[str, Any] | None] = [None] * BUCKETS
        self.dirty = [False] * BUCKETS

    @classmethod
    def of(cls, items: dict[str, Any], values: type) -> Parts:
        parts = cls([], values)
        loaded: list[dict[str, Any]] = [{} for _ in range(BUCKETS)]
        crc32 = zlib.crc32
        for key, value in items.items():  # bucket_of, inlined: this runs once per entity
            loaded[crc32(key.encode("utf-8", "surrogateescape")) % BUCKETS][key] = value
        parts.loaded = list(loaded)
        parts.dirty = [True] * BUCKETS
        return parts

    def _part(self, index: int) -> dict[str, Any]:
        part = self.loaded[index]
        if part is None:
            raw, crc = self.raw[index]
            part = decode(raw, crc, dict)
            if not ({*map(type, part)} <= {str} and {*map(type, part.values())} <= {self.value_type}):
                raise DamagedState("a part of the state holds values of the wrong type")
            self.loaded[index] = part
        return part

    def get(self, key: str, default: Any = None) -> Any:
        return self._part(bucket_of(key)).get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._part(bucket_of(key))[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._part(bucket_of(key))

    def __setitem__(self, key: str, value: Any) -> None:
        index = bucket_of(key)
        self._part(index)[key] = value
        self.dirty[index] = True

    def __delitem__(self, key: str) -> None:
        index = bucket_of(key)
        del self._part(index)[key]
        self.dirty[index] = True

    def pop(self, key: str, default: Any = None) -> Any:
        index = bucket_of(key)
        part = self._part(index)
        if key not in part:
            return default
        self.dirty[index] = True
        return part.pop(key)

    def __iter__(self) -> Iterator[str]:
        for index in range(BUCKETS):
            yield from self._part(index)

    def __len__(self) -> int:
        return sum(len(self._part(index)) for index in range(BUCKETS))

    def all(self) -> dict[str, Any]:
        """Every key and value (reads every part)."""
        found: dict[str, Any] = {}
        for index in range(BUCKETS):
            found.update(self._part(index))
        return found

    def dumps(self) -> list[bytes]:
        """Each part marshalled: the parts not changed are copied as they were read."""
        out = []
        for index in range(BUCKETS):
            if self.dirty[index] or not self.raw:
                out.append(marshal.dumps(self.loaded[index] or {}))
            elif self.loaded[index] is not None:
                out.append(bytes(self.raw[index][0]))  # its checksum was seen to match
            else:
                out.append(copy(self.raw[index]))
        return out


class PartSet:
    """A set of str kept in BUCKETS parts, each part unmarshalled (and checked) only when a
    member of it is asked about: whether one path is an entity file reads 1/BUCKETS of the
    paths. Iterating reads every part."""

    def __init__(self, raw: list[Raw]) -> None:
        self.raw = raw  # per part: (its marshalled bytes, their crc32); [] when made in this run
        self.loaded: list[set[str] | None] = [None] * BUCKETS
        self.dirty = [False] * BUCKETS

    @classmethod
    def of(cls, items: Iterable[str]) -> PartSet:
        made = cls([])
        loaded: list[set[str]] = [set() for _ in range(BUCKETS)]
        crc32 = zlib.crc32
        for key in items:  # bucket_of, inlined: this runs once per entity
            loaded[crc32(key.encode("utf-8", "surrogateescape")) % BUCKETS].add(key)
        made.loaded = list(loaded)
        made.dirty = [True] * BUCKETS
        return made

    def _part(self, index: int) -> set[str]:
        part = self.loaded[index]
        if part is None:
            part = decode(*self.raw[index], set)
            if not {*map(type, part)} <= {str}:
                raise DamagedState("a part of the state holds members of the wrong type")
            self.loaded[index] = part
        return part

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._part(bucket_of(key))

    def add(self, key: str) -> None:
        index = bucket_of(key)
        self._part(index).add(key)
        self.dirty[index] = True

    def discard(self, key: str) -> None:
        index = bucket_of(key)
        part = self._part(index)
        if key in part:
            part.discard(key)
            self.dirty[index] = True

    def __iter__(self) -> Iterator[str]:
        for index in range(BUCKETS):
            yield from self._part(index)

    def dumps(self) -> list[bytes]:
        """Each part marshalled: the parts not changed are copied as they were read."""
        out = []
        for index in range(BUCKETS):
            if self.dirty[index] or not self.raw:
                out.append(marshal.dumps(self.loaded[index] or set()))
            elif self.loaded[index] is not None:
                out.append(bytes(self.raw[index][0]))  # its checksum was seen to match
            else:
                out.append(copy(self.raw[index]))
        return out
