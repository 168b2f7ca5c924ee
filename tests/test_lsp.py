"""``gitstore lsp`` end to end: the installed command over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import GITSTORE
from lsp_client import (
    apply_edits,
    codes,
    copy_example,
    edit,
    open_file,
    position,
    replace_all,
    settle,
    start,
    uri,
)
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio
STACK = "stacks/production.yaml"


@pytest_asyncio.fixture
async def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "repo")


@pytest_asyncio.fixture
async def client(repo: Path) -> AsyncIterator[LanguageClient]:
    client = await start(repo)
    yield client
    await client.shutdown_session()
    await client.stop()


def doc(doc_uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(doc_uri)


def validate_json(root: Path) -> list[tuple[str, int, int, str, str]]:
    proc = subprocess.run([GITSTORE, "validate", "--format", "json", "--no-cache"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    return sorted((p["path"], p["line"] or 1, p["column"] or 1, p["code"], p["severity"])
                  for p in json.loads(proc.stdout)["problems"])


def published(client: LanguageClient, root: Path) -> list[tuple[str, int, int, str, str]]:
    severity = {lsp.DiagnosticSeverity.Error: "error", lsp.DiagnosticSeverity.Warning: "warning"}
    return sorted((Path(lsp_uri[len("file://"):]).relative_to(root).as_posix(),
                   d.range.start.line + 1, d.range.start.character + 1, str(d.code),
                   severity[d.severity])
                  for lsp_uri, diags in client.diagnostics.items() for d in diags
                  if d.severity is not None)


# diagnostics -----------------------------------------------------------------------------

async def test_diagnostics_at_open_match_validate(repo: Path) -> None:
    (repo / STACK).write_text((repo / STACK).read_text().replace("kfp-prod", "kfp-prd"))
    (repo / "teams/fraud.yaml").write_text("members: [dana, nobody]\n")
    (repo / "components/secrets_manager/aws-prod.yaml").write_text(
        "flavor: aws\nconfig:\n  region_name: eu-west-1\n  api_token: abc123\n")
    (repo / "users/zed.yml").write_text("{}\n")
    expected = validate_json(repo)
    assert {p[3] for p in expected} >= {"GS203", "GS205", "GS302", "GS020"}
    client = await start(repo)
    try:
        assert published(client, repo) == expected
    finally:
        await client.shutdown_session()


async def test_workspace_opened_inside_the_repository(repo: Path) -> None:
    """The root is found upwards from the folder the editor opens, as every command finds it."""
    text = (repo / STACK).read_text()
    (repo / STACK).write_text(text.replace("container_registry: ecr", "container_registry: ecr2"))
    client = await start(repo / "stacks")
    try:
        assert [(p[0], p[3]) for p in published(client, repo)] == [(STACK, "GS203")]
    finally:
        await client.shutdown_session()


async def test_unsaved_edits_across_two_files(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text()
    stack = open_file(client, repo, STACK)
    component = "components/orchestrator/kfp-prod.yaml"
    comp = open_file(client, repo, component)
    await settle(client)
    assert codes(client, stack) == []
    # a typo in the stack, never saved
    at = position(text, "kfp-prod")
    edit(client, stack, at.line, at.character + 3, at.character + 4, "", 2)
    await settle(client)
    assert codes(client, stack) == [("GS203", at.line + 1, at.character + 1)]
    assert "did you mean `kfp-prod`?" in client.diagnostics[stack][0].message
    edit(client, stack, at.line, at.character + 3, at.character + 3, "-", 3)
    await settle(client)
    assert codes(client, stack) == []
    # the component's buffer changes its flavor to an unknown one: only it is marked
    replace_all(client, comp, "flavor: kubeflw\n", 2)
    await settle(client)
    assert codes(client, comp) == [("GS201", 1, 9)]
    assert codes(client, stack) == []
    assert (repo / STACK).read_text() == text  # nothing was written


async def test_deleting_a_component_marks_the_stacks_using_it(client: LanguageClient, repo: Path) -> None:
    staging = uri(repo, "stacks/staging.yaml")
    production = uri(repo, STACK)
    target = repo / "components/artifact_store/s3-prod.yaml"
    saved = target.read_text()
    target.unlink()
    client.workspace_did_delete_files(lsp.DeleteFilesParams([lsp.FileDelete(target.as_uri())]))
    await settle(client)
    assert [c[0] for c in codes(client, production)] == ["GS203"]
    assert codes(client, staging) == []
    # an unsaved buffer brings it back: the stack is clean again
    new = open_file(client, repo, "components/artifact_store/s3-prod.yaml", saved)
    await settle(client)
    assert codes(client, production) == []
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(doc(new)))  # closed unsaved: gone
    await settle(client)
    assert [c[0] for c in codes(client, production)] == ["GS203"]
    target.write_text(saved)
    client.workspace_did_create_files(lsp.CreateFilesParams([lsp.FileCreate(target.as_uri())]))
    await settle(client)
    assert codes(client, production) == []


async def test_broken_yaml_is_located_and_the_server_lives_on(client: LanguageClient, repo: Path) -> None:
    stack = open_file(client, repo, STACK)
    for version, text in enumerate(["components:\n  orchestrator: [kfp-prod\n",
                                    "components:\n\torchestrator: x\n", "components: {\n",
                                    "\x00\x01", ""], start=2):
        replace_all(client, stack, text, version)
        await settle(client)
        found = codes(client, stack)
        assert found and all(code.startswith("GS") for code, _, _ in found), (text, found)
    broken = "components:\n  orchestrator: [kfp-prod\n"
    replace_all(client, stack, broken, 10)
    await settle(client)
    [diag] = client.diagnostics[stack]
    assert (diag.code, diag.range.start.line) == ("GS001", 2)
    # features still answer on a broken buffer
    items = await client.text_document_completion_async(lsp.CompletionParams(
        doc(stack), position(broken, "[kfp", 1)))
    assert items is not None
    replace_all(client, stack, (repo / STACK).read_text(), 11)
    await settle(client)
    assert codes(client, stack) == []


async def test_folder_without_gitstore_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    (folder / "stacks").mkdir(parents=True)
    (folder / "stacks/x.yaml").write_text("components: {orchestrator: nope}\n: : :\n")
    client = await start(folder)
    try:
        open_file(client, folder, "stacks/x.yaml")
        await settle(client)
        result = await client.text_document_definition_async(lsp.DefinitionParams(
            doc(uri(folder, "stacks/x.yaml")), lsp.Position(0, 30)))
        assert result is None
        assert client.diagnostics == {}
        assert client.error is None
    finally:
        await client.shutdown_session()


# navigation ------------------------------------------------------------------------------

@pytest.mark.parametrize("path, needle, target", [
    (STACK, "s3-prod", "components/artifact_store/s3-prod.yaml"),
    ("components/step_operator/ray-gpu-prod.yaml", "ray-gpu ", "flavors/step_operator/ray-gpu.yaml"),
    ("teams/ml-platform.yaml", "platform-bot", "users/platform-bot.yaml"),
    ("roles/data-scientist.yaml", "user: alice", "users/alice.yaml"),
    ("roles/data-scientist.yaml", "team: search", "teams/search.yaml"),
    ("roles/data-scientist.yaml", "project: search-ranking", "projects/search-ranking.yaml"),
    ("gitstore.yaml", "default_stack: staging", "stacks/staging.yaml"),
])
async def test_definition(client: LanguageClient, repo: Path, path: str, needle: str, target: str) -> None:
    text = (repo / path).read_text()
    offset = needle.find(": ") + 3 if ": " in needle else 1
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        doc(uri(repo, path)), position(text, needle, offset)))
    assert isinstance(result, lsp.Location)
    assert result.uri == uri(repo, target)
    assert result.range.start == lsp.Position(0, 0)


async def test_definition_of_a_builtin_flavor_shows_its_fields(client: LanguageClient, repo: Path) -> None:
    path = "components/orchestrator/kfp-prod.yaml"
    text = (repo / path).read_text()
    result = await client.text_document_definition_async(lsp.DefinitionParams(
        doc(uri(repo, path)), position(text, "kubeflow", 2)))
    assert isinstance(result, lsp.Location)
    view = Path(result.uri[len("file://"):]).read_text()
    assert "built-in orchestrator flavor `kubeflow`" in view
    assert "kubernetes_context: " in view and "synchronous: " in view


async def test_references(client: LanguageClient, repo: Path) -> None:
    # from the entity's own file
    found = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri(repo, "users/alice.yaml")), position=lsp.Position(1, 2),
        context=lsp.ReferenceContext(True)))
    assert found is not None
    places = sorted((Path(r.uri).name, r.range.start.line + 1) for r in found)
    assert places == [("alice.yaml", 1), ("data-scientist.yaml", 10), ("ml-platform.yaml", 3)]
    # from a reference, without the declaration
    text = (repo / STACK).read_text()
    found = await client.text_document_references_async(lsp.ReferenceParams(
        text_document=doc(uri(repo, STACK)), position=position(text, "ecr", 1),
        context=lsp.ReferenceContext(False)))
    assert found is not None
    assert sorted(Path(r.uri).name for r in found) == ["production.yaml", "staging.yaml"]
    ref = next(r for r in found if r.uri.endswith(STACK))
    assert ref.range == lsp.Range(position(text, "ecr"), position(text, "ecr", 3))


async def test_hover(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text()
    result = await client.text_document_hover_async(lsp.HoverParams(
        doc(uri(repo, STACK)), position(text, "kfp-prod", 1)))
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    shown = result.contents.value
    assert "**component** `orchestrator/kfp-prod`" in shown
    assert "flavor: `kubeflow` (built in)" in shown
    assert "alice (role platform-admin (team ml-platform))" in shown  # who can change it
    assert "used by stacks: production" in shown
    # a config key's schema description, custom flavor
    path = "components/step_operator/ray-gpu-prod.yaml"
    text = (repo / path).read_text()
    result = await client.text_document_hover_async(lsp.HoverParams(
        doc(uri(repo, path)), position(text, "dashboard_token", 2)))
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    assert "**dashboard_token**: `string`" in result.contents.value
    assert "holds a secret" in result.contents.value


# completion ------------------------------------------------------------------------------

async def labels(client: LanguageClient, doc_uri: str, pos: lsp.Position) -> list[str]:
    result = await client.text_document_completion_async(lsp.CompletionParams(doc(doc_uri), pos))
    assert isinstance(result, lsp.CompletionList)
    return [item.label for item in result.items]


async def test_completion_fits_the_slot(client: LanguageClient, repo: Path) -> None:
    stack = open_file(client, repo, "stacks/new.yaml", "components:\n  \n")
    assert await labels(client, stack, lsp.Position(1, 2)) == [
        "alerter", "artifact_store", "container_registry", "data_validator", "experiment_tracker",
        "feature_store", "metadata_store", "model_deployer", "orchestrator", "secrets_manager",
        "step_operator"]
    replace_all(client, stack, "components:\n  metadata_store: \n", 2)
    assert await labels(client, stack, lsp.Position(1, 18)) == ["mysql-prod", "mysql-staging"]
    replace_all(client, stack, "components:\n  metadata_store: mysql-prod\n  ", 3)
    assert "metadata_store" not in await labels(client, stack, lsp.Position(2, 2))
    comp = open_file(client, repo, "components/step_operator/new.yaml", "flavor: \n")
    assert await labels(client, comp, lsp.Position(0, 8)) == ["azureml", "sagemaker", "vertex", "ray-gpu"]
    replace_all(client, comp, "flavor: ray-gpu\nconfig:\n  \n", 2)
    result = await client.text_document_completion_async(lsp.CompletionParams(doc(comp), lsp.Position(2, 2)))
    assert isinstance(result, lsp.CompletionList)
    fields = {item.label: item for item in result.items}
    assert set(fields) == {"cluster_address", "gpus", "runtime_env", "dashboard_token"}
    assert fields["gpus"].detail == "integer"
    kfp = open_file(client, repo, "components/orchestrator/new.yaml", "flavor: kubeflow\nconfig:\n  \n")
    result = await client.text_document_completion_async(lsp.CompletionParams(doc(kfp), lsp.Position(2, 2)))
    assert isinstance(result, lsp.CompletionList)
    builtin = {item.label: item.detail for item in result.items}
    assert builtin["synchronous"] == "bool" and builtin["kubernetes_context"] == "Optional[str]"
    team = open_file(client, repo, "teams/new.yaml", "members:\n  - \n")
    assert await labels(client, team, lsp.Position(1, 4)) == ["alice", "bob", "chen", "dana", "platform-bot"]
    role = open_file(client, repo, "roles/new.yaml", "assignments:\n  - team: \n    project: \n")
    # the unsaved teams/new.yaml counts: open buffers overlay the working tree
    assert await labels(client, role, lsp.Position(1, 10)) == ["fraud", "ml-platform", "new", "search"]
    assert await labels(client, role, lsp.Position(2, 13)) == ["fraud-detection", "search-ranking"]
    settings = uri(repo, "gitstore.yaml")
    open_file(client, repo, "gitstore.yaml", "format: 1\ndefault_stack: \n")
    assert await labels(client, settings, lsp.Position(1, 15)) == ["new", "production", "staging"]


# rename ----------------------------------------------------------------------------------

def apply_workspace_edit(root: Path, result: lsp.WorkspaceEdit,
                         client: LanguageClient | None = None) -> None:
    """Apply an edit the way an editor would (text edits, then file operations, in order), and
    tell the server which files changed on disk."""
    touched: list[str] = []
    for change in result.document_changes or []:
        if isinstance(change, lsp.TextDocumentEdit):
            target = Path(change.text_document.uri[len("file://"):])
            text = target.read_text() if target.exists() else ""
            target.write_text(apply_edits(text, change.edits))
            touched.append(change.text_document.uri)
        elif isinstance(change, lsp.RenameFile):
            Path(change.old_uri[len("file://"):]).rename(change.new_uri[len("file://"):])
            touched += [change.old_uri, change.new_uri]
        elif isinstance(change, lsp.CreateFile):
            Path(change.uri[len("file://"):]).parent.mkdir(parents=True, exist_ok=True)
            Path(change.uri[len("file://"):]).touch()
            touched.append(change.uri)
    for file_uri, edits in (result.changes or {}).items():
        target = Path(file_uri[len("file://"):])
        target.write_text(apply_edits(target.read_text(), edits))
        touched.append(file_uri)
    if client is not None:
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(u, lsp.FileChangeType.Changed) for u in touched]))


async def test_rename_from_a_reference_and_from_the_file(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text()
    at = position(text, "mysql-prod", 2)
    prepared = await client.text_document_prepare_rename_async(
        lsp.PrepareRenameParams(doc(uri(repo, STACK)), at))
    assert isinstance(prepared, lsp.PrepareRenamePlaceholder)
    assert prepared.placeholder == "mysql-prod"
    result = await client.text_document_rename_async(
        lsp.RenameParams(doc(uri(repo, STACK)), at, "mysql-main"))
    assert result is not None
    assert isinstance(result.document_changes[-1], lsp.RenameFile)
    apply_workspace_edit(repo, result, client)
    assert "metadata_store: mysql-main" in (repo / STACK).read_text()
    assert (repo / "components/metadata_store/mysql-main.yaml").exists()
    assert validate_json(repo) == []
    await settle(client)
    assert published(client, repo) == []
    # from the user's own file: teams and roles follow
    result = await client.text_document_rename_async(lsp.RenameParams(
        doc(uri(repo, "users/alice.yaml")), lsp.Position(0, 0), "alice2"))
    assert result is not None
    touched = sorted(Path(c.text_document.uri).name for c in result.document_changes
                     if isinstance(c, lsp.TextDocumentEdit))
    assert touched == ["data-scientist.yaml", "ml-platform.yaml"]
    apply_workspace_edit(repo, result, client)
    assert validate_json(repo) == []
    assert not (repo / "users/alice.yaml").exists()
    await settle(client)
    assert published(client, repo) == []


async def test_rename_refuses_bad_and_taken_names(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text()
    at = position(text, "mysql-prod", 2)
    # the refusals are `gitstore mv`'s (gitstore.rename checks both)
    for name, why in [("bad name", "not a valid"), ("-x", "not a valid"),
                      ("mysql-staging", "metadata_store/mysql-staging.yaml exists"),
                      ("MYSQL-STAGING", "differs from it only in case")]:
        with pytest.raises(JsonRpcException, match=why):
            await client.text_document_rename_async(lsp.RenameParams(doc(uri(repo, STACK)), at, name))
    path = "components/orchestrator/kfp-prod.yaml"
    with pytest.raises(JsonRpcException, match="is a built-in orchestrator flavor"):
        await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(
            doc(uri(repo, path)), position((repo / path).read_text(), "kubeflow", 1)))
    with pytest.raises(JsonRpcException, match="settings; it has no name to change"):
        await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(
            doc(uri(repo, "gitstore.yaml")), lsp.Position(2, 0)))


async def test_will_rename_files_keeps_references(client: LanguageClient, repo: Path) -> None:
    old = repo / "teams/ml-platform.yaml"
    new = repo / "teams/platform.yaml"
    result = await client.workspace_will_rename_files_async(lsp.RenameFilesParams(
        [lsp.FileRename(old.as_uri(), new.as_uri())]))
    assert result is not None
    apply_workspace_edit(repo, result, client)
    old.rename(new)
    client.workspace_did_rename_files(lsp.RenameFilesParams([lsp.FileRename(old.as_uri(), new.as_uri())]))
    await settle(client)
    assert "team: platform" in (repo / "roles/platform-admin.yaml").read_text()
    assert validate_json(repo) == []
    assert published(client, repo) == []


# code actions ----------------------------------------------------------------------------

async def actions(client: LanguageClient, doc_uri: str) -> list[lsp.CodeAction]:
    diags = list(client.diagnostics.get(doc_uri, []))
    result = await client.text_document_code_action_async(lsp.CodeActionParams(
        doc(doc_uri), diags[0].range, lsp.CodeActionContext(diags)))
    assert result is not None
    return [a for a in result if isinstance(a, lsp.CodeAction)]


async def test_code_action_did_you_mean(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text().replace("s3-prod", "s3-prd")
    (repo / STACK).write_text(text)
    stack = open_file(client, repo, STACK)
    await settle(client)
    [fix] = [a for a in await actions(client, stack) if a.title.startswith("Change")]
    assert fix.title == "Change to `s3-prod`"
    assert fix.edit is not None
    apply_workspace_edit(repo, fix.edit)
    assert validate_json(repo) == []


async def test_code_actions_for_a_misspelt_key_and_a_missing_default_stack(
        client: LanguageClient, repo: Path) -> None:
    stack = repo / "stacks/staging.yaml"
    stack.write_text(stack.read_text().replace("description:", "descripton:"))
    settings = repo / "gitstore.yaml"
    settings.write_text(settings.read_text().replace("default_stack: staging", "default_stack: stagin"))
    stack_uri = open_file(client, repo, "stacks/staging.yaml")
    settings_uri = open_file(client, repo, "gitstore.yaml")
    await settle(client)
    assert codes(client, stack_uri) == [("GS102", 1, 1)]
    [fix] = await actions(client, stack_uri)
    assert fix.title == "Change to `description`"
    found = {a.title: a for a in await actions(client, settings_uri)}
    assert set(found) == {"Change to `staging`", "Create stack `stagin`"}
    create = found["Create stack `stagin`"].edit
    assert create is not None
    apply_workspace_edit(repo, create)
    assert (repo / "stacks/stagin.yaml").read_text() == "components: {}\n"
    assert fix.edit is not None
    apply_workspace_edit(repo, fix.edit)
    assert [p[3] for p in validate_json(repo)] == ["GS204"]  # the new stack lacks required types


async def test_code_action_create_component(client: LanguageClient, repo: Path) -> None:
    text = (repo / STACK).read_text().replace("ray-gpu-prod", "ray-gpu-new")
    stack = open_file(client, repo, STACK, text)
    await settle(client)
    (repo / STACK).write_text(text)
    found = {a.title: a for a in await actions(client, stack)}
    title = "Create step_operator component `ray-gpu-new` (flavor ray-gpu)"
    assert title in found, list(found)
    edit_ = found[title].edit
    assert edit_ is not None
    apply_workspace_edit(repo, edit_)
    created = (repo / "components/step_operator/ray-gpu-new.yaml").read_text()
    assert created == 'flavor: ray-gpu\nconfig:\n  cluster_address: ""\n  gpus: 0\n'
    problems = validate_json(repo)
    assert {p[0] for p in problems} == {"components/step_operator/ray-gpu-new.yaml"}  # fill in the values
    assert {p[3] for p in problems} == {"GS202"}


async def test_code_action_secret_reference(client: LanguageClient, repo: Path) -> None:
    path = "components/step_operator/ray-gpu-prod.yaml"
    text = (repo / path).read_text().replace('"{{ ray_prod.dashboard_token }}"', "s3cr3t")
    (repo / path).write_text(text)
    comp = open_file(client, repo, path)
    await settle(client)
    assert codes(client, comp) == [("GS301", 7, 20)]
    [fix] = [a for a in await actions(client, comp) if "secret reference" in a.title]
    assert fix.edit is not None
    apply_workspace_edit(repo, fix.edit)
    assert '  dashboard_token: "{{ ray-gpu-prod.dashboard_token }}"\n' in (repo / path).read_text()
    assert validate_json(repo) == []


async def test_without_the_extra_the_command_says_how_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    for module in ("pygls", "lsprotocol"):
        (blocker / f"{module}.py").write_text(f"raise ImportError('no {module} here')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    proc = subprocess.run([GITSTORE, "lsp"], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2
    assert proc.stderr == "gitstore: error: the language server needs the `lsp` extra: " \
        "pip install 'gitstore[lsp]'\n"
    # validation and the editor settings never need it
    example = copy_example(tmp_path / "repo")
    proc = subprocess.run([GITSTORE, "validate", str(example)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([GITSTORE, "schema", "--editor-settings"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
