"""The app in Debian's Chromium: run an example, click a window, change level / channel / bin and the
threshold, and check what each panel shows against the library. Screenshots of every tab go to
test-output/screenshots/. Any console error or uncaught page error fails the test."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from sppviz import analysis, figures
from sppviz.analysis.images import load_image
from sppviz.app.tabs import inputs
from sppviz.app.widgets import tab_label
from sppviz.method import geometry, pyramid
from sppviz.model.weights import load_default_detector
from sppviz.steps import features as features_step
from sppviz.steps import pooling as pooling_step

from .conftest import open_page, open_settings

pytestmark = pytest.mark.browser

EXAMPLE_INDEX = 1  # example_2.jpg
EXAMPLE = inputs.EXAMPLES_DIR / "example_2.jpg"
TIMEOUT = 60_000


def status_matches(page, pattern: str):
    page.wait_for_function(f"() => /{pattern}/.test(document.querySelector('#status').innerText)",
                           timeout=TIMEOUT)


def rules_rows(page) -> dict:
    rows = page.locator("#rules-table tr[data-rule]")
    return {rows.nth(i).get_attribute("data-rule"): tuple(int(v) for v in rows.nth(i).get_attribute(
        "data-cells").split(",")) for i in range(rows.count())}


def expected_cells(box, image_wh, scales=(688,)):
    det = load_default_detector()
    s = scales[pyramid.select_scale(box, image_wh, scales, rule="paper")]
    f = pyramid.scale_factor(*image_wh, s)
    sw, sh = pyramid.scaled_size(*image_wh, s)
    map_hw = det.net.trunk.feature_size((sh, sw))
    return {r: geometry.project_window([v * f for v in box], det.geometry, r, map_hw=map_hw)
            for r in geometry.PROJECTION_RULES}


def target_window(img, not_k):
    """A mid-sized window whose centre's smallest enclosing window is itself (what a click picks)."""
    wins, _ = analysis.get_windows(img, "selective-search-fast", 2000)
    w = torch.as_tensor(np.asarray(wins, np.float32))
    picker = SimpleNamespace(windows=w)
    side = torch.minimum(w[:, 2] - w[:, 0], w[:, 3] - w[:, 1])
    for k in torch.argsort(side, descending=True).tolist():
        x1, y1, x2, y2 = w[k].tolist()
        if k != not_k and 80 <= side[k] <= 300 and \
                analysis.Analysis.pick_window(picker, (x1 + x2) / 2, (y1 + y2) / 2) == k:
            return k, [x1, y1, x2, y2]
    raise AssertionError("no window to click")


def click_figure(page, selector, fx, fy):
    """Click figure pixel (fx, fy) of the image shown in `selector`, whatever its displayed size."""
    img = page.locator(f"{selector} img").first
    k = img.bounding_box()["width"] / img.evaluate("e => e.naturalWidth")
    img.click(position={"x": (fx + 0.5) * k, "y": (fy + 0.5) * k})  # scrolls that point into view


def src(page, selector):
    return page.locator(f"{selector} img").first.get_attribute("src")


def set_slider(page, selector, value):
    box = page.locator(f"{selector} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")


def detections_count(page) -> int:
    return int(re.search(r"(\d+)", page.locator("#det-info").inner_text()).group(1))


def table_rows(page) -> int:
    """Rows of the detections table (the grid is virtualised: its aria-rowcount counts the header too)."""
    return int(page.locator("#det-table [role=grid]").get_attribute("aria-rowcount")) - 1


def test_walkthrough(browser, app_url, screenshots, page_errors):
    page = open_page(browser, app_url, page_errors)
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#analyze-btn")
    status_matches(page, r"\d+ windows")
    img, _ = load_image(EXAMPLE)
    wh = (img.shape[1], img.shape[0])

    # 1 · image pyramid: the table has the one scale (688) and its sizes
    page.wait_for_selector("#pyr-img img", timeout=TIMEOUT)
    sw, sh = pyramid.scaled_size(*wh, 688)
    assert f"{sw}×{sh}" in page.locator("#pyr-table").inner_text()
    page.screenshot(path=str(screenshots / "1_pyramid.png"), full_page=True)

    # 2 · feature maps
    page.click("#tab-features-button")
    page.wait_for_selector("#fm-map img", timeout=TIMEOUT)
    before = src(page, "#fm-map")
    page.locator("#tab-features label", has_text="one channel").click()
    page.wait_for_function(f"() => document.querySelector('#fm-map img').src !== {before!r}", timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "2_features.png"), full_page=True)

    # 3 · window → cells: click a known window, the rules table shows geometry's cells
    page.click("#tab-projection-button")
    page.wait_for_selector("#rules-table table.rules", timeout=TIMEOUT)
    first = int(page.locator("#rules-table table.rules").get_attribute("data-window"))
    k, box = target_window(img, first)
    _, lay = figures.windows_on_image(img, np.zeros((0, 4)), width=features_step.IMAGE_WIDTH, return_layout=True)
    click_figure(page, "#win-img", *lay.to_px((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
    page.wait_for_selector(f'#rules-table table.rules[data-window="{k}"]', timeout=TIMEOUT)
    assert rules_rows(page) == expected_cells(box, wh)
    chosen = page.locator("#rules-table tr.chosen").get_attribute("data-rule")
    assert chosen == "paper"
    cx0, cy0, cx1, cy1 = expected_cells(box, wh)["paper"]
    assert f"x {cx0}..{cx1}, y {cy0}..{cy1}" in page.locator("#win-info").inner_text()
    page.screenshot(path=str(screenshots / "3_projection.png"), full_page=True)

    # 4 · pooling: level 6, channel 5, then a bin; each redraws its panels
    page.click("#tab-spp-button")
    page.wait_for_function("() => /Level \\d/.test(document.querySelector('#spp-info').innerText)",
                           timeout=TIMEOUT)
    page.locator("#spp-level label", has_text="n = 6").click()
    page.wait_for_function("() => /Level 6/.test(document.querySelector('#spp-info').innerText)",
                           timeout=TIMEOUT)
    before = src(page, "#spp-map")
    set_slider(page, "#spp-channel", 5)
    page.wait_for_function(f"() => document.querySelector('#spp-map img').src !== {before!r}", timeout=TIMEOUT)
    assert page.locator("#spp-channel input[type=number]").first.input_value() == "5"
    _, blay = figures.bin_values(np.zeros((6, 6)), 6, cell_px=pooling_step.bin_cell_px((6, 6)), return_layout=True)
    l, t, r, b = blay.rects["2,3"]
    click_figure(page, "#spp-values", (l + r) / 2, (t + b) / 2)
    page.wait_for_function("() => /Bin \\(2, 3\\) of level 6/.test(document.querySelector('#spp-info').innerText)",
                           timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "4_pooling.png"), full_page=True)

    # 5 · detections: a lower threshold gives more detections, in the table too
    page.click("#tab-detections-button")
    page.wait_for_selector("#det-after img", timeout=TIMEOUT)
    n_high = detections_count(page)
    assert table_rows(page) == n_high
    set_slider(page, "#det-thresh", 0.05)
    page.wait_for_function("() => /≥ 0\\.05/.test(document.querySelector('#det-info').innerText)",
                           timeout=TIMEOUT)
    n_low = detections_count(page)
    assert n_low > n_high
    page.wait_for_function(f"() => document.querySelector('#det-table [role=grid]')"
                           f".getAttribute('aria-rowcount') == {n_low + 1}", timeout=TIMEOUT)
    assert table_rows(page) == n_low != n_high
    page.screenshot(path=str(screenshots / "5_detections.png"), full_page=True)

    # 6 · why SPP: the R-CNN path on 8 windows, timed against SPP-net on all of them
    page.click("#tab-why-button")
    set_slider(page, "#why-n", 8)
    page.click("#why-btn")
    page.wait_for_function("() => /speedup: [\\d.]+×/.test(document.querySelector('#why-summary').innerText)",
                           timeout=TIMEOUT)
    assert "for 8 windows" in page.locator("#why-summary").inner_text()
    page.wait_for_selector("#why-fig img", timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "6_why.png"), full_page=True)

    # 7 · SPP vs RoIPool vs RoIAlign: follows the window and level 6 chosen above (no button press needed)
    page.click("#tab-compare-button")
    page.wait_for_function("() => /n = 6/.test(document.querySelector('#cmp-info').innerText)", timeout=TIMEOUT)
    page.wait_for_selector("#cmp-fig img", timeout=TIMEOUT)
    assert "RoIPool" in page.locator("#cmp-table").inner_text()
    assert "Gotchas" in page.locator("#cmp-gotchas").inner_text()
    page.screenshot(path=str(screenshots / "7_compare.png"), full_page=True)

    assert page_errors == []
    page.close()


def test_chinese_locale(browser, app_url, screenshots, page_errors):
    page = open_page(browser, app_url, page_errors, locale="zh-CN")
    assert page.locator("#tab-pyramid-button").inner_text().endswith("图像金字塔")
    assert "分析" in page.locator("#analyze-btn").inner_text()
    assert "选择性搜索（快速）" in page.locator("#source").inner_text()  # translated choices too
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#analyze-btn")
    status_matches(page, "个窗口")
    page.screenshot(path=str(screenshots / "zh_pyramid.png"), full_page=True)
    assert page_errors == []
    page.close()


def test_errors_reach_the_user_as_messages(browser, app_url, page_errors):
    page = open_page(browser, app_url, page_errors)
    page.click("#analyze-btn")  # no image yet
    page.wait_for_selector("text=Upload an image or pick an example first", timeout=TIMEOUT)
    page.locator("#analyze-btn").scroll_into_view_if_needed()
    page.locator("#tab-projection-button").click()
    page.locator("#win-k input").fill("3")
    page.locator("#win-k input").press("Enter")  # no analysis yet
    page.wait_for_selector("text=Press Analyze first", timeout=TIMEOUT)
    assert page_errors == []  # a gr.Error is a message, not a console error
    page.close()


# ---------------------------------------------------------------------------------- language switch, every tab

# tab button id → (selector, text that only the Chinese handler output has) for every tab
ZH_PER_TAB = {
    "tab-pyramid": ("#pyr-table", "图像 宽×高"),
    "tab-features": ("#fm-info", "个通道"),
    "tab-projection": ("#win-info", "conv5 格子"),
    "tab-spp": ("#spp-info", "层级"),
    "tab-detections": ("#det-info", "个检测"),
    "tab-why": ("#why-summary", "实测加速"),
    "tab-compare": ("#cmp-gotchas", "容易踩的坑"),
    "tab-combine": ("#cmb-det-info", "这个检测头"),
    "tab-lesson": ("#lesson-counter", "第 1 / "),
}
EN_PER_TAB = {
    "tab-pyramid": ("#pyr-table", "image w×h"),
    "tab-features": ("#fm-info", "channels"),
    "tab-projection": ("#win-info", "conv5 cells"),
    "tab-spp": ("#spp-info", "Level"),
    "tab-detections": ("#det-info", "detections after NMS"),
    "tab-why": ("#why-summary", "Measured speedup"),
    "tab-compare": ("#cmp-gotchas", "Gotchas"),
    "tab-combine": ("#cmb-det-info", "this head"),
    "tab-lesson": ("#lesson-counter", "Step 1 / "),
}
NARRATIVE = {"tab-pyramid": "nar_pyramid", "tab-features": "nar_features", "tab-projection": "nar_projection",
             "tab-spp": "nar_spp", "tab-detections": "nar_det", "tab-why": "nar_why", "tab-compare": "nar_compare",
             "tab-combine": "nar_combine", "tab-lesson": "nar_lesson"}


def lang_is(page, lang):
    page.wait_for_function("(l) => document.querySelector('#lang input:checked')?.value === l", arg=lang,
                           timeout=TIMEOUT)


def text_has(page, selector, text):
    page.wait_for_function("([s, t]) => { const e = document.querySelector(s); return e && e.innerText.includes(t); }",
                           arg=[selector, text], timeout=TIMEOUT)


def opening_words(key, lang):
    """The first words of a narrative as the page shows them (Markdown bold removed)."""
    from sppviz.i18n import t as tr

    return re.sub(r"\*\*", "", tr(key, lang)).split("$")[0][:14]


def visit_every_tab(page, lang, screenshots, expected, prefix):

    for tab, (selector, text) in expected.items():
        button = page.locator(f"#{tab}-button")
        assert button.inner_text() == tab_label(tab.replace("-", "_"), lang), tab  # numbered by the step table
        button.click()
        if tab == "tab-why":  # measure first: the summary shows the measured speedup
            set_slider(page, "#why-n", 8)
            page.click("#why-btn")
            page.wait_for_function("() => /[\\d.]+×\\*?\\*?/.test(document.querySelector('#why-summary').innerText)",
                                   timeout=TIMEOUT)
        text_has(page, selector, text)
        text_has(page, f"#{tab}", opening_words(NARRATIVE[tab], lang))  # the static narrative, translated
        page.screenshot(path=str(screenshots / f"{prefix}_{tab}.png"), full_page=True)


def test_language_switch_translates_every_tab_and_lesson_mode(browser, app_url, screenshots, page_errors):
    from sppviz.i18n import t as tr

    page = open_page(browser, app_url, page_errors)
    assert page.locator("#lang input:checked").get_attribute("value") == "en"
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.locator("#scales label", has_text="480").click()  # two scales: step 8 has something to combine
    page.click("#analyze-btn")
    status_matches(page, r"\d+ windows")
    visit_every_tab(page, "en", screenshots, EN_PER_TAB, "en")

    # lesson mode: Next / Back walk the steps, each with its figure
    n = 11
    page.click("#tab-lesson-button")
    text_has(page, "#lesson-counter", f"Step 1 / {n}")
    assert page.locator("#lesson-back").is_disabled()
    page.wait_for_selector("#lesson-img img", timeout=TIMEOUT)
    first = src(page, "#lesson-img")
    page.click("#lesson-next")
    text_has(page, "#lesson-counter", f"Step 2 / {n}")
    text_has(page, "#lesson-text", "sees a receptive field centred")  # step 2's narrative (conv5 feature maps)
    page.wait_for_function(f"() => document.querySelector('#lesson-img img').src !== {first!r}", timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / "en_tab-lesson_step2.png"), full_page=True)

    # switch to Chinese: the labels (Gradio's) and every handler text (the server's) follow
    page.locator("#lang input[value=zh]").check()
    status_matches(page, "个窗口")
    text_has(page, "#tab-pyramid-button", tab_label("tab_pyramid", "zh"))
    open_settings(page)  # folded since the analysis arrived: Analyze is inside
    assert page.locator("#analyze-btn").inner_text() == tr("btn_analyze", "zh")
    text_has(page, "#lesson-counter", f"第 2 / {n} 步")  # the lesson keeps its step, now in Chinese
    text_has(page, "#lesson-text", "叠加图把每个格子画在它的感受野中心")
    page.click("#tab-lesson-button")
    page.click("#lesson-back")
    text_has(page, "#lesson-counter", f"第 1 / {n} 步")
    page.click("#tab-pyramid-button")
    visit_every_tab(page, "zh", screenshots, ZH_PER_TAB, "zh")
    assert re.search(r"实测加速：\*?\*?[\d.]+×", page.locator("#why-summary").inner_text())
    for k in range(2, n + 1):  # every lesson step in Chinese
        page.click("#lesson-next")
        text_has(page, "#lesson-counter", f"第 {k} / {n} 步")
        page.screenshot(path=str(screenshots / f"zh_tab-lesson_step{k}.png"), full_page=True)
    assert page.locator("#lesson-next").is_disabled()

    # a reload keeps the choice (localStorage); ?lang=en overrides it. Navigate only once every event has been
    # answered (Gradio logs a request cut short by a navigation as a console error).
    page.reload()
    page.wait_for_selector("#analyze-btn", timeout=TIMEOUT)
    text_has(page, "#tab-pyramid-button", tr("tab_pyramid", "zh"))
    lang_is(page, "zh")  # the switch follows once the server answered the page's load event
    text_has(page, "#pyr-table", tr("pyr_h_image", "zh"))  # ... and then the server's texts (empty table headers)
    page.goto(app_url + "?lang=en")
    page.wait_for_selector("#analyze-btn", timeout=TIMEOUT)
    text_has(page, "#tab-lesson-button", tr("tab_lesson", "en"))
    lang_is(page, "en")
    assert page_errors == []
    page.close()




def test_tabs_out_of_sight_show_the_window_and_threshold_chosen_on_other_tabs(browser, app_url, page_errors):
    """The tabs of combining scales, of SPP vs RoIPool and of the conv5 maps are drawn when they are opened:
    the window picked in step 3 and the threshold set in step 8 while they were out of sight are the ones
    they show."""
    page = open_page(browser, app_url, page_errors)
    for tab in ("compare", "features", "combine", "spp"):  # before an analysis, opening them says nothing
        page.click(f"#tab-{tab}-button")
    page.wait_for_timeout(1500)
    assert page.locator(".toast-body").count() == 0
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.locator("#scales label", has_text="480").click()
    page.click("#analyze-btn")
    status_matches(page, r"\d+ windows")
    page.click("#tab-combine-button")
    text_has(page, "#cmb-info", "Window #")
    first = re.search(r"Window #(\d+)", page.locator("#cmb-info").inner_text()).group(1)
    page.click("#tab-compare-button")
    text_has(page, "#cmp-info", f"Window #{first} at")
    page.click("#tab-features-button")
    page.wait_for_selector("#fm-map img", timeout=TIMEOUT)
    map_before = src(page, "#fm-map")
    k = "7" if first != "7" else "8"
    page.click("#tab-projection-button")
    page.locator("#win-k input").fill(k)
    page.locator("#win-k input").press("Enter")
    text_has(page, "#win-info", f"#{k}")
    page.click("#tab-detections-button")
    page.wait_for_selector("#det-after img", timeout=TIMEOUT)
    set_slider(page, "#det-thresh", 0.07)
    page.wait_for_function("() => /≥ 0\\.07/.test(document.querySelector('#det-info').innerText)", timeout=TIMEOUT)
    page.click("#tab-combine-button")
    text_has(page, "#cmb-info", f"Window #{k}:")
    text_has(page, "#cmb-det-info", "score ≥ 0.07")
    page.click("#tab-compare-button")
    text_has(page, "#cmp-info", f"Window #{k} at")
    page.click("#tab-features-button")  # the new window's cells outlined on the map
    page.wait_for_function(f"() => document.querySelector('#fm-map img').src !== {map_before!r}", timeout=TIMEOUT)
    assert page_errors == []
    page.close()

def test_a_language_picked_before_the_page_has_loaded_is_kept(browser, app_url, page_errors):
    """The page's load event asks the server for the language (Accept-Language); a visitor who clicks 中文
    before that answer arrives keeps 中文 (the answer used to switch the page back to English)."""
    page = browser.new_page(viewport={"width": 1600, "height": 1100}, locale="en-US")
    page.on("pageerror", lambda e: page_errors.append(f"pageerror: {e}"))
    held = []  # the queue's joins (the load event's first): answered only once the visitor has clicked
    page.route("**/queue/join*", lambda route: held.append(route))
    page.goto(app_url)
    page.wait_for_selector("#lang input[value=zh]", timeout=60_000)
    for _ in range(200):  # the load event has been sent (and is held)
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the load event did not go through the queue: this test no longer delays it"
    page.locator("#lang input[value=zh]").check()
    lang_is(page, "zh")
    for route in held:
        route.continue_()
    page.unroute("**/queue/join*")
    page.wait_for_timeout(3000)  # the late answer has arrived and been applied
    lang_is(page, "zh")
    text_has(page, "#tab-pyramid-button", tab_label("tab_pyramid", "zh"))
    assert page_errors == []
    page.close()

def test_panels_drawn_while_the_page_s_language_arrived_are_drawn_again_in_it(browser, app_url, page_errors,
                                                                             monkeypatch):
    """?lang=zh shows Chinese labels at once, but the radio follows only when the load's answer comes; an
    Analyze clicked before that drew its panels in English, and the switch meanwhile found no analysis to
    redraw: the step chained after Analyze draws them again in Chinese."""
    import threading

    from sppviz.app import startup

    release = threading.Event()
    monkeypatch.setattr(startup, "wait_ready", lambda timeout=None: release.wait(60))  # Analyze waits here
    page = browser.new_page(viewport={"width": 1600, "height": 1100}, locale="en-US")
    page.on("pageerror", lambda e: page_errors.append(f"pageerror: {e}"))
    held = []  # the load event's join (the first), answered once Analyze runs

    def hold_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/queue/join*", hold_first)
    page.goto(app_url + "?lang=zh")
    page.wait_for_selector("#analyze-btn", timeout=TIMEOUT)
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    assert held, "the load event did not go through the queue: this test no longer delays it"
    lang_is(page, "en")  # the radio has not followed yet
    page.click("#analyze-btn")  # in English: the page's language has not arrived
    page.wait_for_timeout(1000)  # Analyze is waiting in startup.wait_ready
    held[0].continue_()  # the load's answer: zh; the switch finds no analysis yet
    lang_is(page, "zh")
    page.wait_for_timeout(1000)
    release.set()
    status_matches(page, "个窗口")  # drawn again in Chinese after Analyze
    page.click("#tab-projection-button")
    text_has(page, "#win-info", "窗口")
    page.unroute("**/queue/join*")
    assert page_errors == []
    page.close()


def test_lesson_zip_downloads_with_pngs_and_handout(browser, app_url, tmp_path, page_errors):
    import zipfile

    from PIL import Image

    page = open_page(browser, app_url + "?lang=zh", page_errors)
    text_has(page, "#input-image", "把图片拖到这里")  # the upload area too (Gradio's own text is replaced)
    page.locator("#examples .gallery-item").nth(EXAMPLE_INDEX).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    page.click("#analyze-btn")
    status_matches(page, "个窗口")
    page.click("#tab-projection-button")
    page.wait_for_selector("#rules-table table.rules", timeout=TIMEOUT)
    k = int(page.locator("#rules-table table.rules").get_attribute("data-window"))
    page.click("#lesson-btn")
    text_has(page, "#lesson-info", f"窗口 #{k} 的课件")
    link = page.locator("#lesson-file a[download]").first
    link.wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=TIMEOUT) as dl:
        link.click()
    path = tmp_path / "lesson.zip"
    dl.value.save_as(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "out")
    figs = sorted(n for n in names if n.endswith((".png", ".jpg")))  # one per step: photos as JPEG
    assert len(figs) == 11 and {"analysis.json", "handout.html"} <= names
    for name in figs:
        with Image.open(tmp_path / "out" / name) as im:
            im.verify()
        with Image.open(tmp_path / "out" / name) as im:
            assert im.format in ("PNG", "JPEG") and im.width >= 800, name
    html = (tmp_path / "out" / "handout.html").read_text(encoding="utf-8")
    # one self-contained file: every figure inline (no external image), one section per lesson step
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', html)
    assert len(srcs) == 11 and all(src.startswith("data:image/") for src in srcs)
    assert "http://" not in html and "https://" not in html and html.count('<section id="step-') == 11
    from sppviz.i18n import t as tr

    assert '<html lang="zh-Hans">' in html and tr("ls_t_bins", "zh") in html
    data = __import__("json").loads((tmp_path / "out" / "analysis.json").read_text(encoding="utf-8"))
    assert data["selected_window"]["index"] == k and data["lang"] == "zh"
    assert page_errors == []
    page.close()
