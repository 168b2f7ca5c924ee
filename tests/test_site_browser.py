"""The catalog site in a real browser: Chromium (from the system) driven by Playwright.

Every test watches the page: no console error, no dialog (an injected script
would open one), and no request leaving the site's folder. Without Chromium
or Playwright the tests fail and say how to install them; they never skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import isolate, run_cli
from site_helpers import INJECTED, evil_repo, platform_repo, record_run

INSTALL = ("install Chromium with `apt-get update && apt-get install -y chromium` (Debian/Ubuntu) "
           "or point GITSTORE_CHROMIUM at a Chromium binary")


def chromium() -> str:
    path = os.environ.get("GITSTORE_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        pytest.fail(f"the browser tests need Chromium, and none is on PATH: {INSTALL}")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright for Python: pip install playwright "
                    "(it is in the `test` extra); its own browser download is not needed")
    with sync_playwright() as play:
        instance = play.chromium.launch(executable_path=chromium())
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The platform example (with runs) and the injection repository, built once."""
    base = tmp_path_factory.mktemp("sites")
    with pytest.MonkeyPatch.context() as patch:
        (base / "home").mkdir()
        isolate(patch, base / "home")
        platform = platform_repo(base / "platform")
        record_run(platform, "nightly-1", "production")
        record_run(platform, "nightly-2", "staging")
        evil = evil_repo(base / "evil")
        built = {}
        for name, repo in (("platform", platform), ("evil", evil)):
            out = base / f"{name}-site"
            result = run_cli("site", "-o", str(out), cwd=repo)
            assert result.code == 0, result
            built[name] = out.resolve()
    return built


class Watched:
    """A page whose console errors, dialogs and outside requests are recorded."""

    def __init__(self, browser: Any, folder: Path) -> None:
        self.folder = folder.as_uri() + "/"
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("dialog", self._dialog)
        self.page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        url = request.url
        if not url.startswith(self.folder) or "/" in url[len(self.folder):].split("#")[0]:
            self.outside.append(url)

    def open(self, name: str) -> Any:
        self.page.goto(self.folder + name)
        return self.page

    def check(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert self.outside == [], self.outside
        self.page.close()


@pytest.fixture
def platform_page(browser: Any, sites: dict[str, Path]) -> Iterator[Watched]:
    watched = Watched(browser, sites["platform"])
    yield watched
    watched.check()


def test_overview_to_stack_to_component_and_back(platform_page: Watched) -> None:
    page = platform_page.open("index.html")
    assert page.title() == "Overview · gitstore"
    page.locator("section.card", has_text="Default stack").get_by_role("link", name="staging").click()
    assert page.url.endswith("/stack-staging.html")
    assert page.locator("h1").inner_text() == "staging"
    assert page.locator("svg").count() == 1
    page.locator("table").get_by_role("link", name="kfp-staging").click()
    assert page.url.endswith("/component-orchestrator-kfp-staging.html")
    assert page.locator("h1").inner_text() == "kfp-staging"
    page.locator("#stacks").get_by_role("link", name="staging").click()
    assert page.url.endswith("/stack-staging.html")


def test_picture_links_to_components(platform_page: Watched) -> None:
    page = platform_page.open("stack-production.html")
    page.locator("svg a[href='component-orchestrator-kfp-prod.html']").click()
    assert page.url.endswith("/component-orchestrator-kfp-prod.html")


def _results(page: Any) -> list[str]:
    page.locator("#results a").first.wait_for()
    return [page.locator("#results a").nth(i).locator("div").first.inner_text()
            for i in range(page.locator("#results a").count())]


def test_search_by_name_type_flavor_and_description(platform_page: Watched) -> None:
    page = platform_page.open("index.html")
    search = page.locator("#search")
    search.fill("kfp")
    assert _results(page)[:2] == ["kfp-prod", "kfp-staging"]
    search.fill("kubeflow orchestrator")  # a flavor and a type
    assert {"kfp-prod", "kfp-staging", "kubeflow"} <= set(_results(page))
    search.fill("smaller and cheaper")  # words of a description
    assert _results(page) == ["staging"]
    search.fill("ray-gpu-prod")
    _results(page)
    search.press("Enter")
    page.wait_for_url("**/component-step_operator-ray-gpu-prod.html")
    search = page.locator("#search")
    search.fill("nightly")
    assert _results(page) == ["nightly-1", "nightly-2"]
    search.fill("zzzz-nothing")
    assert page.locator("#results .empty").inner_text() == "Nothing matches"


def test_runs_pages(platform_page: Watched) -> None:
    page = platform_page.open("runs.html")
    page.get_by_role("link", name="nightly-1").first.click()
    assert page.url.endswith("/run-nightly-1.html")
    page.locator("dl").get_by_role("link", name="production").click()
    assert page.url.endswith("/stack-production.html")


def test_every_page_of_the_platform_site(browser: Any, sites: dict[str, Path]) -> None:
    watched = Watched(browser, sites["platform"])
    for path in sorted(sites["platform"].glob("*.html")):
        watched.open(path.name)
    watched.check()


def test_injected_markup_never_runs(browser: Any, sites: dict[str, Path]) -> None:
    watched = Watched(browser, sites["evil"])
    for path in sorted(sites["evil"].glob("*.html")):
        watched.open(path.name)
    page = watched.open("stack-prod.html")
    assert INJECTED in page.locator("main").inner_text()  # shown as text
    search = page.locator("#search")
    search.fill("alert")
    results = page.locator("#results a")
    results.first.wait_for()
    assert INJECTED in page.locator("#results").inner_text()
    results.first.click()
    watched.check()
