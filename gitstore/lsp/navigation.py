"""Definition, references, hover and rename, from the model and the reference index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsprotocol import types as lsp

from gitstore import flavors
from gitstore.errors import UsageError
from gitstore.exceptions import RenameError
from gitstore.lsp.lookup import Hit, hit_at, lines_of
from gitstore.lsp.model import Model
from gitstore.lsp.text import token_span
from gitstore.plumbing.layout import EntityRef, classify, entity_path, is_layout_path
from gitstore.references import Reference
from gitstore.rename import RenamePlan, check_target, plan_rename

Uri = Callable[[str], str]  # repository path -> document uri
Version = Callable[[str], "int | None"]  # repository path -> open buffer's version
OPERATION = {"component": "stack_component", "stack": "stack", "flavor": "flavor", "user": "user",
             "team": "team", "role": "role", "project": "project"}
START = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))


def entity_at(model: Model, path: str, line: int, character: int) -> EntityRef | None:
    """The entity a position stands for: the referenced one, or else the file's own."""
    hit = hit_at(model, path, line, character)
    if hit is None:
        return None
    return hit.target or hit.source


# definition ------------------------------------------------------------------------------

def definition(model: Model, path: str, line: int, character: int, uri: Uri,
               builtin_view: Callable[[str, str], str]) -> lsp.Location | None:
    hit = hit_at(model, path, line, character)
    if hit is None or hit.target is None:
        return None
    target = hit.target
    if target in model.snap.present:
        return lsp.Location(uri(model.snap.present[target]), START)
    if target.kind == "flavor" and target.type and flavors.is_builtin(target.type, target.name):
        return lsp.Location(builtin_view(target.type, target.name), START)
    return None


def builtin_flavor_text(type_: str, name: str) -> str:
    """A read-only view of a built-in flavor: its fields, their types, which hold secrets."""
    integration = flavors.builtin_integration(type_, name)
    secret = flavors.secret_fields(type_, name)
    fields = flavors.builtin_config_schema(type_, name)["properties"]
    from gitstore.resources import builtin_flavors

    declared = builtin_flavors()[type_][name]["fields"]
    out = [f"# built-in {type_} flavor `{name}`" + (f" (integration {integration})" if integration else ""),
           "# a view of its config fields; components set them under `config:`",
           "# every field is optional; a field marked secret must hold `{{ <secret>.<key> }}`",
           "fields:"]
    for field in sorted(fields):
        mark = "  # secret" if field in secret else ""
        out.append(f"  {field}: {declared[field]}{mark}")
    if not fields:
        out.append("  {}")
    return "\n".join(out) + "\n"


# references ------------------------------------------------------------------------------

def references(model: Model, path: str, line: int, character: int, include_declaration: bool,
               uri: Uri) -> list[lsp.Location]:
    target = entity_at(model, path, line, character)
    if target is None:
        return []
    found = [lsp.Location(uri(r.path), _ref_range(model, r)) for r in model.index.referrers(target)]
    if include_declaration and target in model.snap.present:
        found.insert(0, lsp.Location(uri(model.snap.present[target]), START))
    return found


def _ref_range(model: Model, ref: Reference) -> lsp.Range:
    lines = lines_of(model, ref.path)
    line = ref.line - 1
    text = lines[line] if line < len(lines) else ""
    start, end, _ = token_span(text, ref.column - 1)
    return lsp.Range(lsp.Position(line, start), lsp.Position(line, end))


# hover -----------------------------------------------------------------------------------

def hover(model: Model, path: str, line: int, character: int, holders: Callable[[str], list[str]]
          ) -> lsp.Hover | None:
    hit = hit_at(model, path, line, character)
    if hit is None:
        return None
    if hit.config_key is not None:
        text = config_key_help(model, hit.source, hit.config_key)
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text)) if text else None
    if hit.target is None:
        return None
    text = summary(model, hit.target, holders)
    rng = lsp.Range(lsp.Position(hit.line, hit.start), lsp.Position(hit.line, hit.end))
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), rng)


def summary(model: Model, target: EntityRef, holders: Callable[[str], list[str]]) -> str:
    """The markdown shown for an entity: what it is, its flavor, who can change it, who uses it."""
    title = f"**{target.kind}** `{target.type + '/' if target.type else ''}{target.name}`"
    if target.kind == "flavor" and target.type and flavors.is_builtin(target.type, target.name) \
            and target not in model.snap.present:
        return f"{title} (built in)\n\n```yaml\n{builtin_flavor_text(target.type, target.name)}```"
    if target not in model.snap.present:
        return f"{title} does not exist (expected `{entity_path(target.kind, target.name, target.type)}`)"
    lines = [f"{title} — `{model.snap.present[target]}`"]
    doc = model.snap.documents.get(target)
    data = doc.data if doc is not None else {}
    if target.kind == "component" and isinstance(data.get("flavor"), str):
        flavor = data["flavor"]
        built_in = target.type is not None and flavors.is_builtin(target.type, flavor)
        lines.append(f"- flavor: `{flavor}`" + (" (built in)" if built_in else ""))
    if isinstance(data.get("description"), str):
        lines.append(f"- {data['description']}")
    operation = OPERATION.get(target.kind)
    if operation:
        who = holders(operation)
        lines.append(f"- who can change it (`{operation}: update`): "
                     + (", ".join(who) if who else "nobody holds that permission"))
    users = sorted({r.source.name for r in model.index.referrers(target)
                    if r.source.kind == "stack"})
    if target.kind == "component":
        lines.append("- used by stacks: " + (", ".join(users) if users else "none"))
    others = [r.source.label() for r in model.index.referrers(target) if r.source.kind != "stack"]
    if others:
        lines.append("- named by: " + ", ".join(sorted(set(others))))
    return "\n".join(lines)


def config_key_help(model: Model, source: EntityRef, key: str) -> str | None:
    """The schema of one config key of a component's flavor, as markdown."""
    doc = model.snap.documents.get(source)
    flavor = doc.data.get("flavor") if doc is not None else None
    if source.kind != "component" or source.type is None or not isinstance(flavor, str):
        return None
    for name, info in flavor_fields(model, source.type, flavor).items():
        if name == key:
            return f"**{key}**: `{info[0]}` (config of {source.type} flavor `{flavor}`)\n\n{info[1]}"
    return None


def flavor_fields(model: Model, type_: str, flavor: str) -> dict[str, tuple[str, str]]:
    """A flavor's config keys: name -> (type, description), built-in or custom."""
    if flavors.is_builtin(type_, flavor):
        from gitstore.resources import builtin_flavors

        declared = builtin_flavors()[type_][flavor]["fields"]
        secret = flavors.secret_fields(type_, flavor)
        return {name: (kind, "holds a secret: write `{{ <secret>.<key> }}`" if name in secret
                       else f"field of the built-in `{flavor}` flavor")
                for name, kind in declared.items()}
    doc = model.snap.documents.get(EntityRef("flavor", type_, flavor))
    schema = doc.data.get("config_schema") if doc is not None else None
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    result = {}
    for name, prop in props.items():
        prop = prop if isinstance(prop, dict) else {}
        kind = prop.get("type", "any")
        text = str(prop.get("description") or prop.get("title") or f"field of the `{flavor}` flavor")
        if prop.get("writeOnly") is True:
            text += " (holds a secret: write `{{ <secret>.<key> }}`)"
        result[str(name)] = (kind if isinstance(kind, str) else "|".join(map(str, kind)), text)
    return result


# rename ----------------------------------------------------------------------------------
# The edits come from the core plan (gitstore.rename, the one `gitstore mv` carries out), and
# so do the refusals: an editor's rename is checked exactly as `gitstore mv` checks it.

REFUSED = (RenameError, UsageError)  # what a rename raises when it cannot be done as asked


def prepare_rename(model: Model, path: str, line: int, character: int
                   ) -> lsp.PrepareRenamePlaceholder | None:
    hit = hit_at(model, path, line, character)
    if hit is None:
        return None
    target = hit.target or hit.source
    check_target(model.snap, target)
    if hit.target is not None:
        rng = lsp.Range(lsp.Position(hit.line, hit.start), lsp.Position(hit.line, hit.end))
    else:
        rng = START
    return lsp.PrepareRenamePlaceholder(rng, target.name)


def rename(model: Model, path: str, line: int, character: int, new_name: str, uri: Uri,
           version: Version) -> lsp.WorkspaceEdit | None:
    target = entity_at(model, path, line, character)
    if target is None:
        return None
    plan = _plan(model, target, new_name)
    changes: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    changes.extend(_text_edits(plan, uri, version))
    changes.append(lsp.RenameFile(old_uri=uri(plan.old_path), new_uri=uri(plan.new_path)))
    return lsp.WorkspaceEdit(document_changes=changes)


def _plan(model: Model, target: EntityRef, new_name: str) -> RenamePlan:
    def read_text(path: str) -> str:
        return (model.text(path) or b"").decode("utf-8", "replace")

    return plan_rename(model.snap, target, new_name, read_text, model.index)


def _text_edits(plan: RenamePlan, uri: Uri, version: Version) -> list[lsp.TextDocumentEdit]:
    """The plan's edits as LSP edits (0-based ranges), one document edit per file."""
    by_path: dict[str, list[lsp.TextEdit | lsp.AnnotatedTextEdit | lsp.SnippetTextEdit]] = {}
    for edit in plan.edits:
        rng = lsp.Range(lsp.Position(edit.line - 1, edit.column - 1),
                        lsp.Position(edit.line - 1, edit.end_column - 1))
        by_path.setdefault(edit.path, []).append(lsp.TextEdit(rng, edit.new))
    return [lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(uri(p), version(p)), edits)
            for p, edits in sorted(by_path.items())]


def will_rename_files(model: Model, renames: list[tuple[str, str]], uri: Uri, version: Version
                      ) -> lsp.WorkspaceEdit | None:
    """Edits that keep references intact when files are renamed or moved in the editor (the
    editor moves the files itself). A move that is not a rename of an entity, or that the
    rename plan refuses (say, to a name that is taken), gets no edits."""
    changes: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    for old_path, new_path in renames:
        if not (is_layout_path(old_path) and is_layout_path(new_path)):
            continue
        old, new = classify(old_path), classify(new_path)
        if not (isinstance(old, EntityRef) and isinstance(new, EntityRef)):
            continue
        if (old.kind, old.type) != (new.kind, new.type) or old.name == new.name:
            continue
        try:
            changes.extend(_text_edits(_plan(model, old, new.name), uri, version))
        except REFUSED:
            continue
    return lsp.WorkspaceEdit(document_changes=changes) if changes else None


def relative(root: Path, fs_path: str) -> str | None:
    """A filesystem path as a repository path, or None outside the repository."""
    try:
        path = Path(fs_path)  # a link is named as itself (validate reports it), not its target
        return (path.parent.resolve() / path.name).relative_to(root).as_posix()
    except ValueError:
        return None


__all__ = ["REFUSED", "Hit"]
