"""``gitstore validate --runs``: every record on the runs branch, checked like a configuration file.

Each record must match ``run.schema.json``, sit at the path its names give,
have a name index entry pointing back at it, and pin a configuration commit
that exists and holds the stack the record names (unless the run was imported
with the stack it recorded itself, ``imported_from``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitstore.plumbing import vcs
from gitstore.plumbing.layout import entity_path, is_valid_name
from gitstore.plumbing.yamlio import Parsed, locate, read_document
from gitstore.problems import Problem
from gitstore.runs.layout import (
    NAME_INDEX_DIR,
    RECORDS_DIR,
    branch_ref,
    index_path,
    parse_record_path,
    record_path,
)
from gitstore.runs.names import Names, names_at
from gitstore.runs.read import runs_branch
from gitstore.runs.record import open_repo
from gitstore.validate import Report

COMMIT_ID = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
PLACE_HINT = "records live at runs/<pipeline>/<shard>/<run>.yaml (shard: first two hex digits " \
             "of the SHA-1 of the run name)"


@dataclass
class _Record:
    path: str
    parsed: Parsed


def check_runs(repo_root: str | Path) -> Report:
    """Every problem of the records on the repository's runs branch."""
    repo = open_repo(repo_root)
    branch = runs_branch(repo)
    label = f"runs branch {branch}"
    ref = branch_ref(branch)
    if vcs.commit_or_none(repo.git_cwd, ref) is None:
        return Report(label, 0, [])
    entries = vcs.ls_tree(repo.git_cwd, ref)
    blobs = vcs.read_blobs(repo.git_cwd, (e.oid for e in entries))
    problems: list[Problem] = []
    records: list[_Record] = []
    index: dict[str, str] = {}
    for entry in entries:
        raw = blobs[entry.oid]
        if entry.path.startswith(NAME_INDEX_DIR + "/"):
            index[entry.path] = raw.decode("utf-8", "replace").strip()
        elif entry.path.startswith(RECORDS_DIR + "/") and entry.path.endswith(".yaml"):
            parsed = read_document(entry.path, raw)
            if isinstance(parsed, Problem):
                problems.append(parsed)
            else:
                records.append(_Record(entry.path, parsed))
        else:
            problems.append(Problem(entry.path, None, None, "GS404",
                                    "not a run record or a name index entry", PLACE_HINT))
    for record in records:
        problems.extend(_record_problems(record))
    problems.extend(_index_problems(records, index))
    problems.extend(_pin_problems(repo.git_cwd, repo.prefix, records))
    files = sum(1 for e in entries if e.path.startswith(RECORDS_DIR + "/"))
    return Report(label, files, sorted(set(problems), key=Problem.sort_key))


def _record_problems(record: _Record) -> list[Problem]:
    from gitstore.checks.schema import schema_problems, validator_for_kind

    data, positions = record.parsed
    validator = validator_for_kind("run")
    problems = schema_problems(validator, data, positions, record.path, code="GS401")
    name = data.get("name")
    pipeline = (data.get("pipeline") or {}).get("name") if isinstance(data.get("pipeline"),
                                                                       dict) else None
    if isinstance(name, str) and isinstance(pipeline, str):
        expected = record_path(pipeline, name)
        if expected != record.path:
            line, col = locate(positions, ("name",))
            problems.append(Problem(record.path, line, col, "GS404",
                                    f"run `{name}` of pipeline `{pipeline}` belongs at {expected}",
                                    PLACE_HINT))
    elif parse_record_path(record.path) is None:
        problems.append(Problem(record.path, None, None, "GS404", "unexpected file", PLACE_HINT))
    return problems


def _index_problems(records: list[_Record], index: dict[str, str]) -> list[Problem]:
    problems = []
    by_path = {r.path: r for r in records}
    for record in records:
        name = record.parsed.data.get("name")
        if not isinstance(name, str):
            continue
        entry = index.get(index_path(name))
        if entry != record.path:
            line, col = locate(record.parsed.positions, ("name",))
            what = f"points at {entry}" if entry else "is missing"
            problems.append(Problem(record.path, line, col, "GS405",
                                    f"the name index entry {index_path(name)} {what}",
                                    "run names are unique; two records share this name"
                                    if entry else None))
    for path, target in index.items():
        if target not in by_path:
            problems.append(Problem(path, None, None, "GS405",
                                    f"names a record that does not exist: {target}"))
    return problems


def _pin_problems(cwd: Path, prefix: str, records: list[_Record]) -> list[Problem]:
    pins = []
    for record in records:
        data = record.parsed.data
        commit, stack = data.get("config_commit"), data.get("stack")
        stack_name = stack.get("name") if isinstance(stack, dict) else None
        if isinstance(commit, str) and COMMIT_ID.match(commit) and isinstance(stack_name, str) \
                and is_valid_name(stack_name):
            pins.append((record, commit, stack_name))
    pre = f"{prefix}/" if prefix else ""
    specs: list[str] = []
    for _, commit, stack_name in pins:
        specs += [commit, f"{commit}:{pre}{entity_path('stack', stack_name)}"]
    found = vcs.cat_objects(cwd, specs)
    problems = []
    names: dict[str, Names] = {}
    for n, (record, commit, stack_name) in enumerate(pins):
        commit_obj, stack_obj = found[2 * n], found[2 * n + 1]
        if commit_obj is None or commit_obj.type != "commit":
            line, col = _at(record, ("config_commit",))
            problems.append(Problem(record.path, line, col, "GS402",
                                    f"configuration commit {commit} does not exist",
                                    "fetch the configuration history this run was recorded on"))
        else:
            if stack_obj is None and "imported_from" not in record.parsed.data:
                line, col = _at(record, ("stack", "name"))
                expected = pre + entity_path("stack", stack_name)
                problems.append(Problem(record.path, line, col, "GS403",
                                        f"stack `{stack_name}` did not exist at configuration "
                                        f"commit {commit[:12]} (expected {expected})"))
            if commit not in names:
                names[commit] = names_at(cwd, commit, prefix)
            problems.extend(_name_problems(record, commit, names[commit]))
    return problems


def _name_problems(record: _Record, commit: str, names: Names) -> list[Problem]:
    """GS406: the record's user (by id) and project must exist at its commit."""
    data = record.parsed.data
    problems = []
    user_id = data.get("user_id")
    if isinstance(user_id, str) and user_id not in set(names.users.values()):
        line, col = _at(record, ("user_id",))
        problems.append(Problem(record.path, line, col, "GS406",
                                f"user id {user_id} is not the id of a user at configuration "
                                f"commit {commit[:12]}",
                                names.listing("user")))
    project = data.get("project_name")
    if isinstance(project, str) and project not in names.projects:
        line, col = _at(record, ("project_name",))
        problems.append(Problem(record.path, line, col, "GS406",
                                f"project `{project}` did not exist at configuration commit "
                                f"{commit[:12]}", names.hint("project", project)))
    return problems


def _at(record: _Record, path: tuple[Any, ...]) -> tuple[int, int]:
    return locate(record.parsed.positions, path)


def with_runs(report: Report, repo_root: str | Path) -> Report:
    """A configuration report extended with the problems of the runs branch."""
    runs = check_runs(repo_root)
    problems = sorted([*report.problems, *runs.problems], key=Problem.sort_key)
    return Report(f"{report.label} and the {runs.label}", report.files + runs.files, problems)
