"""A real editor's client: headless Neovim attaches `gitstore lsp` and reads its diagnostics back.

Neovim comes from Debian (`apt-get install -y neovim`, which .ci/run does); without it
this test fails and says so, it is never skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from conftest import GITSTORE

PROJECT = Path(__file__).resolve().parents[1]
PLUGIN = PROJECT / "editors" / "neovim" / "gitstore.lua"
EXAMPLE = PROJECT / "examples" / "valid" / "platform"

CHECK = """
vim.cmd("filetype on")
vim.g.gitstore_cmd = {gitstore}
dofile({plugin})
vim.cmd("edit " .. {stack})
local ok = vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
local found = {{}}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(found, {{ lnum = d.lnum, col = d.col, code = d.code, severity = d.severity,
                         message = d.message, source = d.source }})
end
local clients = {{}}
for _, c in pairs(vim.lsp.get_active_clients()) do table.insert(clients, c.name) end
local out = io.open({result}, "w")
out:write(vim.fn.json_encode({{ waited = ok, diagnostics = found, clients = clients }}))
out:close()
vim.cmd("qa!")
"""


def in_neovim(tmp_path: Path, root: Path, stack: Path) -> dict[str, Any]:
    """What the real Neovim, with the plugin, shows for ``stack`` in the repository ``root``."""
    nvim = shutil.which("nvim")
    assert nvim, ("Neovim is not installed: install it with `apt-get update && apt-get install -y "
                  "neovim` (Debian), as .ci/run does")
    result = tmp_path / "result.json"
    script = tmp_path / "check.lua"
    script.write_text(CHECK.format(gitstore=json.dumps(GITSTORE), plugin=json.dumps(str(PLUGIN)),
                                   stack=json.dumps(str(stack)), result=json.dumps(str(result))))
    proc = subprocess.run([nvim, "--headless", "-n", "-i", "NONE", "-u", "NONE", "-c", f"luafile {script}"],
                          cwd=root, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.exists(), f"Neovim wrote no result: {proc.stdout}{proc.stderr}"
    found: dict[str, Any] = json.loads(result.read_text())
    return found


def test_neovim_shows_the_diagnostics_of_a_bad_reference(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    stack = root / "stacks" / "production.yaml"
    stack.write_text(stack.read_text().replace("kfp-prod", "kfp-prd"))
    found = in_neovim(tmp_path, root, stack)
    assert found["clients"] == ["gitstore"]
    assert found["waited"] is True, found
    [diag] = found["diagnostics"]
    assert (diag["lnum"], diag["col"], diag["code"], diag["severity"]) == (4, 16, "GS203", 1)
    assert diag["source"] == "gitstore"
    assert "orchestrator `kfp-prd` does not exist" in diag["message"]
    assert "did you mean `kfp-prod`?" in diag["message"]


def test_neovim_places_a_diagnostic_after_emoji(tmp_path: Path) -> None:
    """Neovim counts UTF-16 units on the wire and bytes in its buffer: a diagnostic after an
    accented letter, CJK and emoji lands on the bad name itself."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    stack = root / "stacks" / "production.yaml"
    line = ('{description: "café 中文 😀😀😀😀😀😀", components: {orchestrator: kfp-prd, '
            'artifact_store: s3-prod, metadata_store: mysql-prod, container_registry: ecr, '
            'secrets_manager: aws-prod, experiment_tracker: mlflow, alerter: slack-ml, '
            'step_operator: ray-gpu-prod, model_deployer: seldon-prod}}')
    stack.write_text(line + "\n", encoding="utf-8")
    found = in_neovim(tmp_path, root, stack)
    assert found["waited"] is True, found
    [diag] = found["diagnostics"]
    byte_col = len(line[:line.index("kfp-prd")].encode("utf-8"))  # Neovim's columns are bytes
    assert (diag["lnum"], diag["col"], diag["code"]) == (0, byte_col, "GS203")
