"""The search index: every entity's name, kind, type, flavor and description.

It is one script beside the pages (``search-index.js``), loaded by the page's
search box on first use: a page opened from ``file://`` cannot fetch a JSON
file, but it can load a script from its own folder.
"""

from __future__ import annotations

import json
from typing import Any

from gitstore.plumbing.layout import EntityRef
from gitstore.site.flavors import all_flavors
from gitstore.site.model import Catalog
from gitstore.site.runs import pipeline_name


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def entries(cat: Catalog) -> list[list[str]]:
    """[name, kind, type, flavor, description, page] of every entity with a page."""
    found = []
    for ref in sorted(cat.snap.present, key=lambda r: (r.kind, r.type or "", r.name)):
        page = cat.pages.get(ref.kind, ref.name, ref.type)
        if page is None:
            continue
        doc = cat.snap.documents.get(ref)
        data = doc.data if doc else {}
        flavor = _text(data.get("flavor")) if ref.kind == "component" else ""
        found.append([ref.name, ref.kind, ref.type or "", flavor, _describe(ref, data), page])
    for type_, name in all_flavors(cat):
        if not cat.snap.exists("flavor", name, type_):
            found.append([name, "flavor", type_, "", "built-in", cat.pages.get("flavor", name, type_) or ""])
    for record in cat.runs or []:
        name = str(record.get("name"))
        stack = record.get("stack")
        stack_name = stack.get("name") if isinstance(stack, dict) else ""
        found.append([name, "run", "", "", f"pipeline {pipeline_name(record)} on stack {stack_name}",
                      cat.pages.get("run", name) or ""])
    return found


def _describe(ref: EntityRef, data: dict[str, Any]) -> str:
    if ref.kind == "user":
        return _text(data.get("email"))
    if ref.kind == "flavor":
        return " ".join(t for t in ("custom", _text(data.get("integration"))) if t)
    return _text(data.get("description"))


def index_script(cat: Catalog) -> str:
    data = json.dumps({"entries": entries(cat)}, ensure_ascii=True, separators=(",", ":"))
    # ensure_ascii plus escaping "<" keeps "</script>" and friends inert in any context
    return "window.GITSTORE_SEARCH = " + data.replace("<", "\\u003c") + ";\n"
