"""Completion and code actions: names that fit the slot, and fixes for the problems found."""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types as lsp

from gitstore import flavors
from gitstore.lsp.lookup import lines_of
from gitstore.lsp.model import Model
from gitstore.lsp.navigation import Uri, flavor_fields
from gitstore.lsp.text import Slot, slot_at, token_span
from gitstore.plumbing.layout import COMPONENT_TYPES, OPERATIONS, PERMISSION_TYPES, EntityRef, entity_path
from gitstore.references import target_at
from gitstore.resources import SCHEMA_OF_KIND, schema

Kind = lsp.CompletionItemKind
NEW_FILE = {"stack": "components: {}\n", "team": "members: []\n"}
DEFAULT_FLAVOR = {"orchestrator": "local", "artifact_store": "local", "metadata_store": "sqlite",
                  "container_registry": "default", "secrets_manager": "local"}


# completion ------------------------------------------------------------------------------

def completion(model: Model, path: str, line: int, character: int) -> list[lsp.CompletionItem]:
    source = model.ref_of(path)
    lines = lines_of(model, path)
    if source is None or line >= len(lines):
        return []
    slot = slot_at(lines, line, character)
    options = _key_options(model, source, slot) if slot.is_key else _value_options(model, source, slot)
    rng = lsp.Range(lsp.Position(line, slot.start), lsp.Position(line, character))
    return [lsp.CompletionItem(label, kind=kind, detail=detail,
                               documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, doc) if doc else None,
                               text_edit=lsp.TextEdit(rng, label), filter_text=label)
            for label, kind, detail, doc in options if label.startswith(slot.prefix[:1])]


Option = tuple[str, lsp.CompletionItemKind, str | None, str | None]


def _names(model: Model, kind: str, type_: str | None) -> list[str]:
    return sorted(r.name for r in model.snap.present if r.kind == kind and r.type == type_)


def _value_options(model: Model, source: EntityRef, slot: Slot) -> list[Option]:
    target = target_at(source, slot.path, "")
    if target is not None:
        if target.kind == "flavor" and target.type:
            builtin: list[Option] = [(n, Kind.Class, "built-in flavor", None)
                                     for n in flavors.builtin_names(target.type)]
            custom: list[Option] = [(n, Kind.Class, "custom flavor", None)
                                    for n in _names(model, "flavor", target.type)]
            return builtin + custom
        label = f"{target.type} component" if target.type else target.kind
        return [(n, Kind.Reference, label, None) for n in _names(model, target.kind, target.type)]
    if source.kind == "settings" and slot.path[:1] == ("required_components",):
        return [(t, Kind.EnumMember, "component type", None) for t in COMPONENT_TYPES]
    if source.kind == "role" and len(slot.path) >= 2 and slot.path[0] == "permissions":
        return [(p, Kind.EnumMember, "permission type", None) for p in PERMISSION_TYPES]
    return []


def _key_options(model: Model, source: EntityRef, slot: Slot) -> list[Option]:
    kind = source.kind
    if kind == "stack" and slot.path == ("components",):
        doc = model.snap.documents.get(source)
        used = doc.data.get("components") if doc is not None else None
        taken = set(used) if isinstance(used, dict) else set()
        return [(t, Kind.Property, "component type", f"{len(_names(model, 'component', t))} components")
                for t in COMPONENT_TYPES if t not in taken]
    if kind == "component" and slot.path == ("config",):
        return _config_key_options(model, source)
    if kind == "role" and slot.path == ("permissions",):
        return [(o, Kind.Property, "operation", None) for o in OPERATIONS]
    if kind == "role" and len(slot.path) == 2 and slot.path[0] == "assignments":
        return [(k, Kind.Property, f"a {k} name" if k != "project" else "the project the role holds in",
                 None) for k in ("user", "team", "project")]
    if slot.path == ():
        props = schema(SCHEMA_OF_KIND[kind]).get("properties", {})
        return [(k, Kind.Property, _type_label(v), v.get("description")) for k, v in props.items()
                if isinstance(v, dict)]
    return []


def _type_label(prop: dict[str, Any]) -> str | None:
    kind = prop.get("type")
    return "|".join(kind) if isinstance(kind, list) else kind


def _config_key_options(model: Model, source: EntityRef) -> list[Option]:
    doc = model.snap.documents.get(source)
    flavor = doc.data.get("flavor") if doc is not None else _flavor_from_text(model, source)
    if not isinstance(flavor, str) or source.type is None:
        return []
    return [(name, Kind.Field, kind, text) for name, (kind, text) in
            sorted(flavor_fields(model, source.type, flavor).items())]


def _flavor_from_text(model: Model, source: EntityRef) -> str | None:
    for line in lines_of(model, entity_path(source.kind, source.name, source.type)):
        match = re.match(r"""flavor:\s*["']?([A-Za-z0-9._-]+)""", line)
        if match:
            return match.group(1)
    return None


# code actions ----------------------------------------------------------------------------

_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_CREATES = {"GS203": "component", "GS205": "user", "GS206": None, "GS207": "project", "GS208": "stack"}


def code_actions(model: Model, path: str, diagnostics: list[lsp.Diagnostic], uri: Uri
                 ) -> list[lsp.CodeAction]:
    actions: list[lsp.CodeAction] = []
    lines = lines_of(model, path)
    for diag in diagnostics:
        if diag.source != "gitstore":
            continue
        line = diag.range.start.line
        text = lines[line] if line < len(lines) else ""
        start, end, word = token_span(text, diag.range.start.character)
        rng = lsp.Range(lsp.Position(line, start), lsp.Position(line, end))
        hint = diag.data.get("hint") if isinstance(diag.data, dict) else None
        match = _DID_YOU_MEAN.search(hint or "")
        if match:
            edit = lsp.WorkspaceEdit(changes={uri(path): [lsp.TextEdit(rng, match.group(1))]})
            actions.append(lsp.CodeAction(f"Change to `{match.group(1)}`", lsp.CodeActionKind.QuickFix,
                                          diagnostics=[diag], edit=edit, is_preferred=True))
        if diag.code in _CREATES:
            actions.extend(_create_actions(model, path, diag, line, word, uri))
        if diag.code in ("GS301", "GS302"):
            actions.append(_secret_action(model, path, diag, rng, uri))
    return actions


def _create_actions(model: Model, path: str, diag: lsp.Diagnostic, line: int, word: str, uri: Uri
                    ) -> list[lsp.CodeAction]:
    source = model.ref_of(path)
    lines = lines_of(model, path)
    if source is None or not word:
        return []
    slot = slot_at(lines, line, len(lines[line].rstrip()))
    target = target_at(source, slot.path, word)
    if target is None or target in model.snap.present:
        return []
    if target.kind != "component":
        text = NEW_FILE.get(target.kind, "{}\n")
        return [_create(f"Create {target.kind} `{word}`", target, text, diag, uri)]
    assert target.type is not None
    choices = [DEFAULT_FLAVOR.get(target.type) or flavors.builtin_names(target.type)[0]]
    choices += _names(model, "flavor", target.type)[:5]
    return [_create(f"Create {target.type} component `{word}` (flavor {flavor})", target,
                    _component_text(model, target.type, flavor), diag, uri) for flavor in choices]


def _component_text(model: Model, type_: str, flavor: str) -> str:
    text = f"flavor: {flavor}\n"
    doc = model.snap.documents.get(EntityRef("flavor", type_, flavor))
    schema_ = doc.data.get("config_schema") if doc is not None else None
    required = schema_.get("required") if isinstance(schema_, dict) else None
    if not isinstance(required, list) or not required:
        return text
    props = schema_.get("properties") if isinstance(schema_, dict) else {}
    props = props if isinstance(props, dict) else {}
    body = [f"  {name}: {_placeholder(props.get(name))}" for name in required if isinstance(name, str)]
    return text + "config:\n" + "\n".join(body) + "\n"


def _placeholder(prop: Any) -> str:
    kind = prop.get("type") if isinstance(prop, dict) else None
    kind = kind[0] if isinstance(kind, list) and kind else kind
    return {"integer": "0", "number": "0", "boolean": "false", "array": "[]", "object": "{}"}.get(
        str(kind), '""')


def _create(title: str, target: EntityRef, text: str, diag: lsp.Diagnostic, uri: Uri) -> lsp.CodeAction:
    new_uri = uri(entity_path(target.kind, target.name, target.type))
    edit = lsp.WorkspaceEdit(document_changes=[
        lsp.CreateFile(new_uri, options=lsp.CreateFileOptions(ignore_if_exists=True)),
        lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(new_uri, None),
                             [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), text)]),
    ])
    return lsp.CodeAction(title, lsp.CodeActionKind.QuickFix, diagnostics=[diag], edit=edit)


def _secret_action(model: Model, path: str, diag: lsp.Diagnostic, rng: lsp.Range, uri: Uri
                   ) -> lsp.CodeAction:
    source = model.ref_of(path)
    lines = lines_of(model, path)
    line = lines[rng.start.line]
    key = re.match(r"\s*(?:-\s+)?[\"']?([^\"':]+)", line)
    field = re.sub(r"[^A-Za-z0-9_-]", "_", key.group(1).strip()) if key else "value"
    secret = source.name if source is not None else "secret"
    value = f"{{{{ {secret}.{field} }}}}"
    text = line[rng.start.character - 1:rng.end.character + 1]
    quoted = text[:1] in "\"'" and text[:1] == text[-1:]
    new = value if quoted else f'"{value}"'
    edit = lsp.WorkspaceEdit(changes={uri(path): [lsp.TextEdit(rng, new)]})
    return lsp.CodeAction(f"Replace the plain value with the secret reference `{value}`",
                          lsp.CodeActionKind.QuickFix, diagnostics=[diag], edit=edit)
