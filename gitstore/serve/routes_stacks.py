"""Stacks, stack components, stack configurations, flavors and pipeline runs.

Paths, methods, bodies and answers are those of ZenML 0.10.0's
``zen_server_api.py``; where ZenML's server let an error through as a 500
(updating a stack or component that does not exist, renaming onto a taken
name), this answers 404 or 409 with ZenML's error body, which ZenML's client
turns into the same exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import Response

from gitstore.flavors import is_builtin
from gitstore.models import (
    ComponentWrapper,
    FlavorWrapper,
    PipelineRunWrapper,
    StackComponentType,
    StackWrapper,
)
from gitstore.serve.calls import Call, need
from gitstore.serve.errors import ApiError, conflict, translate

if TYPE_CHECKING:
    from gitstore.store import GitZenStore

router = APIRouter()


def _new_components(call: Call, store: GitZenStore, stack: StackWrapper) -> None:
    """Registering a stack registers its missing components: that takes their permission too."""
    snap = store.snapshot()
    if any(not snap.exists("component", c.name, c.type.value) for c in stack.components):
        call.check("stack_component", "create")


# --- stacks ----------------------------------------------------------------------------


@router.get("/stacks-empty")
async def stacks_empty(call: Call = need("stack", "read")) -> Response:
    return await call.read(lambda s: s.stacks_empty)


@router.get("/stack-configurations/{name}")
async def get_stack_configuration(name: str, call: Call = need("stack", "read")) -> Response:
    return await call.read(lambda s: s.get_stack_configuration(name))


@router.get("/stack-configurations")
async def stack_configurations(call: Call = need("stack", "read")) -> Response:
    return await call.read(lambda s: s.stack_configurations)


@router.get("/stacks")
async def stacks(call: Call = need("stack", "read")) -> Response:
    return await call.read(lambda s: s.stacks)


@router.get("/stacks/{name}")
async def get_stack(name: str, call: Call = need("stack", "read")) -> Response:
    return await call.read(lambda s: s.get_stack(name))


@router.post("/stacks")
async def register_stack(stack: StackWrapper, call: Call = need("stack", "create")) -> Response:
    def action(store: GitZenStore) -> None:
        _new_components(call, store, stack)
        store.register_stack(stack)

    return await call.run(action)


@router.put("/stacks/{name}")
async def update_stack(name: str, stack: StackWrapper,
                       call: Call = need("stack", "update")) -> Response:
    def action(store: GitZenStore) -> None:
        _new_components(call, store, stack)
        store.update_stack(name, stack)

    return await call.run(action)


@router.delete("/stacks/{name}")
async def deregister_stack(name: str, call: Call = need("stack", "delete")) -> Response:
    return await call.run(lambda s: s.deregister_stack(name))


# --- stack components ------------------------------------------------------------------


@router.post("/components")
async def register_stack_component(component: ComponentWrapper,
                                   call: Call = need("stack_component", "create")) -> Response:
    return await call.run(lambda s: s.register_stack_component(component))


@router.put("/components/{component_type}/{name}")
async def update_stack_component(component_type: StackComponentType, name: str,
                                 component: ComponentWrapper,
                                 call: Call = need("stack_component", "update")) -> Response:
    return await call.run(lambda s: s.update_stack_component(name, component_type, component))


@router.get("/components/{component_type}/{name}")
async def get_stack_component(component_type: StackComponentType, name: str,
                              call: Call = need("stack_component", "read")) -> Response:
    return await call.read(lambda s: s.get_stack_component(component_type, name))


@router.get("/components/{component_type}")
async def get_stack_components(component_type: StackComponentType,
                               call: Call = need("stack_component", "read")) -> Response:
    return await call.read(lambda s: s.get_stack_components(component_type))


def _in_use_is_conflict(error: Exception) -> ApiError:
    """ZenML answers 409 for a component a stack still uses (a ValueError)."""
    if type(error) is ValueError:
        return conflict(error)
    return translate(error)


@router.delete("/components/{component_type}/{name}")
async def deregister_stack_component(component_type: StackComponentType, name: str,
                                     call: Call = need("stack_component", "delete")) -> Response:
    return await call.run(lambda s: s.deregister_stack_component(component_type, name),
                    translate_error=_in_use_is_conflict)


# --- flavors ---------------------------------------------------------------------------
# A ZenML client knows its built-in flavors; a store holds custom ones only, and a client
# told that `local` is a store flavor tries to import it as custom code. So the built-in
# flavors the library lists are left out here, and asking for one is a 404, as in ZenML.


def _custom_only(flavors: list[FlavorWrapper]) -> list[FlavorWrapper]:
    return [f for f in flavors if not is_builtin(f.type.value, f.name)]


def _custom_flavor(store: GitZenStore, type_: StackComponentType, name: str) -> FlavorWrapper:
    if is_builtin(type_.value, name):
        raise KeyError(f"{type_.value} flavor {name!r} is built into ZenML; the store holds "
                       "custom flavors only")
    return store.get_flavor_by_name_and_type(name, type_)


@router.get("/flavors")
async def flavors(call: Call = need("flavor", "read")) -> Response:
    return await call.read(lambda s: _custom_only(s.flavors))


@router.post("/flavors")
async def create_flavor(flavor: FlavorWrapper, call: Call = need("flavor", "create")) -> Response:
    return await call.run(lambda s: s.create_flavor(source=flavor.source, name=flavor.name,
                                              stack_component_type=flavor.type))


@router.get("/flavors/{component_type}")
async def get_flavors_by_type(component_type: StackComponentType,
                              call: Call = need("flavor", "read")) -> Response:
    return await call.read(lambda s: _custom_only(s.get_flavors_by_type(component_type)))


@router.get("/flavors/{component_type}/{name}")
async def get_flavor_by_type_and_name(component_type: StackComponentType, name: str,
                                      call: Call = need("flavor", "read")) -> Response:
    return await call.read(lambda s: _custom_flavor(s, component_type, name))


# --- pipeline runs ---------------------------------------------------------------------


@router.get("/pipeline_runs/{pipeline_name}")
async def pipeline_runs(pipeline_name: str, project_name: str | None = None,
                        call: Call = need("pipeline_run", "read")) -> Response:
    return await call.run(lambda s: s.get_pipeline_runs(pipeline_name, project_name),
                    project=project_name)


@router.get("/pipeline_runs/{pipeline_name}/{run_name}")
async def pipeline_run(pipeline_name: str, run_name: str, project_name: str | None = None,
                       call: Call = need("pipeline_run", "read")) -> Response:
    return await call.run(lambda s: s.get_pipeline_run(pipeline_name, run_name, project_name),
                    project=project_name)


@router.post("/pipeline_runs")
async def register_pipeline_run(pipeline_run: PipelineRunWrapper,
                                call: Call = need("pipeline_run", "create")) -> Response:
    return await call.run(lambda s: s.register_pipeline_run(pipeline_run),
                    project=pipeline_run.project_name)
