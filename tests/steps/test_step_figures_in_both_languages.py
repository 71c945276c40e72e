"""Every step's figure in both languages: what is drawn in it (collected by ``figures.recording`` as it is
drawn) is in the figure's language, in a font that has its glyphs; the feature maps show the selected
window's cells at any scale."""

import re

import numpy as np
import pytest

from sppviz import analysis, figures, steps
from sppviz.analysis.images import load_image
from sppviz.analysis.workspace import Workspace
from sppviz.i18n import EN, ZH, class_name, t
from sppviz.lesson.export import lesson_key, write_lesson
from sppviz.lesson.render import lesson_view, pick_window
from sppviz.method import bins, geometry
from sppviz.model.weights import ASSETS
from sppviz.steps import features, rcnn

EXAMPLE = ASSETS / "examples" / "example_2.jpg"  # a bundled scene: its detections are drawn against the truth too
RULES = {"scale_rule": "paper", "projection": "paper", "bin_rule": "adaptive", "box_scaling": "fast-rcnn"}
FIGURE_KEYS = ("fig_", "cls_", "view_")  # the keys whose text the figures draw
HAN = re.compile(r"[\u4e00-\u9fff]")
# rule names are identifiers (the controls' values, the same in both languages), not words to translate
IDENTIFIERS = {*geometry.PROJECTION_RULES, "roialign"}


def _words(text: str) -> set[str]:
    """The Latin words of a text, without its str.format placeholders ("max_s" and "fast-rcnn" are one word)."""
    return set(re.findall(r"[A-Za-z][A-Za-z_'-]+", re.sub(r"\{[^{}]*\}", " ", text)))


def _table_words(table: dict) -> set[str]:
    return set().union(*(_words(v) for k, v in table.items() if k.startswith(FIGURE_KEYS)))


# words of the English figure texts that the Chinese ones do not use ("px", "window", "rule", "disc", ...)
EN_ONLY = _table_words(EN) - _table_words(ZH) - IDENTIFIERS


@pytest.fixture(scope="module")
def a(model):
    img, _ = load_image(EXAMPLE)
    return analysis.analyze(img, model, (480, 688), "selective-search-fast", 300)


@pytest.fixture(scope="module")
def drawn(a):
    """{lang: {step key: [DrawnText]}}: what each step's figure drew, in both languages (a low threshold, so
    that the detections figure has labels)."""
    out = {}
    for lang in ("en", "zh"):
        v = lesson_view(a, pick_window(a), (1, 2, 3, 6), RULES, 0.05, 0.3, lang)
        out[lang] = {}
        for s in steps.STEPS:
            with figures.recording() as rec:
                s.build(v)
            out[lang][s.key] = rec
    return out


def test_en_only_words_are_the_translated_ones():
    assert {"px", "window", "rule", "cells", "channel", "bins", "max", "release", "disc", "missed",
            "warped"} <= EN_ONLY
    assert not {"conv", "RoIAlign", "SPP", "v_best", "argmax_s"} & EN_ONLY  # shared symbols and names


@pytest.mark.parametrize("key", [s.key for s in steps.STEPS])
def test_every_step_figure_is_drawn_in_chinese(drawn, key):
    zh, en = drawn["zh"][key], drawn["en"][key]
    texts = [r.text for r in zh]
    assert texts and any(HAN.search(s) for s in texts), (key, texts)
    left = {w for s in texts for w in _words(s)} & EN_ONLY
    assert not left, (key, left)
    assert texts != [r.text for r in en]  # the English figure says it in English
    cjk = {figures.cjk_font_path(False), figures.cjk_font_path(True)}
    for r in zh:
        assert figures.missing_glyphs(r.text) == "", (key, r.text)
        if HAN.search(r.text):
            assert cjk & set(r.fonts), (key, r.text, r.fonts)


def test_the_chinese_figures_say_what_the_tables_say(a, drawn):
    zh = {k: [r.text for r in v] for k, v in drawn["zh"].items()}
    v = lesson_view(a, pick_window(a), (1, 2, 3, 6), RULES, 0.05, 0.3, "zh")
    d = v.d
    for f in a.feats:
        assert t("fig_px", "zh", w=f.image_wh[0], h=f.image_wh[1]) in zh["pyramid"]
        h, w = f.fmap.shape[1:]
        assert t("fig_conv5", "zh", w=w, h=h) in zh["pyramid"]
    cx0, cy0, cx1, cy1 = d.chosen
    assert t("fig_cbar", "zh", what=t("view_mean", "zh")) in zh["features"]
    assert t("fig_fm_window", "zh", k=d.k, cx0=cx0, cy0=cy0, cx1=cx1, cy1=cy1) in zh["features"]
    marks = " ".join(zh["scale"])
    assert f"{t('fig_sc_paper', 'zh')} ✓" in marks and f"{t('fig_sc_release', 'zh')} ✓" in marks
    assert t("fig_pg_centres", "zh") in zh["cells"]  # the white dots are cell centres
    assert t("fig_pg_rule", "zh", rule="paper", x0=cx0, x1=cx1, y0=cy0, y1=cy1) in zh["cells"]
    assert {t(k, "zh") for k in ("fig_window", "fig_rf_inside", "fig_rf_field")} <= set(zh["rf"])
    n, nb = v.level, sum(x * x for x in (1, 2, 3, 6))
    assert t("fig_bins", "zh", n=n, ny=n, nx=n, cx0=cx0, cx1=cx1, cy0=cy0, cy1=cy1) in zh["bins"]
    assert t("fig_vec_title", "zh", c=a.feats[0].fmap.shape[0], bins=nb, d=len(d.vector)) in zh["vector"]
    _, after = a.detections(0.05, 0.3, None, **RULES)
    assert len(after) > 0
    top = int(np.argmax(after.scores.numpy()))
    name = class_name(a.detector.classes[int(after.labels[top])], "zh")
    assert HAN.search(name)  # the bundled classes have Chinese names
    assert t("fig_det_label", "zh", name=name, score=float(after.scores[top])) in zh["detections"]
    assert any(s.startswith("#") and s.endswith("像素") for s in zh["why"]) and any(
        s.startswith("拉伸为 ") for s in zh["why"])
    assert any(s.startswith("层级 n = ") for s in zh["compare"])
    assert any(s.startswith("v_best = SPP(F_s*, w)：只用最佳尺度 s* = ") for s in zh["combine"])


def test_one_bin_is_singular(a):
    assert "sliding gives **1** bin (window 5, stride 5)" in rcnn.sliding_rows(5, (1,), "en")
    assert "sliding gives **2** bins" in rcnn.sliding_rows(5, (2,), "en")
    assert t("fig_bv_title_one", "en", n=1, ny=1, nx=1) == "level n=1: 1×1 bin"
    v = lesson_view(a, pick_window(a), (1, 2), RULES, 0.5, 0.3, "en", level=1)
    with figures.recording() as rec:
        steps.STEPS[steps.step_number("bins") - 1].build(v)
    assert any(": 1×1 bin on cells" in r.text for r in rec) and not any("1×1 bins" in r.text for r in rec)
    v = lesson_view(a, pick_window(a), (1,), RULES, 0.5, 0.3, "en", level=1)
    with figures.recording() as rec:
        steps.STEPS[steps.step_number("vector") - 1].build(v)
    titles = [r.text for r in rec if " channels × " in r.text]
    assert titles == [f"{a.feats[0].fmap.shape[0]} channels × 1 bin = {a.feats[0].fmap.shape[0]} values"]


def test_the_feature_maps_outline_the_window_at_every_scale(a):
    """The window's cells on each scale's map are its box scaled to that scale and projected with the same
    rules: the cells multiscale.window_scales pools there (another path through the library)."""
    w = Workspace(a, a)
    k = pick_window(a)
    d = w.detail(k, (1, 2, 3, 6), None, RULES)
    ws = w.window_scales(k, RULES)
    for si in range(len(a.scales)):
        cells = features.window_cells(w, d, si)
        assert cells == tuple(int(c) for c in ws.cells[si]), si
        with figures.recording() as rec:
            features.render_features(w, si, 0, "mean", "en", d)
        key = ("fig_fm_window", {}) if si == d.scale_index else ("fig_fm_window_at", {"s": d.scale})
        note = t(key[0], "en", k=k, cx0=cells[0], cy0=cells[1], cx1=cells[2], cy1=cells[3], **key[1])
        assert [r.text for r in rec].count(note) == 2  # the map's legend and the overlay's
    assert features.window_cells(w, d, d.scale_index) == d.chosen


def test_the_chinese_handout_gets_chinese_figures(a, tmp_path):
    with figures.recording() as rec:
        res = write_lesson(a, tmp_path, "zh", (1, 2, 3, 6), pick_window(a), "example_2.jpg", **RULES)
    texts = [r.text for r in rec]
    assert len([f for f in res["files"] if f.endswith(".png")]) == len(steps.STEPS)
    assert sum(bool(HAN.search(s)) for s in texts) >= len(steps.STEPS)
    assert not {w for s in texts for w in _words(s)} & EN_ONLY


def test_the_vector_legend_counts_the_values_of_each_level(a):
    """The vector's legend counts C·n² values per level (bins.level_slices)."""
    v = lesson_view(a, pick_window(a), (1, 2, 3, 6), RULES, 0.5, 0.3, "zh")
    C = a.feats[0].fmap.shape[0]
    with figures.recording() as rec:
        steps.STEPS[steps.step_number("vector") - 1].build(v)
    texts = [r.text for r in rec]
    for n, sl in zip((1, 2, 3, 6), bins.level_slices(C, (1, 2, 3, 6)), strict=True):
        assert t("fig_vec_level", "zh", n=n, count=sl.stop - sl.start) in texts


def test_the_kept_lesson_zip_is_kept_per_language(a):
    """The one figure file the app keeps by its choices (the lesson ZIP) has the language in its key."""
    keys = {lang: lesson_key(a, lang, (1, 2, 3, 6), pick_window(a), "example_2.jpg", RULES, 0.5, 0.3)
            for lang in ("en", "zh")}
    assert keys["en"] != keys["zh"]
    assert keys["zh"] == lesson_key(a, "zh", (1, 2, 3, 6), pick_window(a), "example_2.jpg", RULES, 0.5, 0.3)
