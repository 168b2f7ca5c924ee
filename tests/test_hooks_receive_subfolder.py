"""The pre-receive hook checks a configuration that sits in a subfolder of the repository.

It used to find no gitstore.yaml at the root, call the branch "not a
configuration branch" and accept anything pushed to it.
"""

from __future__ import annotations

from pathlib import Path

from test_hooks_receive import BASE, Pushing, remote_lines


def in_folder(folder: str, files: dict[str, str]) -> dict[str, str]:
    return {f"{folder}/{path}": text for path, text in files.items()}


def test_a_broken_configuration_in_a_subfolder_is_rejected(tmp_path: Path) -> None:
    server = Pushing(tmp_path, {**in_folder("platform", BASE), "README.md": "the platform\n"})
    server.commit("drop the orchestrator", delete=("platform/components/orchestrator/local.yaml",))
    pushed = server.push("HEAD:main")
    assert pushed.returncode != 0, pushed.stderr
    lines = remote_lines(pushed)
    assert any(line.startswith("platform/stacks/dev.yaml:2:17: GS203") for line in lines), lines
    assert "not a configuration branch" not in "\n".join(lines)


def test_a_valid_change_in_a_subfolder_is_checked_and_lands(tmp_path: Path) -> None:
    server = Pushing(tmp_path, in_folder("ops/platform", BASE))
    server.commit("bob", {"ops/platform/users/bob.yaml": "email: bob@example.com\n"})
    pushed = server.push("HEAD:main")
    assert pushed.returncode == 0, pushed.stderr
    said = "\n".join(remote_lines(pushed))
    assert "files checked" in said, said
    assert server.server_tip() == server.local_tip()


def test_two_configurations_in_one_repository_are_refused(tmp_path: Path) -> None:
    server = Pushing(tmp_path, {"README.md": "nothing yet\n"})
    server.commit("two", {**in_folder("a", BASE), **in_folder("b", BASE)})
    pushed = server.push("HEAD:main")
    assert pushed.returncode != 0, pushed.stderr
    said = "\n".join(remote_lines(pushed))
    assert "a/gitstore.yaml" in said and "b/gitstore.yaml" in said, said


def test_a_repository_without_configuration_is_still_not_checked(tmp_path: Path) -> None:
    server = Pushing(tmp_path, {"README.md": "nothing\n"})
    server.commit("more", {"docs/notes.md": "notes\n"})
    pushed = server.push("HEAD:main")
    assert pushed.returncode == 0, pushed.stderr
    assert "not a configuration branch" in "\n".join(remote_lines(pushed))
