"""One rule for paths with the configuration in a subfolder of the git repository: text is
relative to the configuration's folder; github and json name files from the repository's root
(json also gives the folder, `root`, and `config_path`); run records are never prefixed. The
README's GitLab Code Quality recipe, run as written, points at files that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import run_cli
from test_runs_show_validate import put_on_branch
from test_runs_support import config_files

README = Path(__file__).resolve().parent.parent / "README.md"
BROKEN = {"stacks/prod.yaml": "components:\n  orchestrator: missing\n",
          "users/typo.yml": "{}\n"}


def subfolder_repo(make_repo: Callable[..., Path]) -> Path:
    files = {f"platform/{k}": v for k, v in {**config_files(), **BROKEN}.items()}
    return make_repo({"README.md": "docs\n", **files})


def gitlab_jq_program() -> str:
    """The jq program of the README's GitLab job that writes gl-code-quality.json."""
    text = README.read_text(encoding="utf-8")
    job = text.split("### CI: GitLab", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    found = re.search(r"jq '(.*?)' gitstore\.json > gl-code-quality\.json", job, re.S)
    assert found, "the README's GitLab job no longer builds gl-code-quality.json with jq"
    return found.group(1)


def test_every_format_follows_the_rule(make_repo: Callable[..., Path]) -> None:
    repo = subfolder_repo(make_repo)
    for cwd in (repo, repo / "platform", repo / "platform" / "stacks"):
        text = run_cli("validate", "platform" if cwd == repo else ".", cwd=cwd)
        assert text.out.startswith("stacks/prod.yaml:2:17: GS203 "), text
        github = run_cli("validate", "--format", "github", cwd=repo / "platform")
        assert github.out.startswith("::error file=platform/stacks/prod.yaml,line=2,col=17,")
        body = json.loads(run_cli("validate", "--format", "json", cwd=cwd if cwd != repo
                                  else repo / "platform").out)
        assert body["root"] == "platform"
        assert [(p["path"], p["config_path"]) for p in body["problems"]] == [
            ("platform/stacks/prod.yaml", "stacks/prod.yaml"),
            ("platform/users/typo.yml", "users/typo.yml")]
        for problem in body["problems"]:
            assert (repo / problem["path"]).is_file()
            assert (repo / body["root"] / problem["config_path"]).is_file()


def test_run_record_problems_are_not_prefixed(make_repo: Callable[..., Path]) -> None:
    repo = subfolder_repo(make_repo)
    put_on_branch(repo, {"README.md": "not a record\n"})
    body = json.loads(run_cli("validate", "--runs", "--format", "json",
                              cwd=repo / "platform").out)
    stray = [p for p in body["problems"] if p["code"] == "GS404"]
    assert [(p["path"], p["config_path"]) for p in stray] == [("README.md", "README.md")]
    github = run_cli("validate", "--runs", "--format", "github", cwd=repo / "platform").out
    assert "::error file=README.md,title=GS404::" in github


def test_the_gitlab_code_quality_recipe_points_at_real_files(
        make_repo: Callable[..., Path]) -> None:
    jq = shutil.which("jq")
    assert jq, "jq is needed to run the README's GitLab recipe: apt-get install -y jq"
    repo = subfolder_repo(make_repo)
    report = run_cli("validate", "--format", "json", cwd=repo / "platform")
    proc = subprocess.run([jq, gitlab_jq_program()], input=report.out, capture_output=True,
                          text=True, check=True)
    issues = json.loads(proc.stdout)
    assert len(issues) == 2
    for issue in issues:  # GitLab resolves location.path from the repository's root
        assert (repo / issue["location"]["path"]).is_file(), issue
    assert issues[0]["location"] == {"path": "platform/stacks/prod.yaml", "lines": {"begin": 2}}
