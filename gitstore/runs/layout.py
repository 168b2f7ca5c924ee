"""Where run records live on the runs branch.

A record sits at ``runs/<pipeline>/<shard>/<run>.yaml``: ``<shard>`` is the
first two hex digits of the SHA-1 of the run name, so a pipeline folder holds
at most 256 folders and each of them 1/256th of the pipeline's runs. Beside
the records, ``.index/names/<shard>/<run>`` holds the record's path: it keeps
run names unique across pipelines and finds a run by name alone, reading
three small trees whatever the history's length.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

RECORDS_DIR = "runs"
NAME_INDEX_DIR = ".index/names"
RECORD_FORMAT = 1
_RECORD_PATH = re.compile(r"^runs/([^/]+)/([0-9a-f]{2})/([^/]+)\.yaml$")


class RecordPath(NamedTuple):
    pipeline: str
    shard: str
    run: str


def shard(run_name: str) -> str:
    return hashlib.sha1(run_name.encode("utf-8")).hexdigest()[:2]


def record_path(pipeline: str, run_name: str) -> str:
    return f"{RECORDS_DIR}/{pipeline}/{shard(run_name)}/{run_name}.yaml"


def index_path(run_name: str) -> str:
    return f"{NAME_INDEX_DIR}/{shard(run_name)}/{run_name}"


def parse_record_path(path: str) -> RecordPath | None:
    """The parts of a well-placed record path, or None."""
    found = _RECORD_PATH.match(path)
    if not found:
        return None
    return RecordPath(found.group(1), found.group(2), found.group(3))


def branch_ref(branch: str) -> str:
    return f"refs/heads/{branch}"

