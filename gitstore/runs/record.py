"""A run record: what it holds, how it is written, and the run model it stands for."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitstore.runs.errors import InvalidRunNameError
from gitstore.runs.layout import RECORD_FORMAT, is_valid_name
from gitstore.runs.pinning import Pin, is_dirty, pin_stack, refuse_secret_like_values
from gitstore.sources import ConfigRepo, find_config_repo

if TYPE_CHECKING:
    from gitstore.models import PipelineRunWrapper, StackWrapper

HEADER = "# gitstore pipeline run record; machine-written, do not edit\n"


def open_repo(repo_root: str | Path) -> ConfigRepo:
    repo = find_config_repo(repo_root, need_worktree_file=False)
    if repo.git is None:
        from gitstore.errors import NotAGitRepository

        raise NotAGitRepository(str(repo_root), "recording pipeline runs")
    return repo


def record_body(run: dict[str, Any], pin: Pin, dirty: bool, recorded_at: datetime
                ) -> dict[str, Any]:
    """The record of ``run`` (the run model as JSON data) pinned to ``pin``, in key order."""
    return {
        "format": RECORD_FORMAT,
        "name": run["name"],
        "pipeline": run["pipeline"],
        "project_name": run.get("project_name"),
        "user_id": run["user_id"],
        "zenml_version": run.get("zenml_version"),
        "git_sha": run.get("git_sha"),
        "config_commit": pin.commit,
        "config_dirty": dirty,
        "recorded_at": recorded_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "runtime_configuration": run.get("runtime_configuration") or {},
        "stack": pin.stack,
    }


def dump_record(body: dict[str, Any]) -> bytes:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class NoAliases(base):  # type: ignore[misc,valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = yaml.dump(body, Dumper=NoAliases, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return (HEADER + text).encode("utf-8")


def load_record(data: bytes) -> dict[str, Any]:
    import yaml

    body = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return body if isinstance(body, dict) else {}


def stack_wrapper(stack: dict[str, Any]) -> StackWrapper:
    """The zen store view of a resolved stack (component configs as base64 YAML)."""
    import yaml

    from gitstore.models import ComponentWrapper, StackWrapper

    components = []
    for type_, comp in stack.get("components", {}).items():
        full = {"name": comp["name"], "uuid": comp["id"], **(comp.get("config") or {})}
        text = yaml.safe_dump(full, sort_keys=False).encode()
        components.append(ComponentWrapper(type=type_, flavor=comp.get("flavor") or "",
                                           name=comp["name"], uuid=comp["id"],
                                           config=base64.b64encode(text)))
    return StackWrapper(name=stack["name"], components=components)


def run_from_record(body: dict[str, Any]) -> PipelineRunWrapper:
    from gitstore.models import PipelineRunWrapper

    return PipelineRunWrapper(
        name=body["name"], zenml_version=body.get("zenml_version"), git_sha=body.get("git_sha"),
        pipeline=body["pipeline"], stack=stack_wrapper(body["stack"]),
        runtime_configuration=body.get("runtime_configuration") or {},
        user_id=body["user_id"], project_name=body.get("project_name"),
        config_commit=body.get("config_commit"), config_dirty=body.get("config_dirty"))


def record_run(repo_root: str | Path, run: PipelineRunWrapper) -> PipelineRunWrapper:
    """Pin ``run`` to the checked-out commit and commit its record to the runs branch.

    Raises EntityExistsError when any pipeline has a run of that name, and
    PlainSecretError (recording nothing) when a value bound for the record is
    a plain-text secret. Returns the run with ``config_commit``,
    ``config_dirty`` and the stack as resolved at that commit.
    """
    return run_from_record(record_run_data(repo_root, run.model_dump(mode="json")))


def record_run_data(repo_root: str | Path, run: dict[str, Any]) -> dict[str, Any]:
    """:func:`record_run` on the run model's JSON data; returns the record as written."""
    from gitstore.runs.writer import commit_record

    name, pipeline, stack = run["name"], run["pipeline"]["name"], run["stack"]["name"]
    for what, value in (("run", name), ("pipeline", pipeline), ("stack", stack)):
        if not is_valid_name(value):
            raise InvalidRunNameError(what, value)
    repo = open_repo(repo_root)
    pin = pin_stack(repo, stack)
    refuse_secret_like_values(run.get("runtime_configuration") or {})
    body = record_body(run, pin, is_dirty(repo, pin), datetime.now(timezone.utc))
    assert repo.git is not None
    commit_record(repo.git_cwd, repo.git.common_dir, pin.runs_branch, pipeline, name,
                  dump_record(body), f"Record run {name} of pipeline {pipeline}\n")
    return body


def parse_config_options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` options as a mapping; values are read as YAML 1.2 scalars."""
    from gitstore.errors import UsageError
    from gitstore.yamlio import resolve_plain

    config: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"--config takes KEY=VALUE, not `{pair}`")
        config[key] = resolve_plain(value) if value else ""
    return config


def record_named_run(repo_root: str | Path, pipeline: str, name: str, stack: str,
                     project: str | None = None, code_dir: Path | None = None,
                     config: dict[str, Any] | None = None, user: str = "default"
                     ) -> dict[str, Any]:
    """Record a run of a pipeline not written in Python (``gitstore run record``).

    Works on plain data, without the pydantic models, to keep the command quick.
    """
    from uuid import UUID

    from gitstore import __version__, vcs
    from gitstore.runs.pinning import entity_id

    repo = open_repo(repo_root)
    prefix = f"{repo.prefix}/" if repo.prefix else ""
    user_obj = vcs.cat_objects(repo.git_cwd, [f"HEAD:{prefix}users/{user}.yaml"])[0]
    user_data = load_record(user_obj.data) if user_obj is not None else {}
    try:
        user_id = str(UUID(entity_id(user_data, "user", user)))
    except ValueError:  # an invalid explicit id; validation reports it
        user_id = entity_id({}, "user", user)
    run: dict[str, Any] = {"name": name, "zenml_version": __version__,
           "git_sha": vcs.clean_head(code_dir) if code_dir is not None else None,
           "pipeline": {"name": pipeline, "docstring": None, "steps": []},
           "stack": {"name": stack}, "runtime_configuration": config or {},
           "user_id": user_id, "project_name": project}
    return record_run_data(repo_root, run)
