"""Stacks and stack components: ``stacks/<name>.yaml`` and ``components/<type>/<name>.yaml``."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID, uuid4

from gitstore import defaults
from gitstore.exceptions import StackComponentExistsError, StackExistsError
from gitstore.models import ComponentWrapper, StackComponentType, StackWrapper
from gitstore.plumbing.layout import COMPONENT_TYPES, CONFIG_FILE, entity_path
from gitstore.plumbing.snapshot import Document
from gitstore.store import writer
from gitstore.store.base import StoreBase, as_uuid, by_name, require_name
from gitstore.store.state import FileChanges, Tree


def _yaml_dump(data: dict[str, Any]) -> str:
    import yaml

    try:
        from yaml import CSafeDumper as Dumper
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        from yaml import SafeDumper as Dumper  # type: ignore[assignment]
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True)


_wrappers: dict[tuple[str, str], ComponentWrapper] = {}  # (path, blob id) -> wrapper
KEPT_WRAPPERS = 50_000


def component_wrapper(doc: Document) -> ComponentWrapper:
    """A component file as ZenML sees it (a copy of the one made for its blob before)."""
    key = (doc.path, doc.oid)
    made = _wrappers.get(key)
    if made is None:
        if len(_wrappers) >= KEPT_WRAPPERS:
            _wrappers.clear()
        made = _wrappers[key] = _component_wrapper(doc)
    return made.model_copy()


def _component_wrapper(doc: Document) -> ComponentWrapper:
    """A component file as ZenML sees it: config = base64 YAML of name, uuid and the config."""
    assert doc.ref.type is not None
    config = doc.data.get("config")
    full = {
        "name": doc.ref.name,
        "uuid": str(as_uuid(doc)),
        **(config if isinstance(config, dict) else {}),
    }
    return ComponentWrapper(
        type=StackComponentType(doc.ref.type),
        flavor=str(doc.data.get("flavor", "")),
        name=doc.ref.name,
        uuid=as_uuid(doc),
        config=base64.b64encode(_yaml_dump(full).encode("utf-8")),
    )


def decoded_config(component: ComponentWrapper) -> tuple[UUID, dict[str, Any]]:
    """(uuid, config less name and uuid) of a component as registered."""
    import yaml

    try:
        data = (
            yaml.load(  # what yaml.safe_load does, with libyaml when PyYAML has it
                base64.b64decode(component.config, validate=True),
                Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
            )
            if component.config
            else {}
        )
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(
            f"component {component.name}: config is not base64 of a YAML mapping: {exc}"
        ) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"component {component.name}: config is not base64 of a YAML mapping")
    data.pop("name", None)
    uuid = data.pop("uuid", None)
    return (UUID(str(uuid)) if uuid else component.uuid), data


def component_text(component: ComponentWrapper, path: str) -> str:
    uuid, config = decoded_config(component)
    return writer.new_file(path, {"id": str(uuid), "flavor": component.flavor, "config": config})


def _component_type(value: StackComponentType | str) -> str:
    return StackComponentType(value).value


def plan_missing_components(tree: Tree, components: list[ComponentWrapper]) -> FileChanges:
    """Files for the components not registered yet; an existing one must carry the same uuid."""
    changes: FileChanges = {}
    for component in components:
        type_ = _component_type(component.type)
        require_name(component.name, "stack component")
        uuid, _ = decoded_config(component)
        existing = tree.doc("component", component.name, type_)
        if existing is not None:
            if as_uuid(existing) != uuid:
                raise StackComponentExistsError(
                    f"a {type_} named {component.name!r} exists already "
                    f"with another uuid ({existing.id})"
                )
        elif tree.snapshot.exists("component", component.name, type_):
            raise StackComponentExistsError(f"a {type_} named {component.name!r} exists already")
        else:
            path = entity_path("component", component.name, type_)
            changes[path] = component_text(component, path)
    return changes


def _stack_components(stack: StackWrapper) -> dict[str, str]:
    return {_component_type(c.type): c.name for c in stack.components}


def _set_stack_entry(type_: str, name: str) -> writer.Edit:
    def change(data: Any) -> None:
        data["components"][type_] = name

    return change


def _is_default_stack(tree: Tree, name: str) -> bool:
    return tree.snapshot.settings.default_stack == name


class StackMethods(StoreBase):
    # --- stacks: reading -------------------------------------------------------

    @property
    def stacks_empty(self) -> bool:
        return not self._tree().snapshot.has_any("stack")

    @property
    def stack_configurations(self) -> dict[str, dict[StackComponentType, str]]:
        tree = self._tree()
        known = self._remembered("stack_configurations", tree, lambda: {
            doc.ref.name: self._configuration(doc)
            for doc in by_name(tree.snapshot.of_kind("stack"))
        })
        return {name: dict(configuration) for name, configuration in known.items()}

    def get_stack_configuration(self, name: str) -> dict[StackComponentType, str]:
        return self._configuration(self._doc(self._tree(), "stack", name))

    @property
    def stacks(self) -> list[StackWrapper]:
        tree = self._tree()
        return [self._stack(tree, doc) for doc in by_name(tree.snapshot.of_kind("stack"))]

    def get_stack(self, name: str) -> StackWrapper:
        tree = self._tree()
        return self._stack(tree, self._doc(tree, "stack", name))

    def _configuration(self, doc: Document) -> dict[StackComponentType, str]:
        components = doc.data.get("components")
        if not isinstance(components, dict):
            return {}  # a broken file: validation reports it
        return {
            StackComponentType(t): str(n) for t, n in components.items() if t in COMPONENT_TYPES
        }

    def _stack(self, tree: Tree, doc: Document) -> StackWrapper:
        wrappers = []
        for type_, name in self._configuration(doc).items():
            component = tree.doc("component", name, type_.value)
            if component is not None:
                wrappers.append(component_wrapper(component))
        return StackWrapper(name=doc.ref.name, components=wrappers)

    # --- stacks: writing -------------------------------------------------------

    def register_stack(self, stack: StackWrapper) -> None:
        require_name(stack.name, "stack")
        stack_id = str(uuid4())

        def plan(tree: Tree) -> FileChanges:
            if tree.snapshot.exists("stack", stack.name):
                raise StackExistsError(
                    f"a stack named {stack.name!r} exists already "
                    f"({entity_path('stack', stack.name)})"
                )
            changes = plan_missing_components(tree, stack.components)
            body = {"id": stack_id, "components": _stack_components(stack)}
            path = entity_path("stack", stack.name)
            changes[path] = writer.new_file(path, body)
            return changes

        self._write(f"register stack {stack.name}", plan)

    def update_stack(self, name: str, stack: StackWrapper) -> None:
        require_name(stack.name, "stack")

        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "stack", name)
            renamed = stack.name != name
            if renamed and tree.snapshot.exists("stack", stack.name):
                raise StackExistsError(
                    f"cannot rename stack {name!r} to {stack.name!r}: that stack exists"
                )
            changes = plan_missing_components(tree, stack.components)
            text = writer.edit(
                tree.text("stack", name), writer.set_key("components", _stack_components(stack))
            )
            changes[entity_path("stack", stack.name)] = text
            if renamed:
                changes[entity_path("stack", name)] = None
                if tree.snapshot.settings.default_stack == name:
                    changes[CONFIG_FILE] = writer.edit(
                        tree.read_text(CONFIG_FILE), writer.set_key("default_stack", stack.name)
                    )
            return changes

        what = name if stack.name == name else f"{name} as {stack.name}"
        self._write(f"update stack {what}", plan)

    def deregister_stack(self, name: str) -> None:
        """Remove the stack; when ``gitstore.yaml`` names it ``default_stack``, drop that setting
        in the same commit (as ZenML's stores deregister their active stack's record)."""

        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "stack", name)
            changes: FileChanges = {entity_path("stack", name): None}
            if _is_default_stack(tree, name):
                changes[CONFIG_FILE] = writer.edit(
                    tree.read_text(CONFIG_FILE), writer.drop_key("default_stack")
                )
            return changes

        message = f"deregister stack {name}"
        if _is_default_stack(self._tree(), name):
            message += (
                f"\n\nIt was the default stack: default_stack is dropped from {CONFIG_FILE}."
            )
        self._write(message, plan)

    def register_default_stack(self) -> None:
        def plan(tree: Tree) -> FileChanges:
            if tree.snapshot.exists("stack", "default"):
                raise StackExistsError(
                    "a stack named 'default' exists already (stacks/default.yaml)"
                )
            changes: FileChanges = {}
            for type_ in defaults.DEFAULT_COMPONENTS:
                if not tree.snapshot.exists("component", "default", type_):
                    changes[entity_path("component", "default", type_)] = defaults.component_text(
                        type_
                    )
            changes[entity_path("stack", "default")] = defaults.stack_text()
            return changes

        self._write("register stack default", plan)

    # --- components ------------------------------------------------------------

    def get_stack_component(
        self, component_type: StackComponentType, name: str
    ) -> ComponentWrapper:
        doc = self._doc(self._tree(), "component", name, _component_type(component_type))
        return component_wrapper(doc)

    def get_stack_components(self, component_type: StackComponentType) -> list[ComponentWrapper]:
        type_ = _component_type(component_type)
        tree = self._tree()

        def listed() -> list[ComponentWrapper]:
            docs = (d for d in tree.snapshot.of_kind("component") if d.ref.type == type_)
            return [component_wrapper(d) for d in by_name(docs)]

        return [w.model_copy() for w in self._remembered(("components", type_), tree, listed)]

    def register_stack_component(self, component: ComponentWrapper) -> None:
        type_ = _component_type(component.type)
        require_name(component.name, "stack component")

        def plan(tree: Tree) -> FileChanges:
            if tree.snapshot.exists("component", component.name, type_):
                raise StackComponentExistsError(
                    f"a {type_} named {component.name!r} exists already "
                    f"({entity_path('component', component.name, type_)})"
                )
            path = entity_path("component", component.name, type_)
            return {path: component_text(component, path)}

        self._write(f"register {type_} {component.name}", plan)

    def update_stack_component(
        self, name: str, component_type: StackComponentType, component: ComponentWrapper
    ) -> dict[str, str]:
        type_ = _component_type(component_type)
        require_name(component.name, "stack component")
        _, config = decoded_config(component)

        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "component", name, type_)
            renamed = component.name != name
            if renamed and tree.snapshot.exists("component", component.name, type_):
                raise StackComponentExistsError(
                    f"cannot rename {type_} {name!r} to {component.name!r}: that component exists"
                )
            text = writer.edit(
                tree.text("component", name, type_),
                writer.set_key("flavor", component.flavor),
                writer.set_key("config", config),
            )
            changes: FileChanges = {entity_path("component", component.name, type_): text}
            if renamed:
                changes[entity_path("component", name, type_)] = None
                for stack in by_name(tree.snapshot.of_kind("stack")):
                    if (stack.data.get("components") or {}).get(type_) == name:
                        changes[stack.path] = writer.edit(
                            tree.read_text(stack.path), _set_stack_entry(type_, component.name)
                        )
            return changes

        what = name if component.name == name else f"{name} as {component.name}"
        self._write(f"update {type_} {what}", plan)
        return {type_: component.flavor}

    def deregister_stack_component(self, component_type: StackComponentType, name: str) -> None:
        type_ = _component_type(component_type)

        def plan(tree: Tree) -> FileChanges:
            self._doc(tree, "component", name, type_)
            users = [
                s.ref.name
                for s in by_name(tree.snapshot.of_kind("stack"))
                if (s.data.get("components") or {}).get(type_) == name
            ]
            if users:
                raise ValueError(
                    f"cannot deregister {type_} {name!r}: it is used by stack(s) "
                    + ", ".join(users)
                )
            return {entity_path("component", name, type_): None}

        self._write(f"deregister {type_} {name}", plan)
