"""The wheel carries every package, the schemas and the hook scripts."""

from __future__ import annotations

import subprocess
import sys

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _declared_packages() -> set[str]:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return set(tomllib.load(fh)["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_declared():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "gitstore").rglob("__init__.py")
    }
    assert found <= _declared_packages()


def test_wheel_ships_schemas_and_hooks(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("gitstore-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {p.name for p in (ROOT / "schemas").glob("*.json")}
    hooks = {p.name for p in (ROOT / "hooks").iterdir() if p.is_file() and p.name != "__init__.py"}
    assert schemas and hooks
    assert {f"gitstore/schemas/{n}" for n in schemas} <= names
    assert {f"gitstore/hooks/{n}" for n in hooks} <= names


IMPORT_NAMES = {"pyyaml": "yaml", "ruamel.yaml": "ruamel.yaml"}  # where a module is named otherwise


def test_every_declared_dependency_is_imported():
    """A dependency nothing imports is not declared (GitPython was: see docs/design.md)."""
    import re

    with open(ROOT / "pyproject.toml", "rb") as fh:
        declared = tomllib.load(fh)["project"]["dependencies"]
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "gitstore").rglob("*.py"))
    for requirement in declared:
        dist = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()
        module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
        assert re.search(rf"^\s*(from|import) {re.escape(module)}\b", source, re.M), requirement
