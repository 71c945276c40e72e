"""Browser fixtures: the app served in-process on a free port, Debian's Chromium driven by Playwright.

Never runs `playwright install`: the browser is /usr/bin/chromium (apt). Without it the browser tests
are skipped, unless SPPVIZ_REQUIRE_BROWSER=1 (CI), where they fail.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def chromium_path():
    if not os.access(CHROMIUM, os.X_OK):
        msg = f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run the browser tests"
        if os.environ.get("SPPVIZ_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is not installed in this environment (requirements-dev.txt)")
    return CHROMIUM



@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page_errors():
    return []


def open_page(browser, url, errors: list, locale="en-US"):
    """A new page at `url` that records console errors and uncaught page errors into `errors`."""
    page = browser.new_page(viewport={"width": 1600, "height": 1100}, locale=locale)
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("response", lambda r: errors.append(f"http {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_selector("#analyze-btn", timeout=60_000)
    return page


def settings_open(page) -> bool:
    """Whether the settings accordion (image, examples, Analyze, rules) is open."""
    return page.locator("#settings > .label-wrap").first.evaluate("b => b.classList.contains('open')")


def open_settings(page) -> None:
    """Open the settings accordion again (it folds once an analysis arrives), as a user clicks its header."""
    if not settings_open(page):
        page.locator("#settings > .label-wrap").first.click()
    page.locator("#analyze-btn").wait_for(state="visible", timeout=60_000)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
