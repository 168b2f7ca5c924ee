"""Where each page of the site lives: one flat folder, one file name per entity.

All pages sit side by side, so every link and every script a page loads stays
in the page's own folder. Names are the entity names themselves (they are
safe file names by the layout's rules); names of one kind that differ only in
case (an error, but a broken repository still gets a site) get a suffix, so
they cannot overwrite each other on a case-insensitive file system.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

Key = tuple[str, str | None, str]  # (kind, type, name); kind "run" and "pipeline" too

INDEX_PAGES = {
    "stack": "stacks.html", "component": "components.html", "flavor": "flavors.html",
    "user": "users.html", "team": "teams.html", "role": "roles.html", "project": "projects.html",
    "run": "runs.html",
}


def _base(key: Key) -> str:
    kind, type_, name = key
    return f"{kind}-{type_}-{name}" if type_ else f"{kind}-{name}"


class PageNames:
    """The file name of every entity page, fixed once all entities are known."""

    def __init__(self, keys: Iterable[Key]) -> None:
        unique = sorted(set(keys), key=lambda k: (k[0], k[1] or "", k[2]))
        folded = Counter(_base(k).lower() for k in unique)
        self._names: dict[Key, str] = {}
        for key in unique:
            base = _base(key)
            if folded[base.lower()] > 1:
                base += "~" + hashlib.sha1(key[2].encode("utf-8")).hexdigest()[:8]
            self._names[key] = base + ".html"

    def get(self, kind: str, name: str, type_: str | None = None) -> str | None:
        """The page of an entity, or None when the site has none (a missing entity)."""
        return self._names.get((kind, type_, name))

    def all(self) -> dict[Key, str]:
        return dict(self._names)
