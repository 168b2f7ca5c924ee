"""The frame every page shares: head, navigation, search box and footer."""

from __future__ import annotations

from gitstore import __version__
from gitstore.site.markup import Markup, escape, html

# No request may leave the site's folder: no remote fonts, scripts or images.
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'")
NAV = (("index.html", "Overview"), ("stacks.html", "Stacks"), ("components.html", "Components"),
       ("flavors.html", "Flavors"), ("users.html", "Users"), ("teams.html", "Teams"),
       ("roles.html", "Roles"), ("projects.html", "Projects"), ("runs.html", "Runs"))


class Frame:
    """Renders whole pages; the parts that never change are built once."""

    def __init__(self, title: str, source: str, runs: bool) -> None:
        self.title = title
        self.nav = [(href, text) for href, text in NAV if runs or href != "runs.html"]
        self._navs: dict[str, str] = {}
        self.footer = html('<footer>Catalog of {} built by gitstore {} · opens from disk, no server '
                           'needed</footer>', source, __version__)

    def page(self, title: str, body: Markup, section: str, sub: Markup | str = "",
             crumbs: Markup | str = "") -> str:
        nav = self._navs.get(section)
        if nav is None:
            nav = self._navs[section] = "".join(
                html('<a href="{}"{}>{}</a>', href, Markup(' class="here"' if href == section else ""),
                     text) for href, text in self.nav)
        crumb = html('<div class="crumbs">{}</div>', crumbs) if crumbs else ""
        subtitle = html('<p class="sub">{}</p>', sub) if sub else ""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="referrer" content="no-referrer">\n'
            f"<title>{escape(title)} · {escape(self.title)}</title>\n"
            '<link rel="stylesheet" href="site.css">\n'
            '<script src="site.js" defer></script>\n</head>\n<body>\n'
            '<header class="top"><div class="inner">'
            f'<a class="brand" href="index.html">{escape(self.title)} <span>catalog</span></a>'
            f'<nav class="kinds">{nav}</nav>'
            '<div class="search"><input id="search" type="search" autocomplete="off" '
            'placeholder="Search names, types, flavors…  ( / )" aria-label="Search the catalog">'
            '<div id="results" class="results" hidden></div></div>'
            "</div></header>\n"
            f"<main>\n{crumb}<h1>{escape(title)}</h1>\n{subtitle}\n{body}\n</main>\n"
            f"{self.footer}\n</body>\n</html>\n"
        )
