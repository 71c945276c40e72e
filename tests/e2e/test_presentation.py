"""Presentation mode at a projector's 1280×720 and at 1920×1080: one step per screen, its figure inside the
viewport (never cut), title and Back / Next on screen, ← → and PageUp / PageDown change the step, Esc leaves."""

import pytest

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
N_STEPS = 11


def inside(page, selector, vw, vh):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    x0, y0, x1, y1 = box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]
    return x0 >= -1 and y0 >= -1 and x1 <= vw + 1 and y1 <= vh + 1


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_presentation_mode_fits_every_step_and_the_keys_step(browser, app_url, screenshots, size):
    vw, vh = size
    page = browser.new_page(viewport={"width": vw, "height": vh})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url)
    page.wait_for_selector("#analyze-btn", timeout=TIMEOUT)
    page.locator("#examples .gallery-item").nth(1).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#analyze-btn")
    page.wait_for_function("() => /\\d+ windows/.test(document.querySelector('#status').innerText)", timeout=TIMEOUT)
    page.click("#tab-lesson-button")
    page.wait_for_function("() => document.querySelector('#lesson-counter').innerText.includes('Step 1 / 11')",
                           timeout=TIMEOUT)
    page.click("#lesson-present")
    page.wait_for_function("() => document.body.classList.contains('sppviz-presenting')", timeout=TIMEOUT)
    for k in range(1, N_STEPS + 1):
        page.wait_for_function("(k) => document.querySelector('#lesson-counter').innerText"
                               ".includes(`Step ${k} / 11`)", arg=k, timeout=TIMEOUT)
        page.wait_for_function("() => { const i = document.querySelector('#lesson-img img');"
                               " return i && i.complete && i.naturalWidth > 0; }", timeout=TIMEOUT)
        page.wait_for_timeout(150)  # the layout settles after the new image
        page.screenshot(path=str(screenshots / f"present_{vw}x{vh}_step{k:02d}.png"))
        for sel in ("#lesson-img img", "#lesson-counter", "#lesson-next", "#lesson-back", "#lesson-text"):
            assert inside(page, sel, vw, vh), (k, sel, page.locator(sel).first.bounding_box())
        # the figure is drawn whole: object-fit contain scales it into its box, never crops it
        fit = page.locator("#lesson-img img").evaluate("i => getComputedStyle(i).objectFit")
        assert fit == "contain"
        # the story is on screen too, not squeezed away (a long one scrolls inside its box)
        story = page.locator("#lesson-text").first
        assert story.bounding_box()["height"] >= 20 and story.inner_text().strip()
        if k < N_STEPS:
            page.keyboard.press("ArrowRight" if k % 2 else "PageDown")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('#lesson-counter').innerText.includes('Step 10 / 11')",
                           timeout=TIMEOUT)
    page.keyboard.press("PageUp")
    page.wait_for_function("() => document.querySelector('#lesson-counter').innerText.includes('Step 9 / 11')",
                           timeout=TIMEOUT)
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.body.classList.contains('sppviz-presenting')", timeout=TIMEOUT)
    assert errors == []
    page.close()
