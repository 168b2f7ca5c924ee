"""Every reader sees a file as validation does (YAML 1.2): run pinning, run records, the
library, the runs-branch setting in the pre-receive hook."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import git, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hooks_receive import Pushing, remote_lines
from test_runs_support import a_run, config_files

from gitstore import GitZenStore
from gitstore.plumbing.yamlio import dump_plain, dump_text, load_mapping
from gitstore.runs import get_run, record_run
from gitstore.runs.layout import record_path

ODD = "flavor: shell\nconfig:\n  mode: on\n  perms: 0755\n  level: no\n  ratio: 1e3\n"
SHELL = ("source: acme.flavors.Shell\nconfig_schema:\n  type: object\n  properties:\n"
         "    mode: {type: string}\n    perms: {type: integer}\n    level: {type: string}\n"
         "    ratio: {type: number}\n")
ODD_VALUES = {"mode": "on", "perms": 755, "level": "no", "ratio": 1000.0}


def odd_repo(make_repo: Callable[..., Path], **settings: str) -> Path:
    files = config_files(**{"components/orchestrator/default.yaml": ODD,
                            "flavors/orchestrator/shell.yaml": SHELL})
    if settings:
        files["gitstore.yaml"] = "format: 1\n" + "".join(f"{k}: {v}\n" for k, v in settings.items())
    return make_repo(files)


def test_a_recorded_run_pins_the_values_validation_saw(make_repo: Callable[..., Path]) -> None:
    repo = odd_repo(make_repo)
    assert run_cli("validate", cwd=repo).code == 0
    result = run_cli("run", "record", "--pipeline", "train", "--name", "r1", "--stack", "default",
                     cwd=repo)
    assert result.code == 0, result
    text = git(repo, "show", f"refs/heads/gitstore/runs:{record_path('train', 'r1')}")
    record = load_mapping(text.encode())
    assert record is not None
    assert record["stack"]["components"]["orchestrator"]["config"] == ODD_VALUES
    shown = json.loads(run_cli("run", "show", "r1", "--format", "json", cwd=repo).out)
    assert shown["stack"]["components"]["orchestrator"]["config"] == ODD_VALUES
    listed = json.loads(run_cli("run", "list", "--format", "json", cwd=repo).out)
    assert listed[0]["stack"]["components"]["orchestrator"]["config"] == ODD_VALUES
    run = get_run(repo, "train", "r1")
    orchestrator = run.stack.get_component_wrapper("orchestrator")
    assert orchestrator is not None
    assert {k: v for k, v in orchestrator.config_dict().items()
            if k not in ("name", "uuid")} == ODD_VALUES


def test_library_records_and_store_agree(make_repo: Callable[..., Path]) -> None:
    repo = odd_repo(make_repo)
    run = record_run(repo, a_run("r2"))
    recorded = run.stack.get_component_wrapper("orchestrator")
    assert recorded is not None
    store = GitZenStore()
    store.initialize(str(repo), skip_default_registrations=True)
    stored = store.get_stack("default").get_component_wrapper("orchestrator")
    assert stored is not None
    assert recorded.config_dict() == stored.config_dict()


def test_the_runs_branch_setting_is_read_as_yaml_1_2(make_repo: Callable[..., Path]) -> None:
    repo = odd_repo(make_repo, runs_branch="on")
    assert run_cli("validate", cwd=repo).code == 0
    result = run_cli("run", "record", "--pipeline", "train", "--name", "r1", "--stack", "default",
                     cwd=repo)
    assert result.code == 0, result
    assert git(repo, "rev-parse", "--verify", "-q", "refs/heads/on", check=False).strip()
    assert not git(repo, "rev-parse", "--verify", "-q", "refs/heads/gitstore/runs",
                   check=False).strip()
    assert "r1" in run_cli("run", "list", cwd=repo).out


def test_the_pre_receive_hook_reads_the_runs_branch_setting_as_yaml_1_2(tmp_path: Path) -> None:
    server = Pushing(tmp_path, {"gitstore.yaml": "format: 1\nruns_branch: on\n"})
    git(server.work, "checkout", "-q", "--orphan", "on")
    git(server.work, "rm", "-rq", "--cached", ".")
    (server.work / "gitstore.yaml").unlink()
    server.commit("a run", {"runs/train/r1.yaml": "stack: dev\n"})
    proc = server.push("on")
    assert proc.returncode == 0, proc.stderr
    assert remote_lines(proc) == [
        "gitstore: refs/heads/on: ok (runs branch; its records are checked separately)"]


def test_the_writer_quotes_what_the_reader_would_read_as_another_type() -> None:
    data = {"a": "1e3", "b": "0o17", "c": "true", "d": "null", "e": "on", "f": 755, "g": "",
            "h": [1.5, "0x1F", {"i": ".inf"}]}
    assert load_mapping(dump_text(data).encode()) == data


def test_only_the_writer_factory_builds_a_ruamel_yaml_instance() -> None:
    import gitstore

    package = Path(gitstore.__file__).parent
    builders = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                      if "YAML(" in path.read_text(encoding="utf-8"))
    assert builders == ["plumbing/yamlio.py"]


def test_written_files_read_the_same_under_yaml_1_1(make_repo: Callable[..., Path]) -> None:
    """A run record and `run show` hold `'on'`, `'no'`, dates as strings for a YAML 1.1
    reader too (PyYAML, which ZenML 0.10 reads with), and `fmt` quotes them."""
    import yaml

    repo = odd_repo(make_repo)
    assert run_cli("run", "record", "--pipeline", "train", "--name", "r3", "--stack", "default",
                   cwd=repo).code == 0
    text = git(repo, "show", f"refs/heads/gitstore/runs:{record_path('train', 'r3')}")
    config = yaml.safe_load(text)["stack"]["components"]["orchestrator"]["config"]
    assert config == ODD_VALUES
    shown = yaml.safe_load(run_cli("run", "show", "r3", cwd=repo).out)
    assert shown["stack"]["components"]["orchestrator"]["config"] == ODD_VALUES
    assert dump_text({"day": "2024-01-01", "when": "1:30", "n": "1_000"}) == (
        "day: '2024-01-01'\nwhen: '1:30'\nn: '1_000'\n")
    assert run_cli("fmt", cwd=repo).code == 0
    formatted = (repo / "components/orchestrator/default.yaml").read_text()
    assert 'mode: "on"' in formatted and 'level: "no"' in formatted
    assert yaml.safe_load(formatted)["config"]["mode"] == "on"
    assert run_cli("validate", cwd=repo).code == 0


_scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
            | st.sampled_from(["on", "no", "0755", "0o17", "1e3", "1_000", "1:30", "2024-01-01",
                               "~", "null", "{{ s.k }}", "- x", "a: b", "#c", "", " x"]))
_plain_data = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
                           max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(st.text(min_size=1, max_size=8), _plain_data, max_size=6))
def test_the_fast_record_writer_reads_back_the_same_under_both_readers(body: dict) -> None:
    import yaml

    text = dump_plain(body)
    assert (load_mapping(text.encode(), "x") or {}) == body
    assert (yaml.safe_load(text) or {}) == body
