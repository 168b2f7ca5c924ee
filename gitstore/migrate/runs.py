"""Pipeline runs of a zen store, carried over as run records.

Each run's component configs (base64 YAML) get the same treatment as the
components themselves: plain-text secrets become references, local-store
paths become portable. Runs are then recorded through :mod:`gitstore.runs`
on the repository's runs branch, pinned to the import commit, each keeping the
stack and component configs it recorded itself (marked ``imported_from:
zenml``), also when that stack no longer exists.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitstore.migrate.model import Run, SourceError, canonical_uuid
from gitstore.migrate.portable import make_portable
from gitstore.migrate.secrets import SecretVault, extract_secrets

if TYPE_CHECKING:
    from gitstore.models import PipelineRunWrapper


def decode_config(text: str | bytes) -> dict[str, Any]:
    import yaml

    decoded = yaml.safe_load(base64.b64decode(text))
    return decoded if isinstance(decoded, dict) else {}


def encode_config(config: dict[str, Any]) -> str:
    import yaml

    text = yaml.safe_dump(config, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def scrub_run(run: Run, vault: SecretVault | None, notes: list[str]) -> Run:
    """``run`` with secrets and machine paths taken out of its component configs."""
    stack = dict(run.data.get("stack") or {})
    components = []
    for comp in stack.get("components") or []:
        config = decode_config(comp["config"])
        where = f"run {run.data['name']}: {comp.get('type')}/{comp.get('name')}"
        config = make_portable(config, notes, where)
        if vault is not None:
            config = extract_secrets(str(comp.get("type")), str(comp.get("flavor")),
                                     str(comp.get("name")), config, vault)
        components.append({**comp, "config": encode_config(config)})
    runtime = run.data.get("runtime_configuration") or {}
    if vault is not None and isinstance(runtime, dict):
        runtime = extract_secrets("", "", f"run-{run.data['name']}", runtime, vault)
    data = {**run.data, "stack": {**stack, "components": components},
            "runtime_configuration": runtime}
    return Run(run.pipeline_name, data)


def to_wrapper(run: Run, config_commit: str | None) -> PipelineRunWrapper:
    """The run as the zen store model the run records take."""
    from pydantic import ValidationError

    from gitstore.models import PipelineRunWrapper

    data = run.data
    where = f"pipeline run `{data.get('name')}` of `{run.pipeline_name}`"
    pipeline = data.get("pipeline") or {"name": run.pipeline_name}
    try:
        return PipelineRunWrapper.model_validate({
            "name": data["name"], "zenml_version": data.get("zenml_version"),
            "git_sha": data.get("git_sha"), "pipeline": pipeline,
            "stack": _stack(data.get("stack") or {}),
            "runtime_configuration": data.get("runtime_configuration") or {},
            "user_id": canonical_uuid(data.get("user_id"), f"{where}: `user_id`"),
            "project_name": data.get("project_name"), "config_commit": config_commit})
    except ValidationError as exc:
        raise SourceError(f"{where}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc


def _stack(stack: dict[str, Any]) -> dict[str, Any]:
    return {"name": stack.get("name"), "components": [
        {**c, "config": str(c["config"]).encode("ascii")} for c in stack.get("components") or []]}


IMPORTED_FROM = "zenml"


def record_runs(repo_root: Path, runs: list[PipelineRunWrapper], commit: str) -> None:
    """Record ``runs`` on the runs branch, pinned to ``commit``, with their own stacks."""
    from gitstore.runs.record import record_imported_run

    for run in runs:
        record_imported_run(repo_root, run.model_dump(mode="json"), commit, IMPORTED_FROM)


def invalid_names(runs: list[PipelineRunWrapper]) -> list[str]:
    """What in ``runs`` cannot name a run record (run, pipeline or stack names)."""
    from gitstore.plumbing.layout import is_valid_name

    return [f"run `{run.name}` of pipeline `{run.pipeline.name}` on stack `{run.stack.name}`: "
            "names must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}"
            for run in runs if not all(is_valid_name(n) for n in
                                       (run.name, run.pipeline.name, run.stack.name))]


def recorded_names(repo_root: Path, names: list[str]) -> list[str]:
    """Those of ``names`` that already name a run recorded in the repository."""
    from gitstore.runs.read import get_record

    found = []
    for name in names:
        try:
            get_record(repo_root, name)
        except KeyError:
            continue
        found.append(name)
    return found


def read_recorded_runs(repo_root: Path) -> list[Run]:
    """Every run recorded in the repository, as the zen store keeps runs (for export)."""
    from gitstore.runs.read import list_records
    from gitstore.runs.record import run_from_record

    return [run_from_wrapper(run_from_record(body)) for body in list_records(repo_root)]


def run_from_wrapper(wrapper: PipelineRunWrapper) -> Run:
    """A run record back in the zen store's form (for export)."""
    data = wrapper.model_dump(mode="json", exclude={"config_commit", "config_dirty"})
    return Run(wrapper.pipeline.name, data)
