"""The offline lesson export (``python -m sppviz lesson``): figures, analysis.json, handout.html, lesson.zip."""

import argparse
import base64
import dataclasses
import html
import json
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from sppviz import analysis, i18n, lesson, steps
from sppviz.analysis.images import load_image
from sppviz.i18n import LANGS, STRINGS, narrative, t
from sppviz.method import geometry, pyramid
from sppviz.model.weights import ASSETS, load_default_detector

EXAMPLE = ASSETS / "examples" / "example_2.jpg"


@pytest.fixture(scope="module")
def exports(tiny_model_path, tmp_path_factory):
    """One export per language with the tiny trained model (the app's default model path overridden)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SPPVIZ_MODEL", tiny_model_path)
    load_default_detector.cache_clear()
    try:
        out = {}
        for lang in ("en", "zh"):
            d = tmp_path_factory.mktemp(f"lesson_{lang}")
            out[lang] = (d, lesson.export_lesson(EXAMPLE, d, lang=lang))
        yield out
    finally:
        mp.undo()
        load_default_detector.cache_clear()


def _pngs(d: Path) -> list[str]:
    return sorted(p.name for p in d.glob("*.png"))


# one figure per step of the step table, in its order: "01_pyramid.png" … "11_combine.png"
EXPECTED = [lesson.figure_name(i, s) for i, s in enumerate(steps.STEPS, 1)]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.slow  # the export of both languages takes seconds (the exports fixture)
def test_every_png_opens_at_projector_width(exports, lang):
    d, res = exports[lang]
    names = _pngs(d)
    assert names == EXPECTED and EXPECTED[0] == "01_pyramid.png" and len(EXPECTED) == 11
    assert [f for f in res["files"] if f.endswith(".png")] == EXPECTED
    for name in names:
        with Image.open(d / name) as im:
            im.verify()
        with Image.open(d / name) as im:
            assert im.format == "PNG" and im.width >= 800, (name, im.size)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.slow  # the export of both languages takes seconds (the exports fixture)
def test_analysis_json_cells_match_project_window(exports, lang, tiny_model_path):
    d, res = exports[lang]
    data = json.loads((d / "analysis.json").read_text(encoding="utf-8"))
    w, h = data["image_wh"]
    assert (w, h) == Image.open(EXAMPLE).size
    assert data["scales"] == [688] and data["windows"] >= 1
    assert [lv["n"] for lv in data["levels"]] == [1, 2, 3, 6]
    assert data["vector_length"] == data["channels"] * (1 + 4 + 9 + 36)
    assert isinstance(data["detections"]["after_nms"], list)
    sel = data["selected_window"]
    assert sel["index"] == res["window"]
    s = sel["scale"]
    assert s == data["scales"][sel["scale_index"]]
    conv5_hw = tuple(data["pyramid"][sel["scale_index"]]["conv5_hw"])
    f = pyramid.scale_factor(w, h, s)
    sbox = [v * f for v in sel["box"]]
    g = load_default_detector(tiny_model_path).geometry
    assert set(sel["cells"]) == set(geometry.PROJECTION_RULES)
    for rule, cells in sel["cells"].items():
        assert tuple(cells) == tuple(geometry.project_window(sbox, g, rule, map_hw=conv5_hw)), rule
    # the selected window is a reasonably big one (the default choice)
    x1, y1, x2, y2 = sel["box"]
    assert min(x2 - x1 + 1, y2 - y1 + 1) >= lesson.MIN_WINDOW_SIDE * min(w, h) - 1e-6


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.slow  # the export of both languages takes seconds (the exports fixture)
def test_handout_is_one_self_contained_file_with_a_section_per_step(exports, lang):
    d, _ = exports[lang]
    text = (d / "handout.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', text)
    # every figure inline, the same bytes as the step's PNG, in step order: the file reads alone, offline
    assert len(srcs) == len(steps.STEPS) and all(src.startswith("data:image/png;base64,") for src in srcs)
    for src, name in zip(srcs, EXPECTED, strict=True):
        assert base64.b64decode(src.split(",", 1)[1]) == (d / name).read_bytes(), name
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert "<style>" in text and 'rel="stylesheet"' not in text and "<link" not in text
    assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}">' in text
    sections = re.findall(r'<section id="step-([a-z]+)" data-step="(\d+)"><h2>([^<]+)</h2>', text)
    assert [(k, int(n)) for k, n, _ in sections] == [(s.key, i) for i, s in enumerate(steps.STEPS, 1)]
    for (_, n, head), step in zip(sections, steps.STEPS, strict=True):
        assert html.unescape(head) == f"{t('lesson_step', lang, k=int(n), n=11)} · {t(step.title, lang)}"
    # the cells step carries the rules table, the detections step the detections table
    cells = text.index('id="step-cells"')
    assert cells < text.index('class="rules"') < text.index('id="step-rf"')
    dets = json.loads((d / "analysis.json").read_text(encoding="utf-8"))["detections"]["after_nms"]
    if dets:
        assert text.index('id="step-detections"') < text.index('class="detections"') < text.index('id="step-why"')
    # formulas as text (no KaTeX on paper), not as LaTeX source
    assert "$" not in text and "\\lfloor" not in text and "\\times" not in text and "⌊" in text
    assert '<span class="math">' in text and "<sup>2</sup>" in text


@pytest.mark.slow  # the export of both languages takes seconds (the exports fixture)
def test_handout_narrative_in_the_chosen_language(exports):
    en = (exports["en"][0] / "handout.html").read_text(encoding="utf-8")
    zh = (exports["zh"][0] / "handout.html").read_text(encoding="utf-8")
    assert "图像金字塔" in STRINGS["zh"]["nar_pyramid"] and "空间金字塔池化" in STRINGS["zh"]["nar_spp"]
    assert "图像金字塔" in zh and "金字塔分格" in zh and "Pyramid bins" not in zh
    assert "Pyramid bins" in en and "image pyramid" in en and "图像金字塔" not in en and "金字塔分格" not in en
    # no interactive instructions on paper
    assert "Click a bin" not in en and "点击一个 bin" not in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.slow  # the export of both languages takes seconds (the exports fixture)
def test_zip_holds_the_same_files(exports, lang):
    d, res = exports[lang]
    with zipfile.ZipFile(d / "lesson.zip") as z:
        names = set(z.namelist())
        assert z.testzip() is None
        assert z.read("analysis.json") == (d / "analysis.json").read_bytes()
    assert names == set(_pngs(d)) | {"analysis.json", "handout.html"} == set(res["files"])


def test_cli_arguments(tmp_path):
    p = argparse.ArgumentParser()
    lesson.add_arguments(p)
    a = p.parse_args([str(EXAMPLE), "--out", str(tmp_path), "--lang", "zh", "--scales", "480", "688",
                      "--levels", "1", "2", "--window", "3"])
    assert (a.image, a.out, a.lang, a.scales, a.levels, a.window) == (str(EXAMPLE), str(tmp_path), "zh", [480, 688],
                                                                       [1, 2], 3)
    a = p.parse_args([str(EXAMPLE), "--out", "x"])
    # unset flags stay None: main() fills them from --preset, else 688 and (1, 2, 3, 6) (test_analysis_json_...)
    assert (a.lang, a.scales, a.levels, a.window, a.preset) == ("en", None, None, None, None)
    assert p.parse_args([str(EXAMPLE), "--out", "x", "--preset", "release"]).preset == "release"
    with pytest.raises(SystemExit):
        p.parse_args([str(EXAMPLE), "--out", "x", "--preset", "yolo"])
    with pytest.raises(SystemExit):
        p.parse_args([str(EXAMPLE)])  # --out is required
    with pytest.raises(SystemExit):
        p.parse_args([str(EXAMPLE), "--out", "x", "--lang", "fr"])


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_main_with_a_given_window_and_levels(tiny_model_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPPVIZ_MODEL", tiny_model_path)
    load_default_detector.cache_clear()
    try:
        p = argparse.ArgumentParser()
        lesson.add_arguments(p)
        assert lesson.main(p.parse_args([str(EXAMPLE), "--out", str(tmp_path / "out"), "--window", "0",
                                         "--levels", "1", "2"])) == 0
        res = json.loads(capsys.readouterr().out)
        data = json.loads((tmp_path / "out" / "analysis.json").read_text(encoding="utf-8"))
        assert res["window"] == data["selected_window"]["index"] == 0
        assert [lv["n"] for lv in data["levels"]] == [1, 2]
        assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == EXPECTED
        det = load_default_detector()
        with pytest.raises(ValueError, match="window 1000000 does not exist"):
            lesson.export_lesson(EXAMPLE, tmp_path / "bad", window=10**6, detector=det)
        with pytest.raises(ValueError, match="language"):
            lesson.export_lesson(EXAMPLE, tmp_path / "bad", lang="fr", detector=det)
    finally:
        load_default_detector.cache_clear()


# ---------------------------------------------------------------------------------- handout text


@pytest.fixture(scope="module")
def handout_inputs(tiny_model_path):
    """(view, analysis.json data, figures) of the example with the tiny model: handout_html's inputs."""
    det = load_default_detector(tiny_model_path)
    img, notices = load_image(EXAMPLE)
    a = analysis.analyze(img, det, (688,), notices=notices)
    rules = {"scale_rule": "paper", "projection": "paper", "bin_rule": "adaptive"}
    views = {lang: lesson.lesson_view(a, lesson.pick_window(a), (1, 2, 3, 6), rules, lesson.SCORE_THRESH,
                                      lesson.NMS_IOU, lang) for lang in LANGS}
    d = views["en"].d
    before, after = a.detections(lesson.SCORE_THRESH, lesson.NMS_IOU)
    pngs = {name: b"png " + name.encode() for name in EXPECTED}  # the handout inlines whatever bytes it gets
    return views, lesson.lesson_data(a, d, before, after, det.classes), pngs


def handout(handout_inputs, lang):
    views, data, pngs = handout_inputs
    return lesson.handout_html(views[lang], data, "x.jpg", pngs)


# the narratives the handout prints: each step's
HANDOUT_NARRATIVES = tuple(s.narrative for s in steps.STEPS)


@pytest.mark.parametrize("lang", LANGS)
def test_editing_a_hint_cannot_change_the_handout(handout_inputs, monkeypatch, lang):
    before = handout(handout_inputs, lang)
    new_hints = {}
    for key in HANDOUT_NARRATIVES:  # a translator rewrites every hint (the app's text changes with it)
        n = dataclasses.replace(narrative(key, lang), hint=f"Tap the purple square number {key} twice.")
        monkeypatch.setitem(i18n.NARRATIVES[lang], key, n)
        monkeypatch.setitem(STRINGS[lang], key, i18n.compose(n, lang))
        new_hints[key] = n
    assert t("nar_spp", lang).endswith("Tap the purple square number nar_spp twice.")
    after = handout(handout_inputs, lang)
    assert after == before and "purple" not in after
    for key, n in new_hints.items():
        assert lesson.inline_html(n.body) in after, key
    for i, step in enumerate(steps.STEPS, 1):  # the step table's title heads each section
        assert f"<h2>{html.escape(t('lesson_step', lang, k=i, n=11))} · {html.escape(t(step.title, lang))}</h2>" \
            in after, step.key


@pytest.mark.parametrize("lang", LANGS)
def test_the_handout_prints_the_body_but_not_the_hint(handout_inputs, lang):
    text = handout(handout_inputs, lang)
    hints = 0
    for key in HANDOUT_NARRATIVES:
        n = narrative(key, lang)
        assert f"<p>{lesson.inline_html(n.body)}</p>" in text, key
        if n.hint:
            hints += 1
            assert lesson.inline_html(n.hint) not in text, key
    assert hints >= 2  # nar_spp and nar_det ask for a click in the app
    # each figure's caption is its panel's label, in the handout's language
    for step in steps.STEPS:
        assert f"<figcaption>{html.escape(t(step.figure, lang))}</figcaption>" in text, step.key


def test_markdown_and_formulas_as_html():
    out = lesson.inline_html("**Step.** *a* `roi_pool` <b>x</b> $s^* = \\arg\\min_s |w\\,h\\,f_s^2 - 224^2|$ and *b*")
    assert out.startswith("<strong>Step.</strong> <em>a</em> <code>roi_pool</code> &lt;b&gt;x&lt;/b&gt; ")
    assert ('<span class="math">s<sup>*</sup> = argmin<sub>s</sub> |w\u2009h\u2009f<sub>s</sub><sup>2</sup>'
            " − 224<sup>2</sup>|</span> and <em>b</em>") in out
    assert lesson.tex_html("v = \\mathrm{SPP}(F_{s^*}, w)") == \
        '<span class="math">v = SPP(F<sub>s<sup>*</sup></sub>, w)</span>'
    assert lesson.tex_html("\\lfloor i\\,a/n \\rfloor \\ldots \\lceil (i+1)\\,a/n \\rceil - 1") == \
        '<span class="math">⌊ i\u2009a/n ⌋ … ⌈ (i+1)\u2009a/n ⌉ − 1</span>'
    assert lesson.tex_html("\\{1, 2\\} \\cdot x<y") == '<span class="math">{1, 2} · x&lt;y</span>'
    assert lesson.inline_html("costs $5") == "costs $5" and lesson.inline_html("a $$ b") == "a $$ b"  # not formulas
    with pytest.raises(ValueError, match="frac"):
        lesson.tex_html("\\frac{a}{b}")
    with pytest.raises(ValueError, match="braces"):
        lesson.tex_html("F_{s")
    assert lesson.heading_text("# sppviz — SPP-net") == "sppviz — SPP-net"
    assert lesson.heading_text(t("rules_title", "zh")) == "投影规则"


def test_every_narrative_converts():
    """No narrative uses a TeX command the handout cannot write as text, nor leaves a $ or a backslash."""
    for lang in LANGS:
        for key in i18n.NARRATIVES[lang]:
            html = lesson.inline_html(t(key, lang))
            assert "$" not in html and "\\" not in html and "**" not in html, (lang, key)
