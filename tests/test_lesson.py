"""The offline lesson export (``python -m sppviz lesson``): figures, analysis.json, handout.html, lesson.zip."""

import argparse
import json
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from sppviz import lesson
from sppviz.i18n import STRINGS
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


EXPECTED = ["1_pyramid.png", "2_features.png", "3_window.png", "3_projection.png", "3_scale_chart.png",
            "3_receptive_fields.png", "4_argmax.png", "4_vector.png", "5_detections.png",
            *[f"4_bins_level{n}.png" for n in (1, 2, 3, 6)], *[f"4_bin_values_level{n}.png" for n in (1, 2, 3, 6)]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_png_opens_at_projector_width(exports, lang):
    d, res = exports[lang]
    names = _pngs(d)
    assert set(EXPECTED) <= set(names)
    assert set(names) <= set(res["files"])
    for name in names:
        with Image.open(d / name) as im:
            im.verify()
        with Image.open(d / name) as im:
            assert im.format == "PNG" and im.width >= 800, (name, im.size)


@pytest.mark.parametrize("lang", ["en", "zh"])
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
def test_handout_references_every_png_and_is_self_contained(exports, lang):
    d, _ = exports[lang]
    text = (d / "handout.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', text)
    assert set(srcs) == set(_pngs(d))
    for src in srcs:
        assert not src.startswith(("/", "http:", "https:", "data:")) and (d / src).is_file()
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert "<style>" in text and 'rel="stylesheet"' not in text
    assert f'<html lang="{"zh-Hans" if lang == "zh" else "en"}">' in text
    assert text.count("<section") == 5 and 'class="rules"' in text
    # formulas as text (no KaTeX on paper), not as LaTeX source
    assert "$" not in text and "\\lfloor" not in text and "\\times" not in text and "⌊" in text
    assert '<span class="math">' in text and "<sup>2</sup>" in text


def test_handout_narrative_in_the_chosen_language(exports):
    en = (exports["en"][0] / "handout.html").read_text(encoding="utf-8")
    zh = (exports["zh"][0] / "handout.html").read_text(encoding="utf-8")
    assert "图像金字塔" in STRINGS["zh"]["nar_pyramid"] and "空间金字塔池化" in STRINGS["zh"]["nar_spp"]
    assert "图像金字塔" in zh and "空间金字塔池化" in zh and "Spatial pyramid pooling" not in zh
    assert "Spatial pyramid pooling" in en and "Image pyramid" in en and "图像金字塔" not in en
    # no interactive instructions on paper
    assert "Click a bin" not in en and "点击一个 bin" not in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
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
    assert (a.lang, a.scales, a.levels, a.window) == ("en", [688], [1, 2, 3, 6], None)
    with pytest.raises(SystemExit):
        p.parse_args([str(EXAMPLE)])  # --out is required
    with pytest.raises(SystemExit):
        p.parse_args([str(EXAMPLE), "--out", "x", "--lang", "fr"])


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
        assert sorted(p.name for p in (tmp_path / "out").glob("4_bins_level*.png")) == \
            ["4_bins_level1.png", "4_bins_level2.png"]
        det = load_default_detector()
        with pytest.raises(ValueError, match="window 1000000 does not exist"):
            lesson.export_lesson(EXAMPLE, tmp_path / "bad", window=10**6, detector=det)
        with pytest.raises(ValueError, match="language"):
            lesson.export_lesson(EXAMPLE, tmp_path / "bad", lang="fr", detector=det)
    finally:
        load_default_detector.cache_clear()
