"""The language server's warm model reports what ``gitstore validate`` reports, also after edits."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from test_examples import INVALID, VALID, copy_case

from gitstore.lsp.model import Model
from gitstore.plumbing.sources import WorkTreeSource
from gitstore.problems import Problem
from gitstore.trust.codeowners import HEADER, generate, stale_codeowners
from gitstore.validate import check_snapshot, load_snapshot

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "valid" / "platform"


def full_check(root: Path, overlay: dict[str, bytes | None]) -> list[Problem]:
    """What validation reports for the working tree with ``overlay`` written into it."""
    work = root.parent / f"{root.name}-check"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(root, work, symlinks=True)
    for rel, raw in overlay.items():
        target = work / rel
        if raw is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
    source = WorkTreeSource("working tree", None, root=work)
    snap = load_snapshot(source)
    return sorted([*check_snapshot(snap).problems, *stale_codeowners(source, snap)],
                  key=Problem.sort_key)


@pytest.mark.parametrize("case", VALID + INVALID, ids=lambda p: p.name)
def test_model_matches_validate(case: Path, tmp_path: Path) -> None:
    root = copy_case(case, tmp_path)
    model = Model(root)
    model.load()
    assert model.all_problems() == full_check(root, {})


EDITS: list[tuple[str, bytes | str | None]] = [
    ("components/artifact_store/s3-prod.yaml", None),
    ("components/artifact_store/s3-prod.yaml", b"flavor: s3\nconfig: {path: s3://x}\n"),
    ("components/artifact_store/s3-prd.yaml", b"flavor: s3\n"),
    ("stacks/production.yaml", b"components:\n  orchestrator: kfp-prd\n  artifact_store: s3-prod\n"),
    ("stacks/production.yaml", b"components: [\n"),
    ("stacks/staging.yaml", None),
    ("stacks/Staging.yaml", b"components: {orchestrator: kfp-staging}\n"),
    ("gitstore.yaml", b"format: 1\ndefault_stack: production\nrequired_components: [alerter]\n"),
    ("gitstore.yaml", b"format: 1\ndefault_stack: stagin\n"),
    ("flavors/step_operator/ray-gpu.yaml", None),
    ("flavors/step_operator/ray-gpu.yaml",
     b"source: a.B\nconfig_schema: {type: object, required: [gpus], properties: {gpus: {type: integer},"
     b" dashboard_token: {type: string, writeOnly: true}}}\n"),
    ("flavors/step_operator/ray-gpu.yaml", b"source: a.B\nconfig_schema: {type: 7}\n"),
    ("users/alice.yaml", None),
    ("users/alice.yaml", b"id: 8e3a1c52-6f0d-4d8e-9b1a-2c4d6e8f0a1b\n"),
    ("users/bob.yaml", b"id: 8e3a1c52-6f0d-4d8e-9b1a-2c4d6e8f0a1b\n"),
    ("teams/fraud.yaml", b"members: [bob, chenn]\n"),
    ("users/chenn.yaml", b"{}\n"),
    ("projects/fraud-detection.yaml", None),
    ("roles/viewer.yaml", b"assignments:\n  - {user: dana}\n  - team: nobody\n    project: nope\n"),
    ("components/orchestrator/kfp-prod.yaml", b"flavor: kubeflw\n"),
    ("components/orchestrator/kfp-prod.yaml", b"flavor: kubeflow\nconfig: {token: abc}\n"),
    ("components/secrets_manager/aws-prod.yaml", b"flavor: aws\nconfig: {region_name: 1}\n"),
    ("components/wrong_type/x.yaml", b"flavor: local\n"),
    ("users/x.yml", b"{}\n"),
    # a generated CODEOWNERS (GS520): made stale by users, teams and roles, or edited by hand
    ("CODEOWNERS", "generated"),
    ("CODEOWNERS", "generated"),
    ("CODEOWNERS", HEADER.encode() + b"/stacks/ @nobody\n"),
    ("CODEOWNERS", None),
    (".github/CODEOWNERS", "generated"),
    (".github/CODEOWNERS", b"* @someone\n"),  # not generated: never checked
    ("users/dana.yaml", b"accounts: {github: dana-gh}\n"),
    ("users/dana.yaml", b"email: dana@example.com\n"),
    ("teams/ml-platform.yaml", b"members: [alice]\n"),
    ("roles/platform-admin.yaml", b"permissions: {stack: [read, update]}\n"
                                  b"assignments: [{user: bob}]\n"),
]


@pytest.mark.parametrize("seed", range(16))
def test_incremental_updates_match_a_full_check(seed: int, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    generated = generate(load_snapshot(WorkTreeSource("working tree", None, root=root))).encode()
    if seed % 2:  # a repository that starts with a generated CODEOWNERS
        (root / "CODEOWNERS").write_bytes(generated)
    model = Model(root)
    model.load()
    shown = {path: model.problems(path) for path in model.paths_with_problems()}
    overlay: dict[str, bytes | None] = {}
    rng = random.Random(seed)
    for step in range(15):
        path, choice = rng.choice(EDITS)
        raw = generated if choice == "generated" else choice
        assert not isinstance(raw, str)
        overlay[path] = raw
        for touched in model.set_text(path, raw):  # what the server publishes again
            shown[touched] = model.problems(touched)
        assert model.all_problems() == full_check(root, overlay), (seed, step, path)
        # the paths a change reports are all whose problems changed
        assert sorted((p for items in shown.values() for p in items), key=Problem.sort_key) \
            == model.all_problems(), (seed, step, path)


def validate_in_place(root: Path) -> list[Problem]:
    """What validation reports for the working tree at ``root`` itself (no copy: a FIFO cannot
    be copied), CODEOWNERS included."""
    source = WorkTreeSource("working tree", None, root=root)
    snap = load_snapshot(source)
    return sorted([*check_snapshot(snap).problems, *stale_codeowners(source, snap)],
                  key=Problem.sort_key)


def test_links_and_special_files_changed_on_disk(tmp_path: Path) -> None:
    """A file that becomes a link, a FIFO, or a file again, outside the editor (GS011, GS012)."""
    import os

    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    model = Model(root)
    model.load()
    target = root / "users" / "eve.yaml"
    steps = [lambda: target.symlink_to(root / "users" / "dana.yaml"),
             lambda: target.unlink(),
             lambda: os.mkfifo(target),
             lambda: target.unlink() or target.write_text("email: eve@acme.example\n"),
             lambda: target.unlink() or target.symlink_to("nowhere.yaml")]
    for step, change in enumerate(steps):
        change()
        model.reload_from_disk("users/eve.yaml")
        assert model.all_problems() == validate_in_place(root), step
    assert {p.code for p in model.all_problems()} == {"GS011"}
