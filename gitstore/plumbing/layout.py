"""The repository layout: which path holds which entity.

A path decides an entity's kind, its type (components and flavors) and its
name; nothing inside a file repeats them. :func:`classify` maps a repository
path to an :class:`EntityRef` or to the layout problem that path has.
"""

from __future__ import annotations

import re
import uuid
from typing import NamedTuple

from gitstore.problems import Problem, did_you_mean

CONFIG_FILE = "gitstore.yaml"

COMPONENT_TYPES = (
    "alerter",
    "artifact_store",
    "container_registry",
    "data_validator",
    "experiment_tracker",
    "feature_store",
    "metadata_store",
    "model_deployer",
    "orchestrator",
    "secrets_manager",
    "step_operator",
)

# kind -> top-level folder; typed kinds have one more folder level (<type>/).
FOLDERS = {
    "flavor": "flavors",
    "component": "components",
    "stack": "stacks",
    "user": "users",
    "team": "teams",
    "role": "roles",
    "project": "projects",
}
KIND_OF_FOLDER = {folder: kind for kind, folder in FOLDERS.items()}
TYPED_KINDS = frozenset({"flavor", "component"})
KINDS = ("settings", *FOLDERS)

OPERATIONS = ("stack", "stack_component", "flavor", "user", "team", "role", "project", "pipeline_run")
PERMISSION_TYPES = ("create", "read", "update", "delete")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
NAME_MAX = 128


def name_rule(also: str = "") -> str:
    """The naming rule in words, for messages about a name that breaks it (``also``: more
    said in its parentheses)."""
    return ("names start with a letter or digit and hold only letters, digits, `.`, `_` and `-` "
            f"(at most {NAME_MAX} characters{also})")


# Fixed namespace for ids derived from kind and name (uuid5).
ID_NAMESPACE = uuid.UUID("6f1c1c1e-2b6a-5d3e-9a57-5c0f9e7d4a21")


class EntityRef(NamedTuple):
    kind: str
    type: str | None
    name: str

    @property
    def path(self) -> str:
        return entity_path(self.kind, self.name, self.type)

    def label(self) -> str:
        if self.type:
            return f"{self.kind} {self.type}/{self.name}"
        return f"{self.kind} {self.name}"


def entity_path(kind: str, name: str, type_: str | None = None) -> str:
    """The repository path of an entity."""
    if kind == "settings":
        return CONFIG_FILE
    folder = FOLDERS[kind]
    if kind in TYPED_KINDS:
        return f"{folder}/{type_}/{name}.yaml"
    return f"{folder}/{name}.yaml"


def derive_id(kind: str, name: str, type_: str | None = None) -> str:
    """The stable id of an entity whose file gives none: ``uuid5(ID_NAMESPACE, key)``,
    computed without building UUID objects (validation derives one per file)."""
    import hashlib

    key = f"{kind}/{type_}/{name}" if type_ else f"{kind}/{name}"
    digest = bytearray(hashlib.sha1(ID_NAMESPACE.bytes + key.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_valid_name(name: str) -> bool:
    return bool(NAME_RE.fullmatch(name))


def is_layout_path(path: str) -> bool:
    """True for the paths the layout governs (everything else is ignored)."""
    top = path.split("/", 1)[0]
    return path == CONFIG_FILE or (top in KIND_OF_FOLDER and "/" in path)


def classify(path: str) -> EntityRef | Problem:
    """The entity a layout path holds, or the problem with that path."""
    if path == CONFIG_FILE:
        return EntityRef("settings", None, "gitstore")
    parts = path.split("/")
    kind = KIND_OF_FOLDER[parts[0]]
    want = 3 if kind in TYPED_KINDS else 2
    filename = parts[-1]
    stem, dot, ext = filename.rpartition(".")
    if len(parts) == want and dot and ext == "yml":
        return Problem(path, None, None, "GS020", "only `.yaml` files are read; this `.yml` file is not",
                       f"rename it to `{stem}.yaml`")
    if len(parts) != want or not dot or ext != "yaml":
        return Problem(path, None, None, "GS021", _unexpected_message(kind, parts), _expected_layout(kind))
    type_ = None
    if kind in TYPED_KINDS:
        type_ = parts[1]
        if type_ not in COMPONENT_TYPES:
            return Problem(path, None, None, "GS022", f"`{type_}` is not a stack component type",
                           did_you_mean(type_, COMPONENT_TYPES)
                           or "types are: " + ", ".join(COMPONENT_TYPES))
    if not is_valid_name(stem):
        return Problem(path, None, None, "GS023", f"`{stem}` is not a valid {kind} name", name_rule())
    return EntityRef(kind, type_, stem)


def _unexpected_message(kind: str, parts: list[str]) -> str:
    if kind in TYPED_KINDS and len(parts) == 2:
        return f"{kind} files go in a folder named after their type, not directly in {parts[0]}/"
    if len(parts) > (3 if kind in TYPED_KINDS else 2):
        return f"nested folders are not part of the layout under {parts[0]}/"
    return f"only `.yaml` files belong in {parts[0]}/"


def _expected_layout(kind: str) -> str:
    folder = FOLDERS[kind]
    if kind in TYPED_KINDS:
        return f"expected {folder}/<type>/<name>.yaml"
    return f"expected {folder}/<name>.yaml"
