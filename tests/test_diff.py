"""`gitstore diff`: hand-written before/after repositories, compared in entities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files

BEFORE = {
    "gitstore.yaml": "format: 1\n",
    "flavors/orchestrator/airflow-custom.yaml": (
        "source: corp.flavors.Airflow\nconfig_schema:\n  type: object\n"),
    "components/orchestrator/kf.yaml": (
        "flavor: kubeflow\nconfig:\n  kubernetes_context: prod\n  synchronous: true\n"),
    "components/orchestrator/af.yaml": "flavor: airflow-custom\n",
    "components/artifact_store/s3.yaml": (
        "id: 2f0d3c6e-0000-4000-8000-000000000001\nflavor: s3\nconfig:\n  path: s3://bucket\n"),
    "components/artifact_store/old-local.yaml": "flavor: local\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3\n",
    "stacks/batch.yaml": "components:\n  orchestrator: af\n  artifact_store: s3\n",
    "stacks/scratch.yaml": "components:\n  orchestrator: kf\n  artifact_store: old-local\n",
    "users/alice.yaml": "email: alice@example.com\n",
    "users/bob.yaml": "email: bob@example.com\n",
    "teams/platform.yaml": "members: [alice]\n",
    "projects/fraud.yaml": "description: Fraud models\n",
    "roles/maintainer.yaml": (
        "permissions:\n  stack: [read]\nassignments:\n  - team: platform\n  - user: alice\n"),
}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(BEFORE)


def commit_change(repo: Path, files: dict[str, str], delete: tuple[str, ...] = ()) -> None:
    write_files(repo, files)
    for rel in delete:
        git(repo, "rm", "-q", rel)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")


def test_component_change_touches_its_stacks_with_field_before_and_after(repo: Path):
    commit_change(repo, {"components/orchestrator/kf.yaml":
                         "flavor: kubeflow\nconfig:\n  kubernetes_context: prod-2\n"})
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert result.code == 0, result
    assert result.out.split("\n\n")[0] == "2 stacks changed, 1 component changed"
    assert "\n".join(result.out.splitlines()[2:5]) == (
        "Stacks touched\n"
        "  ~ prod (affected)\n"
        "      orchestrator `kf` changed (config.kubernetes_context, config.synchronous)")
    assert ("  ~ component orchestrator/kf changed (components/orchestrator/kf.yaml)\n"
            "      config.kubernetes_context: prod → prod-2\n"
            "      config.synchronous: removed (was true)\n") in result.out


def test_removed_component_and_the_stacks_that_still_use_it(repo: Path):
    commit_change(repo, {}, delete=("components/artifact_store/old-local.yaml",))
    body = json.loads(run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo).out)
    assert body["summary"] == "1 stack changed, 1 component removed"
    assert body["stacks"] == [{"stack": "scratch", "status": "affected",
                               "reasons": ["artifact_store `old-local` removed"]}]
    assert body["entities"][0]["status"] == "removed"
    assert body["entities"][0]["path"] == "components/artifact_store/old-local.yaml"


def test_rename_with_an_explicit_id_is_a_rename_and_without_one_is_remove_and_add(repo: Path):
    git(repo, "mv", "components/artifact_store/s3.yaml", "components/artifact_store/s3-main.yaml")
    git(repo, "mv", "components/orchestrator/af.yaml", "components/orchestrator/airflow.yaml")
    commit_change(repo, {
        "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3-main\n",
        "stacks/batch.yaml": "components:\n  orchestrator: airflow\n  artifact_store: s3-main\n"})
    body = json.loads(run_cli("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo).out)
    comps = [(e["type"], e["name"], e["status"], e["old_name"]) for e in body["entities"]
             if e["kind"] == "component"]
    assert comps == [("artifact_store", "s3-main", "renamed", "s3"),
                     ("orchestrator", "af", "removed", None),
                     ("orchestrator", "airflow", "added", None)]
    assert body["summary"] == ("2 stacks changed, 1 component added, 1 component removed, "
                               "1 component renamed")
    prod = next(s for s in body["stacks"] if s["stack"] == "prod")
    assert prod["reasons"][0] == "components.artifact_store: s3 → s3-main"
    assert "artifact_store `s3-main` renamed from `s3`" in prod["reasons"]


def test_roles_gained_and_lost_directly_and_through_teams(repo: Path):
    commit_change(repo, {
        "teams/platform.yaml": "members: [alice, bob]\n",
        "roles/maintainer.yaml": ("permissions:\n  stack: [read]\nassignments:\n  - team: platform\n"
                                  "  - user: bob\n    project: fraud\n"),
        "roles/viewer.yaml": "permissions:\n  stack: [read]\nassignments:\n  - user: alice\n",
    })
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert result.out.splitlines()[0] == (
        "3 roles granted, 1 team changed, 1 role added, 1 role changed, 1 team membership added")
    section = result.out.split("\n\n")[1].splitlines()
    # alice loses the direct assignment but still holds the role through her team: no change
    assert section == [
        "Roles granted and revoked",
        "  + alice gains role viewer in every project (direct)",
        "  + bob gains role maintainer in every project (team platform)",
        "  + bob gains role maintainer in project fraud (direct)",
    ]
    assert "  + bob joined team platform" in result.out


def test_role_revoked_when_a_member_leaves_the_team(repo: Path):
    commit_change(repo, {"teams/platform.yaml": "members: []\n",
                         "roles/maintainer.yaml": "permissions:\n  stack: [read]\nassignments:\n"
                                                  "  - team: platform\n"})
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert "  - alice loses role maintainer in every project (direct, team platform)" in result.out
    assert "  - alice left team platform" in result.out


def test_flavor_change_reaches_components_and_stacks(repo: Path):
    commit_change(repo, {"flavors/orchestrator/airflow-custom.yaml":
                         "source: corp.flavors.Airflow2\nconfig_schema:\n  type: object\n"})
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert result.out.splitlines()[0] == "1 stack changed, 1 flavor changed"
    assert ("      orchestrator `af` uses flavor `airflow-custom`, changed (source)"
            in result.out.splitlines())


def test_working_tree_is_the_default_head_and_exit_code(repo: Path):
    assert run_cli("diff", "HEAD", cwd=repo).out == "no configuration changes\n"
    assert run_cli("diff", "HEAD", "--exit-code", cwd=repo).code == 0
    write_files(repo, {"projects/churn.yaml": "description: Churn\n"})  # untracked still counts
    result = run_cli("diff", "HEAD", cwd=repo)
    assert (result.code, result.out.splitlines()[0]) == (0, "1 project added")
    assert run_cli("diff", "HEAD", "--exit-code", cwd=repo).code == 1
    assert run_cli("diff", "HEAD", "--staged", "--exit-code", cwd=repo).code == 0


def test_plain_secrets_are_masked_in_the_diff(repo: Path):
    commit_change(repo, {"components/artifact_store/s3.yaml": (
        "id: 2f0d3c6e-0000-4000-8000-000000000001\nflavor: s3\nconfig:\n  path: s3://bucket\n"
        "  secret: hunter2\n")})
    for fmt in ("text", "markdown", "json"):
        out = run_cli("diff", "HEAD~1", "HEAD", "--format", fmt, cwd=repo).out
        assert "hunter2" not in out
        assert "•••" in out


def test_unreadable_file_is_reported_as_changed_without_detail(repo: Path):
    commit_change(repo, {"users/bob.yaml": "email: [unclosed\n"})
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert result.code == 0, result
    assert ("  ~ user bob changed (users/bob.yaml, unreadable: see `gitstore validate`)"
            in result.out.splitlines())


def test_unknown_revision_is_a_usage_error(repo: Path):
    result = run_cli("diff", "nope", cwd=repo)
    assert result.code == 2
    assert result.err == "gitstore: error: unknown revision: 'nope'\n"



def test_a_renamed_team_keeps_its_members(make_repo):
    team_id = "id: 7a1c0de0-0000-4000-8000-00000000000a\n"
    repo = make_repo({**BEFORE, "teams/platform.yaml": team_id + "members: [alice]\n"})
    commit_change(repo, {"teams/ml-platform.yaml": team_id + "members: [alice, bob]\n",
                         "roles/maintainer.yaml": "permissions:\n  stack: [read]\nassignments:\n"
                                                  "  - team: ml-platform\n  - user: alice\n"},
                  delete=("teams/platform.yaml",))
    result = run_cli("diff", "HEAD~1", "HEAD", cwd=repo)
    assert result.code == 0, result
    assert "  + bob joined team ml-platform" in result.out
    assert "alice left" not in result.out and "alice joined" not in result.out
