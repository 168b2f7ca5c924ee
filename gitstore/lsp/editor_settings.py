"""Settings for editors that only run yaml-language-server: each folder mapped to its JSON Schema.

yaml-language-server checks one file at a time against a schema (no references,
no flavors' config fields); these settings give it the same per-kind schemas
validation uses. Globs are relative to the configuration repository's root.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from gitstore.plumbing.layout import CONFIG_FILE, FOLDERS, TYPED_KINDS
from gitstore.resources import SCHEMA_OF_KIND


def schema_globs() -> dict[str, str]:
    """schema kind -> the glob of the files it governs."""
    globs = {SCHEMA_OF_KIND["settings"]: f"/{CONFIG_FILE}"}
    for kind, folder in FOLDERS.items():
        globs[SCHEMA_OF_KIND[kind]] = f"/{folder}/*/*.yaml" if kind in TYPED_KINDS else f"/{folder}/*.yaml"
    return globs


def schema_uri(kind: str) -> str:
    """A file URI of one kind's schema as installed (the editor reads it from there)."""
    path = resources.files("gitstore.schemas").joinpath(f"{kind}.schema.json")
    from pathlib import Path

    return Path(str(path)).resolve().as_uri()


def editor_settings(style: str = "vscode") -> dict[str, Any]:
    """``{"yaml.schemas": {...}}`` for VS Code's settings.json, or ``{"yaml": {"schemas": {...}}}``
    (``style="lsp"``) for the settings other clients send to yaml-language-server."""
    schemas = {schema_uri(kind): [glob] for kind, glob in schema_globs().items()}
    return {"yaml.schemas": schemas} if style == "vscode" else {"yaml": {"schemas": schemas}}
