"""The working tree's model on disk: a store opens from it without parsing a file or
starting git, and never answers from it when the files changed while no store looked
(hand edits, a checkout, files too new to trust by their stat); a damaged or foreign
model only costs speed."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import git
from store_helpers import component
from test_incremental import random_walk

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from bench.generate import generate  # noqa: E402
from gitstore import GitZenStore  # noqa: E402
from gitstore.models import StackComponentType, StackWrapper  # noqa: E402
from gitstore.plumbing.cache import ResultCache  # noqa: E402
from gitstore.plumbing.snapshot import Snapshot, load_snapshot  # noqa: E402
from gitstore.plumbing.sources import WorkTreeSource  # noqa: E402
from gitstore.store import model, state  # noqa: E402
from gitstore.store.model import MODEL_FILE, StoredSnapshot  # noqa: E402

ORCH = StackComponentType.ORCHESTRATOR
QUICK = 0.2  # seconds after which a file's stat is trusted, in these tests


def kept_by_another_process(root: Path, code: str = "") -> None:
    """A process opens the store once every file is old enough, reads everything and exits
    (keeping its model), as an application would."""
    script = (
        "import time\nfrom gitstore.store import state\n"
        f"state.RACY_SECONDS = {QUICK}\ntime.sleep({QUICK + 0.1})\n"
        "from gitstore import GitZenStore\n"
        f"store = GitZenStore().initialize({str(root)!r})\n"
        "store.stacks, store.users, store.snapshot().problems\n" + code
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(state, "RACY_SECONDS", QUICK)
    store = GitZenStore().initialize(str(tmp_path / "config"))
    store.register_stack_component(component("orchestrator", "kf", "kubeflow"))
    store.register_stack(StackWrapper(name="prod", components=[
        store.get_stack_component(ORCH, "kf"),
        store.get_stack_component(StackComponentType.ARTIFACT_STORE, "default")]))
    store.create_user("alice")
    kept_by_another_process(store.repo.root)
    return store.repo.root


def model_path(root: Path) -> Path:
    return root / ".git" / "gitstore" / MODEL_FILE


def counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every file read, file parsed and git process started from now on."""
    import gitstore.checks.files as checks

    seen: dict[str, list[str]] = {"reads": [], "parses": [], "git": []}
    read_file, check_file = state.StatWorkTreeSource.read_file, checks.check_file
    popen_init = subprocess.Popen.__init__

    def counting_read(full: str | Path) -> bytes:
        seen["reads"].append(str(full))
        return read_file(full)

    def counting_check(ref, path, raw):  # type: ignore[no-untyped-def]
        seen["parses"].append(path)
        return check_file(ref, path, raw)

    def counting_popen(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        seen["git"].append(" ".join(map(str, args)))
        popen_init(self, args, *rest, **kw)

    monkeypatch.setattr(state.StatWorkTreeSource, "read_file", staticmethod(counting_read))
    monkeypatch.setattr(checks, "check_file", counting_check)
    monkeypatch.setattr(subprocess.Popen, "__init__", counting_popen)
    return seen


def answers(store: GitZenStore) -> dict[str, Any]:
    return {
        "stacks": store.stack_configurations,
        "users": sorted(u.name for u in store.users),
        "orchestrators": sorted(c.name for c in store.get_stack_components(ORCH)),
        "step_operators": sorted(
            c.name for c in store.get_stack_components(StackComponentType.STEP_OPERATOR)),
        "prod": store.get_stack_configuration("prod") if "prod" in store.stack_configurations
        else None,
        "problems": sorted(p.to_tuple() for p in store.snapshot().problems),
    }


def fresh_answers(root: Path) -> dict[str, Any]:
    """What a store without any model or cache answers."""
    os.environ["GITSTORE_NO_CACHE"] = "1"
    try:
        return answers(GitZenStore().initialize(str(root), skip_default_registrations=True))
    finally:
        del os.environ["GITSTORE_NO_CACHE"]


def test_a_store_opens_from_the_model_without_reading_parsing_or_git(root, monkeypatch):
    assert model_path(root).is_file()
    seen = counting(monkeypatch)
    store = GitZenStore().initialize(str(root))
    assert isinstance(store.snapshot(), StoredSnapshot)
    assert store.get_stack("prod").name == "prod"
    assert seen == {"reads": [], "parses": [], "git": []}
    got = answers(store)  # users' creation dates come from git's log
    assert seen["reads"] == [] and seen["parses"] == []
    assert got == fresh_answers(root)
    assert got["prod"][ORCH] == "kf"


def test_lookups_unpack_only_the_groups_they_need(root):
    store = GitZenStore().initialize(str(root))
    snap = store.snapshot()
    assert isinstance(snap, StoredSnapshot)
    store.get_stack("prod")
    unpacked = {key for key, group in snap.groups.items() if group._rows is not None}
    assert ("user", None) not in unpacked and ("team", None) not in unpacked
    assert ("stack", None) in unpacked
    assert list(snap.groups[("stack", None)]._built) == [1]  # prod's data alone (default: 0)
    assert all(group._positions is None for group in snap.groups.values())  # reports need them
    doc = snap.get("stack", "prod")
    assert doc is not None and doc.positions[("components",)][0] > 1
    assert snap.groups[("stack", None)]._positions is not None


def test_existence_is_answered_from_the_packed_names_alike(root):
    """``exists`` and ``has_any`` of a model's snapshot answer as the parsed snapshot does,
    without building the group's entity table."""
    store = GitZenStore().initialize(str(root))
    snap = store.snapshot()
    assert isinstance(snap, StoredSnapshot)
    parsed = load_snapshot(WorkTreeSource("working tree", None, root=root), ResultCache(None))
    assert snap.exists("user", "alice") and not snap.exists("user", "nobody")
    assert all(group._present is None for group in snap.groups.values())
    for ref in parsed.present:
        assert snap.exists(ref.kind, ref.name, ref.type)
        assert not snap.exists(ref.kind, ref.name + "-missing", ref.type)
    kinds = {ref.kind for ref in parsed.present}
    assert {"stack", "user", "component"} <= kinds
    for kind in kinds | {"no-such-kind"}:
        assert snap.has_any(kind) == parsed.has_any(kind) == any(
            r.kind == kind for r in parsed.present), kind


def same_size_edit(root: Path) -> None:
    """Swap the stack's orchestrator for one of the same name length, and put the old
    modification time back: only the change time and the contents tell."""
    path = root / "stacks/prod.yaml"
    before = path.stat()
    path.write_text(path.read_text().replace("orchestrator: kf", "orchestrator: k2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def checkout_before_the_stack(root: Path) -> None:
    git(root, "checkout", "-q", "HEAD~2")


def remove_the_user(root: Path) -> None:
    (root / "users/alice.yaml").unlink()


def add_a_folder_of_components(root: Path) -> None:
    folder = root / "components/step_operator"
    folder.mkdir()
    (folder / "sm.yaml").write_text("flavor: sagemaker\nconfig: {role: r, instance_type: t}\n")


def rename_the_stack(root: Path) -> None:
    (root / "stacks/prod.yaml").rename(root / "stacks/renamed.yaml")


def replace_a_file_by_a_link(root: Path) -> None:
    (root / "users/alice.yaml").unlink()
    (root / "users/alice.yaml").symlink_to("default.yaml")


@pytest.mark.parametrize("change", [same_size_edit, checkout_before_the_stack, remove_the_user,
                                    add_a_folder_of_components, rename_the_stack,
                                    replace_a_file_by_a_link])
def test_changes_made_while_no_store_was_open_are_seen(root, change):
    before = answers(GitZenStore().initialize(str(root)))
    change(root)
    after = answers(GitZenStore().initialize(str(root)))
    assert after != before
    assert after == fresh_answers(root)
    if change is same_size_edit:
        assert after["prod"][ORCH] == "k2"


def test_the_next_model_is_kept_and_used(root, monkeypatch):
    same_size_edit(root)
    kept_by_another_process(root)  # reads the edit, keeps it at exit
    seen = counting(monkeypatch)
    store = GitZenStore().initialize(str(root))
    assert store.get_stack_configuration("prod")[ORCH] == "k2"
    assert seen["reads"] == [] and seen["parses"] == []


def test_files_too_new_for_their_stat_are_read_again(root, monkeypatch):
    monkeypatch.setattr(state, "RACY_SECONDS", 3600.0)  # nothing is old enough to trust
    (root / "users/alice.yaml").write_text("email: alice@example.com\n")
    assert GitZenStore().initialize(str(root)).users  # keeps a model that cannot vouch for it
    seen = counting(monkeypatch)
    store = GitZenStore().initialize(str(root))
    assert [u.name for u in store.users] == ["alice", "default"]
    read = {Path(p).relative_to(root).as_posix() for p in seen["reads"]}
    assert read == {"users/alice.yaml"}  # the only file the model could not vouch for
    assert seen["parses"] == []  # read again, found unchanged: nothing to parse


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"\x00not a model" * 100)


def damage_format(path: Path) -> None:
    import marshal

    blob = list(marshal.loads(path.read_bytes()))
    blob[0] = "gitstore-model-0"
    path.write_bytes(marshal.dumps(tuple(blob)))


def damage_wrong_oids(path: Path) -> None:
    import marshal

    blob = list(marshal.loads(path.read_bytes()))
    blob[4] = blob[4][:-1]  # a blob id short: rows and ids no longer pair up
    path.write_bytes(marshal.dumps(tuple(blob)))


@pytest.mark.parametrize("damage", [damage_truncate, damage_garbage, damage_format,
                                    damage_wrong_oids])
def test_a_damaged_model_is_ignored_and_replaced(root, damage):
    damage(model_path(root))
    store = GitZenStore().initialize(str(root))
    assert answers(store) == fresh_answers(root)
    assert model.load_model(model_path(root), root, store._cache.format, "x") is not None


def test_the_model_of_another_folder_is_ignored(root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    (copy / "users/alice.yaml").unlink()  # the copy differs; its model names the original
    store = GitZenStore().initialize(str(copy))
    assert "alice" not in [u.name for u in store.users]
    assert answers(store) == fresh_answers(copy)
    assert git(copy, "rev-parse", "--show-toplevel").strip() == str(copy)


def test_repository_facts_are_asked_of_git_again_when_its_configuration_changes(root,
                                                                               monkeypatch):
    from gitstore.plumbing import vcs

    asked: list[str] = []
    repo_info = vcs.repo_info

    def counting_repo_info(path: Any) -> Any:
        asked.append(str(path))
        return repo_info(path)

    monkeypatch.setattr(vcs, "repo_info", counting_repo_info)
    GitZenStore().initialize(str(root))
    assert asked == []
    git(root, "config", "gitstore.test", "1")
    GitZenStore().initialize(str(root))
    GitZenStore().initialize(str(root))
    assert asked == [str(root)]
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))
    GitZenStore().initialize(str(root))
    assert len(asked) == 2


def as_tables(snap: Snapshot) -> dict[str, Any]:
    return {
        "entries": sorted(snap.entries),
        "documents": {ref: (d.path, d.oid, d.data, d.positions)
                      for ref, d in snap.documents.items()},
        "present": snap.present,
        "problems": sorted(p.to_tuple() for p in snap.problems),
    }


def assert_lookups_agree(stored: StoredSnapshot, full: Snapshot) -> None:
    """Each lookup of a stored snapshot, before its tables are built, answers as a full one."""
    for (kind, type_) in {(r.kind, r.type) for r in full.present} | {("user", None)}:
        assert stored.names(kind, type_) == full.names(kind, type_)
    for ref in full.present:
        doc, want = stored.get(ref.kind, ref.name, ref.type), full.get(ref.kind, ref.name, ref.type)
        assert doc == want and want == doc  # a stored document equals the one parsed
        assert stored.exists(ref.kind, ref.name, ref.type)
    assert not stored.exists("user", "nobody-has-this-name")
    for kind in {r.kind for r in full.present}:
        assert sorted(d.path for d in stored.of_kind(kind)) == sorted(
            d.path for d in full.of_kind(kind))
    assert stored.settings == full.settings


@pytest.mark.parametrize("seed", [1, 2])
def test_the_model_equals_a_full_read_through_random_changes(tmp_path, monkeypatch, seed):
    monkeypatch.setattr(state, "RACY_SECONDS", 0.05)
    rng = random.Random(seed)
    gen = generate(tmp_path / "repo", files=120, seed=seed, rules=["GS203", "GS302", "GS021"])
    root = gen.root
    history: list[str] = []
    cache = ResultCache(root / ".git" / "gitstore")
    where = model_path(root)
    state.WorkTreeReader(root, cache, where).tree()
    for _ in random_walk(gen, rng, history, steps=8, most=3):
        if rng.random() < 0.5:
            time.sleep(0.06)  # sometimes every file is old enough to trust, sometimes not
        reader = state.WorkTreeReader(root, ResultCache(root / ".git" / "gitstore"), where)
        stored = reader._model.snapshot if reader._model is not None else None
        got = reader.tree().snapshot
        full = load_snapshot(WorkTreeSource("full", None, root=root))
        if isinstance(got, StoredSnapshot) and got._documents is None:
            assert_lookups_agree(got, full)
        assert as_tables(got) == as_tables(full), f"after {history}"
        assert stored is not None, "every reader before this one kept a model"
        reader.save_model()


def test_the_listing_rows_name_what_a_full_listing_names(tmp_path):
    root = generate(tmp_path / "repo", files=300, seed=3, rules=["GS021", "GS022"]).root
    (root / "users/link.yaml").symlink_to("nowhere.yaml")
    (root / "components/empty_folder").mkdir()
    rows = state.walk_rows(root)
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), key=model.listing_order)
    full = load_snapshot(WorkTreeSource("full", None, root=root)).entries
    assert [(r[0], model.entry_mode(r[1])) for r in rows] == [(e.path, e.mode) for e in full]
