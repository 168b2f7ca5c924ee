"""``gitstore site``: a static, browsable catalog of a configuration repository.

A thin front end over the core: :mod:`gitstore.site.model` gathers the
snapshot, its problems, references, roles, history and run records;
the page modules render them as HTML with every repository value escaped
(:mod:`gitstore.site.markup`); :mod:`gitstore.site.build` writes the folder.
The site needs no server and makes no request outside its own folder.
"""

from __future__ import annotations

from gitstore.site.build import BuildResult, build_site

__all__ = ["BuildResult", "build_site"]
