"""The rule presets in the page: one click on "Authors' release" sets every control it names, the status line
names the preset, and the gotcha card shows where the release's float32 bins differ on the user's window."""

import pytest

from sppviz import analysis
from sppviz.analysis.images import load_image
from sppviz.app.tabs import inputs
from sppviz.method import bins, presets
from sppviz.model.weights import load_default_detector

from .conftest import open_page, open_settings

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
EXAMPLE = inputs.EXAMPLES_DIR / "example_2.jpg"


def checked(page, elem_id):
    """The labels of the ticked boxes / the chosen radio of a control."""
    return sorted(page.locator(f"#{elem_id} input:checked").evaluate_all(
        "els => els.map(e => e.closest('label').innerText.trim())"))


def release_window(levels):
    """A window (index, bins that differ) whose cells under the release preset give release ≠ adaptive bins."""
    p = presets.get_preset("release")
    img, notices = load_image(EXAMPLE)
    a = analysis.analyze(img, load_default_detector(), p.scales, "selective-search-fast", 2000, notices=notices)
    for k in range(len(a.windows)):
        d = analysis.window_detail(a, k, levels, **p.rules())
        cx0, _, cx1, _ = d.chosen
        diff = bins.release_differences(cx1 - cx0 + 1, levels)
        if diff:
            return k, diff
    raise AssertionError("no window where the release's bins differ")


def test_release_preset_sets_its_controls_and_the_gotcha_names_the_differing_bins(browser, app_url, page_errors,
                                                                                  screenshots):
    p = presets.get_preset("release")
    page = open_page(browser, app_url, page_errors)
    page.locator("#examples .gallery-item").nth(1).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#preset-release")
    page.wait_for_function("() => document.querySelector('#preset-info').innerText.includes(\"Authors' release\")",
                           timeout=TIMEOUT)
    page.locator("#rules > .label-wrap").click()  # the four rules are folded under the presets
    page.locator("#projection").wait_for(timeout=TIMEOUT)
    assert checked(page, "scales") == sorted(str(s) for s in p.scales)  # 874, not 864
    assert checked(page, "projection") == ["original"] and checked(page, "scale-rule") == ["original"]
    assert checked(page, "box-scaling") == ["release"] and checked(page, "bin-rule") == ["release"]
    assert checked(page, "levels") == ["1,2,3,6"]
    page.click("#analyze-btn")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes(\"rules: Authors' release\")",
                           timeout=TIMEOUT)
    # levels with 7, where the release's float32 bins can differ, and a window where they do
    levels = (1, 2, 3, 7)
    k, diff = release_window(levels)
    open_settings(page)  # they fold once the analysis arrives
    page.locator("#levels label", has_text="custom").click()
    custom = page.get_by_label("Custom levels")
    custom.fill("1, 2, 3, 7")
    custom.press("Enter")
    page.click("#tab-projection-button")
    win = page.locator("#win-k input")
    win.fill(str(k))
    win.press("Enter")
    page.click("#tab-compare-button")
    n, i, r, e = diff[0]
    want = f"release bin {i} = cells {r[0]}..{r[1]}, exact {e[0]}..{e[1]}"
    page.wait_for_function("(w) => document.querySelector('#cmp-gotchas').innerText.includes(w)", arg=want,
                           timeout=TIMEOUT)
    text = page.locator("#cmp-gotchas").inner_text()
    assert f"level {n}" in text and "float32" in text
    page.screenshot(path=str(screenshots / "en_release_gotcha.png"), full_page=True)
    assert page_errors == []
    page.close()
