"""A problem reads the same wherever gitstore says it: `validate`, the pre-receive hook and
the message of IntegrityError render it with one function."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from test_hooks_receive import BASE, Pushing, remote_lines

from gitstore.exceptions import IntegrityError
from gitstore.remote import RemoteClone

BROKEN = {"stacks/dev.yaml": "components:\n  orchestrator: locl\n  artifact_store: store\n"}
LINES = ["stacks/dev.yaml:2:17: GS203 orchestrator `locl` does not exist "
         "(expected components/orchestrator/locl.yaml)",
         "    hint: did you mean `local`?"]


def test_validate_the_hook_and_integrity_errors_say_it_alike(tmp_path: Path) -> None:
    server = Pushing(tmp_path, BASE)
    server.commit("break the stack", BROKEN)
    assert run_cli("validate", cwd=server.work).out.splitlines()[:2] == LINES
    proc = server.push("main")
    assert proc.returncode != 0
    assert remote_lines(proc)[1:3] == LINES
    git(server.work, "reset", "-q", "--hard", "HEAD~1")
    clone = RemoteClone.open(str(server.bare), cache=tmp_path / "cache")

    def break_stack(root: Path) -> list[str]:
        write_files(root, BROKEN)
        return sorted(BROKEN)

    with pytest.raises(IntegrityError) as info:
        clone.write(break_stack, "break the stack")
    assert str(info.value).splitlines()[1:3] == [f"  {line}" for line in LINES]
