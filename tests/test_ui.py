"""The app's handlers called directly (no browser): they take named input values and return named
outputs, so every panel, table and error can be checked here."""

import re
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest

from sppviz import analysis, figures, steps
from sppviz.analysis.images import load_image
from sppviz.app import language, session, settings
from sppviz.app.tabs import combine, inputs, why
from sppviz.app.tabs import compare as compare_tab
from sppviz.app.tabs import detections as detections_tab
from sppviz.app.tabs import features as features_tab
from sppviz.app.tabs import lesson as lesson_tab
from sppviz.app.tabs import pooling as pooling_tab
from sppviz.app.tabs import window as window_tab
from sppviz.i18n import EN, ZH, lang_of, t
from sppviz.method import geometry, pyramid
from sppviz.steps import features as features_step
from sppviz.steps import pooling as pooling_step

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_2.jpg")
CELLS = re.compile(r'data-rule="([^"]+)" data-cells="(\d+),(\d+),(\d+),(\d+)"')



@pytest.fixture(scope="module")
def done(model):
    """One analysis of an example at two scales: (input values, outputs)."""
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[480, 688], state={})
    out = inputs.analyze_image(v)
    v["state"] = out["state"]
    return v, out


def entry(v):
    return session.SESSIONS.get(v["state"]["sid"])


def rules_cells(html: str) -> dict:
    return {m[0]: tuple(int(x) for x in m[1:]) for m in CELLS.findall(html)}


def expected_cells(a, k, rule_scale="paper"):
    """geometry.project_window of window k at the scale pyramid.select_scale picks."""
    box = a.windows[k].tolist()
    si = pyramid.select_scale(box, a.image_wh, a.scales, rule=rule_scale)
    f = pyramid.scale_factor(*a.image_wh, a.scales[si])
    sw, sh = pyramid.scaled_size(*a.image_wh, a.scales[si])
    map_hw = a.detector.net.trunk.feature_size((sh, sw))
    return {r: geometry.project_window([c * f for c in box], a.geometry, r, map_hw=map_hw)
            for r in geometry.PROJECTION_RULES}


def click_point(v, box):
    """Figure pixel of the centre of `box` on the selection image (through the drawn layout)."""
    sx, sy, x0, y0, col0, row0 = v["state"]["win_layout"]
    lay = figures.Layout(sx, sy, int(x0), int(y0), col0, row0)
    return lay.to_px((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def own_window(a, min_side=40):
    """A window whose centre's smallest enclosing window is itself (so a click there selects it)."""
    w = a.windows
    for k in np.argsort(-((w[:, 2] - w[:, 0]) * (w[:, 3] - w[:, 1])).numpy()):
        x1, y1, x2, y2 = w[k].tolist()
        if min(x2 - x1, y2 - y1) >= min_side and a.pick_window((x1 + x2) / 2, (y1 + y2) / 2) == k:
            return int(k)
    raise AssertionError("no window owns its centre")


# ---------------------------------------------------------------------------------- i18n


def test_both_languages_have_the_same_keys_and_placeholders():
    assert EN.keys() == ZH.keys()
    for k in EN:
        assert set(re.findall(r"{(\w+)", EN[k])) == set(re.findall(r"{(\w+)", ZH[k])), k


def test_language_follows_accept_language():
    class R:
        def __init__(self, h):
            self.headers = {"accept-language": h}

    assert lang_of(R("zh-CN,zh;q=0.9,en;q=0.8")) == "zh"
    assert lang_of(R("en-US,en;q=0.9")) == "en"
    assert lang_of(None) == "en"
    assert t("err_no_image", "zh") != t("err_no_image", "en")


# ---------------------------------------------------------------------------------- analyze


def test_analyze_fills_every_panel(done):
    v, out = done
    a = entry(v).a
    assert set(inputs.ANALYZE_OUT) <= set(out)
    assert "windows" in out["status"] and len(a.windows) > 0
    for k in ("pyr_img", "win_img", "proj_grid", "rf_img", "scale_chart", "spp_map", "spp_values", "spp_argmax",
              "spp_vector", "fm_map", "fm_overlay", "fm_top", "det_after", "det_before"):
        assert Path(out[k]).is_file(), k
    rows = out["pyr_table"]["data"]
    assert [r[0] for r in rows] == [480, 688]
    for r, f in zip(rows, a.feats, strict=True):
        h, w = f.fmap.shape[1:]
        assert r[3] == f"{w}×{h}" and r[1] == f"{f.image_wh[0]}×{f.image_wh[1]}"
    # the state is small: a session id, the selected window, the drawn boxes
    assert set(v["state"]) <= {"sid", "iid", "k", "bin", "corner", "boxes", "win_layout"}
    assert 0 <= v["state"]["k"] < len(a.windows)


def test_analyze_speaks_chinese_when_asked(model):
    out = inputs.analyze_image(dict(settings.DEFAULTS, image=EXAMPLE, state={}), lang="zh")
    assert "个窗口" in out["status"] and "窗口" in out["win_info"]


def test_a_click_selects_the_smallest_window_under_it_and_the_table_has_its_cells(done):
    v, _ = done
    a = entry(v).a
    k = own_window(a)
    out = window_tab.click_window(v, point=click_point(v, a.windows[k].tolist()))
    assert out["state"]["k"] == k
    assert f'data-window="{k}"' in out["rules_table"]
    assert rules_cells(out["rules_table"]) == expected_cells(a, k)
    d = analysis.window_detail(a, k)
    assert f"x {d.chosen[0]}..{d.chosen[2]}" in out["win_info"]


def test_window_number_and_rules_table_match_geometry_for_every_rule(done):
    v, _ = done
    a = entry(v).a
    for k in (0, len(a.windows) // 2, len(a.windows) - 1):
        for rule_scale in pyramid.SCALE_RULES:
            out = window_tab.select_window({**v, "win_k": k, "scale_rule": rule_scale})
            assert rules_cells(out["rules_table"]) == expected_cells(a, k, rule_scale)
            assert out["win_k"]["value"] == k


def test_level_and_channel_changes_redraw_the_pooling_panels(done):
    v, _ = done
    out = pooling_tab.refresh_pooling(v)
    base = out["spp_map"]
    six = pooling_tab.change_pooling({**v, "spp_level": 6, "spp_channel": out["spp_channel"]["value"]}, what="level")
    assert six["spp_level"]["value"] == 6 and "Level 6" in six["spp_info"] and six["spp_map"] != base
    assert not {"spp_argmax", "spp_vector", "fm_top"} & set(six)  # unchanged by the level: not redrawn
    ch = pooling_tab.change_pooling({**v, "spp_level": 6, "spp_channel": 3}, what="channel")
    assert ch["spp_channel"]["value"] == 3 and ch["spp_map"] != six["spp_map"]
    assert "spp_argmax" in ch and not {"spp_vector", "fm_top"} & set(ch)
    # levels {1, 2, 4}: the level choices follow, the vector is C * 21 long
    small = pooling_tab.change_pooling({**v, "levels": "1,2,4", "spp_level": 6, "spp_channel": 3})
    assert [c[1] for c in small["spp_level"]["choices"]] == [1, 2, 4]
    C = entry(v).channels
    assert f"{C * 21:,} = {C} × 21" in small["spp_info"]


def test_clicking_a_bin_points_at_its_maximum(done):
    v, _ = done
    a = entry(v).a
    d = analysis.window_detail(a, v["state"]["k"], channel=3)
    lv = [x for x in d.levels if x.n == 2][0]
    _, lay = figures.bin_values(lv.values, 2, cell_px=pooling_step.bin_cell_px((2, 2)), return_layout=True)
    l, t_, r, b = lay.rects["1,0"]
    out = pooling_tab.click_bin({**v, "spp_level": 2, "spp_channel": 3}, point=((l + r) / 2, (t_ + b) / 2))
    assert out["state"]["bin"] == [2, 1, 0]
    cx, cy = lv.argmax_cells[1, 0]
    assert "Bin (1, 0) of level 2" in out["spp_info"] and f"cell ({cx}, {cy})" in out["spp_info"]
    # outside every bin: nothing changes (the state comes back as it was, so the event still has an output)
    assert pooling_tab.click_bin({**v, "spp_level": 2, "spp_channel": 3}, point=(-50, -50)) == {"state": v["state"]}


def test_sliding_rule_failure_is_shown_with_both_rules_bins(done):
    v, _ = done
    a = entry(v).a
    w = a.windows
    side = np.minimum((w[:, 2] - w[:, 0]).numpy(), (w[:, 3] - w[:, 1]).numpy())
    k = int(np.argmin(side))  # the thinnest window: fewer cells than bins at level 6
    st = {**v["state"], "k": k}
    out = pooling_tab.refresh_pooling({**v, "state": st, "bin_rule": "sliding", "spp_level": 6})
    assert out["spp_warn"]["visible"] and "sliding" in out["spp_warn"]["value"]
    assert 'data-rule="sliding"' in out["spp_bins"] and 'data-rule="adaptive"' in out["spp_bins"]


def test_feature_views(done):
    v, _ = done
    for view in features_step.VIEWS:
        out = features_tab.change_features({**v, "fm_view": view, "fm_channel": 2, "fm_scale": 1})
        assert Path(out["fm_map"]).is_file() and "s=688" in out["fm_info"]


def test_threshold_iou_and_classes_change_the_table_without_conv(done):
    v, _ = done
    a = entry(v).a
    calls = []
    real = a.detector.features
    a.detector.features = lambda *args, **kw: calls.append(1) or real(*args, **kw)
    try:
        low = detections_tab.change_detections({**v, "thresh": 0.0})
        high = detections_tab.change_detections({**v, "thresh": 1.0})
        none = detections_tab.change_detections({**v, "thresh": 0.0, "classes": []})
        one = detections_tab.change_detections({**v, "thresh": 0.0, "classes": [a.detector.classes[0]]})
    finally:
        a.detector.features = real
    assert calls == []
    assert len(low["det_table"]["data"]) > 0 and high["det_table"]["data"] == [] and none["det_table"]["data"] == []
    assert {r[0] for r in one["det_table"]["data"]} <= {a.detector.classes[0]}
    _, after = a.detections(0.0, 0.3)
    assert len(low["det_table"]["data"]) == len(after)
    row = low["det_table"]["data"][0]
    assert row[-1] == int(after.window[0]) and row[1] == pytest.approx(float(after.scores[0]), abs=1e-4)
    # a click on a row selects that row's window
    sel = window_tab.select_detection(v, row=row)
    assert sel["state"]["k"] == row[-1]


def test_rule_change_keeps_the_window_and_uses_the_rule(done):
    v, _ = done
    for rule in geometry.PROJECTION_RULES:
        out = window_tab.change_rules({**v, "projection": rule})
        assert re.search(rf'<tr class="chosen" data-rule="{rule}"', out["rules_table"])
        assert out["state"]["k"] == v["state"]["k"]


def test_drawing_a_box_adds_a_window(done):
    v, _ = done
    e = entry(v)
    n = len(e.a.windows)
    st = dict(v["state"])
    p1 = click_point({"state": st}, (100, 120, 100, 120))
    out1 = window_tab.click_window({**v, "state": st, "draw": True}, point=p1)
    assert out1["state"]["corner"] == [100, 120] and "Corner 1" in out1["win_info"]
    p2 = click_point({"state": out1["state"]}, (300, 330, 300, 330))
    out2 = window_tab.click_window({**v, "state": out1["state"], "draw": True}, point=p2)
    st2 = out2["state"]
    a2 = session.SESSIONS.get(st2["sid"]).a
    assert len(a2.windows) == n + 1 and st2["k"] == n and st2["boxes"] == [[100.0, 120.0, 300.0, 330.0]]
    assert a2.windows[n].tolist() == [100.0, 120.0, 300.0, 330.0]
    assert rules_cells(out2["rules_table"]) == expected_cells(a2, n)
    with pytest.raises(gr.Error, match="no area"):  # two clicks on the same point
        o = window_tab.click_window({**v, "state": st2, "draw": True}, point=p1)
        window_tab.click_window({**v, "state": o["state"], "draw": True}, point=p1)
    cleared = window_tab.clear_boxes({**v, "state": st2})
    assert len(session.SESSIONS.get(st2["sid"]).a.windows) == n and cleared["state"]["boxes"] == []


def test_export_writes_every_panel_as_png(done):
    v, _ = done
    path = lesson_tab.export_panels(v)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert len(names) == 14 and all(n.endswith(".png") for n in names)
        assert z.read(names[0])[:8] == b"\x89PNG\r\n\x1a\n"


def test_user_source_starts_from_the_whole_image(model):
    out = inputs.analyze_image(dict(settings.DEFAULTS, image=EXAMPLE, source="user", state={}))
    a = session.SESSIONS.get(out["state"]["sid"]).a
    img, _ = load_image(EXAMPLE)
    assert a.windows.tolist() == [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]
    assert "whole image" in out["status"]


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("change, message", [
    ({"image": None}, "Upload an image"),
    ({"custom_scales": "abc"}, "whole numbers"),
    ({"scales": [], "custom_scales": "10"}, "outside the allowed range"),
    ({"scales": []}, "at least one scale"),
    ({"levels": "custom", "custom_levels": ""}, "custom levels"),
    ({"levels": "custom", "custom_levels": "2, 2"}, "must not repeat"),
    ({"projection": "nearest"}, "Unknown projection rule"),
    ({"source": "edge-boxes"}, "Unknown proposal source"),
])
def test_bad_inputs_give_a_clear_error(model, change, message):
    with pytest.raises(gr.Error, match=message):
        inputs.analyze_image({**settings.DEFAULTS, "image": EXAMPLE, "state": {}, **change})


def test_bad_files_and_missing_analysis_give_a_clear_error(model, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        inputs.analyze_image(dict(settings.DEFAULTS, image=str(bad), state={}))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(gr.Error, match="empty"):
        inputs.analyze_image(dict(settings.DEFAULTS, image=str(empty), state={}))
    for handler in (window_tab.select_window, pooling_tab.refresh_pooling, pooling_tab.change_pooling,
                    features_tab.change_features, detections_tab.change_detections, window_tab.change_rules,
                    lesson_tab.export_panels, combine.combine_scales, lesson_tab.export_lesson_zip):
        with pytest.raises(gr.Error, match="Analyze first"):
            handler(dict(settings.DEFAULTS, state={}))
    with pytest.raises(gr.Error, match="请先"):
        window_tab.select_window(dict(settings.DEFAULTS, state={"sid": "expired"}), lang="zh")


def test_bad_window_number_and_threshold(done):
    v, _ = done
    n = len(entry(v).a.windows)
    with pytest.raises(gr.Error, match=f"has {n} windows"):
        window_tab.select_window({**v, "win_k": n})
    with pytest.raises(gr.Error, match="integer"):
        window_tab.select_window({**v, "win_k": None})
    with pytest.raises(gr.Error, match="threshold"):
        detections_tab.change_detections({**v, "thresh": 2.0})


def test_drawn_boxes_are_the_windows_with_the_user_source(model):
    v = dict(settings.DEFAULTS, image=EXAMPLE, source="user", state={})
    st = inputs.analyze_image(v)["state"]
    p1, p2 = click_point({"state": st}, (50, 60, 50, 60)), click_point({"state": st}, (250, 280, 250, 280))
    st = window_tab.click_window({**v, "state": st, "draw": True}, point=p1)["state"]
    out = window_tab.click_window({**v, "state": st, "draw": True}, point=p2)
    a = session.SESSIONS.get(out["state"]["sid"]).a
    assert a.windows.tolist() == [[50, 60, 250, 280]] and out["state"]["k"] == 0
    cleared = window_tab.clear_boxes({**v, "state": out["state"]})
    a = session.SESSIONS.get(cleared["state"]["sid"]).a
    img, _ = load_image(EXAMPLE)
    assert a.windows.tolist() == [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]


def test_imagenet_backbone_without_weights_explains_where_to_put_them(model, tmp_path, monkeypatch):
    from sppviz.model import backbones
    from sppviz.model.weights import load_imagenet_detector

    monkeypatch.setenv("SPPVIZ_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("SPPVIZ_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setattr("torch.hub.get_dir", lambda: str(tmp_path / "hub"))
    load_imagenet_detector.cache_clear()
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[688], state={}, backbone="alexnet")
    with pytest.raises(gr.Error, match=backbones.KNOWN_WEIGHTS["alexnet"]):
        inputs.analyze_image(v)


def test_sessions_never_see_each_others_images_or_results(model):
    va = dict(settings.DEFAULTS, image=str(inputs.EXAMPLES_DIR / "example_1.jpg"), scales=[480], state={})
    vb = dict(settings.DEFAULTS, image=str(inputs.EXAMPLES_DIR / "example_5.jpg"), scales=[480], state={})
    va["state"] = inputs.analyze_image(va)["state"]
    vb["state"] = inputs.analyze_image(vb)["state"]
    ea, eb = entry(va), entry(vb)
    assert va["state"]["sid"] != vb["state"]["sid"] and ea.a.iid != eb.a.iid
    wa = window_tab.select_window({**va, "win_k": 3})
    wb = window_tab.select_window({**vb, "win_k": 3})
    assert wa["rules_table"] != wb["rules_table"]
    # B's changes leave A's analysis and selection alone
    assert entry(va).a is ea.a and entry(va).a.image_wh == load_image(va["image"])[0].shape[1::-1]
    assert wa["state"]["k"] == 3 and wb["state"]["k"] == 3 and wa["state"]["sid"] != wb["state"]["sid"]


# ---------------------------------------------------------------------------------- 6 · why SPP


def test_why_spp_times_the_rcnn_path_against_spp(done):
    v, _ = done
    out = why.compare_rcnn({**v, "why_n": 8})
    summary = out["why_summary"]
    speedup = float(re.search(r"Measured speedup: \*\*([\d.]+)×", summary).group(1))
    assert speedup > 1
    K = len(entry(v).a.windows)
    assert "for 8 windows" in summary and f"all **{K}** windows" in summary and "102×" in summary
    assert Path(out["why_fig"]).is_file()
    with pytest.raises(gr.Error, match="Analyze first"):
        why.compare_rcnn(dict(settings.DEFAULTS, state={}, why_n=8))
    zh = why.compare_rcnn({**v, "why_n": 8}, lang="zh")
    assert "实测加速" in zh["why_summary"]


# ---------------------------------------------------------------------------------- 7 · SPP vs RoIPool vs RoIAlign


def test_compare_pooling_spp_roipool_roialign_with_gotchas(done):
    from sppviz.method import bins, pooling

    v, _ = done
    a = entry(v).a
    k = v["state"]["k"]
    out = compare_tab.compare_pooling({**v, "spp_level": 6, "spp_channel": 3})
    assert Path(out["cmp_fig"]).is_file()
    rows = {r[0]: r for r in out["cmp_table"]["data"]}
    assert list(rows) == ["SPP", "RoIPool", "RoIAlign", "roi_pool"]
    for r in rows.values():
        float(r[2]), float(r[3])  # the numbers parse as floats
    assert float(rows["SPP"][2]) == 0.0 and float(rows["SPP"][3]) == 0.0
    # own recomputation: the window at its chosen scale, SPP on the paper cells, RoIPool on the fast-rcnn cells
    cells = expected_cells(a, k)
    si = pyramid.select_scale(a.windows[k].tolist(), a.image_wh, a.scales, rule="paper")
    fm = a.feats[si].fmap.float()
    ref = pooling.spatial_pyramid_pool(fm, [list(cells["paper"])], (6,))
    roi = pooling.spatial_pyramid_pool(fm, [list(cells["fast-rcnn"])], (6,))
    diff = (roi - ref).abs()
    assert float(rows["RoIPool"][2]) == pytest.approx(float(diff.max()), abs=1e-5)
    assert float(rows["RoIPool"][3]) == pytest.approx(float(diff.mean()), abs=1e-5)
    c = cells["fast-rcnn"]
    assert rows["RoIPool"][1] == f"{c[0]}..{c[2]}; {c[1]}..{c[3]}"
    # RoIAlign: torchvision on the scaled box, spatial_scale 1/stride, sampling_ratio 2, aligned
    import torch
    from torchvision.ops import roi_align

    f = pyramid.scale_factor(*a.image_wh, a.scales[si])
    box = torch.tensor([[0.0, *(x * f for x in a.windows[k].tolist())]], dtype=torch.float32)
    ra = roi_align(fm[None], box, (6, 6), 1.0 / a.geometry.stride, 2, True)[0].reshape(1, -1)
    assert float(rows["RoIAlign"][2]) == pytest.approx(float((ra - ref).abs().max()), abs=1e-4)
    # torchvision's own roi_pool on the same box (the real op): its row and the line that names its RoI cells
    from torchvision.ops import roi_pool

    tv = roi_pool(fm[None], box, (6, 6), 1.0 / a.geometry.stride)[0].reshape(1, -1)
    assert float(rows["roi_pool"][2]) == pytest.approx(float((tv - ref).abs().max()), abs=1e-5)
    assert "torchvision `roi_pool`" in out["cmp_info"]
    # gotcha (a): the window's sliding bin count at level 6 (bins.bin_edges), and the fixed 10 / 6 → 9 example
    cx0, _, cx1, _ = cells["paper"]
    width = cx1 - cx0 + 1
    gotchas = out["cmp_gotchas"]
    assert f"**a = {width}**" in gotchas
    try:
        n6 = len(bins.bin_edges(width, 6, "sliding"))
        assert f"n = 6: sliding gives **{n6}** bins" in gotchas
    except ValueError:
        assert "n = 6: sliding is **undefined**" in gotchas
    assert "**9 bins**" in gotchas and "874" in gotchas and "SPPF" in gotchas
    assert "float32" in gotchas  # (e) the release's bins, on this window
    p, o = cells["paper"], cells["original"]
    assert f"paper cells x {p[0]}..{p[2]}, y {p[1]}..{p[3]}" in gotchas
    assert f"cells x {o[0]}..{o[2]}, y {o[1]}..{o[3]}" in gotchas and "1.5 px" in gotchas
    assert "n = 6" in out["cmp_info"]
    # Chinese
    zh = compare_tab.compare_pooling({**v, "spp_level": 6}, lang="zh")
    assert "容易踩的坑" in zh["cmp_gotchas"] and "滑动规则" in zh["cmp_gotchas"] and "窗口" in zh["cmp_info"]
    assert zh["cmp_table"]["headers"][0] == "方法"
    with pytest.raises(gr.Error, match="Analyze first"):
        compare_tab.compare_pooling(dict(settings.DEFAULTS, state={}))


# ---------------------------------------------------------------------------------- the language switch


def test_the_language_switch_wins_over_accept_language():
    from sppviz.i18n import pick_lang

    class R:
        def __init__(self, h):
            self.headers = {"accept-language": h}

    assert pick_lang("zh", R("en-US,en;q=0.9")) == "zh"
    assert pick_lang("en", R("zh-CN,zh;q=0.9")) == "en"
    assert pick_lang(None, R("zh-CN,zh;q=0.9")) == "zh" and pick_lang("", R("en")) == "en"
    assert pick_lang("fr", None) == "en"
    assert language.initial_language("zh", R("en")) == "zh" and language.initial_language("", R("zh-CN")) == "zh"


def test_switching_the_language_rewrites_every_handler_text(done):
    v, _ = done
    why.compare_rcnn({**v, "why_n": 8})  # a "why SPP" summary to re-word (not re-measure)
    zh = language.switch_language(v, "zh")
    assert set(zh) <= set(language.LANG_OUT) and {"status", "win_info", "spp_info", "det_info", "fm_info",
                                                  "why_summary", "cmp_info", "cmb_info", "cmb_det_info",
                                                  "lesson_counter"} <= set(zh)
    assert "个窗口" in zh["status"] and "窗口" in zh["win_info"] and "层级" in zh["spp_info"]
    assert "检测" in zh["det_info"] and "步长" in zh["fm_info"] and "实测加速" in zh["why_summary"]
    assert "规则" in zh["rules_table"] and "方法" in zh["cmp_table"]["headers"]
    assert zh["pyr_table"]["headers"][1] == t("pyr_h_image", "zh") and zh["det_table"]["headers"][0] == "类别"
    assert "窗口" in zh["cmb_info"] and "注意" in zh["cmb_det_info"] and zh["lesson_counter"].startswith("### 第 1 / ")
    en = language.switch_language(v, "en")
    assert "windows" in en["status"] and "Measured speedup" in en["why_summary"] and "Caveat" in en["cmb_det_info"]
    # the same numbers in both languages (re-worded, not re-measured)
    num = re.compile(r"\*\*([\d.]+)×\*\*")
    assert num.findall(zh["why_summary"]) == num.findall(en["why_summary"])
    # no analysis yet: only the lesson tab's message changes, no error
    idle = language.switch_language(dict(settings.DEFAULTS, state={}), "zh")
    assert idle["lesson_counter"] == t("lesson_idle", "zh") and "status" not in idle


# ---------------------------------------------------------------------------------- 8 · combining scales


def test_combining_scales_for_the_selected_window_and_the_detections(done):
    from sppviz.method import multiscale

    v, _ = done
    a = entry(v).a
    k = v["state"]["k"]
    out = combine.combine_scales(v)
    assert Path(out["cmb_vec"]).is_file() and Path(out["cmb_det_best"]).is_file()
    assert Path(out["cmb_det_max"]).is_file()
    rows = out["cmb_table"]["data"]
    assert [r[0] for r in rows] == list(a.scales)
    box = a.windows[k].tolist()
    best = pyramid.select_scale(box, a.image_wh, a.scales)
    assert [r[3] for r in rows] == ["✓" if i == best else "" for i in range(len(a.scales))]
    for r, f in zip(rows, a.feats, strict=True):  # each scale's cells: geometry.project_window at that scale
        cx0, cy0, cx1, cy1 = geometry.project_window([c * f.factor for c in box], a.geometry, "paper",
                                                     map_hw=tuple(f.fmap.shape[1:]))
        assert r[1] == f"{cx0}..{cx1}; {cy0}..{cy1}" and r[2] == (cx1 - cx0 + 1) * (cy1 - cy0 + 1)
    assert sum(r[4] for r in rows) == pytest.approx(100, abs=0.2)
    ws = multiscale.window_scales(a.feats, box, a.image_wh, a.geometry, a.detector.net.levels)
    assert f"**{100 * ws.changed:.1f} %**" in out["cmb_info"] and f"s\\* = {a.scales[best]}" in out["cmb_info"]
    # the detections: both through the same head, counted as the library counts them
    _, after_best = a.detections(0.5, 0.3)
    _, after_max = a.combined_detections(0.5, 0.3)
    assert f"**{len(after_best)}** detections after NMS with one best scale" in out["cmb_det_info"]
    assert f"**{len(after_max)}** with the vectors combined" in out["cmb_det_info"]
    assert "fine-tuned on best-scale vectors only" in out["cmb_det_info"]
    # the parts: the window alone, the detections alone; Chinese
    assert set(combine.combine_scales(v, parts=("window",))) == {"cmb_vec", "cmb_info", "cmb_table"}
    assert set(combine.combine_scales(v, parts=("detections",))) == {"cmb_det_best", "cmb_det_max", "cmb_det_info"}
    zh = combine.combine_scales(v, lang="zh")
    assert "最佳尺度" in zh["cmb_info"] and zh["cmb_table"]["headers"][3] == "最佳" and "注意" in zh["cmb_det_info"]
    with pytest.raises(gr.Error, match="Analyze first"):
        combine.combine_scales(dict(settings.DEFAULTS, state={}))
    with pytest.raises(gr.Error, match="threshold"):
        combine.combine_scales({**v, "thresh": "high"})


def test_combining_one_scale_says_both_vectors_are_the_same(model):
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[688], state={})
    v["state"] = inputs.analyze_image(v)["state"]
    out = combine.combine_scales(v)
    assert "Only one scale" in out["cmb_info"] and "**0.0 %**" in out["cmb_info"]
    assert [r[3] for r in out["cmb_table"]["data"]] == ["✓"]


# ---------------------------------------------------------------------------------- lesson mode


def test_lesson_mode_walks_every_step_with_back_and_next(done):
    v, _ = done
    n = len(steps.STEPS)
    step, images = 1, set()
    first = lesson_tab.lesson_show({**v, "lesson_step": 1})
    assert first["lesson_back"]["interactive"] is False and first["lesson_next"]["interactive"] is True
    for k in range(1, n + 1):
        out = lesson_tab.lesson_show({**v, "lesson_step": step}, delta=0 if k == 1 else 1)
        step = out["lesson_step"]
        assert step == k and out["lesson_counter"].startswith(f"### Step {k} / {n} · ")
        title = steps.STEPS[k - 1].title
        assert t(title) in out["lesson_counter"] and out["lesson_text"]
        assert "Click" not in out["lesson_text"] and Path(out["lesson_img"]).is_file()
        assert not out["lesson_text"].startswith("**Step")
        images.add(out["lesson_img"])
        assert out["lesson_back"]["interactive"] is (k > 1) and out["lesson_next"]["interactive"] is (k < n)
    assert len(images) == n  # one different figure per step
    assert lesson_tab.lesson_show({**v, "lesson_step": n}, delta=1)["lesson_step"] == n  # clamped at the ends
    back = lesson_tab.lesson_show({**v, "lesson_step": 2}, delta=-1)
    assert back["lesson_step"] == 1 and back["lesson_img"] == first["lesson_img"]
    zh = lesson_tab.lesson_show({**v, "lesson_step": 6}, lang="zh")
    assert zh["lesson_counter"].startswith(f"### 第 6 / {n} 步") and "每个 bin 对每个通道取" in zh["lesson_text"]
    assert not zh["lesson_text"].startswith("**第")  # the tab's own "Step 4" heading: the counter replaces it
    assert "点击" not in zh["lesson_text"]
    idle = lesson_tab.lesson_show(dict(settings.DEFAULTS, state={}))
    assert "Analyze" in idle["lesson_counter"] and idle["lesson_img"] is None
    with pytest.raises(gr.Error, match="lesson step"):
        lesson_tab.lesson_show({**v, "lesson_step": "two"})


# ---------------------------------------------------------------------------------- the lesson ZIP


def test_lesson_zip_is_the_lesson_export_of_the_current_settings(done, tmp_path):
    import json

    from sppviz import lesson

    v, _ = done
    k = v["state"]["k"]
    vv = {**v, "projection": "original", "levels": "1,2,4", "thresh": 0.3}
    path, info = lesson_tab.export_lesson_zip(vv, "zh")
    assert f"#{k}" in info and "简体中文" in info
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path / "app")
        names = set(z.namelist())
    data = json.loads((tmp_path / "app" / "analysis.json").read_text(encoding="utf-8"))
    assert data["lang"] == "zh" and data["selected_window"]["index"] == k
    assert data["selected_window"]["projection_rule"] == "original" and [lv["n"] for lv in data["levels"]] == [1, 2, 4]
    assert data["detections"]["score_thresh"] == 0.3 and data["rules"]["projection"] == "original"
    html = (tmp_path / "app" / "handout.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', html)  # every step's figure, inline: the file stands alone
    assert len(srcs) == len(steps.STEPS) and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert '<html lang="zh-Hans">' in html
    # the same files as lesson.write_lesson on the same analysis (what the CLI writes, conv5 reused)
    res = lesson.write_lesson(entry(v).a, tmp_path / "lib", "zh", (1, 2, 4), k, projection="original",
                              score_thresh=0.3)
    assert names == set(res["files"])
    with pytest.raises(gr.Error, match="Analyze first"):
        lesson_tab.export_lesson_zip(dict(settings.DEFAULTS, state={}))


def test_bold_markers_pair_up_in_both_languages():
    """CommonMark does not close ** after a full-width bracket followed by a Han character (e.g. "**拉伸（warp）**到"),
    which turned half a paragraph bold: every ** must open or close a <strong>, never nest."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for lang, strings in (("en", EN), ("zh", ZH)):
        for key, text in strings.items():
            src = re.sub(r"\$[^$]*\$", "M", text)  # LaTeX is not Markdown
            html = md.render(src)
            assert "**" not in html and 2 * html.count("<strong>") == src.count("**"), (lang, key)
            assert not re.search(r"<strong>(?:(?!</strong>).)*<strong>", html), (lang, key)


# ---------------------------------------------------------------------------------- presets and the release rules


def test_presets_set_every_control_they_name():
    from sppviz.method import presets

    for name in presets.PRESET_NAMES:
        p = presets.get_preset(name)
        out = inputs.apply_preset(dict(settings.DEFAULTS, state={}), name=name)
        s = settings.Settings.parse({**settings.DEFAULTS, **{k: v for k, v in out.items() if k != "preset_info"}},
                                    ("scales", "levels", "rules"))
        assert s.scales == p.scales and s.levels == p.levels and s.rules == p.rules(), name
        assert presets.matching_preset(**s.rules) == name
    release = inputs.apply_preset(dict(settings.DEFAULTS, state={}), name="release")
    assert 874 in release["scales"] and 864 not in release["scales"] and release["bin_rule"] == "release"
    assert "Authors' release" in release["preset_info"] and "874" in release["preset_info"]
    with pytest.raises(gr.Error, match="preset"):
        inputs.apply_preset(dict(settings.DEFAULTS, state={}), name="yolo")


def test_the_status_line_names_the_preset_and_step_3_shows_both_box_scalings(model):
    vals = inputs.preset_values("release")
    v = dict(settings.DEFAULTS, image=EXAMPLE, state={}, **vals)
    out = inputs.analyze_image(v)
    assert "rules: **Authors' release**" in out["status"]
    html = out["rules_table"]
    rows = dict(re.findall(r'data-box-scaling="([^"]+)" data-cells="([\d,]+)"', html))
    assert set(rows) == {"fast-rcnn", "release"}
    d = entry({"state": out["state"]}).detail(out["state"]["k"], (1, 2, 3, 6), None,
                                             settings.Settings.parse(v, ("rules",)).rules)
    assert rows["release"] == ",".join(map(str, d.cells_by_box_scaling["release"])) == ",".join(map(str, d.chosen))
    assert 'class="chosen" data-box-scaling="release"' in html
    custom = inputs.analyze_image({**v, "bin_rule": "adaptive", "state": out["state"]})
    assert "rules: **custom**" in custom["status"]
