"""`gitstore list`, `show`, `explain`, the run command group, -C, completion and error lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import git, run_cli, write_files

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    repo = tmp_path / "platform"
    shutil.copytree(PROJECT / "examples" / "valid" / "platform", repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "platform")
    return repo


def test_list_kinds_singular_or_plural_with_type_and_json(platform: Path) -> None:
    result = run_cli("list", "components", "--type", "orchestrator", cwd=platform)
    assert (result.code, result.out) == (0, "orchestrator/kfp-prod     flavor=kubeflow\n"
                                            "orchestrator/kfp-staging  flavor=kubeflow\n")
    first = run_cli("list", "stack", cwd=platform).out.split("\n")[0]
    assert first.startswith("production  orchestrator=kfp-prod")
    rows = json.loads(run_cli("list", "users", "--format", "json", cwd=platform).out)
    assert [r["name"] for r in rows] == ["alice", "bob", "chen", "dana", "platform-bot"]
    assert rows[0] == {"name": "alice", "type": None, "path": "users/alice.yaml",
                       "summary": "alice@acme.example"}


def test_list_flavors_includes_built_ins(platform: Path) -> None:
    listed = run_cli("list", "flavors", "--type", "step_operator", "--format", "json", cwd=platform)
    rows = json.loads(listed.out)
    assert {(r["name"], r["path"]) for r in rows} >= {("ray-gpu", "flavors/step_operator/ray-gpu.yaml"),
                                                      ("sagemaker", None)}


@pytest.mark.parametrize(("args", "message"), [
    (["list", "comps"], "gitstore: error: unknown kind `comps`; did you mean `components`?\n"),
    (["list", "widgets"], "gitstore: error: unknown kind `widgets`; kinds are: flavors, components, stacks, "
                          "users, teams, roles, projects\n"),
    (["list", "users", "--type", "orchestrator"], "gitstore: error: --type applies to components and "
                                                  "flavors, not to users\n"),
    (["list", "components", "--type", "orchestrators"], "gitstore: error: unknown component type "
                                                        "`orchestrators`; did you mean `orchestrator`?\n"),
    (["show", "stacks/prodution"], "gitstore: error: no stack prodution (stacks/prodution.yaml); did you "
                                   "mean `production`?\n"),
    (["show", "stacks/../users/alice"], None),
    (["show", "README.md"], None),
    (["show", "stacks/production", "--rev", "nope"], "gitstore: error: unknown revision: 'nope'\n"),
])
def test_bad_input_is_a_usage_error(platform: Path, args: list[str], message: str | None) -> None:
    result = run_cli(*args, cwd=platform)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("gitstore: error: ") and result.err.count("\n") == 1
    if message:
        assert result.err == message


def test_show_a_stack_resolves_components_and_flavors(platform: Path) -> None:
    body = yaml.safe_load(run_cli("show", "stacks/production", cwd=platform).out)
    assert body["path"] == "stacks/production.yaml" and body["entity"] == "stack production"
    step = next(r for r in body["resolves_to"] if r["key"] == "components.step_operator")
    assert step == {"key": "components.step_operator", "line": step["line"], "entity":
                    "component step_operator/ray-gpu-prod",
                    "path": "components/step_operator/ray-gpu-prod.yaml",
                    "flavor": "ray-gpu", "flavor_path": "flavors/step_operator/ray-gpu.yaml"}
    assert body["referred_by"] == []
    staging = yaml.safe_load(run_cli("show", "stacks/staging", cwd=platform).out)
    assert staging["referred_by"] == [{"path": "gitstore.yaml", "line": 4, "column": 16,
                                       "entity": "settings gitstore", "key": "default_stack"}]


def test_show_a_component_and_a_user_with_what_refers_to_them(platform: Path) -> None:
    comp = json.loads(run_cli("show", "components/orchestrator/kfp-prod.yaml", "--format", "json",
                              cwd=platform).out)
    assert [r["entity"] for r in comp["referred_by"]] == ["stack production"]
    assert comp["resolves_to"][0]["builtin"] is True
    user = json.loads(run_cli("show", "users/alice", "--format", "json", cwd=platform).out)
    assert {r["entity"] for r in user["referred_by"]} == {"team ml-platform", "role data-scientist"}
    assert user["roles_through_teams"][0]["role"] == "platform-admin"


def test_show_a_missing_reference_and_an_old_commit(platform: Path) -> None:
    write_files(platform, {"stacks/staging.yaml": "components:\n  orchestrator: nope\n"})
    body = yaml.safe_load(run_cli("show", "stacks/staging", cwd=platform).out)
    assert body["resolves_to"][0]["missing"] is True
    at_head = yaml.safe_load(run_cli("show", "stacks/staging", "--rev", "HEAD", cwd=platform).out)
    assert "missing" not in at_head["resolves_to"][0]


def test_minus_C_names_the_repository_for_every_new_command(platform: Path, tmp_path: Path) -> None:
    where = str(platform)
    assert run_cli("-C", where, "list", "teams", cwd=tmp_path).code == 0
    assert run_cli("-C", where, "show", "teams/fraud", cwd=tmp_path).code == 0
    assert run_cli("-C", where, "fmt", "--check", cwd=tmp_path).code == 0
    assert run_cli("-C", where, "mv", "--dry-run", "teams/fraud", "fraud-team", cwd=tmp_path).code == 0
    outside = run_cli("list", "teams", cwd=tmp_path)
    assert outside.code == 2 and outside.err.startswith("gitstore: error: not a configuration repository")


def test_explain_prints_a_rules_description_and_example() -> None:
    result = run_cli("explain", "gs203")
    assert result.code == 0
    assert result.out.startswith("GS203 (error): stack uses a missing component\n\n")
    assert "stacks/production.yaml:2:17: GS203 orchestrator `kfp-prd` does not exist" in result.out
    assert run_cli("explain", "203").out == result.out
    from gitstore.problems import RULES

    assert len(run_cli("explain", "--list").out.splitlines()) == len(RULES)
    missing = run_cli("explain", "GS999")
    assert (missing.code, missing.err) == (2, "gitstore: error: no rule `GS999`; did you mean `GS209`?\n")
    assert run_cli("explain").code == 2


def test_run_and_runs_are_one_group(platform: Path) -> None:
    recorded = run_cli("runs", "record", "--pipeline", "train", "--name", "r1", "--stack", "production",
                       "--user", "alice", cwd=platform)
    assert recorded.code == 0, recorded
    assert run_cli("run", "list", cwd=platform).out == run_cli("runs", "list", cwd=platform).out
    assert "r1" in run_cli("runs", "list", cwd=platform).out
    no_remote = run_cli("run", "sync", cwd=platform)
    assert no_remote.code == 2 and "No such command" not in no_remote.err
    assert no_remote.err.startswith("gitstore: error: `git fetch origin")
    assert all(line.startswith("  ") for line in no_remote.err.splitlines()[1:])


def test_completion_of_entity_paths_kinds_and_run_names(platform: Path) -> None:
    run_cli("run", "record", "--pipeline", "train", "--name", "train-7", "--stack", "production",
            "--user", "alice", cwd=platform)

    def complete(words: str) -> list[str]:
        env = {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1),
               "_GITSTORE_COMPLETE": "bash_complete"}
        return run_cli(cwd=platform, env=env).out.split()

    assert complete("gitstore show stacks/p") == ["plain,stacks/production"]
    assert "plain,components/orchestrator/kfp-prod" in complete("gitstore mv components/orch")
    assert complete("gitstore log users/a") == ["plain,users/alice"]
    assert complete("gitstore list us") == ["plain,users"]
    assert complete("gitstore run show tr") == ["plain,train-7"]
    assert "gitstore" in run_cli(env={"_GITSTORE_COMPLETE": "bash_source"}).out


def test_log_with_no_history_is_an_error_line(platform: Path) -> None:
    result = run_cli("log", "stacks/never", cwd=platform)
    assert (result.code, result.err) == (1, "gitstore: error: no commit on HEAD touches stacks/never\n")


def test_import_zenml_stack_help_speaks_of_no_dest() -> None:
    result = run_cli("import", "zenml-stack", "--help")
    assert result.code == 0 and "DEST" not in result.out


def test_the_default_user_commit_says_why_and_skipping_makes_none(make_repo) -> None:
    from gitstore import GitZenStore
    from gitstore.exceptions import UnknownRevision

    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/ann.yaml": "{}\n"})
    GitZenStore().initialize(str(repo), skip_default_registrations=True)
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    store = GitZenStore().initialize(str(repo))
    body = git(repo, "log", "--format=%B", "-1", "--", "users/default.yaml")
    assert body.startswith("gitstore: create user default\n\nZenML's stores register a user named `default`")
    assert "skip_default_registrations=True" in body
    with pytest.raises(UnknownRevision):
        store.at("HEAD~50")
