"""Validation with a warm cache reports exactly what a cold, full check reports.

Generated repositories (``bench/generate.py``) go through seeded random
sequences of changes: additions, edits, deletions and renames of every kind,
edits of custom flavors' config schemas and of gitstore.yaml, and files that
break each rule. After every step the working tree, the index (with some
changes left unstaged) and commits are validated twice, once reusing the
cache the earlier steps filled and once with ``use_cache=False``; the two
reports must be equal, problem for problem.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import git

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import INJECTABLE, Generated, build_files, generate, inject  # noqa: E402
from gitstore.checks.incremental import IntegrityIndex  # noqa: E402
from gitstore.checks.integrity import check_integrity  # noqa: E402
from gitstore.plumbing.cache import ResultCache  # noqa: E402
from gitstore.plumbing.snapshot import Snapshot, load_snapshot  # noqa: E402
from gitstore.plumbing.sources import Source, find_config_repo  # noqa: E402
from gitstore.problems import Problem  # noqa: E402
from gitstore.validate import Report, validate  # noqa: E402

Mutation = Callable[["Mutator"], str]


class Mutator:
    """Seeded random changes to a generated repository's working tree."""

    def __init__(self, gen: Generated, rng: random.Random) -> None:
        self.gen = gen
        self.root = gen.root
        self.rng = rng
        self.spare = build_files(60, seed=rng.randrange(1_000_000))  # a source of fresh bodies

    def paths(self, folder: str) -> list[str]:
        base = self.root / folder
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*.yaml"))

    def pick(self, folder: str) -> str | None:
        found = self.paths(folder)
        return self.rng.choice(found) if found else None

    def write(self, rel: str, body: str | bytes) -> None:
        dest = self.root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            dest.write_bytes(body)
        else:
            dest.write_text(body, encoding="utf-8")

    def rename(self, folder: str) -> str:
        old = self.pick(folder)
        if old is None:
            return "nothing to rename"
        new = old.replace(".yaml", f"-r{self.rng.randrange(1000)}.yaml")
        (self.root / old).rename(self.root / new)
        return f"rename {old} -> {new}"

    def delete(self, folder: str) -> str:
        old = self.pick(folder)
        if old is None:
            return "nothing to delete"
        (self.root / old).unlink()
        return f"delete {old}"

    def add(self, folder: str) -> str:
        candidates = [p for p in self.spare.files if p.startswith(folder + "/")]
        rel = self.rng.choice(candidates)
        self.write(rel, self.spare.files[rel])
        return f"add {rel}"

    def edit_component(self) -> str:
        rel = self.pick("components")
        if rel is None:
            return "no component"
        text = (self.root / rel).read_text(encoding="utf-8")
        flavors = self.paths("flavors")
        choice = self.rng.random()
        if choice < 0.3 and flavors:  # switch to a custom flavor of another type (GS201) or its own
            flavor = Path(self.rng.choice(flavors)).stem
            body = f"flavor: {flavor}\nconfig:\n  endpoint: https://e.example.com\n  replicas: 2\n"
        elif choice < 0.5:
            body = text + "# edited\n"
        elif choice < 0.7:
            body = text.replace("flavor:", "flavour:", 1)
        else:
            body = "flavor: local\nconfig: {api_token: plain, password: hunter2}\n"
        self.write(rel, body)
        return f"edit {rel}"

    def edit_flavor_schema(self) -> str:
        rel = self.pick("flavors")
        if rel is None:
            return "no flavor"
        variants = [
            "source: acme.Flavor\nconfig_schema:\n  type: object\n  properties:\n"
            "    endpoint: {type: integer}\n",
            "source: acme.Flavor\nconfig_schema:\n  type: object\n  additionalProperties: false\n"
            "  properties:\n    endpoint: {type: string}\n    replicas: {type: integer}\n"
            "    labels: {type: object}\n    api_token: {type: string, writeOnly: true}\n"
            "    mode: {enum: [batch]}\n",
            "source: acme.Flavor\nconfig_schema:\n  type: 7\n",
            "source: acme.Flavor\n",
        ]
        self.write(rel, self.rng.choice(variants))
        return f"edit flavor {rel}"

    def edit_settings(self) -> str:
        stacks = [Path(p).stem for p in self.paths("stacks")] or ["none"]
        required = self.rng.choice(["[orchestrator, artifact_store]", "[orchestrator]",
                                    "[orchestrator, container_registry]", "[]"])
        default = self.rng.choice([*stacks[:3], "missing-stack"])
        self.write("gitstore.yaml", f"format: 1\ndefault_stack: {default}\n"
                                    f"required_components: {required}\n")
        return "edit gitstore.yaml"

    def break_rule(self) -> str:
        rule = self.rng.choice([r for r in INJECTABLE if r not in ("GS011", "GS010")])
        for rel, body in inject(self.gen, [rule]).items():
            self.write(rel, body)
        return f"inject {rule}"

    def step(self) -> str:
        folder = self.rng.choice(["components", "flavors", "users", "teams", "projects", "stacks",
                                  "roles"])
        action = self.rng.choice(["rename", "delete", "add", "edit_component", "edit_flavor_schema",
                                  "edit_settings", "break_rule", "rename", "delete"])
        if action in ("rename", "delete", "add"):
            return str(getattr(self, action)(folder))
        return str(getattr(self, action)())


def both_ways(source_of: Callable[[], Source]) -> tuple[Report, Report]:
    warm = validate(source_of(), use_cache=True)
    cold = validate(source_of(), use_cache=False)
    return warm, cold


def assert_same(root: Path, what: str, history: list[str]) -> None:
    repo = find_config_repo(root)
    sources: dict[str, Callable[[], Source]] = {
        "working tree": repo.worktree,
        "index": repo.index,
        "HEAD": lambda: repo.commit("HEAD"),
    }
    for mode, source_of in sources.items():
        warm, cold = both_ways(source_of)
        assert warm == cold, f"{mode} differs after {what}; steps: {history}"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_warm_cache_equals_full_check_through_random_changes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    gen = generate(tmp_path / "repo", files=120, seed=seed, rules=rng.sample(INJECTABLE, 3))
    root = gen.root
    history: list[str] = []
    assert_same(root, "generation", history)  # fills the cache
    for _ in random_walk(gen, rng, history, steps=10, most=3):
        assert_same(root, history[-1], history)


def random_walk(gen: Generated, rng: random.Random, history: list[str], steps: int,
                most: int) -> Iterator[None]:
    """``steps`` rounds of 1 to ``most`` random changes (recorded in ``history``), each round
    left in the working tree, staged, or committed; yields after each round."""
    mutator = Mutator(gen, rng)
    for _ in range(steps):
        for _ in range(rng.randint(1, most)):
            history.append(mutator.step())
        staging = rng.random()
        if staging < 0.7:
            git(gen.root, "add", "-A")
        if staging < 0.4:
            git(gen.root, "commit", "-q", "--no-verify", "-m", "step")
        yield


def test_renamed_component_breaks_its_stacks_in_warm_and_cold_runs(tmp_path: Path) -> None:
    gen = generate(tmp_path / "repo", files=120, seed=7)
    root = gen.root
    repo = find_config_repo(root)
    assert validate(repo.worktree()).ok()
    used = {line.split(":", 1)[1].strip() for p in gen.stacks
            for line in (root / f"stacks/{p}.yaml").read_text().splitlines()
            if line.strip().startswith("orchestrator:")}
    type_, name = next((t, n) for t, n in gen.components if t == "orchestrator" and n in used)
    folder = root / "components" / type_
    (folder / f"{name}.yaml").rename(folder / f"{name}-renamed.yaml")
    warm, cold = both_ways(repo.worktree)
    assert warm == cold
    assert any(p.code == "GS203" and f"`{name}`" in p.message for p in warm.problems)


def test_edited_flavor_schema_rechecks_its_components(tmp_path: Path) -> None:
    gen = generate(tmp_path / "repo", files=240, seed=11)
    root = gen.root
    repo = find_config_repo(root)
    assert validate(repo.worktree()).ok()
    used = {}
    for (type_, name) in gen.components:
        text = (root / f"components/{type_}/{name}.yaml").read_text()
        for ftype, fname in gen.flavors:
            if ftype == type_ and f"flavor: {fname}" in text.replace('"', "").replace("'", ""):
                used[(ftype, fname)] = name
    (ftype, fname), component = next(iter(sorted(used.items())))
    (root / f"flavors/{ftype}/{fname}.yaml").write_text(
        "source: acme.Flavor\nconfig_schema:\n  type: object\n  properties:\n"
        "    endpoint: {type: integer}\n")
    warm, cold = both_ways(repo.worktree)
    assert warm == cold
    assert any(p.code == "GS202" and p.path == f"components/{ftype}/{component}.yaml"
               for p in warm.problems), warm.problems


# --- the incremental cross-file checks (IntegrityIndex) and the library's writes ------------


def _snapshot(root: Path) -> Snapshot:
    return load_snapshot(find_config_repo(root).worktree(), ResultCache(None))


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems), key=Problem.sort_key)


@pytest.mark.parametrize("seed", [5, 6, 7, 8, 9, 10])
def test_integrity_index_equals_a_full_check_through_random_changes(tmp_path: Path,
                                                                     seed: int) -> None:
    """After every change, re-checking only what it touched gives the full check's answer."""
    rng = random.Random(seed)
    gen = generate(tmp_path / "repo", files=150, seed=seed, rules=rng.sample(INJECTABLE, 3))
    mutator = Mutator(gen, rng)
    snap = _snapshot(gen.root)
    index = IntegrityIndex(snap)
    assert _sorted(index.problems()) == _sorted(check_integrity(snap))
    history: list[str] = []
    for _ in range(25):
        for _ in range(rng.randint(1, 3)):
            history.append(mutator.step())
        after = _snapshot(gen.root)
        before_files, after_files = snap.by_path(), after.by_path()
        touched = {p for p in before_files.keys() | after_files.keys()
                   if before_files.get(p) != after_files.get(p)}
        index.update(after, touched)
        assert _sorted(index.problems()) == _sorted(check_integrity(after)), history
        snap = after


def test_library_writes_are_checked_like_a_full_validation(tmp_path: Path) -> None:
    """Random library writes on a repository with errors in it: a write is refused exactly when
    a full check of its result shows an error the repository did not have, and the errors
    the writer remembers for its commit are a full check's."""
    from gitstore import GitZenStore
    from gitstore.exceptions import IntegrityError
    from gitstore.store.transaction import _error_keys

    rng = random.Random(42)
    gen = generate(tmp_path / "repo", files=150, seed=3, rules=["GS203", "GS205"])
    store = GitZenStore().initialize(str(gen.root), skip_default_registrations=True)
    writer = store._writer
    assert writer is not None
    users = list(gen.users)
    teams = list(gen.teams)
    refused = done = 0
    for step in range(40):
        head_errors = _error_keys(validate(find_config_repo(gen.root).commit("HEAD"),
                                           use_cache=False).problems)
        action = rng.choice(["create_user", "delete_user", "add_to_team", "create_team",
                             "delete_team"])
        try:
            if action == "create_user":
                name = f"new-{step}"
                store.create_user(name)
                users.append(name)
            elif action == "delete_user" and users:
                store.delete_user(users.pop(rng.randrange(len(users))))
            elif action == "add_to_team" and users and teams:
                store.add_user_to_team(rng.choice(teams), rng.choice(users))
            elif action == "create_team":
                teams.append(f"team-{step}")
                store.create_team(teams[-1])
            elif action == "delete_team" and teams:
                store.delete_team(teams.pop(rng.randrange(len(teams))))
            done += 1
        except IntegrityError:
            refused += 1
        full = validate(find_config_repo(gen.root).commit("HEAD"), use_cache=False)
        assert not (_error_keys(full.problems) - head_errors)  # no write brought a new error
        last = writer._last
        assert last is not None
        assert last.errors == _error_keys(full.problems), action
    assert done > 10
