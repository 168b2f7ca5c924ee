"""Realistic generated repositories through every command and every reader.

A property over seeds: ``bench/generate.py`` builds a repository of a few
hundred files holding what real ones do (overlapping grants, users without
email, values YAML 1.1 reads differently, secret names and references, a
default stack with runs recorded against it, at the git root or in a
subfolder), and every command runs on it through the installed CLI, the
library reads it, and a push goes through the real pre-receive hook. Nothing
may end in an internal error or a traceback, every exit code is a documented
one, and every reader (validation, the library, run pinning, export, import)
sees the same value in every component's configuration.

A few examples by default; ``GITSTORE_SWEEP_EXAMPLES=50`` soaks (``GITSTORE_SWEEP_LOG=FILE``
lists the seeds tried, ``GITSTORE_SWEEP_DEADLINE`` is the seconds one example may take).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, run_cli
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import OPERATIONS, PERMISSIONS, Generated, generate  # noqa: E402
from gitstore import GitZenStore  # noqa: E402
from gitstore.models import StackComponentType  # noqa: E402
from gitstore.plumbing.cache import ResultCache  # noqa: E402
from gitstore.plumbing.layout import COMPONENT_TYPES  # noqa: E402
from gitstore.plumbing.snapshot import load_snapshot  # noqa: E402
from gitstore.plumbing.sources import Source, find_config_repo  # noqa: E402

EXAMPLES = int(os.environ.get("GITSTORE_SWEEP_EXAMPLES", "3"))
DEADLINE = timedelta(seconds=float(os.environ.get("GITSTORE_SWEEP_DEADLINE", "300")))
FILES = 250
Configs = dict[str, dict[str, Any]]  # component path -> config


# --- running commands -----------------------------------------------------------------------

def cli(*args: str, cwd: Path, codes: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None) -> Any:
    """The installed ``gitstore``: no internal error, no traceback, a documented exit code."""
    result = run_cli(*args, cwd=cwd, env=env)
    said = result.out + result.err
    assert "internal error" not in said and "Traceback" not in said, (args, result)
    assert result.code in codes, (args, result)
    return result


def git_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


# --- comparing values: equal and of the same type (True is not 1, 755 is not 755.0) ----------

def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def assert_same(got: Configs, want: Configs, reader: str) -> None:
    wrong = {path: (got.get(path), want[path]) for path in want if not same(got.get(path),
                                                                               want[path])}
    assert not wrong, f"{reader} disagrees with validation on {len(wrong)} file(s): " + \
        "; ".join(f"{p}: {g!r} != {w!r}" for p, (g, w) in sorted(wrong.items())[:5])


def component_path(type_: str, name: str) -> str:
    return f"components/{type_}/{name}.yaml"


def without_identity(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in ("name", "uuid")}


# --- readers ----------------------------------------------------------------------------------

def validation_configs(source: Source) -> Configs:
    """Each component's config as validation parsed it."""
    snap = load_snapshot(source, ResultCache(None))
    assert not [p for p in snap.problems if p.is_error], snap.problems
    return {doc.path: doc.data.get("config") or {} for doc in snap.of_kind("component")}


def library_configs(store: GitZenStore) -> Configs:
    out: Configs = {}
    for type_ in StackComponentType:
        for wrapper in store.get_stack_components(type_):
            out[component_path(type_.value, wrapper.name)] = without_identity(
                wrapper.config_dict())
    return out


def recorded_configs(stack: dict[str, Any]) -> Configs:
    return {component_path(t, c["name"]): c["config"] or {}
            for t, c in stack["components"].items()}


def exported_configs(store: Path) -> Configs:
    """A ZenML folder store's component files, read as ZenML reads them (PyYAML)."""
    out: Configs = {}
    for type_ in COMPONENT_TYPES:
        folder = store / StackComponentType(type_).plural
        for file in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            out[component_path(type_, file.stem)] = without_identity(
                yaml.safe_load(file.read_text()) or {})
    return out


# --- the property -----------------------------------------------------------------------------

@settings(max_examples=EXAMPLES, deadline=DEADLINE, database=None,
          phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), subdir=st.sampled_from(("", "platform")))
def test_every_command_and_reader_agree_on_a_realistic_repository(
        tmp_path_factory: pytest.TempPathFactory, seed: int, subdir: str) -> None:
    note(f"seed={seed} subdir={subdir!r}")
    if os.environ.get("GITSTORE_SWEEP_LOG"):  # a soak run's list of the seeds it tried
        with open(os.environ["GITSTORE_SWEEP_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{seed} {subdir or '.'}\n")
    work = tmp_path_factory.mktemp("sweep")
    gen = generate(work / "repo", files=FILES, seed=seed, subdir=subdir, runs=2)
    cfg = gen.config_root
    want = validation_configs(find_config_repo(cfg).worktree())
    check_tricky_values(gen, want)
    validate_everywhere(cfg, want)
    library_reads(gen, want)
    runs_everywhere(gen, want)
    access_commands(gen)
    history_commands(gen)
    export_and_import(gen, want, work)
    bare = push_through_the_hook(gen, work)
    problems_everywhere(gen, bare)
    library_writes(gen, bare)


def check_tricky_values(gen: Generated, want: Configs) -> None:
    """YAML 1.2 reads: `on` stays 'on', 0755 is 755, 1e3 is 1000.0, a date stays a string."""
    assert gen.tricky, "the generator wrote no value YAML 1.1 reads differently"
    for path, values in gen.tricky.items():
        for key, value in values.items():
            assert same(want[path][key], value), (path, key, want[path][key], value)


MODES = ((), ("--staged",), ("--rev", "HEAD"))
FORMATS = ("text", "json", "github")


def validate_everywhere(cfg: Path, want: Configs) -> None:
    for mode in MODES:
        for fmt in FORMATS:
            result = cli("validate", *mode, "--format", fmt, cwd=cfg)
            if fmt == "json":
                json.loads(result.out)
    cli("validate", "--runs", "--format", "json", cwd=cfg)
    cli("validate", "--strict", "--no-cache", cwd=cfg, codes=(0, 1))
    cli("validate", "--rev", "no-such-rev", cwd=cfg, codes=(2,))
    head = find_config_repo(cfg).commit("HEAD")
    assert_same(validation_configs(head), want, "validate --rev HEAD")


def library_reads(gen: Generated, want: Configs) -> None:
    store = GitZenStore().initialize(str(gen.config_root), skip_default_registrations=True)
    assert_same(library_configs(store), want, "the library")
    assert {s.name for s in store.stacks} == set(gen.stacks)
    assert set(store.stack_configurations) == set(gen.stacks)
    default = store.get_stack(gen.default_stack)
    assert [c.name for c in default.components]
    assert {u.name for u in store.users} == set(gen.users)
    assert {t.name for t in store.teams} == set(gen.teams)
    assert {r.name for r in store.roles} == set(gen.roles)
    assert {p.name for p in store.projects} == set(gen.projects)
    assert store.role_assignments
    for user in gen.users[:8]:
        direct = store.get_role_assignments_for_user(user, include_team_roles=False)
        every = store.get_role_assignments_for_user(user, include_team_roles=True)
        assert len(every) >= len(direct)
        store.get_teams_for_user(user)
    for team in gen.teams:
        store.get_role_assignments_for_team(team)
        store.get_users_for_team(team)
    assert store.flavors
    for pipeline in ("training", "scoring", "etl"):
        for run in store.get_pipeline_runs(pipeline):
            got = {component_path(c.type.value, c.name): without_identity(c.config_dict())
                   for c in run.stack.components}
            assert_same(got, {p: want[p] for p in got}, f"run {run.name} through the library")


def runs_everywhere(gen: Generated, want: Configs) -> None:
    cfg = gen.config_root
    user, project = gen.users[-1], gen.projects[-1]
    cli("run", "record", "--pipeline", "training", "--name", "sweep-1", "--stack",
        gen.default_stack, "--user", user, "--project", project, "--zenml-version", "0.10.0",
        "--config", "switch=on", "--config", "mode=0755", cwd=cfg)
    cli("run", "record", "--pipeline", "training", "--name", "sweep-1", "--stack",
        gen.default_stack, cwd=cfg, codes=(1, 2))  # a second run of that name is refused
    listed = json.loads(cli("run", "list", "--format", "json", cwd=cfg).out)
    assert {r["name"] for r in listed} == {*gen.runs, "sweep-1"}
    cli("run", "list", "--pipeline", "training", "--project", project, cwd=cfg)
    for name in [*gen.runs, "sweep-1"]:
        shown = json.loads(cli("run", "show", name, "--format", "json", cwd=cfg).out)
        got = recorded_configs(shown["stack"])
        assert_same(got, {p: want[p] for p in got}, f"run show {name}")
        yaml.safe_load(cli("run", "show", name, cwd=cfg).out)
    body = json.loads(cli("run", "show", "sweep-1", "--format", "json", cwd=cfg).out)
    assert body["zenml_version"] == "0.10.0"
    assert same(body["runtime_configuration"], {"switch": "on", "mode": 755})
    cli("validate", "--runs", cwd=cfg)


def access_commands(gen: Generated) -> None:
    cfg = gen.config_root
    for operation in OPERATIONS:
        for type_ in PERMISSIONS:
            cli("who-can", operation, type_, cwd=cfg)
    cli("who-can", "pipeline_run", "create", "--project", gen.projects[0], cwd=cfg)
    cli("who-can", "stack", "update", "--rev", "HEAD", cwd=cfg)
    cli("codeowners", cwd=cfg)
    cli("codeowners", "--write", cwd=cfg)
    cli("validate", cwd=cfg)  # now with a generated CODEOWNERS to keep in step
    git(gen.root, "add", "-A")
    git(gen.root, "commit", "-q", "-m", "CODEOWNERS from the roles")


def change_something(gen: Generated) -> None:
    """A second commit: a user without email joins, a misread value changes, a stack goes."""
    cfg = gen.config_root
    (cfg / "users/newcomer.yaml").write_text("accounts: {github.com: newcomer}\n")
    orchestrator = cfg / "components/orchestrator/platform-orchestrator.yaml"
    orchestrator.write_text(orchestrator.read_text().replace("kubeflow_hostname: on",
                                                             "kubeflow_hostname: off"))
    (cfg / f"stacks/{gen.stacks[-1]}.yaml").unlink()
    git(gen.root, "add", "-A")
    git(gen.root, "-c", f"user.email={gen.users[0]}@example.com", "commit", "-q", "-m", "changes")


def history_commands(gen: Generated) -> None:
    cfg = gen.config_root
    change_something(gen)
    for fmt in ("text", "markdown", "json"):
        cli("diff", "HEAD~1", "HEAD", "--format", fmt, cwd=cfg)
    cli("diff", "HEAD~1", "--exit-code", cwd=cfg, codes=(1,))
    (cfg / "users/newcomer.yaml").write_text("email: newcomer@example.com\n")
    git(gen.root, "add", "-A")
    cli("validate", "--staged", "--format", "json", cwd=cfg)
    cli("diff", "HEAD", "--staged", "--format", "json", cwd=cfg)
    git(gen.root, "commit", "-q", "-m", "newcomer's email")
    for fmt in ("text", "json", "github"):
        cli("check-permissions", "HEAD~2", "HEAD", "--format", fmt, cwd=cfg, codes=(0, 1))
    cli("check-permissions", "HEAD~2", "HEAD", "--pusher", gen.users[0], cwd=cfg, codes=(0, 1))
    cli("check-permissions", "HEAD~2", "HEAD", cwd=cfg, codes=(0, 1),
        env={"GITSTORE_PUSHER": gen.users[1]})
    for fmt in ("mermaid", "dot"):
        cli("graph", "--format", fmt, cwd=cfg)
    cli("graph", gen.default_stack, "--people", cwd=cfg)
    cli("graph", "--rev", "HEAD~2", cwd=cfg)
    for path in (f"stacks/{gen.default_stack}", "components/orchestrator/platform-orchestrator",
                 f"users/{gen.users[0]}", f"roles/{gen.roles[0]}"):
        cli("log", path, cwd=cfg)


def export_and_import(gen: Generated, want: Configs, work: Path) -> None:
    cfg = gen.config_root
    current = validation_configs(find_config_repo(cfg).worktree())
    store = work / "zenml-store"
    cli("export", "zenml", str(store), cwd=cfg)
    assert_same(exported_configs(store), current, "export (read as ZenML reads it)")
    stack_file = yaml.safe_load(cli("export", "zenml-stack", gen.default_stack, "-", cwd=cfg).out)
    got = {component_path(t, c["name"]): without_identity(
        {k: v for k, v in c.items() if k != "flavor"})
        for t, c in stack_file["components"].items()}
    assert_same(got, {p: current[p] for p in got}, "export zenml-stack")
    stack_path = work / "stack.yaml"
    cli("export", "zenml-stack", gen.default_stack, str(stack_path), cwd=cfg)
    cli("import", "zenml-stack", str(stack_path), cwd=cfg, codes=(1,))  # the names exist
    cli("import", "zenml-stack", "--on-conflict", "rename", str(stack_path), cwd=cfg)
    renamed = {p: current[p] for p in got}
    again = validation_configs(find_config_repo(cfg).worktree())
    assert_same({p: again[p.replace(".yaml", "-imported.yaml")] for p in renamed}, renamed,
                "import zenml-stack of the exported stack")
    cli("export", "zenml", str(work / "zenml.db"), cwd=cfg)
    imported = work / "imported"
    cli("import", "zenml", str(store), str(imported), cwd=work)
    cli("validate", "--runs", cwd=imported)
    assert_same(validation_configs(find_config_repo(imported).worktree()), current,
                "import of the export")


def push(gen: Generated, bare: Path, ref: str, accepted: bool = True) -> str:
    """Push ``ref`` through the server's pre-receive hook; what the remote said."""
    pushed = git_run(gen.root, "push", str(bare), f"{ref}:{ref}")
    said = pushed.stdout + pushed.stderr
    assert "internal error" not in said and "Traceback" not in said, said
    assert (pushed.returncode == 0) == accepted, said
    return said


def push_through_the_hook(gen: Generated, work: Path) -> Path:
    bare = work / "server.git"
    assert git_run(work, "init", "-q", "--bare", str(bare)).returncode == 0
    cli("hooks", "install", "--server", str(bare), cwd=work)
    for ref in ("main", "gitstore/runs"):
        push(gen, bare, ref)
    assert git_run(bare, "rev-parse", "main").stdout == git_run(gen.root, "rev-parse",
                                                                "main").stdout
    return bare


def problems_everywhere(gen: Generated, bare: Path) -> None:
    """A commit that breaks a reference: every format locates it, exit 1, the hook refuses."""
    cfg = gen.config_root
    stack = cfg / f"stacks/{gen.default_stack}.yaml"
    stack.write_text(stack.read_text().replace("platform-orchestrator", "platform-orchestrater"))
    git(gen.root, "add", "-A")
    git(gen.root, "commit", "-q", "-m", "a typo")
    for mode in MODES:
        for fmt in FORMATS:
            result = cli("validate", *mode, "--format", fmt, cwd=cfg, codes=(1,))
            assert "platform-orchestrater" in result.out
            if fmt == "github":  # annotations name files from the git root
                for line in (x for x in result.out.splitlines() if x.startswith("::")):
                    where = line.split("file=", 1)[1].split(",", 1)[0]
                    assert (gen.root / where).is_file(), line
    said = push(gen, bare, "main", accepted=False)
    assert "platform-orchestrater" in said
    git(gen.root, "reset", "-q", "--hard", "HEAD~1")
    cli("run", "show", "no-such-run", cwd=cfg, codes=(1,))
    cli("who-can", "no-such-operation", "read", cwd=cfg, codes=(2,))
    cli("diff", "no-such-rev", cwd=cfg, codes=(2,))


def library_writes(gen: Generated, bare: Path) -> None:
    """ZenML's calls on the realistic repository: a run on the default stack reads back equal,
    deregistering the default stack drops the setting; every commit passes the hook."""
    from gitstore.models import PipelineRunWrapper, PipelineWrapper

    store = GitZenStore().initialize(str(gen.config_root), skip_default_registrations=True)
    run = PipelineRunWrapper(name="library-run", pipeline=PipelineWrapper(name="training"),
                             stack=store.get_stack(gen.default_stack),
                             user_id=store.get_user(gen.users[0]).id,
                             project_name=gen.projects[0], zenml_version="0.10.0")
    store.register_pipeline_run(run)
    assert store.get_pipeline_run("training", "library-run") == run
    shown = json.loads(cli("run", "show", "library-run", "--format", "json",
                           cwd=gen.config_root).out)
    assert "stack_as_run" not in shown, "the stored stack differs from itself"
    assert shown["stack_source"].startswith("commit ")
    store.deregister_stack(gen.default_stack)
    assert "default_stack" not in (gen.config_root / "gitstore.yaml").read_text()
    cli("validate", "--runs", cwd=gen.config_root)
    for ref in ("main", "gitstore/runs"):
        push(gen, bare, ref)


def test_plain_scalars_are_written_as_given() -> None:
    """The generator's misread values reach the files unquoted (else the sweep proves nothing)."""
    from bench.generate import build_files

    gen = build_files(250, seed=1)
    texts = "".join(gen.files[p] for p in gen.tricky)
    for text in ("on", "0755", "1e3", "2024-01-01"):
        assert f": {text}\n" in texts or f": {text}  #" in texts or f": {text}," in texts \
            or f": {text}}}" in texts, text
