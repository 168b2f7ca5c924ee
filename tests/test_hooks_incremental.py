"""The push check, which reuses cached per-file results, reports exactly what full checks report.

Generated changes (edits, deletions, renames, broken files, settings changes)
are committed on top of a base; for each, the verdict of the cached check of
the push must equal the one computed from two full, uncached validations:
new errors are the errors of the new tip that the base did not have, legacy
errors are the others, warnings are the new tip's warnings the base did not
have.
"""

from __future__ import annotations

from pathlib import Path

from conftest import git, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitstore.plumbing.sources import find_config_repo
from gitstore.problems import Problem
from gitstore.serverside.receive import RefUpdate, check_push, problem_identity
from gitstore.validate import validate

BASE = {
    "gitstore.yaml": "format: 1\nrequired_components: [orchestrator]\n",
    "flavors/orchestrator/corp.yaml": (
        "source: corp.Orch\nconfig_schema:\n  type: object\n"
        "  properties: {dag: {type: string}, token: {type: string, writeOnly: true}}\n"
        "  additionalProperties: false\n"),
    "components/orchestrator/o1.yaml": "flavor: kubeflow\n",
    "components/orchestrator/o2.yaml": "flavor: corp\nconfig:\n  dag: d\n",
    "components/orchestrator/o3.yaml": "flavor: local\n",
    "components/artifact_store/a1.yaml": "id: 00000000-0000-4000-8000-0000000000a1\nflavor: s3\n",
    "components/artifact_store/a2.yaml": "flavor: local\n",
    "stacks/s1.yaml": "components:\n  orchestrator: o1\n  artifact_store: a1\n",
    "stacks/s2.yaml": "components:\n  orchestrator: o2\n  artifact_store: a2\n",
    "stacks/s3.yaml": "components:\n  orchestrator: o3\n",
    "stacks/legacy.yaml": "components:\n  orchestrator: gone\n",
    "users/u1.yaml": "email: u1@example.com\n",
    "users/u2.yaml": "email: u2@example.com\n",
    "teams/t1.yaml": "members: [u1, u2]\n",
    "projects/p1.yaml": "description: p\n",
    "roles/r1.yaml": "permissions: {}\nassignments:\n  - team: t1\n  - user: u1\n    project: p1\n",
}
PATHS = sorted(p for p in BASE if p != "gitstore.yaml")
NAMES = ["o1", "o2", "o3", "a1", "a2", "x", "O1", "gone"]

operation = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(PATHS)),
    st.tuples(st.just("rename"), st.sampled_from(PATHS), st.sampled_from(NAMES)),
    st.tuples(st.just("stack"), st.sampled_from(["s1", "s2", "s3", "s4"]),
              st.sampled_from(["orchestrator", "artifact_store"]), st.sampled_from(NAMES)),
    st.tuples(st.just("flavor"), st.sampled_from(["o1", "o2", "o3"]),
              st.sampled_from(["kubeflow", "corp", "local", "nope"]),
              st.sampled_from(["", "  dag: d\n", "  token: plain\n", "  bogus: 1\n"])),
    st.tuples(st.just("members"), st.sampled_from(["t1", "t2"]),
              st.lists(st.sampled_from(["u1", "u2", "ghost"]), max_size=3)),
    st.tuples(st.just("settings"), st.sampled_from(["", "required_components: [artifact_store]\n",
                                                    "default_stack: s1\n", "default_stack: s9\n"])),
    st.tuples(st.just("garble"), st.sampled_from(PATHS)),
    st.tuples(st.just("schema"), st.sampled_from(["  additionalProperties: true\n",
                                                  "  type: 3\n"])),
)


def apply(root: Path, op: tuple) -> None:  # type: ignore[type-arg]
    kind = op[0]
    if kind == "delete" and (root / op[1]).exists():
        (root / op[1]).unlink()
    elif kind == "rename" and (root / op[1]).exists():
        (root / op[1]).rename((root / op[1]).with_name(f"{op[2]}.yaml"))
    elif kind == "stack":
        write_files(root, {f"stacks/{op[1]}.yaml": f"components:\n  {op[2]}: {op[3]}\n"})
    elif kind == "flavor":
        config = f"config:\n{op[3]}" if op[3] else ""
        write_files(root, {f"components/orchestrator/{op[1]}.yaml": f"flavor: {op[2]}\n{config}"})
    elif kind == "members":
        write_files(root, {f"teams/{op[1]}.yaml": f"members: [{', '.join(op[2])}]\n"})
    elif kind == "settings":
        write_files(root, {"gitstore.yaml": f"format: 1\n{op[1]}"})
    elif kind == "garble" and (root / op[1]).exists():
        write_files(root, {op[1]: "key: [unclosed\n"})
    elif kind == "schema":
        write_files(root, {"flavors/orchestrator/corp.yaml":
                           "source: corp.Orch\nconfig_schema:\n  type: object\n" + op[1]})


def full(root: Path, rev: str) -> list[Problem]:
    return validate(find_config_repo(root).commit(rev), use_cache=False).problems


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=5))
def test_cached_push_check_equals_full_checks(make_repo, ops, monkeypatch):
    monkeypatch.setattr("gitstore.serverside.receive.EXTRA_CHECKS", [])  # validation only
    root = make_repo(BASE)
    base = git(root, "rev-parse", "HEAD").strip()
    repo = find_config_repo(root)
    check_push(repo, [RefUpdate("0" * 40, base, "refs/heads/main")])  # warm the cache at the base
    for op in ops:
        apply(root, op)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "generated change")
    new = git(root, "rev-parse", "HEAD").strip()

    [verdict] = check_push(repo, [RefUpdate(base, new, "refs/heads/main")])

    before = {problem_identity(p) for p in full(root, base)}
    after = full(root, new)
    assert verdict.errors == [p for p in after if p.is_error and problem_identity(p) not in before]
    assert verdict.legacy == [p for p in after if p.is_error and problem_identity(p) in before]
    assert verdict.warnings == [p for p in after if not p.is_error
                                and problem_identity(p) not in before]
    assert verdict.accepted == (not verdict.errors)
