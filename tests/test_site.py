"""gitstore site: the catalog's contents, escaping, secrets, determinism, options, bad input.

The browser tests (tests/test_site_browser.py) open the same sites in Chromium.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import git, run_cli, write_files
from site_helpers import INJECTED, PLAIN_SECRETS, evil_repo, platform_repo, record_run


def build(repo: Path, out: Path, *args: str) -> str:
    result = run_cli("site", "-o", str(out), *args, cwd=repo)
    assert result.code == 0, result
    return result.out


def read(out: Path, page: str) -> str:
    return (out / page).read_text("utf-8")


def text_of(page_html: str) -> str:
    """The page's text, roughly as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html))


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    return platform_repo(tmp_path / "platform")


def test_overview_counts_validation_default_stack_and_commits(platform: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    said = build(platform, out)
    assert said.startswith("wrote ") and "no problems" in said
    page = text_of(read(out, "index.html"))
    for count in ("2 stacks", "13 components", "1 custom flavors", "5 users", "3 teams", "3 roles",
                  "2 projects"):
        assert re.search(count.replace(" ", r"\s+"), page), count
    assert "ok: 30 files checked in the working tree, no problems" in page
    assert 'href="stack-staging.html"' in read(out, "index.html")  # the default stack
    assert "Platform configuration" in page  # the latest commit


def test_stack_page(platform: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(platform, out)
    page = read(out, "stack-production.html")
    text = text_of(page)
    assert 'href="component-orchestrator-kfp-prod.html"' in page
    assert 'href="flavor-orchestrator-kubeflow.html"' in page
    assert "{{ mysql_prod.password }}" in text  # a secret reference shown as a reference
    assert "<svg" in page and 'href="component-step_operator-ray-gpu-prod.html"' in page
    assert re.search(r"Holding\s+stack: update\s+2 users\s+alice ,\s+platform-bot", text)
    assert 'href="who-stack.html#update"' in page
    who = text_of(read(out, "who-stack.html"))
    assert re.search(r"stack: update.*alice\s+role platform-admin \(team ml-platform\)", who, re.S)
    assert "Recent runs" in text and "Platform configuration" in text


def test_component_page_shows_descriptions_users_and_history(platform: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(platform, out)
    text = text_of(read(out, "component-step_operator-ray-gpu-prod.html"))
    assert "GPUs reserved for each step." in text  # the field's description from the flavor's schema
    assert "production" in text.split("Stacks using it")[1]
    assert "Test Author <author@example.com>" in text
    flavor = text_of(read(out, "flavor-step_operator-ray-gpu.html"))
    assert "custom" in flavor and "ray-gpu-prod" in flavor and "secret: holds a reference" in flavor
    builtin = text_of(read(out, "flavor-orchestrator-kubeflow.html"))
    assert "built-in" in builtin and "kfp-prod" in builtin and "kubeflow_hostname" in builtin


def test_history_follows_a_renamed_entity_and_not_a_new_file_at_its_old_path(
        platform: Path, tmp_path: Path) -> None:
    path = platform / "components/orchestrator/kfp-prod.yaml"
    path.write_text(path.read_text() + "# tuned by hand\n")
    git(platform, "commit", "-qam", "Tune the production orchestrator")
    assert run_cli("mv", "components/orchestrator/kfp-prod", "kfp-main", cwd=platform).code == 0
    git(platform, "commit", "-qm", "Rename kfp-prod to kfp-main")
    write_files(platform, {"components/orchestrator/kfp-prod.yaml": "flavor: local\n"})
    git(platform, "add", "-A")
    git(platform, "commit", "-qm", "A new local kfp-prod")
    out = tmp_path / "site"
    build(platform, out)
    renamed = text_of(read(out, "component-orchestrator-kfp-main.html")).split("History")[-1]
    assert "Rename kfp-prod to kfp-main" in renamed and "Tune the production orchestrator" in renamed
    newcomer = text_of(read(out, "component-orchestrator-kfp-prod.html")).split("History")[-1]
    assert "A new local kfp-prod" in newcomer
    assert "Tune the production orchestrator" not in newcomer and "Rename kfp-prod" not in newcomer


def test_user_page_says_what_who_can_says(platform: Path, tmp_path: Path) -> None:
    from gitstore.diff import load
    from gitstore.plumbing.layout import OPERATIONS, PERMISSION_TYPES
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.trust.ownership import who_can

    out = tmp_path / "site"
    build(platform, out)
    snap = load(find_config_repo(platform), None)
    for user in snap.names("user"):
        page = read(out, f"user-{user}.html")
        shown = set()
        for row in re.findall(r"<tr><td><code>(\w+)</code></td><td>(.*?)</td>", page):
            shown |= {(row[0], t) for t in re.findall(r'badge kind">(\w+)<', row[1])}
        expected = {(op, pt) for op in OPERATIONS for pt in PERMISSION_TYPES
                    if user in who_can(snap, op, pt).holders or user in who_can(snap, op, pt).scoped}
        assert shown == expected, user


def test_every_value_is_escaped(tmp_path: Path) -> None:
    repo = evil_repo(tmp_path / "evil")
    out = tmp_path / "site"
    build(repo, out)
    for page in out.iterdir():
        body = page.read_text("utf-8")
        assert "alert(" not in re.sub(r"&lt;script&gt;alert\(|alert\(&#39;|onerror=alert\(1\)", "", body) \
            or page.suffix == ".js", page.name
        if page.suffix == ".html":
            assert re.findall(r"<script[^>]*>", body) == ['<script src="site.js" defer>'], page.name
            assert "<img" not in body
    stack = read(out, "stack-prod.html")
    assert html.escape(INJECTED, quote=True).replace("&#x27;", "&#39;") in stack
    index = read(out, "search-index.js")
    assert "<" not in index and "\\u003cscript>alert('injected')\\u003c/script>" in index


def test_plain_text_secrets_never_reach_the_output(tmp_path: Path) -> None:
    repo = evil_repo(tmp_path / "evil")
    validate = run_cli("validate", cwd=repo)
    assert validate.code == 1 and not any(s in validate.out for s in PLAIN_SECRETS)  # never repeated
    out = tmp_path / "site"
    build(repo, out)
    for page in out.iterdir():
        body = page.read_text("utf-8")
        for secret in PLAIN_SECRETS:
            assert secret not in body, (page.name, secret)
    text = text_of(read(out, "component-artifact_store-store.html"))
    assert "plain-text secret withheld" in text and "{{ aws.access_key }}" in text
    overview = text_of(read(out, "index.html"))  # the site shows the problem, not the value
    assert "components/orchestrator/evil.yaml:4:14" in overview and "expected an integer" in overview


def test_same_commit_gives_byte_identical_output(platform: Path, tmp_path: Path) -> None:
    record_run(platform, "nightly-1", "production")
    first, second = tmp_path / "a", tmp_path / "b"
    build(platform, first, "--rev", "HEAD")
    build(platform, second, "--rev", "HEAD")
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    build(platform, first, "--rev", "HEAD")  # rebuilt in place: still the same
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_rev_shows_that_commit(platform: Path, tmp_path: Path) -> None:
    first = git(platform, "rev-parse", "HEAD").strip()
    write_files(platform, {"stacks/extra.yaml": "description: added later\ncomponents: {}\n"})
    git(platform, "add", "-A")
    git(platform, "commit", "-q", "-m", "Add the extra stack")
    out = tmp_path / "site"
    build(platform, out, "--rev", first)
    assert not (out / "stack-extra.html").exists()
    assert f"commit {first}" in read(out, "index.html")
    build(platform, out)
    assert (out / "stack-extra.html").exists()
    assert "Add the extra stack" in read(out, "stack-extra.html")
    build(platform, out, "--rev", first)  # rebuilt in place: the page of the stack gone goes
    assert not (out / "stack-extra.html").exists()
    assert "extra" not in read(out, "search-index.js")


def test_runs_and_no_runs(platform: Path, tmp_path: Path) -> None:
    record_run(platform, "nightly-1", "production")
    record_run(platform, "nightly-2", "staging", pipeline="evaluation")
    head = git(platform, "rev-parse", "HEAD").strip()
    out = tmp_path / "site"
    build(platform, out)
    runs = text_of(read(out, "runs.html"))
    assert "Pipeline training" in runs and "Pipeline evaluation" in runs and head[:10] in runs
    run = read(out, "run-nightly-1.html")
    assert 'href="stack-production.html"' in run and head in run and "clean" in run
    assert "{{ mysql_prod.password }}" in text_of(run)  # the stack as pinned, references as such
    assert "nightly-1" in text_of(read(out, "stack-production.html")).split("Recent runs")[1]
    build(platform, out, "--no-runs")
    assert not (out / "runs.html").exists() and not (out / "run-nightly-1.html").exists()
    assert "runs.html" not in read(out, "index.html")


def test_history_comes_from_one_git_log(platform: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from gitstore.plumbing import vcs
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.site import build_site

    logs: list[list[str]] = []
    real = vcs.run

    def counting(args: list[str], *rest: object, **kw: object) -> bytes:
        if args[0] == "log":
            logs.append(list(args))
        return real(args, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(vcs, "run", counting)
    build_site(find_config_repo(platform), tmp_path / "site", None, runs=False)
    assert len(logs) == 1


def test_broken_repository_still_builds_and_shows_its_problems(make_repo, tmp_path: Path) -> None:
    repo = make_repo({
        "gitstore.yaml": "format: 1\ndefault_stack: nope\n",
        "stacks/prod.yaml": "components:\n  orchestrator: missing\n",
        "stacks/bad.yaml": "components: [unclosed\n",
        "users/Bob.yaml": "{}\n",
        "users/bob.yaml": "{}\n",
    })
    out = tmp_path / "site"
    said = build(repo, out)
    assert "errors" in said
    overview = text_of(read(out, "index.html"))
    assert "stacks/prod.yaml:2:17" in overview and "GS203" in overview
    assert "gitstore.yaml:2:16" in overview and "GS208" in overview
    assert "stacks/bad.yaml:" in overview and "GS001" in overview
    assert "missing (missing)" in text_of(read(out, "stack-prod.html"))
    assert (out / "stack-bad.html").exists()
    users = sorted(p.name for p in out.glob("user-*.html"))  # names differing in case get two pages
    assert len(users) == 2 and len({u.lower() for u in users}) == 2


def test_not_a_configuration_repository(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("site", "-o", str(tmp_path / "site"), cwd=tmp_path / "empty")
    assert result.code == 2
    assert result.err.startswith("gitstore: error: not a configuration repository")
    assert not (tmp_path / "site").exists()


def test_unknown_revision(platform: Path, tmp_path: Path) -> None:
    result = run_cli("site", "-o", str(tmp_path / "site"), "--rev", "no-such-branch", cwd=platform)
    assert (result.code, result.err) == (2, "gitstore: error: unknown revision: 'no-such-branch'\n")


def test_a_folder_it_did_not_write_is_left_alone(platform: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.html").write_text("keep me")
    result = run_cli("site", "-o", str(out), cwd=platform)
    assert result.code == 2 and "was not written by `gitstore site`" in result.err
    assert [p.name for p in out.iterdir()] == ["notes.html"]


def test_plain_directory_without_git(tmp_path: Path) -> None:
    import shutil

    from site_helpers import EXAMPLES

    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLES, plain)
    out = tmp_path / "site"
    build(plain, out)
    assert "No commit history" in text_of(read(out, "index.html"))
    assert "Catalog of a working tree built" in read(out, "index.html")


def test_configuration_below_the_top_of_its_git_repository(tmp_path: Path) -> None:
    import shutil

    from site_helpers import EXAMPLES

    top = tmp_path / "top"
    shutil.copytree(EXAMPLES, top / "config")
    git(top, "init", "-q")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "Configuration in a folder")
    out = tmp_path / "site"
    build(top / "config", out, "--rev", "HEAD")
    assert "Configuration in a folder" in text_of(read(out, "stack-production.html"))


def test_every_link_and_script_stays_in_the_folder_and_exists(platform: Path, tmp_path: Path) -> None:
    record_run(platform, "nightly-1", "production")
    out = tmp_path / "site"
    build(platform, out)
    anchors: dict[str, set[str]] = {}
    targets: list[tuple[str, str]] = []
    for page in out.glob("*.html"):
        body = page.read_text("utf-8")
        anchors[page.name] = set(re.findall(r' id="([^"]+)"', body))
        targets += [(page.name, t) for t in re.findall(r'(?:href|src)="([^"]*)"', body)]
    assert targets
    for page, target in targets:
        name, _, anchor = html.unescape(target).partition("#")
        name = name or page
        assert "/" not in name and ":" not in name, (page, target)
        assert (out / name).is_file(), (page, target)
        if anchor and name.endswith(".html"):
            assert anchor in anchors[name], (page, target)


def test_pages_shared_among_processes_are_the_same(platform: Path, tmp_path: Path) -> None:
    """A large site is rendered by one process per core; what each page holds does not change."""
    import subprocess
    import sys

    record_run(platform, "nightly-1", "production")
    serial, shared = tmp_path / "serial", tmp_path / "shared"
    build(platform, serial, "--rev", "HEAD")
    script = ("import os, sys, gitstore.site.build as b, gitstore.cli as c; b.PARALLEL_FROM = 1; "
              "b.MAX_WORKERS = 3; os.cpu_count = lambda: 3; sys.exit(c.main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", script, "site", "-o", str(shared), "--rev", "HEAD"],
                          cwd=platform, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in serial.iterdir())
    assert names == sorted(p.name for p in shared.iterdir())
    for name in names:
        assert (serial / name).read_bytes() == (shared / name).read_bytes(), name
