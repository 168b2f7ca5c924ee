"""Taking a kept state's parts file apart and putting it together again, to damage it
(see :mod:`gitstore.plumbing.parts`)."""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Callable
from typing import Any

from gitstore.plumbing.parts import MAGIC


def split_state(good: bytes) -> tuple[tuple[Any, ...], list[bytes]]:
    """A state file's header and parts."""
    assert good[:4] == MAGIC
    size = int.from_bytes(good[4:8], "big")
    header = marshal.loads(good[8:8 + size])
    parts, pos = [], 8 + size
    for length, _ in header[2]:
        parts.append(good[pos:pos + length])
        pos += length
    assert pos == len(good)
    return header, parts


def join_state(header: tuple[Any, ...], parts: list[bytes], sums: bool = True) -> bytes:
    """A state file of ``parts``, with their checksums (or, unless ``sums``, the old ones)."""
    crcs = [zlib.crc32(p) for p in parts] if sums else [crc for _, crc in header[2]]
    listed = [(len(p), crc) for p, crc in zip(parts, crcs, strict=True)]
    head = marshal.dumps((*header[:2], listed))
    return MAGIC + len(head).to_bytes(4, "big") + head + b"".join(parts)


def flip(part: bytes) -> bytes:
    middle = len(part) // 2
    return part[:middle] + bytes([part[middle] ^ 0x5A]) + part[middle + 1:]


def with_header(good: bytes, change: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> bytes:
    header, parts = split_state(good)
    return join_state(change(header), parts)


def with_parts(good: bytes, change: Callable[[list[bytes]], list[bytes]], sums: bool = True
               ) -> bytes:
    header, parts = split_state(good)
    return join_state(header, change(parts), sums)


def replaced(index: int, value: Any) -> Callable[[list[bytes]], list[bytes]]:
    return lambda parts: [marshal.dumps(value) if i == index else p for i, p in enumerate(parts)]
