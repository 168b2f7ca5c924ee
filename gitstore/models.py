"""The zen store models of ZenML 0.10, as pydantic v2 models.

These are the values :class:`gitstore.GitZenStore` takes and returns. Names
and fields follow ZenML 0.10's ``zenml.zen_stores.models`` so code written
against a zen store works unchanged.
"""

from __future__ import annotations

import base64
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator


@lru_cache(maxsize=1)
def installed_zenml_version() -> str | None:
    """The version of the ZenML installed alongside, the one a run made here runs on; None
    without ZenML (gitstore's own version is never a ZenML version)."""
    from importlib import metadata

    try:
        return metadata.version("zenml")
    except metadata.PackageNotFoundError:
        return None


class StackComponentType(str, Enum):
    ALERTER = "alerter"
    ARTIFACT_STORE = "artifact_store"
    CONTAINER_REGISTRY = "container_registry"
    DATA_VALIDATOR = "data_validator"
    EXPERIMENT_TRACKER = "experiment_tracker"
    FEATURE_STORE = "feature_store"
    METADATA_STORE = "metadata_store"
    MODEL_DEPLOYER = "model_deployer"
    ORCHESTRATOR = "orchestrator"
    SECRETS_MANAGER = "secrets_manager"
    STEP_OPERATOR = "step_operator"

    @property
    def plural(self) -> str:
        if self is StackComponentType.CONTAINER_REGISTRY:
            return "container_registries"
        return f"{self.value}s"

    def __str__(self) -> str:
        return self.value


class StoreType(str, Enum):
    LOCAL = "local"
    SQL = "sql"
    REST = "rest"
    GIT = "git"


class ComponentWrapper(BaseModel):
    """A stack component; ``config`` is base64 of a YAML mapping with its full configuration."""

    type: StackComponentType
    flavor: str
    name: str
    uuid: UUID
    config: bytes

    def config_dict(self) -> dict[str, Any]:
        """The decoded configuration (including ``name`` and ``uuid``)."""
        import yaml

        decoded = yaml.safe_load(base64.b64decode(self.config))
        return decoded if isinstance(decoded, dict) else {}

    def __eq__(self, other: object) -> bool:
        """Equal when type, flavor, name, uuid and the decoded configuration are: two encodings
        of the same configuration (key order, quoting) are the same component."""
        if not isinstance(other, ComponentWrapper):
            return NotImplemented
        return (self.type, self.flavor, self.name, self.uuid) == (
            other.type, other.flavor, other.name, other.uuid
        ) and self.config_dict() == other.config_dict()

    __hash__ = None  # type: ignore[assignment]


class StackWrapper(BaseModel):
    name: str
    components: list[ComponentWrapper] = Field(default_factory=list)

    def get_component_wrapper(self, component_type: StackComponentType) -> ComponentWrapper | None:
        for component in self.components:
            if component.type == component_type:
                return component
        return None


class FlavorWrapper(BaseModel):
    name: str
    type: StackComponentType
    source: str
    integration: str | None = None


class _Entity(BaseModel):
    id: UUID = Field(default_factory=uuid4)
    creation_date: datetime = Field(default_factory=datetime.now)
    name: str


class User(_Entity):
    pass


class Team(_Entity):
    pass


class Project(_Entity):
    description: str | None = None


class PermissionType(str, Enum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"


class Operation(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str


class Permission(BaseModel):
    model_config = ConfigDict(frozen=True)

    operation: Operation
    types: frozenset[PermissionType]


class Role(_Entity):
    permissions: set[Permission] = Field(default_factory=set)


class RoleAssignment(BaseModel):
    id: UUID = Field(default_factory=uuid4)
    creation_date: datetime = Field(default_factory=datetime.now)
    role_id: UUID
    project_id: UUID | None = None
    team_id: UUID | None = None
    user_id: UUID | None = None

    @model_validator(mode="after")
    def _one_assignee(self) -> RoleAssignment:
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("a role assignment names exactly one of user_id or team_id")
        return self


class StepWrapper(BaseModel):
    name: str
    docstring: str | None = None


class PipelineWrapper(BaseModel):
    name: str
    docstring: str | None = None
    steps: list[StepWrapper] = Field(default_factory=list)


class PipelineRunWrapper(BaseModel):
    """A pipeline run; gitstore adds the configuration commit it was pinned to."""

    name: str
    zenml_version: str | None = Field(default_factory=installed_zenml_version)
    git_sha: str | None = None
    pipeline: PipelineWrapper
    stack: StackWrapper
    runtime_configuration: dict[str, Any] = Field(default_factory=dict)
    user_id: UUID
    project_name: str | None = None
    config_commit: str | None = None
    config_dirty: bool | None = None

    def __eq__(self, other: object) -> bool:
        """Equal as ZenML compares runs: every field but the pin gitstore adds
        (``config_commit``, ``config_dirty``), so a run read back equals the run registered."""
        if not isinstance(other, PipelineRunWrapper):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _RUN_FIELDS)

    __hash__ = None  # type: ignore[assignment]


_RUN_FIELDS = ("name", "zenml_version", "git_sha", "pipeline", "stack", "runtime_configuration",
               "user_id", "project_name")
