"""Reading run records back from the runs branch (git objects only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import is_valid_name
from gitstore.plumbing.settings import Settings, settings_at
from gitstore.plumbing.sources import ConfigRepo
from gitstore.runs.layout import (
    RECORDS_DIR,
    branch_ref,
    index_path,
    parse_record_path,
    record_path,
)
from gitstore.runs.record import load_record, open_repo, run_from_record

if TYPE_CHECKING:
    from gitstore.models import PipelineRunWrapper


def runs_branch(repo: ConfigRepo) -> str:
    """The runs branch the checked-out configuration names (``runs_branch``), or the default."""
    return (settings_at(repo.git_cwd, "HEAD", repo.prefix) or Settings()).runs_branch


def _in_project(body: dict[str, Any], project_name: str | None) -> bool:
    return project_name is None or body.get("project_name") == project_name


def get_run(repo_root: str | Path, pipeline_name: str, run_name: str,
            project_name: str | None = None) -> PipelineRunWrapper:
    """One run of a pipeline; KeyError when it does not exist or is in another project."""
    body = get_record(repo_root, run_name, pipeline_name)
    if not _in_project(body, project_name):
        raise KeyError(f"run `{run_name}` of pipeline `{pipeline_name}` is not in project "
                       f"`{project_name}`")
    return run_from_record(body)


def get_record(repo_root: str | Path, run_name: str, pipeline_name: str | None = None
               ) -> dict[str, Any]:
    """The record of the run ``run_name`` (of ``pipeline_name`` when given); KeyError if none."""
    repo = open_repo(repo_root)
    ref = branch_ref(runs_branch(repo))
    missing = KeyError(f"no run named `{run_name}`"
                       + (f" in pipeline `{pipeline_name}`" if pipeline_name else ""))
    if not all(is_valid_name(n) for n in (run_name, pipeline_name) if n is not None):
        raise missing
    if pipeline_name is None:
        found = vcs.cat_objects(repo.git_cwd, [f"{ref}:{index_path(run_name)}"])[0]
        if found is None:
            raise missing
        path = found.data.decode("utf-8", "replace").strip()
    else:
        path = record_path(pipeline_name, run_name)
    obj = vcs.cat_objects(repo.git_cwd, [f"{ref}:{path}"])[0]
    if obj is None:
        raise missing
    return load_record(obj.data)


def list_records(repo_root: str | Path, pipeline_name: str | None = None,
                 project_name: str | None = None) -> list[dict[str, Any]]:
    """Every record (of one pipeline, in one project), oldest first."""
    repo = open_repo(repo_root)
    ref = branch_ref(runs_branch(repo))
    if pipeline_name is not None and not is_valid_name(pipeline_name):
        return []
    if vcs.commit_or_none(repo.git_cwd, ref) is None:
        return []
    folder = f"{RECORDS_DIR}/{pipeline_name}" if pipeline_name else RECORDS_DIR
    entries = [e for e in vcs.ls_tree(repo.git_cwd, ref, [folder]) if parse_record_path(e.path)]
    blobs = vcs.read_blobs(repo.git_cwd, (e.oid for e in entries))
    bodies = [load_record(blobs[e.oid]) for e in entries]
    bodies = [b for b in bodies if "name" in b and _in_project(b, project_name)]
    return sorted(bodies, key=lambda b: (str(b.get("recorded_at", "")), str(b["name"])))


def list_runs(repo_root: str | Path, pipeline_name: str,
              project_name: str | None = None) -> list[PipelineRunWrapper]:
    """The runs of a pipeline, oldest first; [] for an unknown pipeline."""
    return [run_from_record(b) for b in list_records(repo_root, pipeline_name, project_name)]


def show_record(repo_root: str | Path, run_name: str) -> dict[str, Any]:
    """A run's record, its stack read again from the pinned commit's objects.

    When that commit is not in this clone, or the run was imported with the
    stack it recorded itself, the stack stays as the record holds it and
    ``stack_source`` says so.
    """
    from gitstore.runs.errors import PlainSecretError, StackNotAtCommitError
    from gitstore.runs.pinning import pin_stack

    body = get_record(repo_root, run_name)
    if body.get("imported_from"):
        return {**body, "stack_source": f"record (as the {body['imported_from']} run "
                                        "recorded it)"}
    if body.get("stack_as_run"):
        return {**body, "stack_source": "record (the stack the run was given; it differs from "
                                        f"the one at commit {body.get('config_commit')})"}
    repo = open_repo(repo_root)
    commit = str(body.get("config_commit"))
    stack_name = str((body.get("stack") or {}).get("name"))
    try:
        pin = pin_stack(repo, stack_name, commit)
    except (vcs.UnknownRevision, StackNotAtCommitError, PlainSecretError) as exc:
        return {**body, "stack_source": f"record (not re-read: {exc})"}
    return {**body, "stack": pin.stack, "stack_source": f"commit {commit}",
            "stack_files": dict(sorted(pin.files.items()))}
