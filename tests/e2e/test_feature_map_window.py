"""In Chromium: selecting a window redraws step 2's conv5 map with that window's cells outlined, where the
library puts them (the window tab's events chain the feature maps, layout.wire); and step 4, drawn for a new
window when its tab is opened."""

import cv2
import numpy as np
import pytest

from sppviz import analysis, figures
from sppviz.analysis.images import load_image
from sppviz.app.tabs import inputs
from sppviz.method import geometry, pyramid
from sppviz.model.weights import load_default_detector

from .conftest import open_page

pytestmark = pytest.mark.browser

EXAMPLE_INDEX = 1  # example_2.jpg
EXAMPLE = inputs.EXAMPLES_DIR / "example_2.jpg"
TIMEOUT = 60_000


def shown_image(page, selector) -> np.ndarray:
    """The image a panel shows, as the browser fetched it (uint8 RGB)."""
    url = page.locator(f"{selector} img").first.get_attribute("src")
    data = page.request.get(url).body()
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def cells_at(box, image_wh, scale):
    """geometry's paper cells of `box` on the conv5 map of `scale` (fast-rcnn box scaling)."""
    det = load_default_detector()
    f = pyramid.scale_factor(*image_wh, scale)
    sw, sh = pyramid.scaled_size(*image_wh, scale)
    map_hw = det.net.trunk.feature_size((sh, sw))
    return geometry.project_window([v * f for v in box], det.geometry, "paper", map_hw=map_hw), map_hw


def analyzed_page(browser, app_url, page_errors):
    """A new page with the example analysed (the status line names the windows)."""
    page = open_page(browser, app_url, page_errors)
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#analyze-btn")
    page.wait_for_function("() => /\\d+ windows/.test(document.querySelector('#status').innerText)",
                           timeout=TIMEOUT)
    return page


def test_selecting_a_window_outlines_its_cells_on_the_feature_map(browser, app_url, screenshots, page_errors):
    page = analyzed_page(browser, app_url, page_errors)
    img, _ = load_image(EXAMPLE)
    wh = (img.shape[1], img.shape[0])
    page.click("#tab-projection-button")
    page.wait_for_selector("#rules-table table.rules", timeout=TIMEOUT)
    first = int(page.locator("#rules-table table.rules").get_attribute("data-window"))
    wins = np.asarray(analysis.get_windows(img, "selective-search-fast", 2000)[0], np.float64)  # the page's (cached)
    side = np.minimum(wins[:, 2] - wins[:, 0], wins[:, 3] - wins[:, 1])
    k = next(int(i) for i in np.argsort(-side) if int(i) != first and side[i] < 0.6 * min(wh))
    page.click("#tab-features-button")
    page.wait_for_selector("#fm-map img", timeout=TIMEOUT)
    before = page.locator("#fm-map img").first.get_attribute("src")

    page.click("#tab-projection-button")
    page.locator("#win-k input").fill(str(k))
    page.locator("#win-k input").press("Enter")
    page.wait_for_selector(f'#rules-table table.rules[data-window="{k}"]', timeout=TIMEOUT)
    page.click("#tab-features-button")
    page.wait_for_function(f"() => document.querySelector('#fm-map img').src !== {before!r}", timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "2_features_window.png"), full_page=True)

    shown = shown_image(page, "#fm-map")
    cells, (h, w) = cells_at([float(v) for v in wins[k]], wh, 480)  # the tab shows s = 480 (the first scale)
    _, lay = figures.feature_map(np.zeros((h, w)), cells, cell_px=max(6, min(40, 900 // max(h, w))),
                                 return_layout=True)
    l, t, r, b = lay.rects["window"]
    assert shown.shape[1] >= r and shown.shape[0] > b
    yellow = np.array(figures.SELECTED_COLOR)
    for x, y in ((l + 1, (t + b) // 2), (r - 1, (t + b) // 2), ((l + r) // 2, t + 1), ((l + r) // 2, b - 1)):
        assert np.abs(shown[y, x].astype(int) - yellow).max() <= 40, (x, y, shown[y, x])
    assert page_errors == []
    page.close()


def test_step_4_is_drawn_for_a_new_window_when_its_tab_is_opened(browser, app_url, screenshots, page_errors):
    """A window chosen on the projection tab does not redraw step 4 behind it (app.follow); opening
    step 4's tab draws it for that window, at the window's strongest channel. And a window whose request is
    still on its way when step 4's tab opens is drawn there when its answer comes."""
    page = analyzed_page(browser, app_url, page_errors)
    img, _ = load_image(EXAMPLE)
    a = analysis.analyze(img, load_default_detector(), pyramid.DEFAULT_PYRAMID)  # the page's (cached conv5)
    channel = page.locator("#spp-channel input[type=number]").first
    page.click("#tab-projection-button")  # a tab is put in the page when it is first opened
    page.wait_for_selector("#rules-table table.rules", timeout=TIMEOUT)
    first = analysis.window_detail(a, int(page.locator("#rules-table table.rules").get_attribute("data-window")))
    page.click("#tab-spp-button")
    page.wait_for_selector("#spp-map img", timeout=TIMEOUT)
    assert channel.input_value() == str(first.channel)
    src0 = page.locator("#spp-map img").first.get_attribute("src")
    k = next(i for i in range(len(a.windows)) if analysis.window_detail(a, i).channel != first.channel)

    page.click("#tab-projection-button")
    page.locator("#win-k input").fill(str(k))
    page.locator("#win-k input").press("Enter")
    page.wait_for_selector(f'#rules-table table.rules[data-window="{k}"]', timeout=TIMEOUT)
    page.wait_for_timeout(1500)  # the step chained after the window has answered by now
    assert channel.input_value() == str(first.channel)  # step 4, hidden, was not redrawn
    assert page.locator("#spp-map img").first.get_attribute("src") == src0

    page.click("#tab-spp-button")
    expected = analysis.window_detail(a, k).channel
    page.wait_for_function(f"() => document.querySelector('#spp-channel input[type=number]').value === '{expected}'",
                           timeout=TIMEOUT)
    assert page.locator("#spp-map img").first.get_attribute("src") != src0
    page.screenshot(path=str(screenshots / "4_pooling_new_window.png"), full_page=True)

    # the window's request held back until step 4's tab has opened (and found nothing new to draw)
    k2 = next(i for i in range(len(a.windows)) if analysis.window_detail(a, i).channel not in (expected, first.channel))
    held = []

    def hold_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.click("#tab-projection-button")
    page.route("**/run/predict*", hold_first)
    page.locator("#win-k input").fill(str(k2))
    page.locator("#win-k input").press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the window's request was not sent"
    page.click("#tab-spp-button")
    page.wait_for_timeout(1500)  # step 4's tab has opened: the window is not chosen yet, nothing changed
    assert channel.input_value() == str(expected)
    held[0].continue_()
    page.unroute("**/run/predict*")
    page.wait_for_function("() => document.querySelector('#spp-channel input[type=number]').value === "
                           f"'{analysis.window_detail(a, k2).channel}'", timeout=TIMEOUT)
    assert page_errors == []
    page.close()
