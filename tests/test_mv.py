"""`gitstore mv PATH NEW_NAME` and the rename plan it carries out (gitstore/rename.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, run_cli, write_files

from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.snapshot import load_snapshot
from gitstore.plumbing.sources import find_config_repo
from gitstore.rename import RenameError, TextEdit, apply_plan, plan_rename

FILES = {
    "gitstore.yaml": "format: 1\ndefault_stack: prod   # the stack CI uses\n",
    "flavors/orchestrator/my-orch.yaml": "source: acme.MyOrchestrator\n",
    "components/orchestrator/kf.yaml": "flavor: my-orch   # custom\n",
    "components/orchestrator/local.yaml": "flavor: local\n",
    "components/artifact_store/s3.yaml": "flavor: s3\n",
    "stacks/prod.yaml": ("# production\ncomponents:\n    orchestrator:   'kf'    # keep this comment\n"
                         "    artifact_store: s3\n"),
    "stacks/dev.yaml": "components: {orchestrator: kf, artifact_store: s3}\n",
    "users/alice.yaml": "email: alice@example.com\n",
    "users/bob.yaml": "{}\n",
    "teams/ml.yaml": "members: [alice, bob]   # the platform team\n",
    "projects/fraud.yaml": "description: fraud models\n",
    "roles/admin.yaml": ("permissions:\n  stack: [read]\nassignments:\n- user: alice   # lead\n"
                         "- team: ml\n  project: fraud\n"),
}


@pytest.fixture
def repo(make_repo) -> Path:
    return make_repo(FILES)


def status(repo: Path) -> list[str]:
    return git(repo, "status", "--short").splitlines()


def test_renaming_a_component_rewrites_stacks_in_place_and_stages_like_git_mv(repo: Path) -> None:
    result = run_cli("mv", "components/orchestrator/kf", "kubeflow", cwd=repo)
    assert result.code == 0, result
    assert result.out.splitlines() == [
        "renamed component orchestrator/kf to `kubeflow`",
        "  components/orchestrator/kf.yaml -> components/orchestrator/kubeflow.yaml",
        "  stacks/dev.yaml:1:28: components.orchestrator: kf -> kubeflow  (stack dev)",
        "  stacks/prod.yaml:3:22: components.orchestrator: kf -> kubeflow  (stack prod)",
        "3 file(s) written and staged",
    ]
    assert (repo / "stacks/prod.yaml").read_text() == (
        "# production\ncomponents:\n    orchestrator:   'kubeflow'    # keep this comment\n"
        "    artifact_store: s3\n")
    assert (repo / "stacks/dev.yaml").read_text() == (
        "components: {orchestrator: kubeflow, artifact_store: s3}\n")
    assert (repo / "components/orchestrator/kubeflow.yaml").read_text() == "flavor: my-orch   # custom\n"
    assert not (repo / "components/orchestrator/kf.yaml").exists()
    assert sorted(status(repo)) == ["M  stacks/dev.yaml", "M  stacks/prod.yaml",
                                    "R  components/orchestrator/kf.yaml -> "
                                    "components/orchestrator/kubeflow.yaml"]
    assert run_cli("validate", "--staged", cwd=repo).code == 0


def test_renaming_a_user_rewrites_teams_and_role_assignments(repo: Path) -> None:
    assert run_cli("mv", "users/alice", "alicia", cwd=repo).code == 0
    assert (repo / "teams/ml.yaml").read_text() == "members: [alicia, bob]   # the platform team\n"
    assert (repo / "roles/admin.yaml").read_text().splitlines()[3] == "- user: alicia   # lead"
    assert run_cli("validate", cwd=repo).code == 0


def test_renaming_a_team_project_stack_and_flavor(repo: Path) -> None:
    for path, new in [("teams/ml", "platform"), ("projects/fraud", "fraud-v2"), ("stacks/prod", "production"),
                      ("flavors/orchestrator/my-orch", "acme-orch")]:
        result = run_cli("mv", path, new, cwd=repo)
        assert result.code == 0, result
    assert (repo / "roles/admin.yaml").read_text().endswith("- team: platform\n  project: fraud-v2\n")
    assert (repo / "gitstore.yaml").read_text() == (
        "format: 1\ndefault_stack: production   # the stack CI uses\n")
    assert (repo / "components/orchestrator/kf.yaml").read_text() == "flavor: acme-orch   # custom\n"
    assert run_cli("validate", cwd=repo).code == 0
    git(repo, "commit", "-q", "-m", "renames")
    assert status(repo) == []


def test_dry_run_prints_the_plan_and_changes_nothing(repo: Path) -> None:
    before = {p: (repo / p).read_text() for p in FILES}
    result = run_cli("mv", "--dry-run", "users/bob", "robert", cwd=repo)
    assert result.out.splitlines() == [
        "would rename user bob to `robert`",
        "  users/bob.yaml -> users/robert.yaml",
        "  teams/ml.yaml:1:18: members.1: bob -> robert  (team ml)",
    ]
    assert {p: (repo / p).read_text() for p in FILES} == before and status(repo) == []


@pytest.mark.parametrize(("args", "code", "message"), [
    (["stacks/nope", "x"], 2, "gitstore: error: no stack nope to rename (stacks/nope.yaml does not exist); "
                              "see `gitstore list stacks`\n"),
    (["stacks/prd", "x"], 2, "gitstore: error: no stack prd to rename (stacks/prd.yaml does not exist); "
                             "did you mean `prod`?\n"),
    (["stacks/prod", "dev"], 2,
     "gitstore: error: cannot rename stack prod to `dev`: stacks/dev.yaml exists\n"),
    (["stacks/prod", "../x"], 2, "gitstore: error: `../x` is not a valid name: names start with a letter or "
                                 "digit and hold only letters, digits, `.`, `_` and `-` "
                                 "(at most 128 characters; "
                                 "no `/`)\n"),
    (["stacks/prod", "a/b"], 2, None),
    (["stacks/prod", ".."], 2, None),
    (["stacks/../users/alice", "x"], 2,
     "gitstore: error: `stacks/../users/alice` does not name an entity; give "
                                        "its path in the repository, such as stacks/production or "
                                        "components/orchestrator/kfp-prod\n"),
    (["flavors/orchestrator/local", "x"], 2, "gitstore: error: `local` is a built-in orchestrator flavor; "
                                             "it has no file to rename\n"),
    (["flavors/orchestrator/my-orch", "kubeflow"], 2, None),
    (["gitstore", "x"], 2, None),
    (["stacks/prod", "prod"], 2, "gitstore: error: stack prod is already called `prod`\n"),
    (["widgets/x", "y"], 2, None),
])
def test_bad_renames_are_refused_and_change_nothing(repo: Path, args: list[str], code: int,
                                                    message: str | None) -> None:
    before = {p: (repo / p).read_text() for p in FILES}
    result = run_cli("mv", *args, cwd=repo)
    assert result.code == code, result
    assert result.err.startswith("gitstore: error: ") and "Traceback" not in result.err
    if message is not None:
        assert result.err == message
    assert {p: (repo / p).read_text() for p in FILES} == before and status(repo) == []


def test_a_rename_that_would_break_the_repository_changes_nothing_and_says_why(repo: Path) -> None:
    from gitstore.plumbing.layout import derive_id

    # dev has no explicit id: renamed to `staging`, it would take the id derived from that name,
    # which prod already claims explicitly
    claimed = f"id: {derive_id('stack', 'staging')}\n"
    write_files(repo, {"stacks/prod.yaml": claimed + FILES["stacks/prod.yaml"]})
    git(repo, "commit", "-qam", "prod gets an id")
    result = run_cli("mv", "stacks/dev", "staging", cwd=repo)
    assert result.code == 1
    assert result.err.splitlines() == [
        "gitstore: error: renaming stack dev to `staging` would break the repository; nothing was changed:",
        f"  stacks/staging.yaml: GS209 id {derive_id('stack', 'staging')} is also the id of "
        "stacks/prod.yaml",
        "      hint: ids must be unique within a kind; remove the `id` line to get a derived one",
    ]
    assert (repo / "stacks/dev.yaml").exists() and not (repo / "stacks/staging.yaml").exists()
    assert status(repo) == []


def test_a_name_differing_only_in_case_is_refused(repo: Path) -> None:
    result = run_cli("mv", "stacks/dev", "Prod", cwd=repo)
    assert (result.code, result.err) == (2, "gitstore: error: cannot rename stack dev to `Prod`: "
                                            "stacks/prod.yaml differs from it only in case, and both cannot "
                                            "be checked out on macOS or Windows\n")
    assert status(repo) == []


def test_an_unreadable_file_that_may_refer_to_the_entity_blocks_the_rename(repo: Path) -> None:
    write_files(repo, {"stacks/broken.yaml": "components: [kf\n"})
    result = run_cli("mv", "components/orchestrator/kf", "kubeflow", cwd=repo)
    assert (result.code, result.err) == (2, "gitstore: error: stacks/broken.yaml cannot be read, and may "
                                            "refer "
                                            "to component orchestrator/kf; fix it first (`gitstore validate` "
                                            "says how)\n")
    assert (repo / "components/orchestrator/kf.yaml").exists()


def test_unstaged_edits_in_a_file_to_rewrite_are_refused(repo: Path) -> None:
    write_files(repo, {"teams/ml.yaml": "members: [alice, bob]   # edited, not staged\n"})
    result = run_cli("mv", "users/alice", "alicia", cwd=repo)
    assert result.code == 2
    assert "teams/ml.yaml differ(s) from the index" in result.err
    assert (repo / "users/alice.yaml").exists()
    assert (repo / "teams/ml.yaml").read_text() == "members: [alice, bob]   # edited, not staged\n"
    git(repo, "add", "teams/ml.yaml")  # staged edits are fine: the rename builds on them
    assert run_cli("mv", "users/alice", "alicia", cwd=repo).code == 0
    assert (repo / "teams/ml.yaml").read_text() == "members: [alicia, bob]   # edited, not staged\n"


def test_minus_C_and_a_configuration_in_a_subfolder(make_repo) -> None:
    repo = make_repo({f"platform/{k}": v for k, v in FILES.items()})
    result = run_cli("-C", "platform", "mv", "users/bob", "robert", cwd=repo)
    assert result.code == 0, result
    assert "R  platform/users/bob.yaml -> platform/users/robert.yaml" in status(repo)
    assert "M  platform/teams/ml.yaml" in status(repo)


def test_a_canonical_file_stays_canonical_when_the_new_name_needs_quotes(make_repo) -> None:
    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/ann.yaml": "{}\n",
                      "teams/t.yaml": "members:\n  - ann\n"})
    assert run_cli("mv", "users/ann", "1e3", cwd=repo).code == 0
    assert (repo / "teams/t.yaml").read_text() == 'members:\n  - "1e3"\n'
    assert run_cli("fmt", "--check", cwd=repo).code == 0
    assert run_cli("validate", cwd=repo).code == 0


def test_the_plan_is_data_with_positions_for_other_front_ends(repo: Path) -> None:
    config = find_config_repo(repo)
    snap = load_snapshot(config.worktree())

    def read(path: str) -> str:
        return (repo / path).read_text()

    plan = plan_rename(snap, EntityRef("user", None, "alice"), "alicia", read)
    assert (plan.old_path, plan.new_path) == ("users/alice.yaml", "users/alicia.yaml")
    assert plan.edits == [
        TextEdit("roles/admin.yaml", 4, 9, 14, "alice", "alicia", "role admin", "assignments.0.user"),
        TextEdit("teams/ml.yaml", 1, 11, 16, "alice", "alicia", "team ml", "members.0"),
    ]
    changes = apply_plan(plan, read)
    assert changes["users/alice.yaml"] is None and changes["users/alicia.yaml"] == FILES["users/alice.yaml"]
    assert (repo / "teams/ml.yaml").read_text() == FILES["teams/ml.yaml"]  # planning wrote nothing
    with pytest.raises(RenameError):
        plan_rename(snap, EntityRef("user", None, "alice"), "bob", read)
