"""End-to-end: the installed ``gitstore validate`` on real repositories."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git, run_cli, write_files

STACK_BAD = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/kfp-prod.yaml": "flavor: kubeflow\n",
    "stacks/production.yaml": "components:\n  orchestrator: kfp-prd\n",
}


def test_valid_repository_exits_zero(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/alice.yaml": "email: a@example.com\n"})
    result = run_cli("validate", cwd=repo)
    assert result.code == 0, result
    assert result.out == "ok: 2 files checked in the working tree, no problems\n"


def test_broken_reference_is_located_with_hint(make_repo):
    repo = make_repo(STACK_BAD)
    result = run_cli("validate", cwd=repo)
    assert result.code == 1, result
    assert result.out.splitlines()[:2] == [
        "stacks/production.yaml:2:17: GS203 orchestrator `kfp-prd` does not exist "
        "(expected components/orchestrator/kfp-prd.yaml)",
        "    hint: did you mean `kfp-prod`?",
    ]


def test_staged_ignores_untracked_and_unstaged(make_repo):
    repo = make_repo(STACK_BAD)
    git(repo, "rm", "-q", "--cached", "stacks/production.yaml")
    write_files(repo, {"teams/t.yaml": "members: [nobody]\n"})  # untracked: does not count
    assert run_cli("validate", "--staged", cwd=repo).code == 0
    assert run_cli("validate", cwd=repo).code == 1


def test_rev_reads_commits_in_a_bare_repository(make_repo, tmp_path: Path):
    repo = make_repo(STACK_BAD)
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    result = run_cli("validate", "--rev", "HEAD", cwd=bare)
    assert result.code == 1, result
    assert "stacks/production.yaml:2:17: GS203" in result.out


def test_json_format(make_repo):
    repo = make_repo(STACK_BAD)
    body = json.loads(run_cli("validate", "--format", "json", cwd=repo).out)
    assert body["valid"] is False
    assert body["problems"][0] == {
        "path": "stacks/production.yaml", "config_path": "stacks/production.yaml", "line": 2,
        "column": 17, "severity": "error",
        "code": "GS203", "message": "orchestrator `kfp-prd` does not exist "
        "(expected components/orchestrator/kfp-prd.yaml)", "hint": "did you mean `kfp-prod`?"}


def test_not_a_configuration_repository_exits_two(tmp_path: Path):
    result = run_cli("validate", str(tmp_path))
    assert result.code == 2
    assert result.err.startswith("gitstore: error: not a configuration repository")
    assert result.out == ""


def test_unknown_revision_exits_two(make_repo):
    result = run_cli("validate", "--rev", "no-such-branch", cwd=make_repo())
    assert result.code == 2
    assert result.err == "gitstore: error: unknown revision: 'no-such-branch'\n"


def test_init_creates_a_valid_repository(tmp_path: Path):
    target = tmp_path / "platform"
    result = run_cli("init", str(target))
    assert result.code == 0, result
    assert git(target, "log", "--format=%s").strip() == "gitstore: initialize configuration repository"
    assert run_cli("validate", cwd=target).code == 0
    assert run_cli("-C", str(target), "validate", "--rev", "HEAD").code == 0


# --- which files count: the working tree, the index, a commit ---------------------------------

def test_staged_sees_staged_edits_not_the_working_tree(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/alice.yaml": "email: a@example.com\n"})
    write_files(repo, {"users/alice.yaml": "email: [broken\n"})  # unstaged: does not count
    assert run_cli("validate", "--staged", cwd=repo).code == 0
    git(repo, "add", "users/alice.yaml")
    write_files(repo, {"users/alice.yaml": "email: fixed@example.com\n"})  # fixed, but not staged
    staged = run_cli("validate", "--staged", cwd=repo)
    assert staged.code == 1 and staged.out.startswith("users/alice.yaml:2:1: GS001 "), staged
    assert run_cli("validate", cwd=repo).code == 0


def test_staged_deletion_counts(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/alice.yaml": "{}\n",
                      "teams/ml.yaml": "members: [alice]\n"})
    git(repo, "rm", "-q", "--cached", "users/alice.yaml")
    result = run_cli("validate", "--staged", cwd=repo)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "teams/ml.yaml:1:11: GS205 member `alice` is not a user (expected users/alice.yaml)")


def test_rev_checks_an_older_commit(make_repo):
    repo = make_repo(STACK_BAD)
    write_files(repo, {"stacks/production.yaml": "components:\n  orchestrator: kfp-prod\n"})
    git(repo, "commit", "-q", "-am", "fix")
    assert run_cli("validate", "--rev", "HEAD", cwd=repo).code == 0
    assert run_cli("validate", "--rev", "HEAD~1", cwd=repo).code == 1


def test_plain_directory_validates_in_working_tree_mode(tmp_path: Path):
    write_files(tmp_path, STACK_BAD)
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1 and result.err == ""
    assert result.out.endswith("failed: 1 error in 3 files checked in the working tree\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["components", "gitstore.yaml", "stacks"]
    staged = run_cli("validate", "--staged", str(tmp_path))
    assert staged.code == 2
    assert staged.err == (
        f"gitstore: error: --staged needs a git repository, and {tmp_path} is not inside one\n")


def test_discovery_walks_up_from_a_subfolder(make_repo):
    repo = make_repo(STACK_BAD)
    for cwd in (repo / "stacks", repo / "components" / "orchestrator"):
        result = run_cli("validate", cwd=cwd)
        assert result.code == 1 and "stacks/production.yaml:2:17: GS203" in result.out, result
        assert run_cli("validate", "--rev", "HEAD", cwd=cwd).code == 1


def test_dash_c_and_path_argument(make_repo, tmp_path: Path):
    repo = make_repo(STACK_BAD)
    for args in (["-C", str(repo), "validate"], ["validate", str(repo)],
                 ["-C", str(repo.parent), "validate", repo.name],
                 ["-C", str(repo / "stacks"), "validate", "--staged"]):
        result = run_cli(*args, cwd=tmp_path)
        assert result.code == 1 and "stacks/production.yaml:2:17: GS203" in result.out, (args, result)


def test_configuration_in_a_subfolder_of_a_git_repository(make_repo):
    repo = make_repo({"README.md": "platform\n", **{f"config/{k}": v for k, v in STACK_BAD.items()}})
    for args in (["validate"], ["validate", "--staged"], ["validate", "--rev", "HEAD"]):
        result = run_cli(*args, cwd=repo / "config" / "stacks")
        assert result.code == 1, (args, result)
        assert result.out.startswith("stacks/production.yaml:2:17: GS203 "), (args, result)


# --- exit codes and stderr ---------------------------------------------------------------------

def test_usage_errors_are_one_line_and_exit_two(make_repo, tmp_path: Path):
    repo = make_repo()
    cases = {
        ("validate", "--format", "xml"):
            "gitstore: error: Invalid value for '--format': 'xml' is not one of 'text', 'json', "
            "'github' (see `gitstore validate --help`)\n",
        ("validate", "--no-such-option"):
            "gitstore: error: No such option '--no-such-option' (see `gitstore validate --help`)\n",
        ("validate", "--staged", "--rev", "HEAD"):
            "gitstore: error: --staged and --rev cannot be used together\n",
        ("validate", "--rev", "--staged"):
            "gitstore: error: unknown revision: '--staged'\n",
        ("-C", str(tmp_path / "missing"), "validate"):
            f"gitstore: error: Invalid value for -C: {tmp_path / 'missing'} is not a directory "
            "(see `gitstore --help`)\n",
    }
    for args, err in cases.items():
        result = run_cli(*args, cwd=repo)
        assert (result.code, result.out, result.err) == (2, "", err), (args, result)


def test_git_repository_without_settings_exits_two(make_repo):
    repo = make_repo({"README.md": "not a configuration repository\n"})
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        result = run_cli("validate", *mode, cwd=repo)
        assert result.code == 2 and result.out == "", (mode, result)
        assert result.err.startswith("gitstore: error: not a configuration repository")
        assert result.err.count("\n") == 1


def test_strict_makes_warnings_fail(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n",
                      "flavors/orchestrator/local.yaml": "source: acme.flavors.Local\n"})
    relaxed = run_cli("validate", cwd=repo)
    assert relaxed.code == 0
    assert relaxed.out.endswith("ok: 1 warning in 2 files checked in the working tree\n")
    strict = run_cli("validate", "--strict", cwd=repo)
    assert strict.code == 1
    assert strict.out.endswith("failed: 1 warning in 2 files checked in the working tree\n")
    body = json.loads(run_cli("validate", "--strict", "--format", "json", cwd=repo).out)
    assert body["valid"] is False and body["problems"][0]["severity"] == "warning"


# --- output formats ----------------------------------------------------------------------------

def test_json_format_is_exactly_the_documented_object(make_repo):
    repo = make_repo({**STACK_BAD, "users/a.yml": "{}\n"})
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1 and result.err == ""
    assert json.loads(result.out) == {"valid": False, "root": "", "problems": [
        {"path": "stacks/production.yaml", "config_path": "stacks/production.yaml", "line": 2,
         "column": 17, "severity": "error", "code": "GS203", "message": "orchestrator `kfp-prd` "
         "does not exist (expected components/orchestrator/kfp-prd.yaml)",
         "hint": "did you mean `kfp-prod`?"},
        {"path": "users/a.yml", "config_path": "users/a.yml", "line": None, "column": None,
         "severity": "error", "code": "GS020",
         "message": "only `.yaml` files are read; this `.yml` file is not",
         "hint": "rename it to `a.yaml`"},
    ]}
    clean = run_cli("validate", "--format", "json", cwd=make_repo())
    assert (clean.code, json.loads(clean.out)) == (0, {"valid": True, "root": "", "problems": []})


def test_github_format_annotations(make_repo):
    repo = make_repo({**STACK_BAD, "users/a.yml": "{}\n",
                      "flavors/orchestrator/local.yaml": "source: acme.flavors.Local\n"})
    result = run_cli("validate", "--format", "github", cwd=repo)
    assert result.code == 1
    assert result.out.splitlines() == [
        "::warning file=flavors/orchestrator/local.yaml,line=1,col=1,title=GS210::GS210 custom "
        "flavor `local` shadows the built-in orchestrator flavor of that name (rename the custom flavor)",
        "::error file=stacks/production.yaml,line=2,col=17,title=GS203::GS203 orchestrator `kfp-prd` "
        "does not exist (expected components/orchestrator/kfp-prd.yaml) (did you mean `kfp-prod`?)",
        "::error file=users/a.yml,title=GS020::GS020 only `.yaml` files are read; this `.yml` file "
        "is not (rename it to `a.yaml`)",
        "failed: 2 errors, 1 warning in 5 files checked in the working tree",
    ]


def test_all_problems_are_reported_not_just_the_first(make_repo):
    repo = make_repo({**STACK_BAD, "teams/t.yaml": "members: [ghost]\n", "users/x.yaml": "a: 1\na: 2\n"})
    codes = [p["code"] for p in json.loads(run_cli("validate", "--format", "json", cwd=repo).out)["problems"]]
    assert codes == ["GS203", "GS205", "GS002"]


# --- bad input that is not stored as an example ------------------------------------------------

def test_python_tags_are_never_executed(make_repo, tmp_path: Path):
    marker = tmp_path / "pwned"
    repo = make_repo({"gitstore.yaml": "format: 1\n",
                      "users/m.yaml": f"email: !!python/object/apply:os.system [\"touch {marker}\"]\n"})
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        result = run_cli("validate", *mode, cwd=repo)
        assert result.code == 1 and "users/m.yaml:1:8: GS004 " in result.out
    assert not marker.exists()


def test_fifty_megabyte_file_is_refused_in_every_mode(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n",
                      "users/huge.yaml": "email: a@example.com\n" + "# padding line\n" * 3_500_000})
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        result = run_cli("validate", *mode, cwd=repo)
        assert result.code == 1, result
        assert result.out.splitlines()[0] == (
            "users/huge.yaml: GS010 file is larger than 1,048,576 bytes, "
            "the most a configuration file may hold")


def test_yaml_bomb_is_not_expanded(make_repo):
    levels = "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 40))
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/bomb.yaml": "l0: &l0 [lol]\n" + levels})
    result = run_cli("validate", cwd=repo)  # expanding it would need 10**39 items
    assert result.code == 1
    assert result.out.splitlines()[0] == "users/bomb.yaml:1:5: GS003 anchor `&l0` is not allowed"


def test_non_utf8_file_names_and_contents(make_repo):
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/ok.yaml": b"email: \xff@example.com\n"})
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        result = run_cli("validate", *mode, cwd=repo)
        assert result.out.splitlines()[0] == "users/ok.yaml:1:8: GS007 byte 0xff is not valid UTF-8"


def test_github_annotations_name_files_from_the_top_of_the_checkout(make_repo):
    repo = make_repo({"README.md": "x\n", **{f"config/{k}": v for k, v in STACK_BAD.items()}})
    for mode in ([], ["--staged"], ["--rev", "HEAD"]):
        result = run_cli("validate", "--format", "github", *mode, cwd=repo / "config")
        assert result.out.startswith("::error file=config/stacks/production.yaml,line=2,col=17,"), result
