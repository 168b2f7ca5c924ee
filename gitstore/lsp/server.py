"""The language server: LSP requests in, calls of the model and the core out.

Everything protocol-specific lives here; what is at a position, what refers to
what and which problems a file has come from the modules beside it. A folder
that is not a configuration repository gets a server that answers every
request with nothing and publishes no diagnostics.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from gitstore import __version__
from gitstore.errors import GitstoreError
from gitstore.lsp import editing, navigation
from gitstore.lsp.diagnostics import to_diagnostic
from gitstore.lsp.lookup import lines_of
from gitstore.lsp.model import Model
from gitstore.lsp.positions import Codec, outward
from gitstore.plumbing.sources import find_config_repo

YAML_FILES = lsp.FileOperationRegistrationOptions(
    filters=[lsp.FileOperationFilter(pattern=lsp.FileOperationPattern(glob="**/*.yaml"))])


class GitstoreServer(LanguageServer):
    """A pygls server holding one warm :class:`Model` of the workspace's repository."""

    def __init__(self) -> None:
        super().__init__("gitstore", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.model: Model | None = None
        self.published: dict[str, int] = {}  # path -> number of diagnostics last published
        self._views: Path | None = None
        self._authority: tuple[int, Any] | None = None
        self._codec: Codec | None = None

    # paths and uris ----------------------------------------------------------------------

    def path_of(self, uri: str) -> str | None:
        fs_path = to_fs_path(uri)
        if self.model is None or fs_path is None:
            return None
        return navigation.relative(self.model.root, fs_path)

    def uri_of(self, path: str) -> str:
        assert self.model is not None
        uri = from_fs_path(str(self.model.root / path))
        assert uri is not None
        return uri

    @property
    def codec(self) -> Codec:
        """Character offsets in the position encoding agreed at ``initialize``."""
        encoding = self.workspace.position_encoding
        if self._codec is None or self._codec.negotiated is not encoding:
            self._codec = Codec(encoding)
        return self._codec

    def lines_at(self, uri: str) -> list[str]:
        """The lines of the document at ``uri`` as the model holds them (none outside it)."""
        path = self.path_of(uri)
        if self.model is None or path is None:
            return []
        return lines_of(self.model, path)

    def out(self, result: Any, uri: str | None) -> Any:
        """``result`` with its ranges in the client's units."""
        return outward(result, self.codec, self.lines_at, uri)

    def version_of(self, path: str) -> int | None:
        doc = self.workspace.text_documents.get(self.uri_of(path))
        return doc.version if doc is not None else None

    def builtin_view(self, type_: str, name: str) -> str:
        """A file showing a built-in flavor's fields, for editors to open (they have no file)."""
        if self._views is None:
            self._views = Path(tempfile.mkdtemp(prefix="gitstore-lsp-"))
        view = self._views / "builtin-flavors" / type_ / f"{name}.yaml"
        view.parent.mkdir(parents=True, exist_ok=True)
        view.write_text(navigation.builtin_flavor_text(type_, name), encoding="utf-8")
        uri = from_fs_path(str(view))
        assert uri is not None
        return uri

    def holders(self, operation: str) -> list[str]:
        """Who may update entities of ``operation``, with the role each holds it through."""
        from gitstore.trust.permissions import Authority

        assert self.model is not None
        if self._authority is None or self._authority[0] != self.model.generation:
            self._authority = (self.model.generation, Authority(self.model.snap))
        authority = self._authority[1]
        return [f"{user} ({', '.join(g.describe() for g in grants)})"
                for user, grants in sorted(authority.holders(operation, "update").items())]

    # workspace ---------------------------------------------------------------------------

    def open_workspace(self, root: str | None) -> None:
        if root is None:
            return
        try:
            repo = find_config_repo(root)
        except GitstoreError:
            return  # not a configuration repository: no diagnostics, no errors
        self.model = Model(repo.root.resolve(), repo.cache_dir)
        self.model.load()
        self.publish(self.model.paths_with_problems())

    def publish(self, paths: set[str], again: bool = False) -> None:
        """Send the diagnostics of ``paths`` (only those that may have changed, unless ``again``)."""
        if self.model is None:
            return
        for path in sorted(paths):
            problems = self.model.problems(path)
            if not problems and not self.published.get(path) and not again:
                continue
            lines = lines_of(self.model, path)
            codec = self.codec
            diagnostics = [to_diagnostic(p, lines) for p in problems]
            if not codec.identity:
                for diagnostic in diagnostics:
                    diagnostic.range = codec.range_to_client(lines, diagnostic.range)
            self.published[path] = len(diagnostics)
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                self.uri_of(path), diagnostics, self.version_of(path)))

    def buffer_changed(self, uri: str) -> None:
        path = self.path_of(uri)
        if self.model is None or path is None:
            return
        text = self.workspace.get_text_document(uri).source
        self.publish(self.model.set_text(path, text.encode("utf-8")))

    def file_changed(self, uri: str) -> None:
        """A file changed on disk; an open buffer keeps the say until it is closed."""
        path = self.path_of(uri)
        if self.model is None or path is None or uri in self.workspace.text_documents:
            return
        self.publish(self.model.reload_from_disk(path))

    def position(self, params: Any) -> tuple[str, int, int] | None:
        path = self.path_of(params.text_document.uri)
        if self.model is None or path is None:
            return None
        line = params.position.line
        lines = lines_of(self.model, path)
        text = lines[line] if 0 <= line < len(lines) else ""
        return path, line, self.codec.from_client(text, params.position.character)


server = GitstoreServer()


@server.feature(lsp.INITIALIZED)
def _initialized(ls: GitstoreServer, params: lsp.InitializedParams) -> None:
    ls.open_workspace(ls.workspace.root_path)
    if ls.model is not None:
        ls.client_register_capability(lsp.RegistrationParams([lsp.Registration(
            "gitstore-watch", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            lsp.DidChangeWatchedFilesRegistrationOptions(
                [lsp.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}"),
                 lsp.FileSystemWatcher(glob_pattern="**/CODEOWNERS")]))])) \
            if _client_can_watch(ls) else None


def _client_can_watch(ls: GitstoreServer) -> bool:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    return bool(watched and watched.dynamic_registration)


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: GitstoreServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.buffer_changed(params.text_document.uri)
    path = ls.path_of(params.text_document.uri)
    if path is not None and ls.published.get(path):
        ls.publish({path}, again=True)  # the buffer's own, even when its text is the file's


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: GitstoreServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.buffer_changed(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: GitstoreServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.file_changed(params.text_document.uri)  # back to what the working tree holds


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def _watched(ls: GitstoreServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        ls.file_changed(change.uri)


@server.feature(lsp.WORKSPACE_DID_CREATE_FILES, YAML_FILES)
def _did_create(ls: GitstoreServer, params: lsp.CreateFilesParams) -> None:
    for item in params.files:
        ls.file_changed(item.uri)


@server.feature(lsp.WORKSPACE_DID_DELETE_FILES, YAML_FILES)
def _did_delete(ls: GitstoreServer, params: lsp.DeleteFilesParams) -> None:
    for item in params.files:
        ls.file_changed(item.uri)


@server.feature(lsp.WORKSPACE_DID_RENAME_FILES, YAML_FILES)
def _did_rename(ls: GitstoreServer, params: lsp.RenameFilesParams) -> None:
    for item in params.files:
        ls.file_changed(item.old_uri)
        ls.file_changed(item.new_uri)


@server.feature(lsp.WORKSPACE_WILL_RENAME_FILES, YAML_FILES)
def _will_rename(ls: GitstoreServer, params: lsp.RenameFilesParams) -> lsp.WorkspaceEdit | None:
    if ls.model is None:
        return None
    pairs = [(ls.path_of(f.old_uri), ls.path_of(f.new_uri)) for f in params.files]
    renames = [(old, new) for old, new in pairs if old is not None and new is not None]
    return ls.out(navigation.will_rename_files(ls.model, renames, ls.uri_of, ls.version_of), None)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: GitstoreServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    where = ls.position(params)
    if where is None or ls.model is None:
        return None
    return ls.out(navigation.definition(ls.model, *where, uri=ls.uri_of,
                                        builtin_view=ls.builtin_view), None)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def _references(ls: GitstoreServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    where = ls.position(params)
    if where is None or ls.model is None:
        return []
    return ls.out(navigation.references(ls.model, *where, params.context.include_declaration,
                                        ls.uri_of), None)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def _hover(ls: GitstoreServer, params: lsp.HoverParams) -> lsp.Hover | None:
    where = ls.position(params)
    if where is None or ls.model is None:
        return None
    return ls.out(navigation.hover(ls.model, *where, holders=ls.holders), params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=[":", " ", "-", "["]))
def _completion(ls: GitstoreServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    where = ls.position(params)
    items = editing.completion(ls.model, *where) if where is not None and ls.model else []
    return ls.out(lsp.CompletionList(is_incomplete=False, items=items), params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def _prepare_rename(ls: GitstoreServer, params: lsp.PrepareRenameParams
                    ) -> lsp.PrepareRenamePlaceholder | None:
    where = ls.position(params)
    if where is None or ls.model is None:
        return None
    try:
        return ls.out(navigation.prepare_rename(ls.model, *where), params.text_document.uri)
    except navigation.REFUSED as exc:
        raise JsonRpcInvalidRequest(str(exc)) from None


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def _rename(ls: GitstoreServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    where = ls.position(params)
    if where is None or ls.model is None:
        return None
    try:
        return ls.out(navigation.rename(ls.model, *where, params.new_name, ls.uri_of,
                                        ls.version_of), None)
    except navigation.REFUSED as exc:
        raise JsonRpcInvalidParams(str(exc)) from None


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def _code_action(ls: GitstoreServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    path = ls.path_of(params.text_document.uri)
    if path is None or ls.model is None:
        return []
    lines = lines_of(ls.model, path)
    diagnostics = list(params.context.diagnostics)
    for diagnostic in diagnostics:  # the client's ranges, in code points like everything here
        diagnostic.range = ls.codec.range_from_client(lines, diagnostic.range)
    return ls.out(editing.code_actions(ls.model, path, diagnostics, ls.uri_of),
                  params.text_document.uri)


def run() -> None:
    """Serve over stdin and stdout until the client says exit."""
    server.start_io()
