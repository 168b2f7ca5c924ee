"""Shared pieces of the library tests: components, commit inspection."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import yaml
from conftest import git

from gitstore.models import ComponentWrapper, StackComponentType


def component(
    type_: str,
    name: str,
    flavor: str,
    config: dict[str, Any] | None = None,
    uuid: UUID | None = None,
) -> ComponentWrapper:
    uuid = uuid or uuid4()
    full = {"name": name, "uuid": str(uuid), **(config or {})}
    return ComponentWrapper(
        type=StackComponentType(type_),
        flavor=flavor,
        name=name,
        uuid=uuid,
        config=base64.b64encode(yaml.safe_dump(full).encode()),
    )


def decoded(wrapper: ComponentWrapper) -> dict[str, Any]:
    return yaml.safe_load(base64.b64decode(wrapper.config))  # type: ignore[no-any-return]


def commit_count(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD").strip())


def last_commit(root: Path) -> tuple[str, list[str]]:
    """(subject, changed paths) of HEAD."""
    subject = git(root, "log", "-1", "--format=%s").strip()
    files = git(root, "show", "--no-renames", "--name-only", "--format=", "HEAD").split()
    return subject, sorted(files)


def status(root: Path) -> str:
    return git(root, "status", "--porcelain", "--untracked-files=all")
