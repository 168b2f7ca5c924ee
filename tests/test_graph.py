"""`gitstore graph`: stacks, components, flavors and who holds which role, as mermaid or dot."""

from __future__ import annotations

from conftest import run_cli

REPO = {
    "gitstore.yaml": "format: 1\n",
    "flavors/orchestrator/corp.yaml": "source: corp.Orchestrator\n",
    "components/orchestrator/kf.yaml": "flavor: corp\n",
    "components/artifact_store/s3.yaml": "flavor: s3\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3\n",
    "stacks/dev.yaml": "components:\n  orchestrator: missing\n",
    "users/alice.yaml": "email: alice@example.com\n",
    "teams/ops.yaml": "members: [alice]\n",
    "roles/admin.yaml": "permissions: {}\nassignments:\n  - team: ops\n  - user: alice\n"
                        "    project: fraud\n",
    "projects/fraud.yaml": "description: x\n",
}


def test_mermaid_of_everything(make_repo):
    repo = make_repo(REPO)
    result = run_cli("graph", cwd=repo)
    assert result.code == 0, result
    assert result.out == (
        "flowchart LR\n"
        '  n0[["dev"]]\n'
        '  n1("missing<br/>orchestrator")\n'
        '  n2[["prod"]]\n'
        '  n3("s3<br/>artifact_store")\n'
        '  n4{{"s3"}}\n'
        '  n5("kf<br/>orchestrator")\n'
        '  n6{{"corp (custom)"}}\n'
        '  n7(["team ops"])\n'
        '  n8["alice"]\n'
        '  n9[/"role admin"/]\n'
        "  n0 -.->|orchestrator| n1\n"
        "  n2 -->|artifact_store| n3\n"
        "  n3 --> n4\n"
        "  n2 -->|orchestrator| n5\n"
        "  n5 --> n6\n"
        "  n7 -->|member| n8\n"
        "  n9 --> n7\n"
        "  n9 -->|in fraud| n8\n"
        "  classDef missing stroke:#d33,stroke-dasharray:4\n"
        "  class n1 missing\n")


def test_dot_of_one_stack(make_repo):
    repo = make_repo(REPO)
    result = run_cli("graph", "--format", "dot", "prod", cwd=repo)
    assert result.code == 0, result
    assert result.out == (
        "digraph gitstore {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n"
        '  "stack:prod" [label="prod", shape=box3d];\n'
        '  "component:artifact_store/s3" [label="s3\\nartifact_store", shape=box];\n'
        '  "flavor:artifact_store/s3" [label="s3", shape=hexagon];\n'
        '  "component:orchestrator/kf" [label="kf\\norchestrator", shape=box];\n'
        '  "flavor:orchestrator/corp" [label="corp (custom)", shape=hexagon];\n'
        '  "stack:prod" -> "component:artifact_store/s3" [label="artifact_store"];\n'
        '  "component:artifact_store/s3" -> "flavor:artifact_store/s3";\n'
        '  "stack:prod" -> "component:orchestrator/kf" [label="orchestrator"];\n'
        '  "component:orchestrator/kf" -> "flavor:orchestrator/corp";\n'
        "}\n")


def test_unknown_stack_is_a_usage_error_with_a_hint(make_repo):
    repo = make_repo(REPO)
    result = run_cli("graph", "prd", cwd=repo)
    assert result.code == 2
    assert result.err == "gitstore: error: no stack named `prd` (did you mean `prod`?)\n"


def test_graph_of_a_commit_and_people_on_demand(make_repo):
    repo = make_repo(REPO)
    (repo / "stacks/prod.yaml").unlink()
    assert '[["prod"]]' not in run_cli("graph", cwd=repo).out
    out = run_cli("graph", "--rev", "HEAD", "--people", "prod", cwd=repo).out
    assert '[["prod"]]' in out and '[/"role admin"/]' in out and '[["dev"]]' not in out
