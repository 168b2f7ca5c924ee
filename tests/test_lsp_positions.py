"""Positions in the encoding client and server agree on: UTF-16 code units unless the client
offers UTF-8 or UTF-32 (LSP 3.17 ``general.positionEncodings``).

Each test writes a line with an accented letter, a CJK character and emoji (outside the Basic
Multilingual Plane: two UTF-16 units, four UTF-8 units) before the token it is about, so a
server counting code points is off by more than the token's length.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import GITSTORE
from lsp_client import copy_example, open_file, settle, uri
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client
from test_lsp import validate_json

pytestmark = pytest.mark.asyncio
STACK = "stacks/production.yaml"
PREFIX = "café 中文 " + "😀" * 12
COMPONENTS = ("orchestrator: {orch}, artifact_store: s3-prod, metadata_store: mysql-prod, "
              "container_registry: ecr, secrets_manager: aws-prod, experiment_tracker: mlflow, "
              "alerter: slack-ml, step_operator: ray-gpu-prod, model_deployer: seldon-prod")
ENCODINGS = [None, "utf-16", "utf-8", "utf-32"]  # None: the client names none (UTF-16 then)


def stack_text(orchestrator: str) -> str:
    return (f'{{description: "{PREFIX}", components: {{'
            f'{COMPONENTS.format(orch=orchestrator)}}}}}\n')


def units(text: str, encoding: str | None) -> int:
    """How many code units of ``encoding`` ``text`` is."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def client_position(text: str, needle: str, encoding: str | None, offset: int = 0) -> lsp.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return lsp.Position(line, units(text[start:index], encoding))


def code_point(line: str, character: int, encoding: str | None) -> int:
    """The code point at a client offset (the test's own count, independent of the server's)."""
    for index in range(len(line) + 1):
        if units(line[:index], encoding) >= character:
            return index
    return len(line)


def apply(text: str, edits: list[lsp.TextEdit], encoding: str | None) -> str:
    lines = text.split("\n")
    for item in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        assert item.range.start.line == item.range.end.line
        line = lines[item.range.start.line]
        start = code_point(line, item.range.start.character, encoding)
        end = code_point(line, item.range.end.character, encoding)
        lines[item.range.start.line] = line[:start] + item.new_text + line[end:]
    return "\n".join(lines)


async def start(root: Path, encoding: str | None) -> tuple[LanguageClient, str]:
    """A client offering ``encoding`` (and only it), and the encoding the server chose."""
    assert GITSTORE, "the gitstore command is not installed in this environment"
    client = make_test_lsp_client()
    await client.start_io(GITSTORE, "lsp")
    caps = client_capabilities("visual-studio-code")
    caps.general = lsp.GeneralClientCapabilities(
        position_encodings=[encoding] if encoding else None)
    result = await client.initialize_session(lsp.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), root.name)]))
    await settle(client)
    chosen = result.capabilities.position_encoding
    return client, str(getattr(chosen, "value", chosen) or "utf-16")


@pytest_asyncio.fixture(params=ENCODINGS, ids=lambda e: e or "unnamed")
async def session(request: pytest.FixtureRequest, tmp_path: Path
                  ) -> AsyncIterator[tuple[Path, LanguageClient, str | None]]:
    root = copy_example(tmp_path / "repo")
    (root / STACK).write_text(stack_text("kfp-prd"), encoding="utf-8")
    client, chosen = await start(root, request.param)
    assert chosen == (request.param or "utf-16")
    yield root, client, request.param
    await client.shutdown_session()
    await client.stop()


async def test_diagnostics_after_non_ascii_are_in_client_units(
        session: tuple[Path, LanguageClient, str | None]) -> None:
    root, client, encoding = session
    text = (root / STACK).read_text(encoding="utf-8")
    line = text.split("\n")[0]
    expected = []
    for path, number, column, code, _ in validate_json(root):
        if path == STACK:
            expected.append((code, number - 1, units(line[:column - 1], encoding)))
    assert [e[0] for e in expected] == ["GS203"]
    got = [(str(d.code), d.range.start.line, d.range.start.character)
           for d in client.diagnostics[uri(root, STACK)]]
    assert got == expected
    (diagnostic,) = client.diagnostics[uri(root, STACK)]
    start = code_point(line, diagnostic.range.start.character, encoding)
    end = code_point(line, diagnostic.range.end.character, encoding)
    assert line[start:end] == "kfp-prd"
    # typing in the buffer: the same after an edit made in client units
    doc_uri = open_file(client, root, STACK, text)
    where = client_position(text, "kfp-prd", encoding, len("kfp-pr"))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(2, doc_uri),
        [lsp.TextDocumentContentChangePartial(lsp.Range(where, where), "o")]))
    await settle(client)
    assert list(client.diagnostics[doc_uri]) == []


async def test_definition_hover_and_references_after_non_ascii(
        session: tuple[Path, LanguageClient, str | None]) -> None:
    root, client, encoding = session
    text = stack_text("kfp-prod")
    doc_uri = open_file(client, root, STACK, text)
    await settle(client)
    ident = lsp.TextDocumentIdentifier(doc_uri)
    token = client_position(text, "kfp-prod", encoding)
    span = lsp.Range(token, lsp.Position(token.line, token.character + len("kfp-prod")))
    target = uri(root, "components/orchestrator/kfp-prod.yaml")
    for offset in (0, 4, len("kfp-prod")):  # its first character, its middle, just after it
        where = client_position(text, "kfp-prod", encoding, offset)
        found = await client.text_document_definition_async(lsp.DefinitionParams(ident, where))
        assert isinstance(found, lsp.Location) and found.uri == target, (offset, found)
    hover = await client.text_document_hover_async(lsp.HoverParams(ident, token))
    assert hover is not None and hover.range == span
    # one code point too far per emoji would land past the token
    past = client_position(text, "kfp-prod", encoding, len("kfp-prod") + 6)
    assert await client.text_document_definition_async(lsp.DefinitionParams(ident, past)) is None
    refs = await client.text_document_references_async(lsp.ReferenceParams(
        context=lsp.ReferenceContext(include_declaration=False),
        text_document=lsp.TextDocumentIdentifier(target), position=lsp.Position(0, 0)))
    assert [(r.uri, r.range) for r in refs] == [(doc_uri, span)]


async def test_rename_edits_after_non_ascii(
        session: tuple[Path, LanguageClient, str | None]) -> None:
    root, client, encoding = session
    text = stack_text("kfp-prod")
    doc_uri = open_file(client, root, STACK, text)
    await settle(client)
    where = client_position(text, "kfp-prod", encoding, 2)
    ident = lsp.TextDocumentIdentifier(doc_uri)
    prepared = await client.text_document_prepare_rename_async(lsp.PrepareRenameParams(ident, where))
    token = client_position(text, "kfp-prod", encoding)
    assert isinstance(prepared, lsp.PrepareRenamePlaceholder)
    assert prepared.range == lsp.Range(token, lsp.Position(0, token.character + len("kfp-prod")))
    result = await client.text_document_rename_async(lsp.RenameParams(ident, where, "kfp-main"))
    assert result is not None and result.document_changes is not None
    edits = [c for c in result.document_changes if isinstance(c, lsp.TextDocumentEdit)
             and c.text_document.uri == doc_uri]
    assert len(edits) == 1
    assert apply(text, list(edits[0].edits), encoding) == stack_text("kfp-main")  # type: ignore[arg-type]
