"""New files written without the round trip (names, numbers, lists, mappings) are exactly
what the round trip writes, for random bodies of every kind; anything else goes through it."""

from __future__ import annotations

import random
from typing import Any

import pytest

from gitstore.canonical import _plain_mapping, _schema_for, dump_canonical, dump_round_trip, entity_of
from gitstore.plumbing.yamlio import read_document
from gitstore.problems import Problem

PATHS = ["users/alice.yaml", "teams/ml.yaml", "projects/p.yaml", "roles/admin.yaml",
         "stacks/prod.yaml", "components/orchestrator/kf.yaml",
         "flavors/orchestrator/custom.yaml", "gitstore.yaml"]
KEYS = ["id", "email", "flavor", "config", "components", "orchestrator", "artifact_store",
        "members", "users", "description", "default_stack", "format", "path", "zeta", "alpha",
        "config_schema", "properties", "type", "grants", "on", "2024", "a key", "x-y", "null"]
WORDS = ["kf", "default", "s3://bucket/x", "9f0c2b1e-3a4d-4c5e-8f60-1a2b3c4d5e6f", "a.b@c.d",
         "on", "no", "2024-01-01", "1e3", "0755", "", "two words", "#hash", "- dash", "ünï",
         "x" * 120, "null", "~", "a:b", "{x}", "'q'", "true"]


def scalar(rng: random.Random) -> Any:
    return rng.choice([rng.choice(WORDS), rng.randint(-5, 10**12), rng.random() < 0.5, None,
                       1.5, rng.choice(WORDS)])


def value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return body(rng, depth + 1)
    if roll < 0.4:
        return [scalar(rng) for _ in range(rng.randint(0, 3))]
    if roll < 0.45:
        return [body(rng, depth + 1)]
    return scalar(rng)


def body(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    return {rng.choice(KEYS): value(rng, depth) for _ in range(rng.randint(0 if depth else 1, 5))}


@pytest.mark.parametrize("seed", range(6))
def test_plain_bodies_are_written_as_the_round_trip_writes_them(seed: int) -> None:
    rng = random.Random(seed)
    direct = 0
    for _ in range(400):
        path = rng.choice(PATHS)
        data = body(rng)
        schema = _schema_for(entity_of(path))
        direct += _plain_mapping(data, schema, schema, "", [])
        assert dump_canonical(path, data) == dump_round_trip(path, data), (path, data)
    assert direct > 20  # the direct way was taken often enough to mean something


def test_the_bodies_the_library_writes_take_the_direct_way() -> None:
    for path, data in [
        ("users/alice.yaml", {"id": "9f0c2b1e-3a4d-4c5e-8f60-1a2b3c4d5e6f"}),
        ("stacks/prod.yaml", {"id": "9f0c2b1e-3a4d-4c5e-8f60-1a2b3c4d5e6f",
                              "components": {"orchestrator": "kf", "artifact_store": "s3"}}),
        ("components/orchestrator/kf.yaml", {
            "id": "9f0c2b1e-3a4d-4c5e-8f60-1a2b3c4d5e6f", "flavor": "kubeflow",
            "config": {"kubernetes_context": "ctx-1", "synchronous": True, "timeout": 30}}),
    ]:
        schema = _schema_for(entity_of(path))
        assert _plain_mapping(data, schema, schema, "", [])
        text = dump_canonical(path, data)
        assert text == dump_round_trip(path, data)
        parsed = read_document(path, text.encode())
        assert not isinstance(parsed, Problem) and parsed.data == data
