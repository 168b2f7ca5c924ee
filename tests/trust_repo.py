"""A configuration repository with users, a team, a project and roles, for the trust tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import git, write_files

ALL = "[create, read, update, delete]"
OPERATIONS = ("stack", "stack_component", "flavor", "user", "team", "role", "project",
              "pipeline_run")

TRUST_FILES: dict[str, str] = {
    "gitstore.yaml": "format: 1\nenforce_permissions: true\n",
    "users/alice.yaml": "email: alice@example.com\naccounts:\n  gitlab: alice-gl\n"
                        "  github: alice-gh\n",
    "users/bob.yaml": "email: bob@example.com\naccounts:\n  gitlab: bob-gl\n",
    "users/carol.yaml": "email: carol@example.com\naccounts:\n  github: carol-gh\n",
    "users/dave.yaml": "email: dave@example.com\n",
    "teams/ml-platform.yaml": "members: [carol]\n",
    "projects/fraud.yaml": "description: Fraud models\n",
    "projects/churn.yaml": "description: Churn models\n",
    "roles/admin.yaml": "permissions:\n" + "".join(f"  {op}: {ALL}\n" for op in OPERATIONS)
                        + "assignments:\n  - user: alice\n",
    "roles/stack-editor.yaml": "permissions:\n  stack: [create, read, update, delete]\n"
                               "  stack_component: [create, update]\n"
                               "assignments:\n  - team: ml-platform\n",
    "roles/runner.yaml": "permissions:\n  pipeline_run: [create, update]\n"
                         "assignments:\n  - user: dave\n    project: fraud\n",
    "components/orchestrator/local.yaml": "flavor: local\n",
    "components/artifact_store/local.yaml": "flavor: local\nconfig:\n  path: /tmp/a\n",
    "stacks/local.yaml": "components:\n  orchestrator: local\n  artifact_store: local\n",
}


def commit_as(root: Path, email: str, files: dict[str, str], message: str = "change",
              remove: tuple[str, ...] = (), sign_key: Path | None = None) -> str:
    """Write and remove files, commit them as the author ``email``; the new commit id."""
    write_files(root, files)
    for path in remove:
        git(root, "rm", "-q", path)
    git(root, "add", "-A")
    name = email.split("@")[0]
    args = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    if sign_key is not None:
        args += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign_key}"]
    env_args = ["commit", "-q", "-m", message] + (["-S"] if sign_key else [])
    env = {**os.environ, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_NAME": name,
           "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_NAME": name}
    subprocess.run(["git", *args, *env_args], cwd=root, check=True, env=env,
                   capture_output=True)
    return git(root, "rev-parse", "HEAD").strip()


def make_key(where: Path, name: str) -> tuple[Path, str]:
    """A new ed25519 key pair (no passphrase): the private key's path and the public key."""
    key = where / f"{name}_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{name}@laptop",
                    "-f", str(key)], check=True)
    return key, Path(f"{key}.pub").read_text().strip()
