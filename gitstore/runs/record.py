"""A run record: what it holds, how it is written, and the run model it stands for."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitstore.plumbing.layout import is_valid_name
from gitstore.plumbing.sources import ConfigRepo, find_config_repo
from gitstore.runs.errors import InvalidRunNameError
from gitstore.runs.layout import RECORD_FORMAT
from gitstore.runs.pinning import Pin, is_dirty, pin_stack, refuse_secret_like_values

if TYPE_CHECKING:
    from gitstore.models import PipelineRunWrapper, StackWrapper

HEADER = "# gitstore pipeline run record; machine-written, do not edit\n"


def open_repo(repo_root: str | Path) -> ConfigRepo:
    repo = find_config_repo(repo_root, need_worktree_file=False)
    if repo.git is None:
        from gitstore.errors import NotAGitRepository

        raise NotAGitRepository(str(repo_root), "recording pipeline runs")
    return repo


def record_body(run: dict[str, Any], pin: Pin, dirty: bool, recorded_at: datetime,
                imported_from: str | None = None, as_run: bool = False) -> dict[str, Any]:
    """The record of ``run`` (the run model as JSON data) pinned to ``pin``, in key order.

    A run carried over from another store (``imported_from``) keeps the stack
    that store recorded for it, and a run given a stack that differs from the
    pinned commit's (``as_run``) keeps the stack it ran on; the record says so.
    """
    imported: dict[str, Any] = {"imported_from": imported_from} if imported_from else {}
    if as_run:
        imported["stack_as_run"] = True
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
        **imported,
        "runtime_configuration": run.get("runtime_configuration") or {},
        "stack": pin.stack,
    }


def dump_record(body: dict[str, Any]) -> bytes:
    """A record's text, written with the one quoting rule (so it reads back as the body it
    was, under YAML 1.2 and 1.1 alike)."""
    from gitstore.plumbing.yamlio import dump_plain

    return (HEADER + dump_plain(body)).encode("utf-8")


def load_record(data: bytes) -> dict[str, Any]:
    """A record's body, read by the one strict reader ({} when it is not a mapping)."""
    from gitstore.plumbing.yamlio import load_mapping

    return load_mapping(data, "run record") or {}


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


def recorded_stack(stack: dict[str, Any], keep_order: bool = False) -> dict[str, Any]:
    """A run's stack as the zen store recorded it (component configs as base64 YAML), in the
    record's form; the inverse of :func:`stack_wrapper`. Config keys are sorted, so the same
    configuration always gives the same record; components are sorted by type unless
    ``keep_order``."""
    import yaml

    from gitstore.plumbing.layout import derive_id

    given = list(stack.get("components") or [])
    components: dict[str, Any] = {}
    for comp in given if keep_order else sorted(given, key=lambda c: str(c["type"])):
        decoded = yaml.safe_load(base64.b64decode(comp["config"]))
        config = {k: v for k, v in (decoded if isinstance(decoded, dict) else {}).items()
                  if k not in ("name", "uuid")}
        components[str(comp["type"])] = {"name": comp["name"], "id": str(comp["uuid"]),
                                         "flavor": comp.get("flavor"),
                                         "config": _sorted_keys(config)}
    return {"name": stack["name"], "id": stack.get("id") or derive_id("stack", stack["name"]),
            "components": components}


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


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
    """:func:`record_run` on the run model's JSON data; returns the record as written.

    A stack given by name alone (no components) is the stack of that name at
    the pinned commit. A stack given with components is recorded as given,
    in its order; when it differs from the commit's, the record says so.
    """
    _check_names(run)
    repo = open_repo(repo_root)
    pin = pin_stack(repo, run["stack"]["name"])
    as_run = False
    if run["stack"].get("components"):
        pin, as_run = as_it_ran(repo, pin, recorded_stack(run["stack"], keep_order=True))
    refuse_secret_like_values(run.get("runtime_configuration") or {})
    body = record_body(run, pin, is_dirty(repo, pin), datetime.now(timezone.utc), as_run=as_run)
    _commit(repo, pin, body)
    return body


def as_it_ran(repo: ConfigRepo, pin: Pin, ran: dict[str, Any]) -> tuple[Pin, bool]:
    """``pin`` holding the stack the run was given (in its order), and whether that stack
    differs from the one the pinned commit holds under its name."""
    from dataclasses import replace

    from gitstore.runs.pinning import recorded_pin

    committed = pin.stack["components"]
    order = list(ran["components"])
    if {t: _sorted_keys(c) for t, c in committed.items()} == ran["components"]:
        return replace(pin, stack={**pin.stack, "components": {t: committed[t] for t in order}}
                       ), False
    stack = {**ran, "id": pin.stack["id"]}
    recorded_pin(repo, stack, pin.commit)  # refuses plain-text secrets, as for any stack
    return replace(pin, stack=stack), True


def record_imported_run(repo_root: str | Path, run: dict[str, Any], commit: str,
                        source: str) -> dict[str, Any]:
    """Record a run carried over from another store (``source``, such as ``zenml``).

    The record keeps the stack and component configs the run itself recorded
    (``run["stack"]`` in the zen store's form), pinned to ``commit``; that stack
    need not exist in the repository. Plain-text secrets are refused as for any
    record. Returns the record as written.
    """
    from gitstore.runs.pinning import recorded_pin

    _check_names(run)
    repo = open_repo(repo_root)
    pin = recorded_pin(repo, recorded_stack(run["stack"]), commit)
    refuse_secret_like_values(run.get("runtime_configuration") or {})
    body = record_body(run, pin, False, datetime.now(timezone.utc), imported_from=source)
    _commit(repo, pin, body)
    return body


def _check_names(run: dict[str, Any]) -> None:
    for what, value in (("run", run["name"]), ("pipeline", run["pipeline"]["name"]),
                        ("stack", run["stack"]["name"])):
        if not is_valid_name(value):
            raise InvalidRunNameError(what, value)


def _commit(repo: ConfigRepo, pin: Pin, body: dict[str, Any]) -> None:
    from gitstore.runs.writer import commit_record

    name, pipeline = body["name"], body["pipeline"]["name"]
    assert repo.git is not None
    commit_record(repo.git_cwd, repo.git.common_dir, pin.runs_branch, pipeline, name,
                  dump_record(body), f"Record run {name} of pipeline {pipeline}\n")


def _known_names(repo: ConfigRepo, user: str, project: str | None) -> str:
    """The id of ``user`` at HEAD; UnknownNameError when HEAD holds no such user or
    ``project`` (with the name meant, when one is close)."""
    from gitstore.plumbing import vcs
    from gitstore.runs.errors import NoConfigCommitError, UnknownNameError
    from gitstore.runs.names import names_at

    head = vcs.commit_or_none(repo.git_cwd, "HEAD")
    if head is None:
        raise NoConfigCommitError()
    names = names_at(repo.git_cwd, head, repo.prefix)
    if user not in names.users:
        raise UnknownNameError("user", user, head, names.hint("user", user))
    if project is not None and project not in names.projects:
        raise UnknownNameError("project", project, head, names.hint("project", project))
    return names.users[user]


def parse_config_options(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` options as a mapping; values are read as YAML 1.2 scalars."""
    from gitstore.errors import UsageError
    from gitstore.plumbing.yamlio import resolve_plain

    config: dict[str, Any] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key:
            raise UsageError(f"--config takes KEY=VALUE, not `{pair}`")
        config[key] = resolve_plain(value) if value else ""
    return config


def record_named_run(repo_root: str | Path, pipeline: str, name: str, stack: str,
                     project: str | None = None, code_dir: Path | None = None,
                     config: dict[str, Any] | None = None, user: str = "default",
                     zenml_version: str | None = None) -> dict[str, Any]:
    """Record a run of a pipeline not written in Python (``gitstore run record``);
    ``zenml_version`` is the ZenML version it ran on, when there is one.

    Works on plain data, without the pydantic models, to keep the command quick.
    """
    from uuid import UUID

    from gitstore.plumbing import vcs

    repo = open_repo(repo_root)
    user_id = _known_names(repo, user, project)
    try:
        user_id = str(UUID(user_id))
    except ValueError:  # an invalid explicit id; validation reports it
        from gitstore.plumbing.layout import derive_id

        user_id = derive_id("user", user)
    run: dict[str, Any] = {"name": name, "zenml_version": zenml_version,
           "git_sha": vcs.clean_head(code_dir) if code_dir is not None else None,
           "pipeline": {"name": pipeline, "docstring": None, "steps": []},
           "stack": {"name": stack}, "runtime_configuration": config or {},
           "user_id": user_id, "project_name": project}
    return record_run_data(repo_root, run)
