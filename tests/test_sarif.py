"""`gitstore validate --format sarif`, checked against the SARIF 2.1.0 JSON schema.

tests/data/sarif-schema-2.1.0.json is OASIS's published schema
(https://docs.oasis-open.org/sarif/sarif/v2.1.0/, `$id`
https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import git, run_cli
from jsonschema import Draft7Validator

from gitstore.problems import RULES, Problem
from gitstore.sarif import MAX_RESULTS, format_sarif, related_paths
from gitstore.validate import Report

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BROKEN = {
    "gitstore.yaml": "format: 1\ndefault_stack: prd\n",
    "components/orchestrator/kf.yaml": "flavor: kubeflow\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kff\n",
    "users/a.yaml": "id: 11111111-1111-4111-8111-111111111111\n",
    "users/b.yaml": "id: 11111111-1111-4111-8111-111111111111\n",
    "components/artifact_store/s3.yaml": "flavor: s3\nconfig:\n  secret: hunter2\n",
    "flavors/orchestrator/local.yaml": "source: acme.Local\n",
}


def valid_sarif(text: str) -> dict[str, Any]:
    log = json.loads(text)
    errors = sorted(Draft7Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return log


def test_the_schema_copy_is_sarif_2_1_0() -> None:
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    Draft7Validator.check_schema(SCHEMA)
    with pytest.raises(AssertionError):  # the check can fail
        valid_sarif(json.dumps({"version": "2.1.0", "runs": [{"tool": {}}]}))


def test_sarif_output_validates_and_says_what_code_scanning_needs(make_repo) -> None:
    repo = make_repo(BROKEN)
    result = run_cli("validate", "--format", "sarif", cwd=repo)
    assert result.code == 1 and result.err == ""
    log = valid_sarif(result.out)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    gs203 = rules[list(RULES).index("GS203")]
    assert gs203["shortDescription"]["text"] == "stack uses a missing component"
    assert gs203["help"]["text"].startswith("GS203 (error): stack uses a missing component\n")
    assert gs203["defaultConfiguration"]["level"] == "error"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"GS203", "GS208", "GS209", "GS210", "GS301"}
    broken = by_rule["GS203"]
    assert broken["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "stacks/prod.yaml"}, "region": {"startLine": 2, "startColumn": 17}}
    assert broken["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "components/orchestrator/kff.yaml")
    assert rules[broken["ruleIndex"]]["id"] == "GS203"
    duplicate = [r for r in run["results"] if r["ruleId"] == "GS209"]
    assert {d["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] for d in duplicate} <= {
        "users/a.yaml", "users/b.yaml"}
    assert by_rule["GS210"]["level"] == "warning" and by_rule["GS301"]["level"] == "error"
    assert all(len(r["partialFingerprints"]["gitstoreProblem/v1"]) == 64 for r in run["results"])


RELATED = {
    "gitstore.yaml": ("format: 1\n# every stack needs these\n"
                      "required_components: [orchestrator, artifact_store]\n"),
    "components/orchestrator/local.yaml": "flavor: local\n",
    "stacks/dev.yaml": "components:\n  orchestrator: local\n  artifact_store: lake\n",  # GS203
    "stacks/prod.yaml": "components:\n  orchestrator: local\n",  # GS204
    "users/a.yaml": "# the first one\nid: 11111111-1111-4111-8111-111111111111\n",
    "users/b.yaml": "id: 11111111-1111-4111-8111-111111111111\n",  # GS209
    "teams/ml.yaml": "members: [bob]\n",  # GS205
    "users/Carol.yaml": "{}\n",
    "users/carol.yaml": "{}\n",  # GS024
}


def related_regions(log: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """rule -> (uri, region) of each related location of its results."""
    found: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for result in log["runs"][0]["results"]:
        for related in result.get("relatedLocations", []):
            physical = related["physicalLocation"]
            found.setdefault(result["ruleId"], []).append(
                (physical["artifactLocation"]["uri"], physical.get("region", {})))
    return found


def test_related_locations_point_at_the_line_of_what_they_name(make_repo) -> None:
    repo = make_repo({f"platform/{k}": v for k, v in RELATED.items()})
    log = valid_sarif(run_cli("-C", "platform", "validate", "--format", "sarif", cwd=repo).out)
    assert related_regions(log) == {
        # the component that does not exist: where its file would start
        "GS203": [("platform/components/artifact_store/lake.yaml", {"startLine": 1, "startColumn": 1})],
        # the key that asks for the missing component types
        "GS204": [("platform/gitstore.yaml", {"startLine": 3, "startColumn": 1})],
        # the other file's id
        "GS209": [("platform/users/a.yaml", {"startLine": 2, "startColumn": 1})],
        "GS205": [("platform/users/bob.yaml", {"startLine": 1, "startColumn": 1})],
        # the other file of a case collision, as a whole
        "GS024": [("platform/users/Carol.yaml", {"startLine": 1, "startColumn": 1})],
    }


def test_related_locations_are_read_from_the_state_checked(make_repo) -> None:
    repo = make_repo(RELATED)
    (repo / "users/a.yaml").write_text("# one\n# two\n# three\nid: 11111111-1111-4111-8111-111111111111\n")
    (repo / "gitstore.yaml").write_text("required_components: [orchestrator, artifact_store]\nformat: 1\n")
    git(repo, "add", "users/a.yaml")
    for args, a_line, settings_line in (([], 4, 1), (["--staged"], 4, 3), (["--rev", "HEAD"], 2, 3)):
        log = valid_sarif(run_cli("validate", "--format", "sarif", *args, cwd=repo).out)
        regions = related_regions(log)
        assert regions["GS209"] == [("users/a.yaml", {"startLine": a_line, "startColumn": 1})], args
        assert regions["GS204"] == [("gitstore.yaml", {"startLine": settings_line, "startColumn": 1})], args


def test_related_locations_without_the_files_start_at_line_1() -> None:
    problem = Problem("users/b.yaml", 1, 1, "GS209", "id x is also the id of users/a.yaml")
    log = valid_sarif(format_sarif(Report("working tree", 2, [problem])))
    assert related_regions(log) == {"GS209": [("users/a.yaml", {"startLine": 1, "startColumn": 1})]}


def test_fingerprints_survive_lines_moving(make_repo) -> None:
    repo = make_repo(BROKEN)
    first = json.loads(run_cli("validate", "--format", "sarif", cwd=repo).out)
    moved = "# a comment moves the problem down\n" + BROKEN["stacks/prod.yaml"]
    (repo / "stacks/prod.yaml").write_text(moved)
    second = json.loads(run_cli("validate", "--format", "sarif", cwd=repo).out)

    def prints(log: dict[str, Any]) -> dict[str, str]:
        results = log["runs"][0]["results"]
        return {r["ruleId"]: r["partialFingerprints"]["gitstoreProblem/v1"] for r in results}

    assert prints(first) == prints(second)
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"]
             for r in second["runs"][0]["results"] if r["ruleId"] == "GS203"}
    assert lines == {"GS203": 3}


def test_a_valid_repository_gives_an_empty_valid_log(make_repo) -> None:
    repo = make_repo({"gitstore.yaml": "format: 1\n"})
    result = run_cli("validate", "--format", "sarif", cwd=repo)
    assert result.code == 0
    assert valid_sarif(result.out)["runs"][0]["results"] == []


def test_paths_start_at_the_checkout_root_when_the_configuration_is_in_a_subfolder(make_repo) -> None:
    repo = make_repo({f"platform/{k}": v for k, v in BROKEN.items()})
    log = valid_sarif(run_cli("-C", "platform", "validate", "--format", "sarif", cwd=repo).out)
    results = log["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "platform/stacks/prod.yaml" in uris and all(u.startswith("platform/") for u in uris)
    for result in log["runs"][0]["results"]:
        for related in result.get("relatedLocations", []):
            assert related["physicalLocation"]["artifactLocation"]["uri"].startswith("platform/")


def test_at_most_5000_results_with_a_note_when_more_exist() -> None:
    problems = [Problem(f"users/u{i:05}.yaml", 1, 1, "GS102", f"unknown key `x{i}`")
                for i in range(MAX_RESULTS + 7)]
    log = valid_sarif(format_sarif(Report("working tree", len(problems), problems)))
    run = log["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["message"]["text"].startswith("7 more problem(s) not included")
    assert run["properties"]["problems"] == MAX_RESULTS + 7


def test_related_paths_name_the_other_file_only() -> None:
    p = Problem("stacks/a.yaml", 2, 3, "GS203", "orchestrator `x` does not exist (expected "
                "components/orchestrator/x.yaml)", "did you mean `y`?")
    assert related_paths(p) == ["components/orchestrator/x.yaml"]
    assert related_paths(Problem("stacks/a.yaml", 1, 1, "GS102", "unknown key `stacks/a.yaml`")) == []


def test_the_github_recipe_writes_a_valid_report_even_when_validation_fails(make_repo) -> None:
    from test_hooks_ci import github_workflow, shell

    steps = {s.get("name", ""): s for s in github_workflow()["jobs"]["validate"]["steps"]}
    upload = steps["Upload to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "gitstore.sarif"
    repo = make_repo(BROKEN)
    done = shell(steps["Code scanning report"]["run"], repo, {})
    assert done.returncode == 0, done.stderr
    log = valid_sarif((repo / "gitstore.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["results"]
    assert "security-events" in github_workflow()["permissions"]


def test_messages_link_their_related_locations_with_literal_brackets_escaped() -> None:
    problem = Problem("users/b.yaml", 1, 1, "GS209", "id [x] is also the id of users/a.yaml",
                      "give one of them a new id")
    result = json.loads(format_sarif(Report("working tree", 2, [problem])))["runs"][0]["results"][0]
    assert result["relatedLocations"][0]["id"] == 1
    assert result["message"]["text"] == (
        "id \\[x\\] is also the id of users/a.yaml (hint: give one of them a new id)"
        " (see [users/a.yaml](1))")
    plain = Problem("users/b.yaml", 1, 1, "GS001", "broken [yaml]")
    result = json.loads(format_sarif(Report("working tree", 1, [plain])))["runs"][0]["results"][0]
    assert result["message"]["text"] == "broken [yaml]" and "relatedLocations" not in result
