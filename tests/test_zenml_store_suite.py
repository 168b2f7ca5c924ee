"""ZenML 0.10.0's zen store tests (tests/unit/zen_stores/test_zen_stores.py), against GitZenStore.

Each test makes the calls of the ZenML test it names, in the same order, with the
same assertions; ZenML's stack and component classes are replaced by gitstore's
wrappers built the way ZenML's ``StackWrapper.from_stack`` and
``ComponentWrapper.from_component`` build them (a fresh uuid per component, the
full configuration as base64 YAML). ``fresh_zen_store`` is a new repository
with the default registrations, as ZenML's fixture is a new store.
"""

from __future__ import annotations

from contextlib import ExitStack as does_not_raise
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from conftest import git
from store_helpers import component

from gitstore import GitZenStore
from gitstore.defaults import DEFAULT_COMPONENTS
from gitstore.exceptions import EntityExistsError, StackComponentExistsError, StackExistsError
from gitstore.models import (
    ComponentWrapper,
    PipelineRunWrapper,
    PipelineWrapper,
    StackComponentType,
    StackWrapper,
    StepWrapper,
)

REQUIRED = {
    StackComponentType.ARTIFACT_STORE,
    StackComponentType.METADATA_STORE,
    StackComponentType.ORCHESTRATOR,
}


@pytest.fixture
def fresh_zen_store(tmp_path: Path) -> GitZenStore:
    return GitZenStore().initialize(str(tmp_path / "config"))


def local_orchestrator(name: str) -> ComponentWrapper:
    return component("orchestrator", name, "local")


def kubeflow_orchestrator(name: str, **config: Any) -> ComponentWrapper:
    return component("orchestrator", name, "kubeflow", config)


def local_secrets_manager(name: str) -> ComponentWrapper:
    return component("secrets_manager", name, "local")


def default_local_stack() -> StackWrapper:
    """ZenML's ``Stack.default_local_stack()``: components named default, each a new uuid."""
    return StackWrapper(
        name="default",
        components=[
            component(type_, "default", flavor, dict(config))
            for type_, (flavor, config) in DEFAULT_COMPONENTS.items()
        ],
    )


def stack_of(name: str, *components: ComponentWrapper) -> StackWrapper:
    return StackWrapper(name=name, components=list(components))


def test_register_deregister_stacks(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_register_deregister_stacks``."""
    stack = default_local_stack()

    zen_store = fresh_zen_store
    assert len(zen_store.stacks) == 1
    assert len(zen_store.stack_configurations) == 1

    got_stack = zen_store.get_stack(stack.name)
    assert got_stack.name == stack.name
    stack_configuration = zen_store.get_stack_configuration(stack.name)
    assert set(stack_configuration) == {"orchestrator", "metadata_store", "artifact_store"}
    assert stack_configuration[StackComponentType.ORCHESTRATOR] == "default"

    with pytest.raises(StackExistsError):
        zen_store.register_stack(stack)
    with pytest.raises(StackExistsError):
        zen_store.register_stack(StackWrapper(name=stack.name, components=[]))

    with pytest.raises(KeyError):
        zen_store.deregister_stack("overflow")

    # the default stack is the one gitstore.yaml names: deregistering it drops that setting
    zen_store.deregister_stack(stack.name)
    assert len(zen_store.stacks) == 0
    with pytest.raises(KeyError):
        _ = zen_store.get_stack(stack.name)

    zen_store.register_stack(StackWrapper(name=stack.name, components=[]))
    assert len(zen_store.stacks) == 1


def test_deregister_default_stack_drops_the_setting_in_the_same_commit(fresh_zen_store):
    """gitstore's part of ``test_register_deregister_stacks``: one commit, a message that says so,
    and a repository that still validates."""
    root = fresh_zen_store.repo.root
    head = git(root, "rev-parse", "HEAD").strip()
    fresh_zen_store.deregister_stack("default")
    assert git(root, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    message = git(root, "log", "-1", "--format=%B")
    assert "deregister stack default" in message
    assert "default_stack" in message
    changed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["gitstore.yaml", "stacks/default.yaml"]
    settings = (root / "gitstore.yaml").read_text()
    assert "default_stack" not in settings
    assert "format: 1" in settings
    assert git(root, "status", "--porcelain") == ""


def test_register_deregister_components(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_register_deregister_components``."""
    zen_store = fresh_zen_store
    for component_type in StackComponentType:
        if component_type in REQUIRED:
            assert len(zen_store.get_stack_components(component_type)) == 1
        else:
            assert len(zen_store.get_stack_components(component_type)) == 0

    orchestrator = zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, "default")
    assert orchestrator.flavor == "local"
    assert orchestrator.name == "default"

    with pytest.raises(StackComponentExistsError):
        zen_store.register_stack_component(local_orchestrator("default"))

    zen_store.register_stack_component(local_orchestrator("local_orchestrator_part_2_the_remix"))
    assert len(zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)) == 2

    with pytest.raises(ValueError):
        zen_store.deregister_stack_component(StackComponentType.ORCHESTRATOR, "default")

    zen_store.deregister_stack("default")
    zen_store.deregister_stack_component(StackComponentType.ORCHESTRATOR, "default")
    assert len(zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)) == 1


def test_user_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_user_management``."""
    assert len(fresh_zen_store.users) == 1

    assert fresh_zen_store.users[0].name == "default"
    default_user = fresh_zen_store.get_user("default")
    assert default_user.id == fresh_zen_store.users[0].id

    created_user_id = fresh_zen_store.create_user("aria").id
    assert len(fresh_zen_store.users) == 2

    retrieved_user_id = fresh_zen_store.get_user("aria").id
    assert created_user_id == retrieved_user_id

    with pytest.raises(EntityExistsError):
        fresh_zen_store.create_user("aria")
    assert len(fresh_zen_store.users) == 2

    assert fresh_zen_store.get_user("aria").name == "aria"
    with pytest.raises(KeyError):
        fresh_zen_store.get_user("not_aria")

    fresh_zen_store.create_team("team_aria")
    fresh_zen_store.add_user_to_team(team_name="team_aria", user_name="aria")

    fresh_zen_store.create_role("cat")
    fresh_zen_store.assign_role(role_name="cat", entity_name="aria", is_user=True)

    assert len(fresh_zen_store.get_users_for_team("team_aria")) == 1
    assert len(fresh_zen_store.role_assignments) == 1

    fresh_zen_store.delete_user("aria")
    assert len(fresh_zen_store.users) == 1
    assert len(fresh_zen_store.get_users_for_team("team_aria")) == 0
    assert len(fresh_zen_store.role_assignments) == 0

    with pytest.raises(KeyError):
        fresh_zen_store.delete_user("aria")


def test_team_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_team_management``."""
    fresh_zen_store.create_user("adam")
    fresh_zen_store.create_user("hamza")
    fresh_zen_store.create_team("zenml")
    assert len(fresh_zen_store.teams) == 1

    with pytest.raises(EntityExistsError):
        fresh_zen_store.create_team("zenml")
    assert len(fresh_zen_store.teams) == 1

    assert fresh_zen_store.get_team("zenml").name == "zenml"
    with pytest.raises(KeyError):
        fresh_zen_store.get_team("mlflow")

    fresh_zen_store.add_user_to_team(team_name="zenml", user_name="adam")
    fresh_zen_store.add_user_to_team(team_name="zenml", user_name="hamza")
    assert len(fresh_zen_store.get_users_for_team("zenml")) == 2

    with pytest.raises(KeyError):
        fresh_zen_store.add_user_to_team(team_name="airflow", user_name="hamza")

    with pytest.raises(KeyError):
        fresh_zen_store.add_user_to_team(team_name="zenml", user_name="elon")

    fresh_zen_store.remove_user_from_team(team_name="zenml", user_name="hamza")
    assert len(fresh_zen_store.get_users_for_team("zenml")) == 1

    fresh_zen_store.delete_team("zenml")
    assert len(fresh_zen_store.get_teams_for_user("adam")) == 0

    with pytest.raises(KeyError):
        fresh_zen_store.delete_team("zenml")


def test_project_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_project_management``."""
    project = fresh_zen_store.create_project("secret_project")
    assert len(fresh_zen_store.projects) == 1
    assert fresh_zen_store.projects[0].name == "secret_project"
    assert fresh_zen_store.projects[0].id == project.id

    with pytest.raises(EntityExistsError):
        fresh_zen_store.create_project("secret_project")
    assert len(fresh_zen_store.projects) == 1

    with pytest.raises(KeyError):
        fresh_zen_store.get_user("integrate_airflow")
    retrieved = fresh_zen_store.get_project("secret_project")
    assert retrieved.name == "secret_project"
    assert retrieved.id == project.id

    fresh_zen_store.delete_project("secret_project")
    assert len(fresh_zen_store.projects) == 0

    with pytest.raises(KeyError):
        fresh_zen_store.delete_project("secret_project")


def test_role_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_role_management``."""
    store = fresh_zen_store
    store.create_user("aria")
    store.create_team("cats")
    store.add_user_to_team(user_name="aria", team_name="cats")
    store.create_role("beautiful")
    assert len(store.roles) == 1

    with pytest.raises(EntityExistsError):
        store.create_role("beautiful")
    assert len(store.roles) == 1

    assert store.get_role("beautiful").name == "beautiful"
    with pytest.raises(KeyError):
        store.get_role("office_cat")

    store.assign_role(role_name="beautiful", entity_name="aria", is_user=True)
    assert len(store.get_role_assignments_for_user(user_name="aria")) == 1

    store.assign_role(role_name="beautiful", entity_name="cats", is_user=False)
    assert len(store.get_role_assignments_for_user(user_name="aria", include_team_roles=False)) == 1
    assert len(store.get_role_assignments_for_team(team_name="cats")) == 1
    assert len(store.get_role_assignments_for_user(user_name="aria", include_team_roles=True)) == 2

    store.revoke_role(role_name="beautiful", entity_name="aria", is_user=True)
    assert len(store.get_role_assignments_for_user(user_name="aria", include_team_roles=False)) == 0

    store.delete_team("cats")
    assert len(store.get_role_assignments_for_user(user_name="aria", include_team_roles=True)) == 0


def test_flavor_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_flavor_management``."""
    with pytest.raises(KeyError):
        fresh_zen_store.get_flavor_by_name_and_type(
            flavor_name="non_existing_flavor",
            component_type=StackComponentType.ARTIFACT_STORE,
        )

    fresh_zen_store.create_flavor(
        name="test",
        source="test_artifact_store.TestArtifactStore",
        stack_component_type=StackComponentType.ARTIFACT_STORE,
    )

    with pytest.raises(EntityExistsError):
        fresh_zen_store.create_flavor(
            name="test",
            source="test_artifact_store.TestArtifactStore",
            stack_component_type=StackComponentType.ARTIFACT_STORE,
        )

    new_artifact_store_flavors = fresh_zen_store.get_flavors_by_type(
        StackComponentType.ARTIFACT_STORE
    )
    assert new_artifact_store_flavors

    new_artifact_store_flavor = fresh_zen_store.get_flavor_by_name_and_type(
        flavor_name="test",
        component_type=StackComponentType.ARTIFACT_STORE,
    )
    assert new_artifact_store_flavor


def _stored(store: GitZenStore, type_: StackComponentType) -> ComponentWrapper:
    return store.get_stack_component(type_, "default")


def test_update_stack_with_new_component(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_update_stack_with_new_component``."""
    new_orchestrator = local_orchestrator("new_orchestrator")
    updated_stack = stack_of(
        "default",
        new_orchestrator,
        _stored(fresh_zen_store, StackComponentType.METADATA_STORE),
        _stored(fresh_zen_store, StackComponentType.ARTIFACT_STORE),
    )
    try:
        fresh_zen_store.update_stack(updated_stack.name, updated_stack)
    except KeyError:
        pytest.fail("Failed to update stack")

    orchestrators = fresh_zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)
    assert len(orchestrators) == 2
    assert new_orchestrator in orchestrators
    assert new_orchestrator in fresh_zen_store.get_stack("default").components


def test_update_stack_when_component_not_part_of_stack(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_update_stack_when_component_not_part_of_stack``."""
    secrets_manager = local_secrets_manager("local_secrets_manager")
    updated_stack = stack_of(
        "default",
        _stored(fresh_zen_store, StackComponentType.ORCHESTRATOR),
        _stored(fresh_zen_store, StackComponentType.METADATA_STORE),
        _stored(fresh_zen_store, StackComponentType.ARTIFACT_STORE),
        secrets_manager,
    )

    with does_not_raise():
        fresh_zen_store.update_stack(updated_stack.name, updated_stack)

    managers = fresh_zen_store.get_stack_components(StackComponentType.SECRETS_MANAGER)
    assert len(managers) == 1
    assert secrets_manager in managers
    assert secrets_manager in fresh_zen_store.get_stack("default").components


def test_update_non_existent_stack_raises_error(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_update_non_existent_stack_raises_error``."""
    stack = stack_of(
        "aria_is_a_cat_not_a_stack",
        _stored(fresh_zen_store, StackComponentType.ORCHESTRATOR),
        _stored(fresh_zen_store, StackComponentType.METADATA_STORE),
        _stored(fresh_zen_store, StackComponentType.ARTIFACT_STORE),
    )

    with pytest.raises(KeyError):
        fresh_zen_store.update_stack("aria_is_a_cat_not_a_stack", stack)


def test_update_non_existent_stack_component_raises_error(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_update_non_existent_stack_component_raises_error``."""
    secrets_manager = local_secrets_manager("local_secrets_manager")

    with pytest.raises(KeyError):
        fresh_zen_store.update_stack_component(
            secrets_manager.name, StackComponentType.SECRETS_MANAGER, secrets_manager
        )


def test_update_real_component_succeeds(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_update_real_component_succeeds``."""
    orchestrator = kubeflow_orchestrator("arias_orchestrator")
    fresh_zen_store.register_stack_component(orchestrator)

    updated = kubeflow_orchestrator(
        "arias_orchestrator", custom_docker_base_image_name="aria/arias_base_image"
    )
    fresh_zen_store.update_stack_component(
        "arias_orchestrator", StackComponentType.ORCHESTRATOR, updated
    )

    stored = fresh_zen_store.get_stack_component(
        StackComponentType.ORCHESTRATOR, "arias_orchestrator"
    ).config_dict()
    assert stored["custom_docker_base_image_name"] == "aria/arias_base_image"


def test_rename_nonexistent_stack_component_fails(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_rename_nonexistent_stack_component_fails``."""
    with pytest.raises(KeyError):
        fresh_zen_store.update_stack_component(
            "not_a_secrets_manager",
            StackComponentType.SECRETS_MANAGER,
            local_secrets_manager("local_secrets_manager"),
        )


def test_rename_core_stack_component_succeeds(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_rename_core_stack_component_succeeds``."""
    old_name = "default"
    new_name = "arias_orchestrator"
    fresh_zen_store.update_stack_component(
        old_name, StackComponentType.ORCHESTRATOR, local_orchestrator(new_name)
    )
    with pytest.raises(KeyError):
        assert fresh_zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, old_name)
    stack_components = fresh_zen_store.get_stack("default").components
    stack_orchestrators = [c for c in stack_components if c.name == new_name]

    assert len(stack_orchestrators) > 0
    assert stack_orchestrators[0].name == new_name


def test_rename_non_core_stack_component_succeeds(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_rename_non_core_stack_component_succeeds``."""
    old_name = "original_kubeflow"
    new_name = "arias_kubeflow"

    fresh_zen_store.register_stack_component(kubeflow_orchestrator(old_name))
    fresh_zen_store.update_stack_component(
        old_name, StackComponentType.ORCHESTRATOR, kubeflow_orchestrator(new_name)
    )

    with pytest.raises(KeyError):
        assert fresh_zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, old_name)

    stack_orchestrator = fresh_zen_store.get_stack_component(
        StackComponentType.ORCHESTRATOR, new_name
    )
    assert stack_orchestrator is not None
    assert stack_orchestrator.name == new_name


def one_step_pipeline() -> PipelineWrapper:
    """ZenML's ``one_step_pipeline(empty_step())`` fixture, as the store sees it."""
    return PipelineWrapper(
        name="one_step_pipeline", steps=[StepWrapper(name="step_", docstring=None)]
    )


def test_pipeline_run_management(fresh_zen_store):
    """Mirrors ZenML 0.10.0 ``test_pipeline_run_management``."""
    stack = default_local_stack()
    pipeline = one_step_pipeline()

    run = PipelineRunWrapper(
        name="run_name",
        pipeline=pipeline,
        stack=stack,
        runtime_configuration={},
        user_id=uuid4(),
        project_name="project",
    )

    fresh_zen_store.register_pipeline_run(run)

    registered_runs = fresh_zen_store.get_pipeline_runs(pipeline_name=pipeline.name)
    assert len(registered_runs) == 1
    assert registered_runs[0] == run

    assert fresh_zen_store.get_pipeline_run(pipeline_name=pipeline.name, run_name=run.name) == run
    assert (
        fresh_zen_store.get_pipeline_run(
            pipeline_name=pipeline.name, run_name=run.name, project_name=run.project_name
        )
        == run
    )

    assert not fresh_zen_store.get_pipeline_runs(
        pipeline_name=pipeline.name, project_name="not_the_correct_project"
    )
    with pytest.raises(KeyError):
        fresh_zen_store.get_pipeline_run(
            pipeline_name=pipeline.name,
            run_name=run.name,
            project_name="not_the_correct_project",
        )

    with pytest.raises(EntityExistsError):
        fresh_zen_store.register_pipeline_run(run)

    different_run = run.model_copy(update={"name": "different_run_name"})
    with does_not_raise():
        fresh_zen_store.register_pipeline_run(different_run)
