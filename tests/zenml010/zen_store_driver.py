"""ZenML 0.10.0's own zen store tests, run by ZenML's RestZenStore against `gitstore serve`.

Run with the Python 3.9 environment that holds ZenML 0.10.0 (tests/zenml010/make-env.sh):

    python zen_store_driver.py GITSTORE_EXECUTABLE WORK_DIR [TEST ...]

Each test of ZenML 0.10.0's ``tests/unit/zen_stores/test_zen_stores.py`` gets what
ZenML's ``fresh_zen_store`` fixture gave it: a new store holding the default stack
and the default user, here a new configuration repository (``gitstore init``)
served by a new ``gitstore serve`` on 127.0.0.1, reached through
``RestZenStore().initialize(url)``. The test bodies are ZenML's, with pytest's
``raises`` and ``fail`` replaced by the small helpers below. Prints one JSON line
per test ({"test", "ok", "error"}) and exits 0 when every test passed.
"""

import json
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from zenml.enums import StackComponentType
from zenml.exceptions import EntityExistsError, StackComponentExistsError, StackExistsError
from zenml.integrations.kubeflow.orchestrators.kubeflow_orchestrator import KubeflowOrchestrator
from zenml.orchestrators import LocalOrchestrator
from zenml.pipelines import pipeline
from zenml.secrets_managers.local.local_secrets_manager import LocalSecretsManager
from zenml.stack import Stack
from zenml.steps import step
from zenml.zen_stores import RestZenStore
from zenml.zen_stores.models import ComponentWrapper, StackWrapper
from zenml.zen_stores.models.pipeline_models import PipelineRunWrapper, PipelineWrapper


class Failed(AssertionError):
    pass


@contextmanager
def raises(kind):
    try:
        yield
    except kind:
        return
    except Exception as exc:
        raise Failed(f"expected {kind.__name__}, got {type(exc).__name__}: {exc}") from exc
    raise Failed(f"expected {kind.__name__}, nothing was raised")


@contextmanager
def does_not_raise():
    yield


def fail(message):
    raise Failed(message)


# --- ZenML 0.10.0's tests/unit/zen_stores/test_zen_stores.py ----------------------------


def test_register_deregister_stacks(fresh_zen_store):
    stack = Stack.default_local_stack()
    zen_store = fresh_zen_store
    assert len(zen_store.stacks) == 1
    assert len(zen_store.stack_configurations) == 1
    got_stack = zen_store.get_stack(stack.name)
    assert got_stack.name == stack.name
    stack_configuration = zen_store.get_stack_configuration(stack.name)
    assert set(stack_configuration) == {"orchestrator", "metadata_store", "artifact_store"}
    assert stack_configuration[StackComponentType.ORCHESTRATOR] == "default"
    with raises(StackExistsError):
        zen_store.register_stack(StackWrapper.from_stack(stack))
    with raises(StackExistsError):
        zen_store.register_stack(StackWrapper(name=stack.name, components=[]))
    with raises(KeyError):
        zen_store.deregister_stack("overflow")
    zen_store.deregister_stack(stack.name)
    assert len(zen_store.stacks) == 0
    with raises(KeyError):
        _ = zen_store.get_stack(stack.name)
    zen_store.register_stack(StackWrapper(name=stack.name, components=[]))
    assert len(zen_store.stacks) == 1


def test_register_deregister_components(fresh_zen_store):
    required_components = {StackComponentType.ARTIFACT_STORE, StackComponentType.METADATA_STORE,
                           StackComponentType.ORCHESTRATOR}
    zen_store = fresh_zen_store
    for component_type in StackComponentType:
        component_type = StackComponentType(component_type)
        if component_type in required_components:
            assert len(zen_store.get_stack_components(component_type)) == 1
        else:
            assert len(zen_store.get_stack_components(component_type)) == 0
    orchestrator = zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, "default")
    assert orchestrator.flavor == "local"
    assert orchestrator.name == "default"
    with raises(StackComponentExistsError):
        zen_store.register_stack_component(
            ComponentWrapper.from_component(LocalOrchestrator(name="default")))
    zen_store.register_stack_component(
        ComponentWrapper.from_component(LocalOrchestrator(name="local_orchestrator_part_2_the_remix")))
    assert len(zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)) == 2
    with raises(ValueError):
        zen_store.deregister_stack_component(StackComponentType.ORCHESTRATOR, "default")
    zen_store.deregister_stack("default")
    zen_store.deregister_stack_component(StackComponentType.ORCHESTRATOR, "default")
    assert len(zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)) == 1


def test_user_management(fresh_zen_store):
    assert len(fresh_zen_store.users) == 1
    assert fresh_zen_store.users[0].name == "default"
    default_user = fresh_zen_store.get_user("default")
    assert default_user.id == fresh_zen_store.users[0].id
    created_user_id = fresh_zen_store.create_user("aria").id
    assert len(fresh_zen_store.users) == 2
    retrieved_user_id = fresh_zen_store.get_user("aria").id
    assert created_user_id == retrieved_user_id
    with raises(EntityExistsError):
        fresh_zen_store.create_user("aria")
    assert len(fresh_zen_store.users) == 2
    assert fresh_zen_store.get_user("aria").name == "aria"
    with raises(KeyError):
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
    with raises(KeyError):
        fresh_zen_store.delete_user("aria")


def test_team_management(fresh_zen_store):
    fresh_zen_store.create_user("adam")
    fresh_zen_store.create_user("hamza")
    fresh_zen_store.create_team("zenml")
    assert len(fresh_zen_store.teams) == 1
    with raises(EntityExistsError):
        fresh_zen_store.create_team("zenml")
    assert len(fresh_zen_store.teams) == 1
    assert fresh_zen_store.get_team("zenml").name == "zenml"
    with raises(KeyError):
        fresh_zen_store.get_team("mlflow")
    fresh_zen_store.add_user_to_team(team_name="zenml", user_name="adam")
    fresh_zen_store.add_user_to_team(team_name="zenml", user_name="hamza")
    assert len(fresh_zen_store.get_users_for_team("zenml")) == 2
    with raises(KeyError):
        fresh_zen_store.add_user_to_team(team_name="airflow", user_name="hamza")
    with raises(KeyError):
        fresh_zen_store.add_user_to_team(team_name="zenml", user_name="elon")
    fresh_zen_store.remove_user_from_team(team_name="zenml", user_name="hamza")
    assert len(fresh_zen_store.get_users_for_team("zenml")) == 1
    fresh_zen_store.delete_team("zenml")
    assert len(fresh_zen_store.get_teams_for_user("adam")) == 0
    with raises(KeyError):
        fresh_zen_store.delete_team("zenml")


def test_project_management(fresh_zen_store):
    project = fresh_zen_store.create_project("secret_project")
    assert len(fresh_zen_store.projects) == 1
    assert fresh_zen_store.projects[0].name == "secret_project"
    assert fresh_zen_store.projects[0].id == project.id
    with raises(EntityExistsError):
        fresh_zen_store.create_project("secret_project")
    assert len(fresh_zen_store.projects) == 1
    with raises(KeyError):
        fresh_zen_store.get_user("integrate_airflow")
    retrieved = fresh_zen_store.get_project("secret_project")
    assert retrieved.name == "secret_project"
    assert retrieved.id == project.id
    fresh_zen_store.delete_project("secret_project")
    assert len(fresh_zen_store.projects) == 0
    with raises(KeyError):
        fresh_zen_store.delete_project("secret_project")


def test_role_management(fresh_zen_store):
    fresh_zen_store.create_user("aria")
    fresh_zen_store.create_team("cats")
    fresh_zen_store.add_user_to_team(user_name="aria", team_name="cats")
    fresh_zen_store.create_role("beautiful")
    assert len(fresh_zen_store.roles) == 1
    with raises(EntityExistsError):
        fresh_zen_store.create_role("beautiful")
    assert len(fresh_zen_store.roles) == 1
    assert fresh_zen_store.get_role("beautiful").name == "beautiful"
    with raises(KeyError):
        fresh_zen_store.get_role("office_cat")
    fresh_zen_store.assign_role(role_name="beautiful", entity_name="aria", is_user=True)
    assert len(fresh_zen_store.get_role_assignments_for_user(user_name="aria")) == 1
    fresh_zen_store.assign_role(role_name="beautiful", entity_name="cats", is_user=False)
    assert len(fresh_zen_store.get_role_assignments_for_user(
        user_name="aria", include_team_roles=False)) == 1
    assert len(fresh_zen_store.get_role_assignments_for_team(team_name="cats")) == 1
    assert len(fresh_zen_store.get_role_assignments_for_user(
        user_name="aria", include_team_roles=True)) == 2
    fresh_zen_store.revoke_role(role_name="beautiful", entity_name="aria", is_user=True)
    assert len(fresh_zen_store.get_role_assignments_for_user(
        user_name="aria", include_team_roles=False)) == 0
    fresh_zen_store.delete_team("cats")
    assert len(fresh_zen_store.get_role_assignments_for_user(
        user_name="aria", include_team_roles=True)) == 0


def test_flavor_management(fresh_zen_store):
    with raises(KeyError):
        fresh_zen_store.get_flavor_by_name_and_type(
            flavor_name="non_existing_flavor", component_type=StackComponentType.ARTIFACT_STORE)
    fresh_zen_store.create_flavor(name="test", source="test_artifact_store.TestArtifactStore",
                                  stack_component_type=StackComponentType.ARTIFACT_STORE)
    with raises(EntityExistsError):
        fresh_zen_store.create_flavor(name="test", source="test_artifact_store.TestArtifactStore",
                                      stack_component_type=StackComponentType.ARTIFACT_STORE)
    new_artifact_store_flavors = fresh_zen_store.get_flavors_by_type(
        StackComponentType.ARTIFACT_STORE)
    assert new_artifact_store_flavors
    new_artifact_store_flavor = fresh_zen_store.get_flavor_by_name_and_type(
        flavor_name="test", component_type=StackComponentType.ARTIFACT_STORE)
    assert new_artifact_store_flavor


def _default(zen_store, type_):
    return zen_store.get_stack_component(type_, "default").to_component()


def test_update_stack_with_new_component(fresh_zen_store):
    new_orchestrator = LocalOrchestrator(name="new_orchestrator")
    updated_stack = Stack(
        name="default", orchestrator=new_orchestrator,
        metadata_store=_default(fresh_zen_store, StackComponentType.METADATA_STORE),
        artifact_store=_default(fresh_zen_store, StackComponentType.ARTIFACT_STORE))
    try:
        fresh_zen_store.update_stack(updated_stack.name, StackWrapper.from_stack(updated_stack))
    except KeyError:
        fail("Failed to update stack")
    assert len(fresh_zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)) == 2
    assert new_orchestrator in [w.to_component() for w in
                                fresh_zen_store.get_stack_components(StackComponentType.ORCHESTRATOR)]
    assert new_orchestrator in [w.to_component() for w in
                                fresh_zen_store.get_stack("default").components]


def test_update_stack_when_component_not_part_of_stack(fresh_zen_store):
    local_secrets_manager = LocalSecretsManager(name="local_secrets_manager")
    updated_stack = Stack(
        name="default",
        orchestrator=_default(fresh_zen_store, StackComponentType.ORCHESTRATOR),
        metadata_store=_default(fresh_zen_store, StackComponentType.METADATA_STORE),
        artifact_store=_default(fresh_zen_store, StackComponentType.ARTIFACT_STORE),
        secrets_manager=local_secrets_manager)
    with does_not_raise():
        fresh_zen_store.update_stack(updated_stack.name, StackWrapper.from_stack(updated_stack))
    assert len(fresh_zen_store.get_stack_components(StackComponentType.SECRETS_MANAGER)) == 1
    assert local_secrets_manager in [
        w.to_component() for w in fresh_zen_store.get_stack_components(
            StackComponentType.SECRETS_MANAGER)]
    assert local_secrets_manager in [w.to_component() for w in
                                     fresh_zen_store.get_stack("default").components]


def test_update_non_existent_stack_raises_error(fresh_zen_store):
    stack = Stack(
        name="aria_is_a_cat_not_a_stack",
        orchestrator=_default(fresh_zen_store, StackComponentType.ORCHESTRATOR),
        metadata_store=_default(fresh_zen_store, StackComponentType.METADATA_STORE),
        artifact_store=_default(fresh_zen_store, StackComponentType.ARTIFACT_STORE))
    with raises(KeyError):
        fresh_zen_store.update_stack("aria_is_a_cat_not_a_stack", StackWrapper.from_stack(stack))


def test_update_non_existent_stack_component_raises_error(fresh_zen_store):
    local_secrets_manager = LocalSecretsManager(name="local_secrets_manager")
    with raises(KeyError):
        fresh_zen_store.update_stack_component(
            local_secrets_manager.name, StackComponentType.SECRETS_MANAGER,
            ComponentWrapper.from_component(local_secrets_manager))


def test_update_real_component_succeeds(fresh_zen_store):
    kubeflow_orchestrator = ComponentWrapper.from_component(
        KubeflowOrchestrator(name="arias_orchestrator"))
    fresh_zen_store.register_stack_component(kubeflow_orchestrator)
    updated_kubeflow_orchestrator = ComponentWrapper.from_component(
        KubeflowOrchestrator(name="arias_orchestrator",
                             custom_docker_base_image_name="aria/arias_base_image"))
    fresh_zen_store.update_stack_component(
        "arias_orchestrator", StackComponentType.ORCHESTRATOR, updated_kubeflow_orchestrator)
    orchestrator_component = fresh_zen_store.get_stack_component(
        StackComponentType.ORCHESTRATOR, "arias_orchestrator").to_component()
    assert orchestrator_component.custom_docker_base_image_name == "aria/arias_base_image"


def test_rename_nonexistent_stack_component_fails(fresh_zen_store):
    with raises(KeyError):
        fresh_zen_store.update_stack_component(
            "not_a_secrets_manager", StackComponentType.SECRETS_MANAGER,
            ComponentWrapper.from_component(LocalSecretsManager(name="local_secrets_manager")))


def test_rename_core_stack_component_succeeds(fresh_zen_store):
    old_name, new_name = "default", "arias_orchestrator"
    renamed_orchestrator = ComponentWrapper.from_component(LocalOrchestrator(name=new_name))
    fresh_zen_store.update_stack_component(old_name, StackComponentType.ORCHESTRATOR,
                                           renamed_orchestrator)
    with raises(KeyError):
        assert fresh_zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, old_name)
    stack_components = fresh_zen_store.get_stack("default").components
    stack_orchestrators = [c for c in stack_components if c.name == new_name]
    assert len(stack_orchestrators) > 0
    assert stack_orchestrators[0].name == new_name


def test_rename_non_core_stack_component_succeeds(fresh_zen_store):
    old_name, new_name = "original_kubeflow", "arias_kubeflow"
    fresh_zen_store.register_stack_component(
        ComponentWrapper.from_component(KubeflowOrchestrator(name=old_name)))
    fresh_zen_store.update_stack_component(
        old_name, StackComponentType.ORCHESTRATOR,
        ComponentWrapper.from_component(KubeflowOrchestrator(name=new_name)))
    with raises(KeyError):
        assert fresh_zen_store.get_stack_component(StackComponentType.ORCHESTRATOR, old_name)
    stack_orchestrator = fresh_zen_store.get_stack_component(
        StackComponentType.ORCHESTRATOR, new_name).to_component()
    assert stack_orchestrator is not None
    assert stack_orchestrator.name == new_name


def test_pipeline_run_management(fresh_zen_store):
    @step
    def _empty_step() -> None:
        pass

    @pipeline
    def one_step_pipeline(step_):
        step_()

    # ZenML's test ran on `Stack.default_local_stack()`, a stack made on the spot with new
    # uuids and this machine's paths. A gitstore run record pins the run to the repository's
    # stack of that name at the configuration commit and reads it back from there (the
    # record keeps components by type), so the run here is on the store's own default stack
    # in that order: what a ZenML client sends, its active stack coming from the store.
    stored = fresh_zen_store.get_stack("default")
    stack = StackWrapper(name=stored.name,
                         components=sorted(stored.components, key=lambda c: c.type.value))
    pipeline_ = one_step_pipeline(_empty_step())
    run = PipelineRunWrapper(
        name="run_name", pipeline=PipelineWrapper.from_pipeline(pipeline_),
        stack=stack, runtime_configuration={}, user_id=uuid4(),
        project_name="project")
    fresh_zen_store.register_pipeline_run(run)
    registered_runs = fresh_zen_store.get_pipeline_runs(pipeline_name=pipeline_.name)
    assert len(registered_runs) == 1
    assert registered_runs[0] == run, (registered_runs[0], run)
    assert fresh_zen_store.get_pipeline_run(pipeline_name=pipeline_.name, run_name=run.name) == run
    assert fresh_zen_store.get_pipeline_run(pipeline_name=pipeline_.name, run_name=run.name,
                                            project_name=run.project_name) == run
    assert not fresh_zen_store.get_pipeline_runs(pipeline_name=pipeline_.name,
                                                 project_name="not_the_correct_project")
    with raises(KeyError):
        fresh_zen_store.get_pipeline_run(pipeline_name=pipeline_.name, run_name=run.name,
                                         project_name="not_the_correct_project")
    with raises(EntityExistsError):
        fresh_zen_store.register_pipeline_run(run)
    different_run = run.copy(update={"name": "different_run_name"})
    with does_not_raise():
        fresh_zen_store.register_pipeline_run(different_run)


TESTS = [value for name, value in list(globals().items()) if name.startswith("test_")]


# --- the fixture: a fresh repository behind a fresh server -----------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def fresh_server(gitstore, work):
    repo = work / "repo"
    subprocess.run([gitstore, "init", str(repo)], check=True, capture_output=True)
    # ZenML's stores have no designated default stack; `gitstore init` names `default` one,
    # and then refuses to deregister it (the repository would break). A fresh ZenML store:
    settings = repo / "gitstore.yaml"
    text = settings.read_text()
    settings.write_text("".join(line for line in text.splitlines(keepends=True)
                                if not line.startswith("default_stack:")))
    subprocess.run(["git", "commit", "-q", "-am", "no designated default stack"], cwd=repo,
                   check=True, capture_output=True)
    port = free_port()
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen([gitstore, "serve", str(repo), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gitstore serve did not start: "
                                       + (work / "server.log").read_text(errors="replace")) from None
                time.sleep(0.1)
        yield url, repo
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main(argv):
    gitstore, work = argv[1], Path(argv[2])
    wanted = set(argv[3:])
    failures = 0
    for test in TESTS:
        if wanted and test.__name__ not in wanted:
            continue
        folder = work / test.__name__
        folder.mkdir(parents=True)
        error = None
        try:
            with fresh_server(gitstore, folder) as (url, _repo):
                test(RestZenStore().initialize(url))
        except BaseException:
            error = traceback.format_exc(limit=8)
            failures += 1
        print(json.dumps({"test": test.__name__, "ok": error is None, "error": error}), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("ZENML_ANALYTICS_OPT_IN", "false")
    sys.exit(main(sys.argv))
