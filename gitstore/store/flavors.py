"""Flavors: the built-in ones and the custom ones under ``flavors/<type>/<name>.yaml``."""

from __future__ import annotations

from uuid import uuid4

from gitstore import flavors as builtin
from gitstore.exceptions import EntityExistsError
from gitstore.models import FlavorWrapper, StackComponentType
from gitstore.plumbing.layout import COMPONENT_TYPES, entity_path
from gitstore.plumbing.snapshot import Document
from gitstore.store import writer
from gitstore.store.base import StoreBase, require_name
from gitstore.store.state import FileChanges, Tree

BUILTIN_SOURCE = "zenml.builtin.{type}.{name}"  # built-in flavors have no file; this names them


def _builtin(type_: str, name: str) -> FlavorWrapper:
    return FlavorWrapper(
        name=name,
        type=StackComponentType(type_),
        source=BUILTIN_SOURCE.format(type=type_, name=name),
        integration=builtin.builtin_integration(type_, name),
    )


def _custom(doc: Document) -> FlavorWrapper:
    assert doc.ref.type is not None
    integration = doc.data.get("integration")
    return FlavorWrapper(
        name=doc.ref.name,
        type=StackComponentType(doc.ref.type),
        source=str(doc.data.get("source", "")),
        integration=None if integration is None else str(integration),
    )


class FlavorMethods(StoreBase):
    @property
    def flavors(self) -> list[FlavorWrapper]:
        tree = self._tree()
        return [f for type_ in COMPONENT_TYPES for f in self._flavors_of(tree, type_)]

    def get_flavors_by_type(self, component_type: StackComponentType) -> list[FlavorWrapper]:
        return self._flavors_of(self._tree(), StackComponentType(component_type).value)

    def get_flavor_by_name_and_type(
        self, flavor_name: str, component_type: StackComponentType
    ) -> FlavorWrapper:
        type_ = StackComponentType(component_type).value
        for flavor in self._flavors_of(self._tree(), type_):
            if flavor.name == flavor_name:
                return flavor
        raise KeyError(
            f"no {type_} flavor named {flavor_name!r} (neither built in nor at "
            f"{entity_path('flavor', flavor_name, type_)})"
        )

    def create_flavor(
        self, source: str, name: str, stack_component_type: StackComponentType
    ) -> FlavorWrapper:
        type_ = StackComponentType(stack_component_type).value
        require_name(name, "flavor")
        body = {"id": str(uuid4()), "source": source}

        def plan(tree: Tree) -> FileChanges:
            if builtin.is_builtin(type_, name) or tree.snapshot.exists("flavor", name, type_):
                raise EntityExistsError(f"a {type_} flavor named {name!r} exists already")
            path = entity_path("flavor", name, type_)
            return {path: writer.new_file(path, body)}

        self._write(f"create {type_} flavor {name}", plan)
        return self.get_flavor_by_name_and_type(name, StackComponentType(type_))

    def _flavors_of(self, tree: Tree, type_: str) -> list[FlavorWrapper]:
        custom = sorted(
            (d for d in tree.snapshot.of_kind("flavor") if d.ref.type == type_),
            key=lambda d: d.ref.name,
        )
        return [_builtin(type_, n) for n in builtin.builtin_names(type_)] + [
            _custom(d) for d in custom
        ]
