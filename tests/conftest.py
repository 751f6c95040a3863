"""Fixtures shared by the tests: headless Chromium for the replay viewer and reports."""

import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine: install Debian's 'chromium' package (.ci/run does when it is root)")


@pytest.fixture
def browser_page():
    """A page in Debian's Chromium driven by Playwright; skipped where there is none."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency: ./scripts/test.sh installs it")
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()
