"""The settings of ``gitstore.yaml``: the one place that reads them and knows their defaults.

Every feature asks :class:`Settings` (from a snapshot, or :func:`settings_at` a
commit) rather than reading the file or a key itself, so a setting has one
meaning and one default everywhere. A value of the wrong type counts as
absent (validation reports it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitstore.plumbing.layout import CONFIG_FILE

DEFAULT_RUNS_BRANCH = "gitstore/runs"


@dataclass(frozen=True)
class Settings:
    """The settings one ``gitstore.yaml`` holds (as read by the strict reader)."""

    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Any) -> Settings:
        return cls(data if isinstance(data, Mapping) else {})

    def _str(self, key: str) -> str | None:
        value = self.data.get(key)
        return value if isinstance(value, str) and value else None

    @property
    def runs_branch(self) -> str:
        """The branch holding pipeline run records."""
        return self._str("runs_branch") or DEFAULT_RUNS_BRANCH

    @property
    def default_stack(self) -> str | None:
        return self._str("default_stack")

    @property
    def enforce_permissions(self) -> bool:
        return self.data.get("enforce_permissions") is True

    @property
    def require_signed_commits(self) -> bool:
        return self.data.get("require_signed_commits") is True

    @property
    def required_components(self) -> list[str]:
        value = self.data.get("required_components")
        return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def config_path(prefix: str) -> str:
    """The path of ``gitstore.yaml`` from the git root, for a configuration at ``prefix``."""
    return f"{prefix}/{CONFIG_FILE}" if prefix else CONFIG_FILE


def read_settings(raw: bytes | None) -> Settings:
    """The settings in the bytes of a ``gitstore.yaml`` (``None``: no file, every default)."""
    from gitstore.plumbing.yamlio import load_mapping

    return Settings.of(load_mapping(raw, CONFIG_FILE))


def settings_at(git_cwd: str | os.PathLike[str], rev: str, prefix: str = "") -> Settings | None:
    """The settings of the commit ``rev``; ``None`` when it holds no ``gitstore.yaml``."""
    from gitstore.plumbing import vcs

    obj = vcs.cat_objects(git_cwd, [f"{rev}:{config_path(prefix)}"])[0]
    return None if obj is None else read_settings(obj.data)
