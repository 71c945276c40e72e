"""The handlers of steps 9-11 (why SPP, SPP vs RoIPool vs RoIAlign, combining scales) and the rule presets."""

import re
from pathlib import Path

import gradio as gr
import pytest
from handler_helpers import EXAMPLE, entry, expected_cells

from sppviz.app import settings
from sppviz.app.tabs import combine, inputs, why
from sppviz.app.tabs import compare as compare_tab
from sppviz.method import geometry, pyramid

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


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
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
    assert 'class="chosen-box" data-box-scaling="release"' in html
    custom = inputs.analyze_image({**v, "bin_rule": "adaptive", "state": out["state"]})
    assert "rules: **custom**" in custom["status"]
