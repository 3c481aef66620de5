"""A real browser (Debian's Chromium, driven by Playwright) against a live SpikeLens server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's database access is
# still synchronous and in its own thread, so Django's async-safety guard does not apply here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
# `make screenshots` sets this to docs/screenshots; a plain test run writes to a temporary folder
# so `make test` never modifies tracked files.
SCREENSHOTS_ENV = "SPIKELENS_SCREENSHOTS_DIR"


def _browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("SPIKELENS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Browser tests are required here but cannot run: {reason}")
        pytest.skip(f"Browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory) -> Path:
    """Where screenshots go: $SPIKELENS_SCREENSHOTS_DIR (relative to the repository) or a temp dir."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    folder = (REPO_ROOT / chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def screenshot(screenshots_dir: Path):
    """Saves a screenshot of the visible page as <name>.png in ``screenshots_dir``."""

    def take(tab, name: str) -> Path:
        path = screenshots_dir / f"{name}.png"
        tab.screenshot(path=str(path), full_page=False)
        return path

    return take
