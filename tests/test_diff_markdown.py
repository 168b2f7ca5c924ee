"""The markdown review summary: summary line first, a picture when small, one comment at most."""

from __future__ import annotations

from pathlib import Path

from conftest import git, run_cli, write_files

from gitstore.diff import compare
from gitstore.diff.render import MARKDOWN_LIMIT, render_markdown
from gitstore.plumbing.snapshot import load_snapshot
from gitstore.plumbing.sources import find_config_repo

BASE = {
    "gitstore.yaml": "format: 1\n",
    "components/orchestrator/kf.yaml": "flavor: kubeflow\nconfig:\n  synchronous: true\n",
    "components/artifact_store/s3.yaml": "flavor: s3\n",
    "stacks/prod.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3\n",
}


def test_markdown_starts_with_the_summary_and_embeds_a_picture(make_repo):
    repo = make_repo(BASE)
    write_files(repo, {"components/orchestrator/kf.yaml": "flavor: kubeflow\nconfig:\n"
                                                          "  synchronous: false\n"})
    out = run_cli("diff", "HEAD", "--format", "markdown", cwd=repo).out
    lines = out.splitlines()
    assert lines[0] == "**1 stack changed, 1 component changed**"
    assert lines[2] == f"<sub>commit {git(repo, 'rev-parse', 'HEAD')[:12]} → working tree</sub>"
    picture = out[out.index("```mermaid\n"):out.index("```\n", out.index("```mermaid")) + 4]
    assert picture == (
        "```mermaid\nflowchart LR\n"
        '  n0[["prod"]]\n'
        '  n1("s3<br/>artifact_store")\n'
        '  n2{{"s3"}}\n'
        '  n3("kf<br/>orchestrator")\n'
        '  n4{{"kubeflow"}}\n'
        "  n0 -->|artifact_store| n1\n  n1 --> n2\n"
        "  n0 -->|orchestrator| n3\n  n3 --> n4\n"
        "  classDef changed fill:#fff3b0,stroke:#c90\n  class n0,n3 changed\n```\n")
    assert "- `~` component orchestrator/kf changed (components/orchestrator/kf.yaml)\n" \
           "  - `config.synchronous: true → false`\n" in out


def test_huge_change_is_summarised_within_one_comment(make_repo):
    repo = make_repo(BASE)
    write_files(repo, {f"users/user-{i:05d}.yaml": f"email: u{i}@example.com\n" for i in range(1500)})
    write_files(repo, {f"stacks/s{i}.yaml": "components:\n  orchestrator: kf\n  artifact_store: s3\n"
                       for i in range(20)})
    out = run_cli("diff", "HEAD", "--format", "markdown", cwd=repo).out
    assert len(out) <= MARKDOWN_LIMIT
    assert out.splitlines()[0] == "**20 stacks added, 1500 users added**"
    assert "```mermaid" not in out  # too many stacks to draw legibly
    assert out.rstrip().endswith("run `gitstore diff` for everything.")
    assert "more lines not shown" in out


def test_limit_is_a_hard_bound_for_any_size(make_repo):
    repo = make_repo(BASE)
    write_files(repo, {f"projects/p{i}.yaml": f"description: {'x' * 50}\n" for i in range(300)})
    config = find_config_repo(repo)
    change = compare(load_snapshot(config.commit("HEAD")), load_snapshot(config.worktree()))
    for limit in (2_000, 5_000, 20_000):
        text = render_markdown(change, limit=limit)
        assert len(text) <= limit
        assert text.startswith("**300 projects added**\n")


def test_markdown_escapes_what_would_break_the_comment(make_repo, tmp_path: Path):
    repo = make_repo(BASE)
    write_files(repo, {"components/orchestrator/kf.yaml":
                       "flavor: kubeflow\nconfig:\n  kubernetes_context: 'a`b'\n"})
    out = run_cli("diff", "HEAD", "--format", "markdown", cwd=repo).out
    assert "  - ``config.kubernetes_context: added a`b``\n" in out
