"""Recording runs: the record, pinning, uniqueness, secrets, and an untouched checkout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import git, run_cli, write_files
from test_runs_support import BRANCH, USER, a_run, branch_files, checkout_state, config_files

from gitstore.exceptions import EntityExistsError
from gitstore.runs import get_run, list_runs, record_run
from gitstore.runs.errors import InvalidRunNameError, PlainSecretError, StackNotAtCommitError
from gitstore.runs.layout import record_path, shard


def record_text(repo: Path, pipeline: str, name: str, ref: str = BRANCH) -> str:
    return git(repo, "show", f"{ref}:{record_path(pipeline, name)}")


def test_record_holds_run_pin_and_resolved_stack(make_repo):
    repo = make_repo(config_files())
    head = git(repo, "rev-parse", "HEAD").strip()
    run = record_run(repo, a_run("r1", runtime_configuration={"epochs": 3}))
    assert (run.config_commit, run.config_dirty) == (head, False)
    assert branch_files(repo) == [f".index/names/{shard('r1')}/r1",
                                  f"runs/train/{shard('r1')}/r1.yaml"]
    body = yaml.safe_load(record_text(repo, "train", "r1"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", body.pop("recorded_at"))
    assert body == {
        "format": 1, "name": "r1", "pipeline": {"name": "train", "docstring": None, "steps": []},
        "project_name": None, "user_id": str(USER), "zenml_version": None, "git_sha": None,
        "config_commit": head, "config_dirty": False, "runtime_configuration": {"epochs": 3},
        "stack": {"name": "default", "id": "463d4690-6b51-52d6-b792-16aa48f89464", "components": {
            "artifact_store": {"name": "default", "id": "006940d3-544e-5c96-adf3-69bd2bd225c7",
                               "flavor": "local",
                               "config": {"path": "~/.config/gitstore/local_stores/default"}},
            "metadata_store": {"name": "default", "id": "618de1bf-5685-58e8-93b6-8c1e5f6eb14a",
                               "flavor": "sqlite", "config": {
                                   "uri": "~/.config/gitstore/local_stores/default/metadata.db",
                                   "upgrade_migration_enabled": True}},
            "orchestrator": {"name": "default", "id": "dadca810-5deb-52e0-90df-b2f286902903",
                             "flavor": "local", "config": {}}}},
    }
    store = run.stack.get_component_wrapper("metadata_store")
    assert store is not None and store.config_dict() == {
        "name": "default", "uuid": "618de1bf-5685-58e8-93b6-8c1e5f6eb14a",
        "uri": "~/.config/gitstore/local_stores/default/metadata.db",
        "upgrade_migration_enabled": True}
    assert git(repo, "log", "--format=%s", BRANCH).splitlines() == [
        "Record run r1 of pipeline train"]


def test_checkout_index_and_uncommitted_edits_are_untouched(make_repo):
    repo = make_repo(config_files())
    write_files(repo, {"users/bob.yaml": "email: bob@example.com\n",  # staged
                       "notes.txt": "untracked\n",
                       "stacks/default.yaml": "components: {}\n"})  # unstaged edit of the stack
    git(repo, "add", "users/bob.yaml")
    before = checkout_state(repo)
    run = record_run(repo, a_run("r1"))
    record_run(repo, a_run("r2"))
    assert checkout_state(repo) == before
    assert run.config_dirty is True  # the stack's file differs from the pinned commit
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == [BRANCH, "refs/heads/main"]


def test_dirty_only_when_the_stacks_files_differ(make_repo):
    repo = make_repo(config_files())
    write_files(repo, {"users/default.yaml": "email: someone@example.com\n"})
    assert record_run(repo, a_run("clean")).config_dirty is False
    write_files(repo, {"components/orchestrator/default.yaml": "flavor: local\nconfig: {}\n"})
    assert record_run(repo, a_run("dirty")).config_dirty is True


def test_run_names_are_unique_across_pipelines(make_repo):
    repo = make_repo(config_files())
    record_run(repo, a_run("nightly", pipeline="train"))
    tip = git(repo, "rev-parse", BRANCH)
    with pytest.raises(EntityExistsError) as err:
        record_run(repo, a_run("nightly", pipeline="evaluate"))
    assert str(err.value) == (f"a run named `nightly` exists already "
                              f"(runs/train/{shard('nightly')}/nightly.yaml); "
                              "run names are unique across the repository")
    assert git(repo, "rev-parse", BRANCH) == tip


def test_stack_must_exist_at_the_pinned_commit(make_repo):
    repo = make_repo(config_files())
    write_files(repo, {"stacks/new.yaml": "components: {orchestrator: default}\n"})  # not committed
    with pytest.raises(StackNotAtCommitError, match=r"stack `new` does not exist at configuration "
                       r"commit [0-9a-f]{12}; commit the stack before recording runs on it"):
        record_run(repo, a_run("r1", stack="new"))
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]


def test_invalid_names_are_refused(make_repo):
    repo = make_repo(config_files())
    with pytest.raises(InvalidRunNameError, match="`../x` is not a valid run name"):
        record_run(repo, a_run("../x"))
    # the one naming rule of entities: a trailing newline is not part of a name
    with pytest.raises(InvalidRunNameError, match="is not a valid run name: names start with"):
        record_run(repo, a_run("r1\n"))
    assert git(repo, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]


def test_plain_secret_in_a_component_refuses_the_record(make_repo):
    repo = make_repo(config_files(**{
        "components/alerter/chat.yaml": "flavor: slack\nconfig:\n  slack_token: xoxb-123\n",
        "components/secrets_manager/vault.yaml":
            "flavor: vault\nconfig:\n  token: '{{ vault.token }}'\n  url: https://vault\n",
        "stacks/alerting.yaml": "components:\n  orchestrator: default\n  alerter: chat\n"
                                "  secrets_manager: vault\n",
        "stacks/vaulted.yaml": "components:\n  orchestrator: default\n  secrets_manager: vault\n",
    }))
    with pytest.raises(PlainSecretError) as err:
        record_run(repo, a_run("r1", stack="alerting"))
    assert str(err.value) == ("refusing to record the run: plain-text secrets in "
                              "components/alerter/chat.yaml (config.slack_token); "
                              "use secret references `{{ <secret>.<key> }}` instead")
    assert err.value.exit_code == 1
    run = record_run(repo, a_run("r2", stack="vaulted"))  # a reference is fine, and kept as is
    vault = run.stack.get_component_wrapper("secrets_manager")
    assert vault is not None and vault.config_dict()["token"] == "{{ vault.token }}"


def test_custom_flavor_write_only_field_is_a_secret_field(make_repo):
    repo = make_repo(config_files(**{
        "flavors/orchestrator/inhouse.yaml": "source: acme.Orchestrator\nconfig_schema:\n"
                                             "  type: object\n  properties:\n"
                                             "    api_pass: {type: string, writeOnly: true}\n",
        "components/orchestrator/ours.yaml": "flavor: inhouse\nconfig: {api_pass: hunter2}\n",
        "stacks/ours.yaml": "components: {orchestrator: ours}\n",
    }))
    with pytest.raises(PlainSecretError,
                       match=r"components/orchestrator/ours.yaml \(config.api_pass\)"):
        record_run(repo, a_run("r1", stack="ours"))


def test_plain_secret_in_runtime_configuration_is_refused(make_repo):
    repo = make_repo(config_files())
    with pytest.raises(PlainSecretError, match=r"runtime_configuration.db.password;"):
        record_run(repo, a_run("r1", runtime_configuration={"db": {"password": "pw", "user": "u"}}))
    run = record_run(repo, a_run("r2", runtime_configuration={"db": {"password": "{{ db.pw }}"}}))
    assert run.runtime_configuration == {"db": {"password": "{{ db.pw }}"}}


def test_get_and_list_runs_with_projects(make_repo):
    repo = make_repo(config_files())
    record_run(repo, a_run("a1", project="fraud"))
    record_run(repo, a_run("a2", project="churn"))
    record_run(repo, a_run("b1", pipeline="etl"))
    assert [r.name for r in list_runs(repo, "train")] == ["a1", "a2"]
    assert [r.name for r in list_runs(repo, "train", project_name="churn")] == ["a2"]
    assert list_runs(repo, "unknown") == []
    assert get_run(repo, "train", "a1").project_name == "fraud"
    assert get_run(repo, "train", "a1", project_name="fraud").name == "a1"
    for pipeline, name, project in [("train", "a1", "churn"), ("etl", "a1", None),
                                    ("train", "zz", None)]:
        with pytest.raises(KeyError):
            get_run(repo, pipeline, name, project_name=project)


def test_lists_are_empty_before_the_first_record(make_repo):
    repo = make_repo(config_files())
    assert list_runs(repo, "train") == []
    with pytest.raises(KeyError):
        get_run(repo, "train", "r1")


def test_runs_branch_setting_and_a_configuration_root_below_the_git_root(make_repo):
    files = {f"platform/{k}": v for k, v in config_files().items()}
    files["platform/gitstore.yaml"] = "format: 1\nruns_branch: ml/run-records\n"
    repo = make_repo(files)
    run = record_run(repo / "platform", a_run("r1"))
    assert run.stack.name == "default" and len(run.stack.components) == 3
    records = branch_files(repo, "refs/heads/ml/run-records")
    assert records[-1] == f"runs/train/{shard('r1')}/r1.yaml"
    head = git(repo, "rev-parse", "HEAD").strip()
    assert get_run(repo / "platform", "train", "r1").config_commit == head


def test_cli_record_with_code_dir_and_config(make_repo, tmp_path: Path):
    repo = make_repo(config_files(**{"projects/fraud.yaml": "description: Fraud models\n"}))
    code = make_repo({"pipeline.py": "print('hi')\n"})
    code_head = git(code, "rev-parse", "HEAD").strip()
    result = run_cli("run", "record", "--pipeline", "etl", "--name", "e1", "--stack", "default",
                     "--project", "fraud", "--code-dir", str(code), "--config", "epochs=3",
                     "--config", "lr=0.5", "--config", "tag=nightly", cwd=repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert result.code == 0, result
    assert result.out == (f"recorded run e1 of pipeline etl on stack default at configuration "
                          f"commit {head}\n")
    body = yaml.safe_load(record_text(repo, "etl", "e1"))
    assert (body["git_sha"], body["project_name"]) == (code_head, "fraud")
    assert body["runtime_configuration"] == {"epochs": 3, "lr": 0.5, "tag": "nightly"}
    assert body["user_id"] == "5ab873f4-734e-594a-90d9-539115873fff"  # the default user's id
    write_files(code, {"new.py": "x = 1\n"})  # untracked: the code tree is dirty
    run_cli("run", "record", "--pipeline", "etl", "--name", "e2", "--stack", "default",
            "--code-dir", str(code), cwd=repo)
    run_cli("run", "record", "--pipeline", "etl", "--name", "e3", "--stack", "default",
            "--code-dir", str(tmp_path), cwd=repo)  # not a git repository
    for name in ("e2", "e3"):
        assert yaml.safe_load(record_text(repo, "etl", name))["git_sha"] is None


def test_cli_errors_exit_non_zero_with_one_line(make_repo):
    repo = make_repo(config_files())
    assert run_cli("run", "record", "--pipeline", "p", "--name", "n", "--stack", "default",
                   cwd=repo).code == 0
    again = run_cli("run", "record", "--pipeline", "q", "--name", "n", "--stack", "default",
                    cwd=repo)
    assert (again.code, again.out) == (2, "")
    assert again.err == (f"gitstore: error: a run named `n` exists already "
                         f"(runs/p/{shard('n')}/n.yaml); "
                         "run names are unique across the repository\n")
    bad = run_cli("run", "record", "--pipeline", "p", "--name", "m", "--stack", "default",
                  "--config", "novalue", cwd=repo)
    assert (bad.code, bad.err) == (2, "gitstore: error: --config takes KEY=VALUE, not `novalue`\n")
    missing = run_cli("run", "show", "nope", cwd=repo)
    assert (missing.code, missing.err) == (1, "gitstore: error: no run named `nope`\n")


def test_a_repository_without_commits_cannot_record(make_repo):
    repo = make_repo(config_files(), commit=False)
    result = run_cli("run", "record", "--pipeline", "p", "--name", "n", "--stack", "default",
                     cwd=repo)
    assert (result.code, result.err) == (2, "gitstore: error: the configuration repository has no "
                                            "commit yet; commit it before recording runs\n")


def test_records_in_a_bare_repository(make_repo, tmp_path: Path):
    repo = make_repo(config_files())
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    run = record_run(bare, a_run("r1"))
    assert (run.config_commit, run.config_dirty) == (git(repo, "rev-parse", "HEAD").strip(), False)
    assert [r.name for r in list_runs(bare, "train")] == ["r1"]
