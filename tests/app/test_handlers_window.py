"""The app's handlers called directly (no browser): Analyze, choosing a window, the pooling, feature and
detection panels, drawn boxes and the export — each checked against the library."""

import re
import zipfile
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from handler_helpers import EXAMPLE, click_point, entry, expected_cells, own_window, rules_cells

from sppviz import analysis, figures
from sppviz.analysis.images import load_image
from sppviz.app import session, settings
from sppviz.app.tabs import detections as detections_tab
from sppviz.app.tabs import features as features_tab
from sppviz.app.tabs import inputs
from sppviz.app.tabs import lesson as lesson_tab
from sppviz.app.tabs import pooling as pooling_tab
from sppviz.app.tabs import window as window_tab
from sppviz.method import geometry, pyramid
from sppviz.steps import features as features_step
from sppviz.steps import pooling as pooling_step

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
    # the state is small: a session id, the selected window, the drawn boxes, the language the panels are in
    assert set(v["state"]) <= {"sid", "iid", "k", "bin", "corner", "boxes", "win_layout", "drawn_lang"}
    assert v["state"]["drawn_lang"] == "en"
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


def test_a_new_window_redraws_step_4_where_the_page_shows_it_else_when_its_tab_opens(done):
    v, _ = done
    a = entry(v).a
    k = len(a.windows) - 1
    st = window_tab.select_window({**v, "win_k": k})["state"]
    assert st["k"] == k and st["pool_stale"]
    # step 4's tab opened: its panels for window k, at k's strongest channel (not the one shown before)
    opened = pooling_tab.refresh_stale({**v, "state": st, "spp_channel": 200})
    d = analysis.window_detail(a, k)
    assert opened["spp_channel"]["value"] == d.channel != 200
    assert Path(opened["spp_map"]).is_file() and Path(opened["fm_top"]).is_file()
    assert not opened["state"].get("pool_stale")
    # opened again: nothing changes (the channel, level and bin the visitor chose stay)
    assert pooling_tab.refresh_stale({**v, "state": opened["state"], "spp_channel": 3}) == {}
    # where step 4 (or step 2's top channels) is shown, the page has it drawn at once: the same panels
    now = pooling_tab.refresh_pooling({**v, "state": st, "spp_channel": 200})
    assert {n: now[n] for n in ("spp_map", "spp_values", "spp_vector", "fm_top", "spp_info")} == \
        {n: opened[n] for n in ("spp_map", "spp_values", "spp_vector", "fm_top", "spp_info")}
    assert not now["state"].get("pool_stale")
    # a level change that finds step 4 stale redraws all of it for the new window
    lv = pooling_tab.change_pooling({**v, "state": st, "spp_level": 6, "spp_channel": 200}, what="level")
    assert lv["spp_channel"]["value"] == d.channel and {"spp_vector", "fm_top", "spp_argmax"} <= set(lv)
    assert not lv["state"].get("pool_stale")


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


def test_an_all_zero_bin_says_so_instead_of_naming_a_cell(done):
    v, _ = done
    w = entry(v)
    k = v["state"]["k"]
    d = analysis.window_detail(w.a, k, (1, 2, 3, 6))
    fm = w.a.feats[d.scale_index].fmap
    cx0, cy0 = d.chosen[:2]
    for c in range(fm.shape[0]):  # a channel with a bin of zeros at level 6 (ReLU maps have many)
        dc = analysis.window_detail(w.a, k, (1, 2, 3, 6), channel=c)
        lv = next(x for x in dc.levels if x.n == 6)
        ch = fm[c].numpy()
        zero = [(by, bx) for by in range(6) for bx in range(6)
                if (ch[cy0 + lv.bins_y[by][0]:cy0 + lv.bins_y[by][1] + 1,
                       cx0 + lv.bins_x[bx][0]:cx0 + lv.bins_x[bx][1] + 1] == 0).all()]
        if zero:
            break
    else:
        pytest.skip("no all-zero bin on this window")
    by, bx = zero[0]
    _, lay = figures.bin_values(lv.values, 6, cell_px=pooling_step.bin_cell_px((6, 6)), return_layout=True)
    l, t_, r, b = lay.rects[f"{by},{bx}"]
    out = pooling_tab.click_bin({**v, "spp_level": 6, "spp_channel": c}, point=((l + r) / 2, (t_ + b) / 2))
    assert f"Bin ({by}, {bx}) of level 6: every cell of this channel is 0" in out["spp_info"]
    assert "at cell (" not in out["spp_info"].split("Bin (")[-1]
