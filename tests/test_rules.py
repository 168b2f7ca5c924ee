"""Every rule code, triggered, with the exact path, line and column it reports.

Each case is a small repository (``gitstore.yaml`` is added when missing) and
the complete list of problems it must give as ``(code, path, line, column)``.
The cases run in-process on a plain directory; the few rules that need git
(unmerged paths, gitlinks) or awkward files are exercised through git below.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import git, write_files

from gitstore.plumbing.sources import find_config_repo
from gitstore.problems import RULES
from gitstore.validate import validate

Found = tuple[str, str, int | None, int | None]
SETTINGS = {"gitstore.yaml": "format: 1\n"}
LOCAL_ORCH = {"components/orchestrator/local.yaml": "flavor: local\n"}

CASES: list[tuple[str, dict[str, str | bytes], list[Found]]] = [
    ("GS001", {"users/a.yaml": "email: [a@b.c\n"}, [("GS001", "users/a.yaml", 2, 1)]),
    ("GS001", {"users/a.yaml": "accounts:\n\tgithub: a\n"}, [("GS001", "users/a.yaml", 2, 1)]),
    ("GS001", {"users/a.yaml": "1: x\n"}, [("GS001", "users/a.yaml", 1, 1)]),
    ("GS001", {"users/a.yaml": "? [a]\n: x\n"}, [("GS001", "users/a.yaml", 1, 3)]),
    ("GS002", {"users/a.yaml": "email: a@b.c\naccounts:\n  gh: a\n  gh: b\n"},
     [("GS002", "users/a.yaml", 4, 3)]),
    ("GS003", {"teams/t.yaml": "members: &m [a]\n"}, [("GS003", "teams/t.yaml", 1, 10)]),
    ("GS003", {"teams/t.yaml": "members:\n  - *m\n"}, [("GS003", "teams/t.yaml", 2, 5)]),
    ("GS004", {"users/a.yaml": "email: !!python/object/apply:os.system [ls]\n"},
     [("GS004", "users/a.yaml", 1, 8)]),
    ("GS004", {"users/a.yaml": "email: !custom a@b.c\n"}, [("GS004", "users/a.yaml", 1, 8)]),
    ("GS005", {"users/a.yaml": "{}\n---\n{}\n"}, [("GS005", "users/a.yaml", 2, 1)]),
    ("GS006", {"users/a.yaml": ""}, [("GS006", "users/a.yaml", None, None)]),
    ("GS006", {"users/a.yaml": "# only a comment\n"}, [("GS006", "users/a.yaml", None, None)]),
    ("GS006", {"users/a.yaml": "---\n...\n"}, [("GS006", "users/a.yaml", 2, 1)]),
    ("GS006", {"users/a.yaml": "\n\n- a\n"}, [("GS006", "users/a.yaml", 3, 1)]),
    ("GS007", {"users/a.yaml": b"email: a@b.c\naccounts: {gh: \xc3\x28}\n"},
     [("GS007", "users/a.yaml", 2, 16)]),
    ("GS008", {"users/a.yaml": "email: a@b.c\n<<<<<<< HEAD\n"}, [("GS008", "users/a.yaml", 2, 1)]),
    ("GS008", {"users/a.yaml": "email: a@b.c\n=======\n"}, [("GS008", "users/a.yaml", 2, 1)]),
    ("GS009", {"users/a.yaml": "accounts: " + "[" * 65 + "]" * 65 + "\n"},
     [("GS009", "users/a.yaml", 1, 74)]),
    ("GS009", {"users/a.yaml": "x: " + "[" * 2000 + "]" * 2000 + "\n"},
     [("GS009", "users/a.yaml", 1, 1003)]),
    ("GS010", {"users/a.yaml": "email: a@b.c\n" + "# padding\n" * 110_000},
     [("GS010", "users/a.yaml", None, None)]),
    ("GS020", {"users/a.yml": "{}\n"}, [("GS020", "users/a.yml", None, None)]),
    ("GS021", {"users/x/a.yaml": "{}\n", "stacks/a.json": "{}", "components/a.yaml": "{}\n",
               "teams/README": "x"},
     [("GS021", "components/a.yaml", None, None), ("GS021", "stacks/a.json", None, None),
      ("GS021", "teams/README", None, None), ("GS021", "users/x/a.yaml", None, None)]),
    ("GS022", {"components/orchestrators/a.yaml": "flavor: local\n",
               "flavors/Orchestrator/b.yaml": "source: a.B\n"},
     [("GS022", "components/orchestrators/a.yaml", None, None),
      ("GS022", "flavors/Orchestrator/b.yaml", None, None)]),
    ("GS023", {"users/-a.yaml": "{}\n", "users/.a.yaml": "{}\n", "users/a b.yaml": "{}\n",
               "users/" + "a" * 129 + ".yaml": "{}\n", "users/é.yaml": "{}\n"},
     [("GS023", "users/-a.yaml", None, None), ("GS023", "users/.a.yaml", None, None),
      ("GS023", "users/a b.yaml", None, None), ("GS023", "users/" + "a" * 129 + ".yaml", None, None),
      ("GS023", "users/é.yaml", None, None)]),
    ("GS024", {"users/Ann.yaml": "{}\n", "users/ann.yaml": "{}\n", "users/ANN.yaml": "{}\n"},
     [("GS024", "users/Ann.yaml", None, None), ("GS024", "users/ann.yaml", None, None)]),
    ("GS101", {"users/a.yaml": "email: 42\n"}, [("GS101", "users/a.yaml", 1, 8)]),
    ("GS101", {"teams/t.yaml": "members:\n  - a\n  - a\n", "users/a.yaml": "{}\n"},
     [("GS101", "teams/t.yaml", 2, 3)]),
    ("GS101", {"roles/r.yaml": "permissions:\n  stack: [read, raed]\n"},
     [("GS101", "roles/r.yaml", 2, 17)]),
    ("GS101", {"users/a.yaml": "id: not-a-uuid\n"}, [("GS101", "users/a.yaml", 1, 5)]),
    ("GS102", {"users/a.yaml": "email: a@b.c\nemali: x\n"}, [("GS102", "users/a.yaml", 2, 1)]),
    ("GS102", {**LOCAL_ORCH, "stacks/s.yaml": "components:\n  orchestrator: local\n  orchestrater: x\n"},
     [("GS102", "stacks/s.yaml", 3, 3)]),
    ("GS102", {"roles/r.yaml": "permissions: {stacks: [read]}\n"}, [("GS102", "roles/r.yaml", 1, 15)]),
    ("GS103", {"stacks/s.yaml": "description: x\n"}, [("GS103", "stacks/s.yaml", 1, 1)]),
    ("GS103", {"components/orchestrator/o.yaml": "config: {}\n"},
     [("GS103", "components/orchestrator/o.yaml", 1, 1)]),
    ("GS201", {"components/orchestrator/o.yaml": "config: {}\nflavor: kubeflw\n"},
     [("GS201", "components/orchestrator/o.yaml", 2, 9)]),
    ("GS201", {"components/artifact_store/a.yaml": "flavor: kubeflow\n"},
     [("GS201", "components/artifact_store/a.yaml", 1, 9)]),
    ("GS202", {"components/orchestrator/o.yaml": "flavor: kubeflow\nconfig:\n  synchronous: 1\n"
               "  kubeflow_hostnam: x\n"},
     [("GS202", "components/orchestrator/o.yaml", 3, 16), ("GS202", "components/orchestrator/o.yaml", 4, 3)]),
    ("GS202", {"flavors/orchestrator/f.yaml": "source: a.F\nconfig_schema:\n  type: object\n"
               "  properties: {n: {type: integer}}\n",
               "components/orchestrator/o.yaml": "flavor: f\nconfig:\n  n: two\n"},
     [("GS202", "components/orchestrator/o.yaml", 3, 6)]),
    ("GS203", {**LOCAL_ORCH, "stacks/s.yaml": "components:\n  orchestrator: lcoal\n"},
     [("GS203", "stacks/s.yaml", 2, 17)]),
    ("GS204", {"gitstore.yaml": "format: 1\nrequired_components: [artifact_store]\n", **LOCAL_ORCH,
               "stacks/s.yaml": "description: x\ncomponents: {orchestrator: local}\n"},
     [("GS204", "stacks/s.yaml", 2, 1)]),
    ("GS205", {"teams/t.yaml": "members: [ghost]\n"}, [("GS205", "teams/t.yaml", 1, 11)]),
    ("GS206", {"roles/r.yaml": "assignments:\n- user: ghost\n- team: ghosts\n"},
     [("GS206", "roles/r.yaml", 2, 9), ("GS206", "roles/r.yaml", 3, 9)]),
    ("GS207", {"users/a.yaml": "{}\n", "roles/r.yaml": "assignments:\n  - user: a\n    project: p\n"},
     [("GS207", "roles/r.yaml", 3, 14)]),
    ("GS208", {"gitstore.yaml": "# settings\nformat: 1\ndefault_stack: prod\n"},
     [("GS208", "gitstore.yaml", 3, 16)]),
    ("GS209", {"users/a.yaml": "id: 11111111-2222-3333-4444-555555555555\n",
               "users/b.yaml": "email: b@c.d\nid: '11111111222233334444555555555555'\n",
               "projects/a.yaml": "id: 11111111-2222-3333-4444-555555555555\n"},
     [("GS209", "users/b.yaml", 2, 5)]),
    ("GS210", {"flavors/metadata_store/mysql.yaml": "source: a.Mysql\n"},
     [("GS210", "flavors/metadata_store/mysql.yaml", 1, 1)]),
    ("GS211", {"flavors/orchestrator/f.yaml": "source: a.F\nconfig_schema:\n  properties:\n"
               "    n: {type: 3}\n"},
     [("GS211", "flavors/orchestrator/f.yaml", 4, 15)]),
    ("GS211", {"flavors/orchestrator/f.yaml": "source: a.F\nconfig_schema:\n  $ref: other.json\n"},
     [("GS211", "flavors/orchestrator/f.yaml", 3, 9)]),
    ("GS301", {"components/secrets_manager/v.yaml": "flavor: vault\nconfig:\n  url: https://v\n"
               "  mount_point: m\n  token: s3cr3t\n"},
     [("GS301", "components/secrets_manager/v.yaml", 5, 10)]),
    ("GS301", {"flavors/alerter/pager.yaml": "source: a.P\nconfig_schema:\n  properties:\n"
               "    key: {type: string, writeOnly: true}\n",
               "components/alerter/p.yaml": "flavor: pager\nconfig: {key: plain}\n"},
     [("GS301", "components/alerter/p.yaml", 2, 15)]),
    ("GS302", {"components/artifact_store/s.yaml": "flavor: s3\nconfig:\n  path: s3://b\n"
               "  config_kwargs:\n    password: hunter2\n"},
     [("GS302", "components/artifact_store/s.yaml", 5, 15)]),
]


def problems_of(root: Path) -> list[Found]:
    report = validate(find_config_repo(root).worktree(), use_cache=False)
    return [(p.code, p.path, p.line, p.column) for p in report.problems]


@pytest.mark.parametrize(("code", "files", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule(code: str, files: dict[str, str | bytes], expected: list[Found], tmp_path: Path) -> None:
    write_files(tmp_path, {**SETTINGS, **files})
    assert problems_of(tmp_path) == expected
    assert {found[0] for found in expected} == {code}


# Rules beyond the configuration's own files: run records on the runs branch (GS4xx,
# tests/test_runs_show_validate.py) and changes, commits and CODEOWNERS (GS5xx, tests/test_trust_*.py).
RUN_RULES = {code for code in RULES if code >= "GS400"}


def test_every_rule_has_a_case() -> None:
    covered = {case[0] for case in CASES} | {"GS011", "GS012"}  # the last two: tests below
    assert covered == set(RULES) - RUN_RULES


def test_every_rule_has_a_severity_and_title() -> None:
    for rule in RULES.values():
        assert rule.severity in ("error", "warning") and rule.title


def _git_modes(repo: Path) -> list[list[Found]]:
    out = []
    for source in (find_config_repo(repo).index(), find_config_repo(repo).commit("HEAD")):
        report = validate(source, use_cache=False)
        out.append([(p.code, p.path, p.line, p.column) for p in report.problems])
    return out


def test_gs011_symlinks_in_every_mode(make_repo) -> None:
    repo = make_repo({**SETTINGS, "users/a.yaml": "{}\n", "elsewhere/t.yaml": "members: [a]\n"},
                     commit=False)
    os.symlink("a.yaml", repo / "users/b.yaml")
    os.symlink("elsewhere", repo / "teams")
    os.symlink("../users", repo / "elsewhere/projects")  # outside the layout: ignored
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "links")
    expected = [("GS011", "teams", None, None), ("GS011", "users/b.yaml", None, None)]
    assert problems_of(repo) == expected
    assert _git_modes(repo) == [expected, expected]


def test_gs011_symlinked_settings_file(tmp_path: Path) -> None:
    write_files(tmp_path, {"real.yaml": "format: 1\n"})
    os.symlink("real.yaml", tmp_path / "gitstore.yaml")
    assert problems_of(tmp_path) == [("GS011", "gitstore.yaml", None, None)]


def test_gs012_unmerged_path_in_the_index(make_repo) -> None:
    repo = make_repo({**SETTINGS, "users/a.yaml": "email: a@b.c\n"})
    git(repo, "checkout", "-q", "-b", "other")
    write_files(repo, {"users/a.yaml": "email: other@b.c\n"})
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"users/a.yaml": "email: main@b.c\n"})
    git(repo, "commit", "-q", "-am", "main")
    git(repo, "merge", "-q", "other", check=False)
    staged = validate(find_config_repo(repo).index(), use_cache=False)
    assert [(p.code, p.path, p.line, p.column) for p in staged.problems] == [
        ("GS012", "users/a.yaml", None, None)]
    # the working tree holds the conflict markers git wrote
    assert problems_of(repo) == [("GS008", "users/a.yaml", 1, 1)]


def test_gs012_submodule_entry(make_repo) -> None:
    repo = make_repo()
    oid = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{oid},users/sub")
    git(repo, "commit", "-q", "-m", "gitlink")
    expected = [("GS012", "users/sub", None, None)]
    assert _git_modes(repo) == [expected, expected]


def test_gs012_special_file_in_the_working_tree(tmp_path: Path) -> None:
    write_files(tmp_path, SETTINGS)
    (tmp_path / "users").mkdir()
    os.mkfifo(tmp_path / "users/pipe.yaml")  # never opened: reading a fifo would hang
    assert problems_of(tmp_path) == [("GS012", "users/pipe.yaml", None, None)]


README = Path(__file__).resolve().parent.parent / "README.md"


def readme_rule_examples() -> dict[str, tuple[dict[str, str], list[str], bool]]:
    """code -> (files, output lines, runnable) from the README's `rules` section."""
    import re

    examples = {}
    for block in rules_sections().split("\n#### ")[1:]:
        code = block.split("\n", 1)[0].strip()
        files = dict(re.findall(r"`([^`\n]+)`:\n\n```yaml\n(.*?)```", block, re.S))
        output = re.findall(r"```text\n(.*?)```", block, re.S)
        assert len(output) == 1, code
        runnable = bool(files) and "*not runnable as text*" not in block
        examples[code] = (files, output[0].splitlines(), runnable)
    return examples


def rules_sections() -> str:
    """The `rules` sections of the README and of the pages under docs/, in that order."""
    pages = [README, *sorted((README.parent / "docs").glob("*.md"))]
    sections = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "<!-- section: rules -->" in text:
            section = text.split("<!-- section: rules -->", 1)[1]
            sections.append(section.split("<!-- end section: rules -->", 1)[0])
    return "\n".join(sections)


def test_readme_documents_every_rule_with_severity_and_title() -> None:
    section = rules_sections()
    for rule in RULES.values():
        assert f"| [{rule.code}](#{rule.code.lower()}) | {rule.severity} | {rule.title} |" in section
    assert set(readme_rule_examples()) == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_readme_rule_examples(code: str, tmp_path: Path) -> None:
    from gitstore.report import format_text

    files, lines, runnable = readme_rule_examples()[code]
    assert lines[0].split(": ", 1)[1].startswith(code)
    if not runnable:
        return
    write_files(tmp_path, {**SETTINGS, **files})
    printed = format_text(validate(find_config_repo(tmp_path).worktree(), use_cache=False))
    first = printed.splitlines().index(lines[0])
    assert printed.splitlines()[first:first + len(lines)] == lines
