"""Permissions judged on changes: who holds what before the change, per changed file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import git, run_cli
from trust_repo import TRUST_FILES, commit_as

from gitstore.trust import check_change

STACK = "components:\n  orchestrator: local\n  artifact_store: local\n"


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo(TRUST_FILES)


def tuples(root: Path, old: str, env: dict[str, str] | None = None) -> list[tuple[object, ...]]:
    new = git(root, "rev-parse", "HEAD").strip()
    return [p.to_tuple() for p in check_change(root, old, new, env or {})]


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_privileged_author_may_add_a_stack(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK})
    assert tuples(repo, base) == []


def test_unprivileged_author_is_refused_with_the_approvers(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "bob@example.com", {"stacks/prod.yaml": STACK})
    assert tuples(repo, base) == [(
        "stacks/prod.yaml", None, None, "GS501",
        "adding stacks/prod.yaml needs `stack: create`, which user bob (author bob@example.com) "
        "does not hold",
        "users holding `stack: create`, who could approve it: alice, carol")]


def test_update_and_delete_take_their_own_permission(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "carol@example.com", {"stacks/local.yaml": STACK + "description: x\n"},
              remove=("components/orchestrator/local.yaml",))
    found = tuples(repo, base)
    assert [(p[0], p[3]) for p in found] == [("components/orchestrator/local.yaml", "GS501")]
    assert "removing components/orchestrator/local.yaml needs `stack_component: delete`" in str(
        found[0][4])
    assert found[0][5] == "users holding `stack_component: delete`, who could approve it: alice"


def test_a_self_grant_is_judged_by_the_roles_before_it(repo: Path) -> None:
    base = head(repo)
    admin = (repo / "roles/admin.yaml").read_text() + "  - user: bob\n"
    commit_as(repo, "bob@example.com", {"roles/admin.yaml": admin, "stacks/prod.yaml": STACK})
    assert [(p[0], p[3], p[4]) for p in tuples(repo, base)] == [
        ("roles/admin.yaml", "GS501", "changing roles/admin.yaml needs `role: update`, which user "
         "bob (author bob@example.com) does not hold"),
        ("stacks/prod.yaml", "GS501", "adding stacks/prod.yaml needs `stack: create`, which user "
         "bob (author bob@example.com) does not hold"),
    ]


def test_a_team_grants_its_members(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "carol@example.com", {"stacks/prod.yaml": STACK})
    assert tuples(repo, base) == []


def test_a_rename_is_a_delete_and_a_create(repo: Path) -> None:
    base = head(repo)
    git(repo, "mv", "stacks/local.yaml", "stacks/laptop.yaml")
    commit_as(repo, "bob@example.com", {})
    assert [(p[0], p[4].split(",")[0]) for p in tuples(repo, base)] == [  # type: ignore[union-attr]
        ("stacks/laptop.yaml", "adding stacks/laptop.yaml needs `stack: create`"),
        ("stacks/local.yaml", "removing stacks/local.yaml needs `stack: delete`"),
    ]


def test_gitstore_yaml_takes_role_update(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "carol@example.com", {"gitstore.yaml": "format: 1\n", "README.md": "hi\n"})
    assert [(p[0], p[3], p[4]) for p in tuples(repo, base)] == [
        ("gitstore.yaml", "GS501", "changing gitstore.yaml needs `role: update`, which user "
         "carol (author carol@example.com) does not hold")]


def run_record(project: str) -> str:
    return f"name: r1\npipeline:\n  name: train\nproject_name: {project}\n"


def test_a_project_scoped_grant_covers_that_projects_runs_only(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "dave@example.com", {"runs/train/r1.yaml": run_record("fraud")})
    assert tuples(repo, base) == []
    base = head(repo)
    commit_as(repo, "dave@example.com", {"runs/train/r2.yaml": run_record("churn"),
                                         "stacks/prod.yaml": STACK})
    assert [(p[0], p[4], p[5]) for p in tuples(repo, base)] == [
        ("runs/train/r2.yaml", "adding runs/train/r2.yaml needs `pipeline_run: create` in project "
         "churn, which user dave (author dave@example.com) does not hold",
         "users holding `pipeline_run: create` in project churn, who could approve it: alice"),
        ("stacks/prod.yaml", "adding stacks/prod.yaml needs `stack: create`, which user dave "
         "(author dave@example.com) does not hold",
         "users holding `stack: create`, who could approve it: alice, carol"),
    ]


def test_an_unknown_author_is_told_how_to_become_known(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "eve@example.com", {"stacks/prod.yaml": STACK,
                                        "users/eve.yaml": "email: eve@example.com\n"})
    found = tuples(repo, base)
    assert found[0] == (
        "stacks/prod.yaml", None, None, "GS502",
        "adding stacks/prod.yaml needs `stack: create`, and author eve@example.com is not a "
        "gitstore user",
        "to become known, add `email: eve@example.com` to users/<you>.yaml, through someone "
        "holding `user: update` (alice); users holding `stack: create`, who could approve it: "
        "alice, carol")
    assert [(p[0], p[3]) for p in found[1:]] == [("users/eve.yaml", "GS502")]


def test_the_pusher_named_by_the_server_is_the_actor_not_the_author(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK})
    assert tuples(repo, base, {"GL_USERNAME": "bob-gl"}) == [(
        "stacks/prod.yaml", None, None, "GS501",
        "adding stacks/prod.yaml needs `stack: create`, which user bob (gitlab account `bob-gl` "
        "named by GL_USERNAME) does not hold",
        "users holding `stack: create`, who could approve it: alice, carol")]
    assert tuples(repo, base, {"GITHUB_USER_LOGIN": "carol-gh"}) == []
    assert tuples(repo, base, {"GITSTORE_PUSHER": "alice"}) == []


def test_an_unknown_pusher_is_refused(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK})
    assert [(p[3], p[4], p[5]) for p in tuples(repo, base, {"GL_USERNAME": "mallory"})] == [(
        "GS502", "adding stacks/prod.yaml needs `stack: create`, and gitlab account `mallory` "
        "named by GL_USERNAME is not a gitstore user",
        "to become known, add `accounts: {gitlab: mallory}` to users/<you>.yaml, through someone "
        "holding `user: update` (alice); users holding `stack: create`, who could approve it: "
        "alice, carol")]
    found = tuples(repo, base, {"GITSTORE_PUSHER": "zed"})
    assert [(p[3], p[4]) for p in found] == [(
        "GS502", "adding stacks/prod.yaml needs `stack: create`, and pusher `zed` named by "
        "GITSTORE_PUSHER is not a gitstore user")]
    assert str(found[0][5]).startswith("to become known, create users/zed.yaml, through")


def test_each_file_is_judged_for_the_authors_that_changed_it(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "carol@example.com", {"stacks/prod.yaml": STACK})
    commit_as(repo, "bob@example.com", {"projects/new.yaml": "description: New\n"})
    assert [(p[0], p[3]) for p in tuples(repo, base)] == [("projects/new.yaml", "GS501")]


def test_without_enforcement_the_same_findings_are_warnings(repo: Path) -> None:
    commit_as(repo, "alice@example.com", {"gitstore.yaml": "format: 1\n"})
    base = head(repo)
    commit_as(repo, "bob@example.com", {"stacks/prod.yaml": STACK})
    commit_as(repo, "eve@example.com", {"stacks/dev.yaml": STACK})
    assert [(p[0], p[3]) for p in tuples(repo, base)] == [
        ("stacks/dev.yaml", "GS512"), ("stacks/prod.yaml", "GS511")]


def test_no_base_configuration_means_nothing_to_judge(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"README.md": "x\n"})
    base = head(root)
    commit_as(root, "eve@example.com", {"stacks/prod.yaml": STACK, "gitstore.yaml": "format: 1\n"})
    assert tuples(root, base) == []
    assert check_change(root, None, head(root), {}) == []


def test_cli_refuses_and_names_everything(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "bob@example.com", {"stacks/prod.yaml": STACK})
    result = run_cli("check-permissions", base, "HEAD", cwd=repo)
    assert result.code == 1, result
    assert result.out == (
        "stacks/prod.yaml: GS501 adding stacks/prod.yaml needs `stack: create`, which user bob "
        "(author bob@example.com) does not hold\n"
        "    hint: users holding `stack: create`, who could approve it: alice, carol\n"
        f"failed: 1 error in 1 file checked in the change {base[:12]}..{head(repo)[:12]}\n")
    assert run_cli("check-permissions", base, "--pusher", "alice", cwd=repo).code == 0


def test_cli_judges_a_branch_by_the_changes_since_it_forked(repo: Path) -> None:
    base = head(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    commit_as(repo, "carol@example.com", {"stacks/prod.yaml": STACK})
    git(repo, "checkout", "-q", "main")
    commit_as(repo, "alice@example.com", {"projects/other.yaml": "description: O\n"})
    result = run_cli("check-permissions", "main", "feature", cwd=repo)
    assert result.code == 0, result
    assert result.out.startswith("ok: 1 file checked in the change")
    assert base


def test_cli_usage_errors_exit_2(repo: Path, tmp_path: Path) -> None:
    result = run_cli("check-permissions", "nope", "HEAD", cwd=repo)
    assert (result.code, result.err) == (2, "gitstore: error: unknown revision: 'nope'\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("check-permissions", "HEAD", "HEAD", cwd=empty).code == 2


def test_without_enforcement_or_roles_nothing_is_reported(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"gitstore.yaml": "format: 1\n", "users/bob.yaml": "email: b@x.io\n"})
    base = head(root)
    commit_as(root, "eve@example.com", {"stacks/prod.yaml": STACK})
    assert tuples(root, base) == []
    commit_as(root, "eve@example.com", {"gitstore.yaml": "format: 1\nenforce_permissions: true\n"})
    base = head(root)
    commit_as(root, "eve@example.com", {"stacks/dev.yaml": STACK})
    assert [(p[0], p[3]) for p in tuples(root, base)] == [("stacks/dev.yaml", "GS502")]


def test_long_lists_of_approvers_are_cut_with_a_count() -> None:
    from gitstore.trust.enforce import _some

    names = [f"user-{n:02d}" for n in range(11)]
    assert _some(names) == "user-00, user-01, user-02, user-03, user-04, user-05, user-06, user-07 and 3 more"
    assert _some(names[:2]) == "user-00, user-01"


def test_cli_says_the_pusher_came_from_the_option(repo: Path) -> None:
    base = head(repo)
    commit_as(repo, "alice@example.com", {"stacks/prod.yaml": STACK})
    result = run_cli("check-permissions", base, "--pusher", "bob", cwd=repo,
                     env={"GITSTORE_PUSHER": "alice", "GL_USERNAME": "alice-gl"})
    assert result.code == 1, result
    assert result.out.splitlines()[0] == (
        "stacks/prod.yaml: GS501 adding stacks/prod.yaml needs `stack: create`, which user bob "
        "(pusher named by --pusher) does not hold")
    result = run_cli("check-permissions", base, "--pusher", "zed", cwd=repo)
    assert result.out.splitlines()[0] == (
        "stacks/prod.yaml: GS502 adding stacks/prod.yaml needs `stack: create`, and pusher `zed` "
        "named by --pusher is not a gitstore user")
    result = run_cli("check-permissions", base, cwd=repo, env={"GITSTORE_PUSHER": "bob"})
    assert "(pusher named by GITSTORE_PUSHER)" in result.out.splitlines()[0]
