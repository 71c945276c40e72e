"""The page on a projector's 1280×720 (and a 1920×1080 screen), in English and in Chinese: the input image
and Analyze on the first screen, the header on one line; after Analyze the settings fold and the first
figure comes into view (one click on the folded header opens them again); figures are not covered by their
buttons and step 10's table has no sideways scroll; step 2's channel slider is active only in the
one-channel view; no font is fetched from the network. Screenshots go to test-output/screenshots/, the
measured positions (px in the viewport) to test-output/projector_layout.json (the README's figures)."""

import json
from urllib.parse import urlsplit

import pytest

from sppviz.i18n import t

from .conftest import open_settings, settings_open

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}
DONE = {"en": r"\d+ windows", "zh": "个窗口"}


def record(screenshots, key: str, **values) -> None:
    """Add the measured positions of one case to test-output/projector_layout.json."""
    path = screenshots.parent / "projector_layout.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = {k: round(v) if isinstance(v, float) else v for k, v in values.items()}
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


def new_page(browser, app_url, size, lang):
    """A page at ``size`` in ``lang`` (``?lang=``, as the radio sets it), with its errors and requests."""
    vw, vh = size
    page = browser.new_page(viewport={"width": vw, "height": vh}, locale="en-US")
    page.errors, page.requests = [], []
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: page.errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(f"{app_url}?lang={lang}")
    page.wait_for_selector("#analyze-btn", timeout=TIMEOUT)
    page.wait_for_function("(l) => document.querySelector('#lang input:checked')?.value === l", arg=lang,
                           timeout=TIMEOUT)
    page.wait_for_function("(t) => document.querySelector('#analyze-btn').innerText.trim() === t",
                           arg=t("btn_analyze", lang), timeout=TIMEOUT)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    return page


def box(page, selector) -> dict:
    b = page.locator(selector).first.bounding_box()
    assert b is not None, f"{selector} is not shown"
    return b


def in_viewport(b, vw, vh) -> bool:
    return b["x"] >= -1 and b["y"] >= -1 and b["x"] + b["width"] <= vw + 1 and b["y"] + b["height"] <= vh + 1


def overlaps(a, b) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def channel_slider_enabled(page) -> bool:
    return page.locator("#fm-channel input[type=range]").first.is_enabled()


def choose_view(page, view) -> None:
    page.locator(f"#tab-features input[value={view}]").check()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_image_and_analyze_are_on_the_first_screen_under_a_one_line_header(browser, app_url, screenshots,
                                                                               size, lang):
    vw, vh = SIZES[size]
    page = new_page(browser, app_url, SIZES[size], lang)
    page.screenshot(path=str(screenshots / f"projector_{size}_{lang}_start.png"))
    assert page.evaluate("() => window.scrollY") == 0
    for sel in ("#input-image", "#analyze-btn", "#examples"):
        assert in_viewport(box(page, sel), vw, vh), (sel, box(page, sel))
    # the header: the title on one line, the language beside it as one row of choices
    title, lang_box = box(page, "#title h1"), box(page, "#lang")
    line = page.locator("#title h1").evaluate("h => parseFloat(getComputedStyle(h).lineHeight)")
    assert title["height"] < 1.5 * line, title
    assert lang_box["y"] < title["y"] + title["height"] and title["y"] < lang_box["y"] + lang_box["height"]
    assert lang_box["height"] <= 64, lang_box
    record(screenshots, f"start_{size}_{lang}", image_top=box(page, "#input-image")["y"],
           image_bottom=box(page, "#input-image")["y"] + box(page, "#input-image")["height"],
           analyze_bottom=box(page, "#analyze-btn")["y"] + box(page, "#analyze-btn")["height"],
           settings_top=box(page, "#settings")["y"], lang_height=lang_box["height"])
    en, zh = box(page, "#lang label:has(input[value=en])"), box(page, "#lang label:has(input[value=zh])")
    assert abs(en["y"] - zh["y"]) < 2 and zh["x"] > en["x"] + en["width"] - 1
    # the page's own fonts, none fetched from the network (the theme's web font drew w like ω)
    assert "montserrat" not in page.locator("#intro p").first.evaluate("p => getComputedStyle(p).fontFamily").lower()
    host = urlsplit(app_url).netloc
    assert {urlsplit(u).netloc for u in page.requests if u.startswith("http")} == {host}
    assert page.errors == []
    page.close()


@pytest.mark.parametrize("size, lang", [("1280x720", "en"), ("1280x720", "zh"), ("1920x1080", "en")],
                         ids=["1280x720-en", "1280x720-zh", "1920x1080-en"])
def test_analyze_folds_the_settings_and_brings_the_first_figure_into_view(browser, app_url, screenshots, size, lang):
    vw, vh = SIZES[size]
    page = new_page(browser, app_url, SIZES[size], lang)
    page.locator("#examples .gallery-item").nth(1).click()
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)
    assert in_viewport(box(page, "#analyze-btn"), vw, vh)
    page.screenshot(path=str(screenshots / f"projector_{size}_{lang}_example.png"))
    page.click("#analyze-btn")
    page.wait_for_function("(p) => new RegExp(p).test(document.querySelector('#status').innerText)",
                           arg=DONE[lang], timeout=TIMEOUT)
    page.wait_for_selector("#pyr-img img", timeout=TIMEOUT)
    # folded: the header stays, its content (Analyze among it) is hidden; the scroll has settled
    assert not settings_open(page)
    page.locator("#analyze-btn").wait_for(state="hidden", timeout=TIMEOUT)
    page.wait_for_function("() => new Promise(r => { const y = scrollY; setTimeout(() => r(scrollY === y), 300); })",
                           timeout=TIMEOUT)
    page.screenshot(path=str(screenshots / f"projector_{size}_{lang}_analysed.png"))
    fig = box(page, "#pyr-img img")
    visible = min(fig["y"] + fig["height"], vh) - max(fig["y"], 0)
    record(screenshots, f"analysed_{size}_{lang}", figure_top=fig["y"], figure_height=fig["height"],
           figure_visible=visible, status_top=box(page, "#status")["y"], tabs_top=box(page, "#tabs")["y"],
           scroll_y=page.evaluate("() => scrollY"))
    assert 0 <= fig["y"] < vh and visible >= fig["height"] / 2, fig  # most of it, under the tabs' row
    assert -1 <= box(page, "#tabs")["y"] < fig["y"]
    if size == "1920x1080":  # room enough: the way back to the settings and the status line are in view too
        for sel in ("#settings > .label-wrap", "#status"):
            assert 0 <= box(page, sel)["y"] < vh, sel
    # the figure's buttons sit beside it, not on it
    assert not overlaps(box(page, "#pyr-img .icon-button-wrapper"), fig)

    # step 2: Analyze keeps the channel slider inactive in the mean view; the one-channel view activates it
    page.click("#tab-features-button")
    page.wait_for_selector("#fm-map img", timeout=TIMEOUT)
    assert not channel_slider_enabled(page)
    choose_view(page, "channel")
    page.wait_for_function("() => !document.querySelector('#fm-channel input[type=range]').disabled",
                           timeout=TIMEOUT)

    if size == "1280x720":  # step 10: the table's four columns fit, the figure's buttons leave its title free
        page.click("#tab-compare-button")
        page.wait_for_function("() => document.querySelector('#cmp-table').innerText.includes('roi_pool') && "
                               "document.querySelector('#cmp-fig img')", timeout=TIMEOUT)
        page.locator("#cmp-fig").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / f"projector_{size}_{lang}_compare.png"))
        wide = page.locator("#cmp-table").evaluate(
            "t => [...t.querySelectorAll('*')].filter(e => e.offsetParent && "
            "['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)"
            ".map(e => [e.className, e.scrollWidth, e.clientWidth])")
        assert wide == []
        heads = page.locator("#cmp-table th[data-testid^=header-]")
        assert [heads.nth(i).get_attribute("title") for i in range(heads.count())] == [
            t(k, lang) for k in ("cmp_h_method", "cmp_h_region", "cmp_h_max", "cmp_h_mean")]
        table = box(page, "#cmp-table")
        for i in range(4):  # every column inside the table's box (none scrolled out of sight) and the page
            head = box(page, f"#cmp-table th[data-testid=header-{i}]")
            assert table["x"] - 1 <= head["x"] and head["x"] + head["width"] <= min(table["x"] + table["width"], vw) + 1
        assert not overlaps(box(page, "#cmp-fig .icon-button-wrapper"), box(page, "#cmp-fig img"))

    # one click on the folded header opens the settings again: Analyze is back, and folds them again
    open_settings(page)
    assert settings_open(page) and page.locator("#analyze-btn").is_visible()
    page.click("#tab-pyramid-button")
    page.click("#analyze-btn")
    page.locator("#analyze-btn").wait_for(state="hidden", timeout=TIMEOUT)
    page.wait_for_function("(p) => new RegExp(p).test(document.querySelector('#status').innerText) && "
                           "!document.querySelector('#status .progress-text, #status .eta-bar')",
                           arg=DONE[lang], timeout=TIMEOUT)
    page.wait_for_function("(vh) => { const r = document.querySelector('#pyr-img img').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < vh && Math.min(r.bottom, vh) - r.top >= r.height / 2; }",
                           arg=vh, timeout=TIMEOUT)
    assert not settings_open(page)
    assert page.errors == []
    page.close()


def test_the_channel_slider_follows_the_view_before_any_analysis(browser, app_url):
    page = new_page(browser, app_url, SIZES["1280x720"], "en")
    page.click("#tab-features-button")
    page.wait_for_selector("#fm-channel input[type=range]", timeout=TIMEOUT)
    assert page.locator("#tab-features input[value=mean]").is_checked()
    assert not channel_slider_enabled(page)  # the mean view reads every channel
    for view, enabled in (("channel", True), ("max", False), ("channel", True), ("mean", False)):
        choose_view(page, view)
        page.wait_for_function("(e) => !document.querySelector('#fm-channel input[type=range]').disabled === e",
                               arg=enabled, timeout=TIMEOUT)
    assert page.locator(".toast-body").count() == 0  # a view needs no analysis: no "Press Analyze first"
    assert page.errors == []
    page.close()


def test_a_failed_analyze_leaves_the_settings_open(browser, app_url):
    page = new_page(browser, app_url, SIZES["1280x720"], "en")
    page.click("#analyze-btn")  # no image yet
    page.wait_for_selector(f"text={t('err_no_image', 'en')}", timeout=TIMEOUT)
    page.wait_for_timeout(500)  # (the folding would follow the end of the event at once)
    assert settings_open(page) and page.locator("#analyze-btn").is_visible()
    assert page.evaluate("() => window.scrollY") == 0
    page.close()
