"""Make the screenshots in docs/site.md: the platform example's catalog, in Chromium.

    python docs/images/site_screenshots.py   (needs gitstore, playwright and chromium)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parents[1] / "examples" / "valid" / "platform"
BIN = Path(sys.executable).parent
GITSTORE = str(BIN / "gitstore") if (BIN / "gitstore").exists() else "gitstore"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "Alice Martin", "GIT_AUTHOR_EMAIL": "alice@acme.example",
       "GIT_COMMITTER_NAME": "Alice Martin", "GIT_COMMITTER_EMAIL": "alice@acme.example",
       "GIT_AUTHOR_DATE": "2026-11-20T10:00:00Z", "GIT_COMMITTER_DATE": "2026-11-20T10:00:00Z"}


def run(*args: str, cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, env=ENV, check=True, capture_output=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "platform"
        shutil.copytree(EXAMPLE, repo)
        run("git", "init", "-q", "-b", "main", cwd=repo)
        run("git", "add", "-A", cwd=repo)
        run("git", "commit", "-q", "-m", "Platform configuration: production and staging", cwd=repo)
        for name, stack in (("nightly-41", "production"), ("nightly-42", "production"),
                            ("try-7", "staging")):
            run(GITSTORE, "run", "record", "--pipeline", "training", "--name", name, "--stack", stack,
                cwd=repo)
        out = Path(tmp) / "site"
        run(GITSTORE, "site", "-o", str(out), cwd=repo)
        with sync_playwright() as play:
            browser = play.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport={"width": 1280, "height": 760}, device_scale_factor=1)
            page.goto((out / "index.html").as_uri())
            page.screenshot(path=HERE / "site-overview.png")
            page.goto((out / "stack-production.html").as_uri())
            page.screenshot(path=HERE / "site-stack.png", full_page=True,
                            clip={"x": 0, "y": 0, "width": 1280, "height": 1100})
            page.goto((out / "index.html").as_uri())
            page.locator("#search").fill("kfp")
            page.locator("#results a").first.wait_for()
            page.screenshot(path=HERE / "site-search.png", clip={"x": 560, "y": 0, "width": 720, "height": 300})
            browser.close()


if __name__ == "__main__":
    main()
