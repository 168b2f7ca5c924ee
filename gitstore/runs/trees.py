"""Building trees from git's raw tree format, touching only the folders on changed paths.

Adding a file at ``a/b/c`` rewrites the trees of ``a/b``, ``a`` and the root
and nothing else, so the cost of a write depends on the size of those few
trees, never on the whole history or the whole branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gitstore.plumbing import vcs

TREE_MODE = "40000"
BLOB_MODE = "100644"

Entries = dict[str, tuple[str, str]]  # name -> (mode, oid)
NewObject = tuple[str, bytes]  # (type, contents)


def parse_tree(data: bytes) -> Entries:
    """The entries of a raw tree object."""
    entries: Entries = {}
    pos = 0
    size = len(data)
    while pos < size:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode = data[pos:space].decode()
        name = data[space + 1:nul].decode("utf-8", "surrogateescape")
        entries[name] = (mode, data[nul + 1:nul + 21].hex())
        pos = nul + 21
    return entries


def _sort_key(item: tuple[str, tuple[str, str]]) -> bytes:
    name, (mode, _) = item
    raw = name.encode("utf-8", "surrogateescape")
    return raw + b"/" if mode == TREE_MODE else raw


def serialize_tree(entries: Mapping[str, tuple[str, str]]) -> bytes:
    """A raw tree object, its entries in git's order."""
    parts = []
    for name, (mode, oid) in sorted(entries.items(), key=_sort_key):
        parts.append(b"%s %s\0%s" % (mode.encode(), name.encode("utf-8", "surrogateescape"),
                                     bytes.fromhex(oid)))
    return b"".join(parts)


def folders_on(paths: Iterable[str]) -> list[str]:
    """Every folder holding one of ``paths``, the root ('') first."""
    found = {""}
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.add("/".join(parts[:depth]))
    return sorted(found, key=lambda d: (d.count("/") + bool(d), d))


def folder_spec(treeish: str, folder: str) -> str:
    """A ``cat-file`` name of ``folder`` in ``treeish``."""
    return f"{treeish}:{folder}" if folder else f"{treeish}^{{tree}}"


def build_tree(trees: Mapping[str, Entries], files: Mapping[str, tuple[str, str]]
               ) -> tuple[str, list[NewObject]]:
    """The root tree after setting ``files`` (path -> (mode, oid)) on the folders in ``trees``.

    ``trees`` maps every folder on the changed paths (see :func:`folders_on`)
    to its current entries (empty when it does not exist yet). Returns the new
    root's id and the tree objects to write.
    """
    edits: dict[str, Entries] = {folder: dict(entries) for folder, entries in trees.items()}
    for path, entry in files.items():
        folder, _, name = path.rpartition("/")
        edits[folder][name] = entry
    new: list[NewObject] = []
    oids: dict[str, str] = {}
    for folder in sorted(edits, key=lambda d: -(d.count("/") + bool(d))):
        data = serialize_tree(edits[folder])
        oid = vcs.object_oid("tree", data)
        new.append(("tree", data))
        oids[folder] = oid
        if folder:
            parent, _, name = folder.rpartition("/")
            edits[parent][name] = (TREE_MODE, oid)
    return oids[""], new
