"""The VS Code extension in editors/vscode/: its manifest, its entry point, and its package.

The entry point is checked by Node itself (``node --check``) and run by Node with stand-ins
for the two modules VS Code provides at run time (``vscode`` and the language client), to see
that it starts ``<gitstore.command> lsp`` for YAML files. When the npm registry can be reached,
the extension is installed from its lock file and packaged with ``@vscode/vsce`` into a
``.vsix`` whose contents are checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[1] / "editors" / "vscode"
MANIFEST = json.loads((EXTENSION / "package.json").read_text())


def node() -> str:
    found = shutil.which("node")
    assert found, "Node.js (`node`) is needed to check the VS Code extension: apt-get install nodejs"
    return found


def test_manifest() -> None:
    assert (EXTENSION / MANIFEST["main"]).is_file()
    assert MANIFEST["engines"]["vscode"].startswith("^1.")
    assert "workspaceContains:**/gitstore.yaml" in MANIFEST["activationEvents"]
    setting = MANIFEST["contributes"]["configuration"]["properties"]["gitstore.command"]
    assert setting["type"] == "string" and setting["default"] == "gitstore"
    assert "vscode-languageclient" in MANIFEST["dependencies"]
    assert "@vscode/vsce" in MANIFEST["devDependencies"]
    lock = json.loads((EXTENSION / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == MANIFEST["dependencies"]


def test_extension_has_the_version_of_gitstore() -> None:
    from gitstore import __version__

    lock = json.loads((EXTENSION / "package-lock.json").read_text())
    assert MANIFEST["version"] == lock["version"] == lock["packages"][""]["version"] == __version__


def test_entry_point_parses() -> None:
    proc = subprocess.run([node(), "--check", str(EXTENSION / MANIFEST["main"])],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


DRIVER = r"""
const Module = require("module");
const calls = [];
const stand_ins = {
  vscode: {
    workspace: {
      getConfiguration: (section) => ({ get: (key) => (section === "gitstore" && key === "command"
                                                     ? "/venv/bin/gitstore" : undefined) }),
      createFileSystemWatcher: (glob) => ({ glob }),
    },
  },
  "vscode-languageclient/node": {
    LanguageClient: class {
      constructor(id, name, server, client) { calls.push({ id, name, server, client }); }
      start() { calls.push("start"); return Promise.resolve(); }
      stop() { calls.push("stop"); return Promise.resolve(); }
    },
  },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in stand_ins ? stand_ins[request] : load.call(this, request, ...rest);
};
const extension = require(process.argv[2]);
const context = { subscriptions: [] };
Promise.resolve(extension.activate(context))
  .then(() => extension.deactivate())
  .then(() => console.log(JSON.stringify({ calls, subscriptions: context.subscriptions.length })));
"""


def test_activation_starts_gitstore_lsp(tmp_path: Path) -> None:
    driver = tmp_path / "driver.js"
    driver.write_text(DRIVER)
    proc = subprocess.run([node(), str(driver), str(EXTENSION / MANIFEST["main"])],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    created, started, stopped = result["calls"]
    assert (started, stopped) == ("start", "stop")
    assert created["server"]["run"] == {"command": "/venv/bin/gitstore", "args": ["lsp"]}
    assert created["client"]["documentSelector"] == [{"scheme": "file", "language": "yaml"}]
    assert created["client"]["synchronize"]["fileEvents"] == {"glob": "**/*.{yaml,yml}"}
    assert result["subscriptions"] == 1


def registry_reachable() -> str | None:
    """None when npm can reach its registry, else why not."""
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed"
    try:
        proc = subprocess.run([npm, "ping"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "npm ping timed out"
    return None if proc.returncode == 0 else f"npm ping failed: {proc.stderr.strip()[-200:]}"


def test_extension_packages_into_a_vsix(tmp_path: Path) -> None:
    why = registry_reachable()
    if why is not None:
        pytest.skip(f"the npm registry is unreachable (no network), so the extension's "
                    f"dependencies cannot be installed: {why}")
    work = tmp_path / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    npm = shutil.which("npm")
    assert npm is not None
    for args in (["ci", "--no-audit", "--no-fund"], ["run", "package", "--", "--out", "x.vsix"]):
        proc = subprocess.run([npm, *args], cwd=work, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with zipfile.ZipFile(work / "x.vsix") as vsix:
        names = set(vsix.namelist())
        packaged = json.loads(vsix.read("extension/package.json"))
    assert {"extension/extension.js", "extension.vsixmanifest",
            "extension/node_modules/vscode-languageclient/package.json"} <= names
    assert {n.lower() for n in names} >= {"extension/readme.md"}
    assert not any("@vscode/vsce" in n for n in names)  # build tools stay out of the package
    assert packaged["main"] == MANIFEST["main"] and packaged["version"] == MANIFEST["version"]
