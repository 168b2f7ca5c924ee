"""The shipped JSON Schemas, as `gitstore schema` prints them, used directly with jsonschema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli, write_files
from jsonschema import Draft202012Validator

from gitstore.plumbing.layout import classify
from gitstore.plumbing.yamlio import Parsed, read_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KINDS = ["gitstore", "flavor", "component", "stack", "user", "team", "project", "role"]
MINIMAL = {"gitstore": {"format": 1}, "flavor": {"source": "a.B"}, "component": {"flavor": "local"},
           "stack": {"components": {}}, "user": {}, "team": {}, "project": {}, "role": {}}


@pytest.fixture(scope="module")
def printed() -> dict[str, dict]:
    schemas = {}
    for kind in KINDS:
        result = run_cli("schema", kind)
        assert result.code == 0 and result.err == "", result
        schemas[kind] = json.loads(result.out)
    return schemas


def test_schema_list_names_every_kind() -> None:
    listed = run_cli("schema", "--list").out.split()
    assert [k for k in listed if k != "run"] == KINDS


def test_every_schema_is_draft_2020_12_and_closed(printed: dict[str, dict]) -> None:
    for kind, schema in printed.items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
        assert schema["additionalProperties"] is False, kind
        validator = Draft202012Validator(schema)
        assert validator.is_valid(MINIMAL[kind]), kind
        assert not validator.is_valid({**MINIMAL[kind], "unknown_key": 1}), kind


def example_files() -> list[tuple[str, Path]]:
    files = []
    for root in sorted((EXAMPLES / "valid").iterdir()):
        for path in sorted(root.rglob("*.yaml")):
            ref = classify(path.relative_to(root).as_posix())
            assert not hasattr(ref, "code"), ref
            kind = "gitstore" if ref.kind == "settings" else ref.kind  # type: ignore[union-attr]
            files.append((kind, path))
    return files


def test_every_valid_example_file_matches_the_printed_schemas(printed: dict[str, dict]) -> None:
    files = example_files()
    assert len(files) > 40
    for kind, path in files:
        parsed = read_document(path.name, path.read_bytes())
        assert isinstance(parsed, Parsed), (path, parsed)
        errors = [e.message for e in Draft202012Validator(printed[kind]).iter_errors(parsed.data)]
        assert errors == [], path


def test_nested_objects_are_closed_too(printed: dict[str, dict]) -> None:
    role = Draft202012Validator(printed["role"])
    assert not role.is_valid({"assignments": [{"user": "a", "teem": "b"}]})
    assert not role.is_valid({"permissions": {"stacks": ["read"]}})
    stack = Draft202012Validator(printed["stack"])
    assert not stack.is_valid({"components": {"orchestrater": "x"}})


def test_unknown_kind_exits_two_with_a_hint() -> None:
    result = run_cli("schema", "stak")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("gitstore: error: Invalid value for KIND: no schema for 'stak'; "
                                 "did you mean `stack`? (kinds: gitstore, flavor, component, stack, ")
    assert result.err.endswith(") (see `gitstore schema --help`)\n")


def test_editor_modeline_is_only_a_comment(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "gitstore.yaml": "# yaml-language-server: $schema=.schemas/gitstore.json\nformat: 1\n",
        "users/alice.yaml": "# yaml-language-server: $schema=../.schemas/user.json\n"
                            "email: alice@example.com\n",
        ".schemas/user.json": run_cli("schema", "user").out,
    })
    result = run_cli("validate", str(tmp_path))
    assert (result.code, result.out) == (0, "ok: 2 files checked in the working tree, no problems\n")


def test_readme_format_section_examples_match_the_schemas(printed: dict[str, dict]) -> None:
    import re

    readme = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: format -->", 1)[1].split("<!-- end section: format -->")[0]
    blocks = re.findall(r"```yaml\n# (\S+?):? [^\n]*\n(.*?)```|```yaml\n# (\S+)\n(.*?)```", section, re.S)
    checked = set()
    for path_a, body_a, path_b, body_b in blocks:
        path, body = (path_a, body_a) if path_a else (path_b, body_b)
        ref = classify(path)
        kind = "gitstore" if ref.kind == "settings" else ref.kind  # type: ignore[union-attr]
        parsed = read_document(path, body.encode("utf-8"))
        assert isinstance(parsed, Parsed), (path, parsed)
        assert list(Draft202012Validator(printed[kind]).iter_errors(parsed.data)) == [], path
        checked.add(kind)
    assert checked == set(KINDS)
