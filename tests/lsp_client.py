"""A client for end-to-end tests of ``gitstore lsp``: the installed command over stdio."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from conftest import GITSTORE
from lsprotocol import types as lsp
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "valid" / "platform"


def copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest)
    return dest


async def start(root: Path) -> LanguageClient:
    """A client connected to a fresh ``gitstore lsp`` whose workspace is ``root``."""
    assert GITSTORE, "the gitstore command is not installed in this environment"
    client = make_test_lsp_client()
    await client.start_io(GITSTORE, "lsp")
    caps = client_capabilities("visual-studio-code")
    await client.initialize_session(lsp.InitializeParams(
        capabilities=caps, root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(root.as_uri(), root.name)]))
    await settle(client)
    return client


async def settle(client: LanguageClient) -> None:
    """Wait until the server has handled everything sent so far (it answers in order)."""
    await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier("file:///nowhere.yaml"), lsp.Position(0, 0)))


def uri(root: Path, rel: str) -> str:
    return (root / rel).as_uri()


def open_file(client: LanguageClient, root: Path, rel: str, text: str | None = None) -> str:
    doc_uri = uri(root, rel)
    if text is None:
        text = (root / rel).read_text()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(doc_uri, "yaml", 1, text)))
    return doc_uri


def replace_all(client: LanguageClient, doc_uri: str, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version, doc_uri),
        [lsp.TextDocumentContentChangeWholeDocument(text)]))


def edit(client: LanguageClient, doc_uri: str, line: int, start: int, end: int, text: str,
         version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version, doc_uri),
        [lsp.TextDocumentContentChangePartial(
            lsp.Range(lsp.Position(line, start), lsp.Position(line, end)), text)]))


def codes(client: LanguageClient, doc_uri: str) -> list[tuple[str, int, int]]:
    """(code, 1-based line, 1-based column) of the diagnostics last published for a file."""
    return sorted((str(d.code), d.range.start.line + 1, d.range.start.character + 1)
                  for d in client.diagnostics.get(doc_uri, []))


def position(text: str, needle: str, offset: int = 0) -> lsp.Position:
    """The position of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line, index - (text.rfind("\n", 0, index) + 1))


def apply_edits(text: str, edits: list[Any]) -> str:
    """Apply LSP text edits to ``text`` (from the last to the first)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans = sorted(((offsets[e.range.start.line] + e.range.start.character,
                     offsets[e.range.end.line] + e.range.end.character, e.new_text) for e in edits),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text
