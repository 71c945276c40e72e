"""The backbone dropdown reaches the handler: AlexNet without its ImageNet weights gets a clear message
(it used to run the bundled ZF-5 silently)."""

import pytest

from .conftest import open_page

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


def test_alexnet_without_weights_says_so(browser, app_url, page_errors, screenshots):
    page = open_page(browser, app_url, page_errors)
    page.locator("#examples .gallery-item").nth(1).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.locator("#backbone input").click()
    page.get_by_role("option", name="AlexNet").click()
    page.click("#analyze-btn")
    toast = page.locator(".toast-body").first
    toast.wait_for(timeout=TIMEOUT)
    text = toast.inner_text()
    assert "could not be loaded" in text and "alexnet" in text.lower(), text
    page.screenshot(path=str(screenshots / "en_alexnet_missing.png"))
    assert "windows" not in page.locator("#status").inner_text()  # nothing ran with another model
    page.close()
