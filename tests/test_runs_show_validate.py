"""Reading a run back as it was pinned, and ``gitstore validate --runs``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml
from conftest import git, run_cli, write_files
from test_runs_support import BRANCH, a_run, config_files

from gitstore.plumbing.layout import derive_id
from gitstore.runs import record_run
from gitstore.runs.layout import index_path, record_path


def test_show_reads_the_stack_as_pinned_after_main_moved_on(make_repo):
    repo = make_repo(config_files(**{
        "components/orchestrator/kf.yaml": "flavor: kubeflow\nconfig: {kubernetes_context: prod}\n",
        "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: default\n"}))
    pinned = git(repo, "rev-parse", "HEAD").strip()
    record_run(repo, a_run("r1", stack="prod"))
    # main moves on: the component is changed, then renamed, then the stack is deleted
    write_files(repo, {"components/orchestrator/kf.yaml":
                       "flavor: kubeflow\nconfig: {kubernetes_context: dev}\n"})
    git(repo, "commit", "-qam", "change kf")
    git(repo, "mv", "components/orchestrator/kf.yaml", "components/orchestrator/kf2.yaml")
    git(repo, "commit", "-qm", "rename kf")
    git(repo, "rm", "-q", "stacks/prod.yaml")
    git(repo, "commit", "-qm", "delete prod")
    result = run_cli("run", "show", "r1", "--format", "json", cwd=repo)
    assert result.code == 0, result
    body = json.loads(result.out)
    assert body["config_commit"] == pinned
    assert body["stack_source"] == f"commit {pinned}"
    assert body["stack"]["components"]["orchestrator"] == {
        "name": "kf", "id": derive_id("component", "kf", "orchestrator"), "flavor": "kubeflow",
        "config": {"kubernetes_context": "prod"}}
    assert sorted(body["stack_files"]) == ["components/artifact_store/default.yaml",
                                           "components/orchestrator/kf.yaml", "gitstore.yaml",
                                           "stacks/prod.yaml"]
    as_yaml = yaml.safe_load(run_cli("run", "show", "r1", cwd=repo).out)
    assert as_yaml == body


def test_list_formats(make_repo):
    repo = make_repo(config_files())
    record_run(repo, a_run("r1", project="fraud"))
    record_run(repo, a_run("e1", pipeline="etl"))
    head = git(repo, "rev-parse", "HEAD").strip()
    text = run_cli("run", "list", cwd=repo).out.splitlines()
    assert [line.split("  ")[1:] for line in text] == [
        ["train", "r1", "stack=default", f"config={head[:12]}", "project=fraud"],
        ["etl", "e1", "stack=default", f"config={head[:12]}", "project=-"]]
    body = json.loads(run_cli("run", "list", "--pipeline", "etl", "--format", "json", cwd=repo).out)
    assert [b["name"] for b in body] == ["e1"]
    assert json.loads(run_cli("run", "list", "--project", "fraud", "--format", "json",
                              cwd=repo).out)[0]["name"] == "r1"


def put_on_branch(repo: Path, files: dict[str, str], message: str = "hand edit") -> None:
    """Commit files to the runs branch with plumbing (a temporary index), as a hand edit would."""
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "tmp-index")}
    parent = git(repo, "rev-parse", "--verify", "-q", BRANCH, check=False).strip()
    if parent:
        subprocess.run(["git", "read-tree", parent], cwd=repo, env=env, check=True)
    for path, text in files.items():
        oid = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, env=env, input=text,
                             capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"100644,{oid},{path}"],
                       cwd=repo, env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=repo, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
    commit = git(repo, *args).strip()
    git(repo, "update-ref", BRANCH, commit)
    os.unlink(env["GIT_INDEX_FILE"])


def test_validate_runs_ok(make_repo):
    repo = make_repo(config_files())
    record_run(repo, a_run("r1"))
    result = run_cli("validate", "--runs", cwd=repo)
    assert (result.code, result.out) == (0, "ok: 7 files checked in the working tree and the "
                                            "runs branch gitstore/runs, no problems\n")


def test_validate_runs_reports_located_problems(make_repo):
    repo = make_repo(config_files(**{"stacks/gone.yaml": "components: {orchestrator: default}\n"}))
    record_run(repo, a_run("good"))
    first = git(repo, "rev-parse", "HEAD").strip()
    good = git(repo, "show", f"{BRANCH}:{record_path('train', 'good')}")
    git(repo, "rm", "-q", "stacks/gone.yaml")
    git(repo, "commit", "-qm", "drop gone")
    later = git(repo, "rev-parse", "HEAD").strip()
    missing = "0123456789abcdef0123456789abcdef01234567"
    bad_schema = good.replace("name: good", "name: schema").replace(
        "config_dirty: false", "config_dirty: maybe\ncolour: red")
    no_commit = good.replace("name: good", "name: nocommit").replace(first, missing)
    no_stack = good.replace("name: good", "name: nostack").replace(first, later)
    no_stack = no_stack.replace("stack:\n  name: default", "stack:\n  name: gone")
    put_on_branch(repo, {
        record_path("train", "schema"): bad_schema,
        index_path("schema"): record_path("train", "schema"),
        record_path("train", "nocommit"): no_commit,
        index_path("nocommit"): record_path("train", "nocommit"),
        record_path("train", "nostack"): no_stack,
        index_path("nostack"): record_path("train", "nostack"),
        "runs/train/misplaced.yaml": good.replace("name: good", "name: misplaced"),
        index_path("ghost"): "runs/train/00/ghost.yaml\n",
        "README.md": "hello\n",
    })
    result = run_cli("validate", "--runs", "--format", "json", cwd=repo)
    assert result.code == 1, result
    found = [(p["path"], p["line"], p["column"], p["code"], p["message"])
             for p in json.loads(result.out)["problems"]]
    sch, noc, nos = (record_path("train", n) for n in ("schema", "nocommit", "nostack"))
    assert found == [
        (index_path("ghost"), None, None, "GS405",
         "names a record that does not exist: runs/train/00/ghost.yaml"),
        ("README.md", None, None, "GS404", "not a run record or a name index entry"),
        (noc, 12, 16, "GS402", f"configuration commit {missing} does not exist"),
        (nos, 17, 9, "GS403", f"stack `gone` did not exist at configuration commit {later[:12]} "
                              "(expected stacks/gone.yaml)"),
        (sch, 13, 15, "GS401", "`config_dirty`: expected true or false, not the string 'maybe'"),
        (sch, 14, 1, "GS401", "unknown key `colour`"),
        ("runs/train/misplaced.yaml", 3, 7, "GS404",
         f"run `misplaced` of pipeline `train` belongs at {record_path('train', 'misplaced')}"),
        ("runs/train/misplaced.yaml", 3, 7, "GS405",
         f"the name index entry {index_path('misplaced')} is missing"),
    ]


def test_show_without_the_pinned_commit_falls_back_to_the_record(make_repo, tmp_path: Path):
    repo = make_repo(config_files())
    record_run(repo, a_run("r1"))
    pinned = git(repo, "rev-parse", "HEAD").strip()
    only_runs = tmp_path / "only-runs"
    git(tmp_path, "init", "-q", str(only_runs))
    git(only_runs, "fetch", "-q", str(repo), f"{BRANCH}:{BRANCH}")
    body = json.loads(run_cli("run", "show", "r1", "--format", "json", cwd=only_runs).out)
    assert body["stack_source"] == f"record (not re-read: unknown revision: '{pinned}')"
    assert body["stack"]["components"]["orchestrator"]["flavor"] == "local"
