"""A very small HTML template helper that escapes by default.

Every value that reaches a page goes through :func:`escape` unless it is
already :class:`Markup` (HTML this package built). :func:`html` formats a
template written in this package with escaped arguments, so a description
holding ``<script>`` from the repository is shown as text, never run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Markup(str):
    """A string that is already HTML: inserted as it is."""

    __slots__ = ()

    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: str) -> Markup:
        return Markup(str.__add__(escape(other), self))


def escape(value: Any) -> Markup:
    """``value`` as HTML text (attributes included); Markup passes through unchanged."""
    if isinstance(value, Markup):
        return value
    text = value if isinstance(value, str) else str(value)
    return Markup(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                  .replace('"', "&quot;").replace("'", "&#39;"))


def html(template: str, *args: Any, **values: Any) -> Markup:
    """``template`` (HTML written in this package) formatted with escaped arguments."""
    if values:
        return Markup(template.format(*[escape(a) for a in args],
                                      **{k: escape(v) for k, v in values.items()}))
    return Markup(template.format(*[escape(a) for a in args]))


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    """Concatenate ``parts``, escaping every one that is not Markup."""
    return Markup(sep.join([escape(p) for p in parts]))


def link(href: str, text: Any, cls: str = "") -> Markup:
    extra = html(' class="{}"', cls) if cls else ""
    return html('<a href="{}"{}>{}</a>', href, Markup(extra), text)


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], cls: str = "") -> Markup:
    """A table of escaped cells (Markup cells as they are); empty rows give an empty string."""
    body = "".join(["<tr><td>" + "</td><td>".join([escape(c) for c in row]) + "</td></tr>"
                    for row in rows])
    if not body:
        return Markup("")
    head = "".join([f"<th>{escape(h)}</th>" for h in headers])
    klass = html(' class="{}"', cls) if cls else ""
    return Markup(f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
