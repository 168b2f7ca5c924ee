"""Repositories for the catalog site's tests: the platform example, and one built to attack it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import git, run_cli, write_files

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "valid" / "platform"

# Values that must never run (markup) or never show (plain-text secrets).
INJECTED = "<script>alert('injected')</script>"
PLAIN_SECRETS = ("hunter2-plain-token", "PLAIN-S3-SECRET-KEY", "nested-plain-password")

EVIL_FILES: dict[str, str | bytes] = {
    "gitstore.yaml": "format: 1\ndefault_stack: prod\n",
    "stacks/prod.yaml": (f'description: "{INJECTED}<img src=x onerror=alert(1)>"\n'
                         "components:\n  orchestrator: evil\n  artifact_store: store\n"),
    "components/orchestrator/evil.yaml": (
        "flavor: ours\nconfig:\n"
        f'  endpoint: "{INJECTED}"\n'
        f"  api_token: {PLAIN_SECRETS[0]}\n"),  # a plain value where an integer reference belongs
    "components/artifact_store/store.yaml": (
        "flavor: s3\nconfig:\n  path: s3://bucket\n"
        f"  secret: {PLAIN_SECRETS[1]}\n"
        '  key: "{{ aws.access_key }}"\n'
        f"  client_kwargs: {{password: {PLAIN_SECRETS[2]}}}\n"),
    "flavors/orchestrator/ours.yaml": (
        "source: corp.Orchestrator\nconfig_schema:\n  type: object\n  properties:\n"
        f'    endpoint: {{type: string, description: "where it runs {INJECTED}"}}\n'
        "    api_token: {type: integer, writeOnly: true}\n"),
    "users/alice.yaml": f'email: "alice@example.com{INJECTED}"\n',
    "teams/ops.yaml": "members: [alice]\n",
    "roles/admin.yaml": "permissions: {stack: [update]}\nassignments:\n  - team: ops\n",
    "projects/p.yaml": 'description: "</script><script>alert(3)</script>"\n',
}


def platform_repo(root: Path) -> Path:
    """The platform example as a git repository with one commit."""
    shutil.copytree(EXAMPLES, root)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Platform configuration")
    return root


def evil_repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q")
    write_files(root, EVIL_FILES)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", f"Add things {INJECTED}")
    return root


def record_run(repo: Path, name: str, stack: str, pipeline: str = "training") -> None:
    result = run_cli("run", "record", "--pipeline", pipeline, "--name", name, "--stack", stack,
                     "--user", "alice", cwd=repo)
    assert result.code == 0, result
