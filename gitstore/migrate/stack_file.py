"""ZenML's single-stack export file (``zenml stack export NAME FILE``).

A YAML mapping with ``zenml_version``, ``stack_name`` and ``components``:
{type: the component's fields, without ``uuid`` and null values, plus
``flavor``}. Imported components get ids derived from their names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitstore.migrate.model import ZENML_VERSION, Component, SourceError, StoreData
from gitstore.migrate.zenml_folder import dump_yaml, expect, load_yaml_file
from gitstore.plumbing.layout import COMPONENT_TYPES


def read_stack_file(path: Path) -> StoreData:
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    doc = expect(load_yaml_file(path), dict, str(path))
    stack = doc.get("stack_name")
    expect(stack, str, f"{path}: `stack_name`")
    data = StoreData()
    parts = {}
    for type_, fields in sorted(expect(doc.get("components") or {}, dict,
                                       f"{path}: `components`").items()):
        here = f"{path}: `components.{type_}`"
        if type_ not in COMPONENT_TYPES:
            raise SourceError(f"{here}: `{type_}` is not a stack component type")
        fields = dict(expect(fields, dict, here))
        name = expect(fields.pop("name", None), str, f"{here}.name")
        flavor = expect(fields.pop("flavor", None), str, f"{here}.flavor")
        fields.pop("uuid", None)
        data.components[(type_, name)] = Component(type_, name, flavor, None, fields)
        parts[type_] = name
    data.stacks[stack] = parts
    return data


def stack_file_text(stack: str, data: StoreData) -> str:
    """The export file of ``stack`` (whose components ``data`` holds)."""
    components: dict[str, Any] = {}
    for type_, name in sorted(data.stacks[stack].items()):
        component = data.components[(type_, name)]
        fields = {k: v for k, v in component.config.items() if v is not None}
        components[type_] = {**fields, "flavor": component.flavor, "name": name}
    return dump_yaml({"components": components, "stack_name": stack,
                      "zenml_version": ZENML_VERSION})
