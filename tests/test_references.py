"""The reference index: which file names which entity, and where."""

from __future__ import annotations

from pathlib import Path

from gitstore.plumbing.layout import EntityRef
from gitstore.plumbing.snapshot import load_snapshot
from gitstore.plumbing.sources import find_config_repo
from gitstore.references import ReferenceIndex

FILES = {
    "gitstore.yaml": "format: 1\ndefault_stack: prod\n",
    "components/orchestrator/kfp.yaml": "flavor: kubeflow\n",
    "components/artifact_store/s3.yaml": "flavor: s3\nconfig: {path: s3://b}\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kfp\n  artifact_store: s3\n",
    "stacks/dev.yaml": "components:\n  orchestrator: kfp\n",
    "users/alice.yaml": "{}\n",
    "teams/ml.yaml": "members: [alice]\n",
    "projects/fraud.yaml": "{}\n",
    "roles/admin.yaml": ("permissions: {stack: [read]}\n"
                         "assignments:\n  - user: alice\n  - team: ml\n    project: fraud\n"),
}


def _index(tmp_path: Path) -> ReferenceIndex:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    snap = load_snapshot(find_config_repo(tmp_path).worktree())
    return ReferenceIndex(snap.documents.values())


def test_referrers_name_file_and_position(tmp_path):
    index = _index(tmp_path)
    kfp = index.referrers(EntityRef("component", "orchestrator", "kfp"))
    assert [(r.path, r.line, r.column) for r in kfp] == [
        ("stacks/dev.yaml", 2, 17), ("stacks/prod.yaml", 2, 17)]
    assert [(r.path, r.key) for r in index.referrers(EntityRef("stack", None, "prod"))] == [
        ("gitstore.yaml", ("default_stack",))]
    alice = index.referrers(EntityRef("user", None, "alice"))
    assert [(r.path, r.key) for r in alice] == [("roles/admin.yaml", ("assignments", 0, "user")),
                                                 ("teams/ml.yaml", ("members", 0))]
    assert [r.path for r in index.referrers(EntityRef("project", None, "fraud"))] == ["roles/admin.yaml"]
    assert [r.path for r in index.referrers(EntityRef("flavor", "artifact_store", "s3"))] == [
        "components/artifact_store/s3.yaml"]


def test_update_and_remove_follow_the_document(tmp_path):
    index = _index(tmp_path)
    dev = EntityRef("stack", None, "dev")
    index.remove(dev)
    kfp = index.referrers(EntityRef("component", "orchestrator", "kfp"))
    assert [r.path for r in kfp] == ["stacks/prod.yaml"]
    assert index.held_by(dev) == []


def test_the_kinds_that_may_refer_agree_with_the_slots() -> None:
    from gitstore.references import REFERRING_KINDS, target_at

    slots = [(EntityRef("settings", None, "gitstore"), ("default_stack",)),
             (EntityRef("component", "orchestrator", "c"), ("flavor",)),
             (EntityRef("stack", None, "s"), ("components", "orchestrator")),
             (EntityRef("team", None, "t"), ("members", 0)),
             *((EntityRef("role", None, "r"), ("assignments", 0, k)) for k in ("user", "team", "project"))]
    found: dict[str, set[str]] = {}
    for source, key in slots:
        target = target_at(source, key, "x")
        assert target is not None
        found.setdefault(target.kind, set()).add(source.kind)
    assert found == {k: set(v) for k, v in REFERRING_KINDS.items() if v}
