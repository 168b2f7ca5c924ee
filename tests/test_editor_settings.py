"""`gitstore schema --editor-settings`: every folder mapped to the schema its files validate against."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import yaml
from conftest import GITSTORE

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "valid" / "platform"


def settings(*args: str) -> dict[str, list[str]]:
    proc = subprocess.run([GITSTORE, "schema", *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, list[str]] = json.loads(proc.stdout)
    return result


def test_every_example_file_gets_the_schema_of_its_kind() -> None:
    mapping = settings("--editor-settings")["yaml.schemas"]
    assert settings("--editor-settings-lsp") == {"yaml": {"schemas": mapping}}
    covered = set()
    for schema_uri, globs in mapping.items():
        schema = json.loads(Path(unquote(urlparse(schema_uri).path)).read_text())
        for glob in globs:
            for path in EXAMPLE.glob(glob.lstrip("/")):
                jsonschema.validate(yaml.safe_load(path.read_text()) or {}, schema)
                covered.add(path.relative_to(EXAMPLE).as_posix())
    every = {p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.yaml")}
    assert covered == every
