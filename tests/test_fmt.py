"""`gitstore fmt` and the canonical style every writer of gitstore produces."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from gitstore.canonical import canonical_text, needs_quotes
from gitstore.plumbing.yamlio import resolve_plain, round_trip, yaml11_reads_otherwise

PROJECT = Path(__file__).resolve().parent.parent

MESSY = {
    "gitstore.yaml": "format: 1\n",
    "stacks/prod.yaml": ("# production stack\ncomponents:   # one per type\n"
                         "    orchestrator: 'kf'  # kubeflow (comments keep their column)\n"
                         "    artifact_store: \"s3\"\ndescription: 'Production'\nid: "
                         "6f1c1c1e-2b6a-5d3e-9a57-5c0f9e7d4a21\n"),
    "components/orchestrator/kf.yaml": "config:\n  synchronous: true\nflavor: kubeflow\n",
    "components/artifact_store/s3.yaml": ("flavor: s3\nconfig:\n  path: 's3://bucket'\n"
                                          "  key: '{{ aws.key }}'\n  secret: '{{ aws.secret }}'\n"),
    "roles/admin.yaml": ("assignments:\n- project: p\n  team: t\npermissions: {stack: [read]}\n"),
    "teams/t.yaml": "members: []\n",
    "projects/p.yaml": "description: ~\n",
}
CANONICAL = {
    "stacks/prod.yaml": ("# production stack\nid: 6f1c1c1e-2b6a-5d3e-9a57-5c0f9e7d4a21\n"
                         "description: Production\ncomponents:   # one per type\n"
                         "  orchestrator: kf      # kubeflow (comments keep their column)\n"
                         "  artifact_store: s3\n"),
    "components/orchestrator/kf.yaml": "flavor: kubeflow\nconfig:\n  synchronous: true\n",
    "components/artifact_store/s3.yaml": ('flavor: s3\nconfig:\n  path: s3://bucket\n'
                                          '  key: "{{ aws.key }}"\n  secret: "{{ aws.secret }}"\n'),
    "roles/admin.yaml": "permissions: {stack: [read]}\nassignments:\n  - team: t\n    project: p\n",
    "projects/p.yaml": "description: null\n",
}


@pytest.fixture
def messy(make_repo) -> Path:
    return make_repo(MESSY)


def test_fmt_rewrites_into_the_canonical_style_and_keeps_comments(messy: Path) -> None:
    result = run_cli("fmt", cwd=messy)
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == "5 of 7 file(s) reformatted"
    for path, text in CANONICAL.items():
        assert (messy / path).read_text() == text, path
    assert (messy / "teams/t.yaml").read_text() == MESSY["teams/t.yaml"]
    assert run_cli("validate", cwd=messy).code == 0


def test_fmt_is_idempotent(messy: Path) -> None:
    run_cli("fmt", cwd=messy)
    before = {p: (messy / p).read_text() for p in MESSY}
    again = run_cli("fmt", cwd=messy)
    assert again.out.splitlines() == ["0 of 7 file(s) reformatted"]
    assert {p: (messy / p).read_text() for p in MESSY} == before


def test_check_lists_files_and_exits_1_writing_nothing(messy: Path) -> None:
    result = run_cli("fmt", "--check", cwd=messy)
    assert result.code == 1
    assert result.out.splitlines() == [f"would reformat {p}" for p in sorted(CANONICAL)]
    assert {p: (messy / p).read_text() for p in MESSY} == MESSY
    run_cli("fmt", cwd=messy)
    assert run_cli("fmt", "--check", cwd=messy).code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(messy: Path) -> None:
    result = run_cli("fmt", "--diff", "components/orchestrator", cwd=messy)
    assert result.code == 0
    assert result.out == ("--- a/components/orchestrator/kf.yaml\n+++ b/components/orchestrator/kf.yaml\n"
                          "@@ -1,3 +1,3 @@\n+flavor: kubeflow\n config:\n   synchronous: true\n"
                          "-flavor: kubeflow\n")
    assert result.err == "would reformat components/orchestrator/kf.yaml\n"
    assert (messy / "components/orchestrator/kf.yaml").read_text() == MESSY["components/orchestrator/kf.yaml"]


def test_paths_limit_what_is_formatted_and_files_outside_the_layout_are_left_alone(messy: Path) -> None:
    write_files(messy, {"notes.yaml": "b: 1\na:   'x'\n"})
    result = run_cli("fmt", "stacks/prod.yaml", "notes.yaml", cwd=messy)
    assert result.out.splitlines() == ["reformatted stacks/prod.yaml", "1 of 1 file(s) reformatted"]
    assert (messy / "notes.yaml").read_text() == "b: 1\na:   'x'\n"
    assert (messy / "roles/admin.yaml").read_text() == MESSY["roles/admin.yaml"]


@pytest.mark.parametrize("broken", ["components: [kf\n", "a: 1\na: 2\n", "\tx: 1\n", "- a\n"])
def test_a_file_that_cannot_be_read_is_located_and_nothing_is_written(messy: Path, broken: str) -> None:
    write_files(messy, {"stacks/broken.yaml": broken})
    result = run_cli("fmt", cwd=messy)
    assert result.code == 1
    first = result.err.splitlines()[0]
    assert first.startswith("stacks/broken.yaml:") and " GS00" in first
    assert result.err.splitlines()[-1] == "gitstore: error: 1 file(s) cannot be read; nothing was formatted"
    assert {p: (messy / p).read_text() for p in MESSY} == MESSY


def test_a_missing_path_is_a_usage_error_and_paths_outside_are_left_alone(messy: Path) -> None:
    result = run_cli("fmt", "nope.yaml", cwd=messy)
    assert (result.code, result.err) == (
        2, f"gitstore: error: {messy}/nope.yaml: no such file or directory\n")
    outside = run_cli("fmt", "--check", "/", cwd=messy)
    assert outside.code == 0 and outside.out == ""
    assert outside.err == (f"gitstore: warning: / is outside the configuration repository at {messy}; "
                           "left alone\n")


def test_paths_from_the_git_root_find_a_configuration_in_a_subfolder(make_repo) -> None:
    repo = make_repo({f"platform/{k}": v for k, v in MESSY.items()} | {".github/ci.yaml": "on: push\n"})
    result = run_cli("fmt", "platform/stacks/prod.yaml", ".github/ci.yaml", cwd=repo)
    assert result.code == 0, result
    assert result.out.splitlines() == ["reformatted stacks/prod.yaml", "1 of 1 file(s) reformatted"]
    assert (repo / "platform/stacks/prod.yaml").read_text() == CANONICAL["stacks/prod.yaml"]
    assert (repo / ".github/ci.yaml").read_text() == "on: push\n"


def test_the_examples_are_canonical() -> None:
    for example in ("small-team", "platform"):
        result = run_cli("-C", str(PROJECT / "examples" / "valid" / example), "fmt", "--check")
        assert (result.code, result.out) == (0, ""), example


def test_init_import_and_the_library_write_canonical_files(tmp_path: Path) -> None:
    from gitstore import GitZenStore
    from gitstore.models import StackComponentType, StackWrapper

    repo = tmp_path / "config"
    assert run_cli("init", str(repo)).code == 0
    assert run_cli("fmt", "--check", cwd=repo).code == 0
    store = GitZenStore().initialize(str(repo))
    store.create_project("fraud", description="yes")
    store.create_role("admin")
    store.create_team("ml")
    store.create_user("1e3")
    store.add_user_to_team("ml", "1e3")
    store.assign_role("admin", "ml", project_name="fraud", is_user=False)
    default = store.get_stack("default")
    store.register_stack(StackWrapper(name="second", components=[
        default.get_component_wrapper(StackComponentType.ORCHESTRATOR)]))
    result = run_cli("fmt", "--check", cwd=repo)
    assert (result.code, result.out) == (0, ""), result
    exported = tmp_path / "zen-store"
    assert run_cli("-C", str(repo), "export", "zenml", str(exported)).code == 0
    imported = tmp_path / "imported"
    assert run_cli("import", "zenml", str(exported), str(imported)).code == 0
    result = run_cli("fmt", "--check", cwd=imported)
    assert (result.code, result.out) == (0, ""), result


def test_the_library_leaves_a_hand_formatted_file_as_it_was_around_its_edit(make_repo) -> None:
    from gitstore import GitZenStore

    repo = make_repo({"gitstore.yaml": "format: 1\n", "users/ann.yaml": "{}\n", "users/bob.yaml": "{}\n",
                      "teams/t.yaml": "# hand-written\nmembers:\n- ann     # first\n"})
    store = GitZenStore().initialize(str(repo), skip_default_registrations=True)
    store.add_user_to_team("t", "bob")
    assert (repo / "teams/t.yaml").read_text() == "# hand-written\nmembers:\n- ann     # first\n- bob\n"


def test_canonical_text_quotes_only_where_yaml_1_2_or_1_1_needs_it() -> None:
    text = ("config:\n  a: 'plain'\n  b: \"0755\"\n  c: 'on'\n  d: 'true'\n  e: '{{ s.k }}'\n  f: ''\n"
            "  g: 'a: b'\n  h: [x, 'y, z']\nflavor: local\n")
    assert canonical_text("components/orchestrator/x.yaml", text) == (
        'flavor: local\nconfig:\n  a: plain\n  b: "0755"\n  c: "on"\n  d: "true"\n  e: "{{ s.k }}"\n  f: ""\n'
        '  g: "a: b"\n  h: [x, "y, z"]\n')


PRE_COMMIT_HOOK = "gitstore-fmt"


def test_the_gitstore_fmt_hook_through_pre_commit(tmp_path: Path, make_repo, monkeypatch) -> None:
    from test_hooks_precommit import PRE_COMMIT

    assert shutil.which(PRE_COMMIT) or Path(PRE_COMMIT).exists(), "pre-commit is not installed"
    hooks = (PROJECT / ".pre-commit-hooks.yaml").read_text()
    assert f"- id: {PRE_COMMIT_HOOK}\n" in hooks and "entry: gitstore fmt\n" in hooks
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pc-home"))
    repo = make_repo({**MESSY, ".pre-commit-config.yaml": (
        "repos:\n  - repo: local\n    hooks:\n      - id: gitstore-fmt\n        name: gitstore fmt\n"
        "        entry: gitstore fmt\n        language: system\n        files: \\.yaml$\n")})
    bin_dir = str(Path(PRE_COMMIT).parent) if "/" in PRE_COMMIT else ""
    env_path = f"{bin_dir}:{__import__('os').environ['PATH']}" if bin_dir else None
    env = {**__import__("os").environ, **({"PATH": env_path} if env_path else {})}
    write_files(repo, {"stacks/prod.yaml": MESSY["stacks/prod.yaml"] + "# touched\n"})
    git(repo, "add", "-A")
    first = subprocess.run([PRE_COMMIT, "run"], cwd=repo, capture_output=True, text=True, env=env,
                           timeout=300)
    assert first.returncode == 1, first.stdout + first.stderr  # files were modified
    assert "reformatted stacks/prod.yaml" in first.stdout
    git(repo, "add", "-A")
    second = subprocess.run([PRE_COMMIT, "run"], cwd=repo, capture_output=True, text=True, env=env,
                            timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr



@settings(max_examples=300, deadline=None)
@given(value=st.from_regex(r"[A-Za-z0-9_/][A-Za-z0-9_./@+=-]{0,12}", fullmatch=True), flow=st.booleans())
def test_plain_names_need_quotes_exactly_when_yaml_needs_them(value: str, flow: bool) -> None:
    """The fast path for names and ids agrees with ruamel's emitter and both readers."""
    probe = round_trip()
    probe.default_flow_style = flow
    out = io.StringIO()
    probe.dump([value] if flow else {"k": value}, out)
    emitter_quotes = out.getvalue() != (f"[{value}]\n" if flow else f"k: {value}\n")
    reads_otherwise = resolve_plain(value) != value or yaml11_reads_otherwise(value)
    assert needs_quotes(value, flow) == (emitter_quotes or reads_otherwise)
