"""The CI recipes in docs/hooks-ci.md, run as written (minus installing and posting) on real repositories."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, run_cli, write_files

README = Path(__file__).resolve().parent.parent / "docs" / "hooks-ci.md"
BASE = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/kf.yaml": "flavor: kubeflow\nconfig:\n  synchronous: true\n",
    "components/artifact_store/s3.yaml": "flavor: s3\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3\n",
}
BROKEN_STACK = "components:\n  orchestrator: kff\n  artifact_store: s3\n"


def readme_yaml_blocks() -> list[Any]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- section: hooks -->"):text.index("<!-- end section: hooks -->")]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def github_workflow() -> dict[str, Any]:
    return next(b for b in readme_yaml_blocks() if isinstance(b, dict) and "jobs" in b)


def gitlab_job() -> dict[str, Any]:
    return next(b["gitstore"] for b in readme_yaml_blocks() if isinstance(b, dict) and "gitstore" in b)


def shell(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", "-c", "set -eo pipefail\n" + script], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, "PATH": path, **env}, timeout=120)


@pytest.fixture
def pull_request(make_repo, tmp_path: Path) -> Path:
    """A CI checkout of a pull request branch that breaks a stack, with origin/main fetched."""
    upstream = make_repo(BASE)
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(upstream), str(checkout))
    git(checkout, "checkout", "-q", "-b", "feature")
    write_files(checkout, {"stacks/prod.yaml": BROKEN_STACK,
                           "components/orchestrator/kf.yaml": "flavor: kubeflow\n"})
    git(checkout, "commit", "-qam", "feature")
    return checkout


def test_github_workflow_steps_annotate_and_summarise(pull_request: Path, tmp_path: Path):
    steps = {s.get("name", ""): s for s in github_workflow()["jobs"]["validate"]["steps"]}
    summary_file = tmp_path / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary_file)}
    validate = shell(steps["Validate (annotates the changed lines)"]["run"], pull_request, env)
    assert validate.returncode == 1
    assert validate.stdout.splitlines()[0] == (
        "::error file=stacks/prod.yaml,line=2,col=17,title=GS203::GS203 orchestrator `kff` does not "
        "exist (expected components/orchestrator/kff.yaml) (did you mean `kf`?)")
    review = steps["Review summary"]["run"].replace("${{ github.base_ref }}", "main")
    done = shell(review, pull_request, env)
    assert done.returncode == 0, done.stderr
    posted = (pull_request / "gitstore-review.md").read_text()
    assert posted.splitlines()[0] == "**1 stack changed, 1 component changed**"
    assert summary_file.read_text() == posted


def test_github_annotations_name_files_from_the_checkout_root(make_repo):
    repo = make_repo({f"platform/{k}": v for k, v in {**BASE, "stacks/prod.yaml": BROKEN_STACK}.items()})
    result = run_cli("-C", "platform", "validate", "--format", "github", cwd=repo)
    assert result.code == 1
    assert result.out.startswith("::error file=platform/stacks/prod.yaml,line=2,col=17,title=GS203::")


@pytest.mark.skipif(shutil.which("jq") is None, reason="the GitLab recipe needs jq")
def test_gitlab_job_script_writes_a_code_quality_report(pull_request: Path):
    script = "\n".join(gitlab_job()["script"])
    done = shell(script, pull_request, {"CI_MERGE_REQUEST_IID": ""})
    assert done.returncode == 1, done.stderr
    report = json.loads((pull_request / "gl-code-quality.json").read_text())
    assert report == [{
        "description": "GS203 orchestrator `kff` does not exist (expected "
                       "components/orchestrator/kff.yaml)",
        "check_name": "GS203",
        "fingerprint": "stacks/prod.yaml:GS203:orchestrator `kff` does not exist (expected "
                       "components/orchestrator/kff.yaml)",
        "severity": "major",
        "location": {"path": "stacks/prod.yaml", "lines": {"begin": 2}},
    }]
    assert json.loads((pull_request / "gitstore.json").read_text())["valid"] is False


def test_gitlab_job_passes_on_a_valid_branch(make_repo):
    repo = make_repo(BASE)
    if shutil.which("jq") is None:
        pytest.skip("the GitLab recipe needs jq")
    done = shell("\n".join(gitlab_job()["script"]), repo, {"CI_MERGE_REQUEST_IID": ""})
    assert done.returncode == 0, done.stderr
    assert json.loads((repo / "gl-code-quality.json").read_text()) == []
