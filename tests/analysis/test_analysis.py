"""The analysis object: caches, window picking and the per-window detail the app shows."""

import numpy as np
import pytest
import torch

from sppviz import analysis
from sppviz.method import bins, geometry, pooling
from sppviz.model import synthetic
from sppviz.model.detector import Detector, SPPNet


@pytest.fixture(scope="module")
def detector(tiny_model_path):
    return Detector(SPPNet.load(tiny_model_path), "cpu")


@pytest.fixture(scope="module")
def scene():
    return synthetic.make_scene(synthetic.EXAMPLE_SEED_BASE + 3)


@pytest.fixture(scope="module")
def an(detector, scene):
    return analysis.analyze(scene.image, detector, (480, 688), source="user", count=100,
                            user_boxes=np.concatenate([scene.boxes, [[0, 0, scene.image.shape[1] - 1,
                                                                      scene.image.shape[0] - 1]]]))


def test_lru_cache_is_bounded_by_entries_and_bytes():
    c = analysis.LRUCache(3, max_bytes=100, sizeof=lambda v: v)
    for k, size in enumerate([10, 20, 30]):
        c.put(k, size)
    assert c.get(0) == 10  # 0 becomes most recent
    c.put(3, 50)  # 10 + 20 + 30 + 50 > 100 → evict LRU (1), then count ok
    assert c.get(1) is None and c.get(0) == 10 and len(c) == 3 and c.nbytes == 90
    c.put(4, 100)
    assert len(c) == 1 and c.get(4) == 100


def test_features_are_computed_once_per_image_model_and_scale(detector, scene):
    analysis.FEATURES.clear()
    a = analysis.get_features(detector, scene.image, 480)
    b = analysis.get_features(detector, scene.image, 480)
    assert a is b
    other = scene.image.copy()
    other[0, 0] ^= 1
    assert analysis.get_features(detector, other, 480) is not a


def test_pick_window_returns_the_smallest_window_under_the_point(an, scene):
    x1, y1, x2, y2 = scene.boxes[0]
    k = an.pick_window((x1 + x2) / 2, (y1 + y2) / 2)
    assert k is not None
    w = an.windows
    inside = (w[:, 0] <= (x1 + x2) / 2) & ((x1 + x2) / 2 <= w[:, 2]) & (w[:, 1] <= (y1 + y2) / 2) & \
             ((y1 + y2) / 2 <= w[:, 3])
    areas = (w[:, 2] - w[:, 0] + 1) * (w[:, 3] - w[:, 1] + 1)
    assert areas[k] == areas[inside].min()
    assert an.pick_window(-50, -50) is None


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (1, 2, 4), (6, 3, 2, 1)])
@pytest.mark.parametrize("projection", geometry.PROJECTION_RULES)
def test_window_detail_matches_geometry_and_spp(an, levels, projection):
    k = len(an.windows) - 1  # the whole image: the largest window
    d = analysis.window_detail(an, k, levels, channel=3, projection=projection)
    f = an.feats[d.scale_index]
    H, W = f.fmap.shape[1:]
    sbox = [v * f.factor for v in an.windows[k].tolist()]
    for rule in geometry.PROJECTION_RULES:
        assert d.cells[rule] == geometry.project_window(sbox, an.geometry, rule, map_hw=(H, W))
    ref = pooling.spp_reference(f.fmap, torch.tensor([d.chosen]), levels)[0].numpy()
    assert np.array_equal(d.vector, ref)
    C = f.fmap.shape[0]
    for lv, sl in zip(d.levels, d.level_slices, strict=True):
        assert lv.values.shape == (lv.n, lv.n)
        assert np.array_equal(lv.values, ref[sl].reshape(C, lv.n, lv.n)[3])
        cx, cy = lv.argmax_cells[..., 0], lv.argmax_cells[..., 1]
        assert np.array_equal(f.fmap[3].numpy()[cy, cx], lv.values)  # the max came from that cell
        x0, y0, x1, y1 = d.chosen
        assert (cx >= x0).all() and (cx <= x1).all() and (cy >= y0).all() and (cy <= y1).all()


def test_window_detail_reports_sliding_bins_that_are_not_n(an):
    d = analysis.window_detail(an, len(an.windows) - 1, (1, 2, 3, 6), bin_rule="sliding")
    a_w = d.chosen[2] - d.chosen[0] + 1
    for lv in d.levels:
        n_sliding = len(bins.bin_edges(a_w, lv.n, "sliding")) if a_w >= lv.n else None
        assert (lv.sliding_bins is None) == (n_sliding is None)
        if n_sliding is not None:
            assert lv.sliding_bins[0] == n_sliding
            assert bool(lv.note) == (lv.sliding_bins != (lv.n, lv.n))
    if any(lv.note for lv in d.levels):
        assert d.error and d.bin_rule == "adaptive"


def test_detections_reuse_cached_scores(an):
    res = an.result()
    before, after = an.detections(0.0)
    assert an.result() is res
    assert len(after) <= len(before)
    _, none = an.detections(1.01)
    assert len(none) == 0


def test_bad_requests_raise_clear_errors(an, detector, scene):
    with pytest.raises(ValueError, match="does not exist"):
        analysis.window_detail(an, 10_000)
    with pytest.raises(ValueError, match="channel"):
        analysis.window_detail(an, 0, channel=9999)
    with pytest.raises(ValueError, match="levels must not repeat"):
        analysis.window_detail(an, 0, (1, 1))
    with pytest.raises(ValueError, match="draw at least one box"):
        analysis.analyze(scene.image, detector, (688,), source="user", user_boxes=[])
    with pytest.raises(ValueError, match="unknown proposal source"):
        analysis.analyze(scene.image, detector, (688,), source="edge-boxes")


def test_lru_cache_drops_entries_unused_for_ttl():
    now = [1000.0]
    c = analysis.LRUCache(10, ttl=60, timer=lambda: now[0])
    c.put("a", 1)
    c.put("b", 2)
    now[0] += 40
    assert c.get("a") == 1  # used: its clock restarts
    now[0] += 30  # "b" unused for 70 s, "a" for 30 s
    assert c.get("b") is None and c.get("a") == 1 and len(c) == 1


def test_window_detail_carries_both_box_scaling_rules(an):
    from sppviz.method import pyramid

    k = len(an.windows) - 1
    default = analysis.window_detail(an, k, (1, 2, 3, 6), channel=0, projection="original")
    fast = analysis.window_detail(an, k, (1, 2, 3, 6), channel=0, projection="original", box_scaling="fast-rcnn")
    rel = analysis.window_detail(an, k, (1, 2, 3, 6), channel=0, projection="original", box_scaling="release")
    assert default.box_scaling == "fast-rcnn" and default.scaled_box == fast.scaled_box
    assert np.array_equal(default.vector, fast.vector) and default.factor == fast.factor
    f = an.feats[rel.scale_index]
    box = np.array(an.windows[k].tolist())
    for d in (fast, rel):
        assert set(d.scaled_box_by_rule) == set(pyramid.BOX_SCALING_RULES) == set(d.cells_by_box_scaling)
        for r in pyramid.BOX_SCALING_RULES:
            assert d.scaled_box_by_rule[r] == pyramid.scale_boxes_by_rule(box, an.image_wh, f.scale, r).tolist()
            assert d.factor_by_rule[r] == pyramid.box_factor(an.image_wh, f.scale, r)
            want = geometry.project_window(d.scaled_box_by_rule[r], an.geometry, "original",
                                           map_hw=tuple(f.fmap.shape[1:]))
            assert d.cells_by_box_scaling[r] == want
        assert d.scaled_box == d.scaled_box_by_rule[d.box_scaling]
        assert d.chosen == d.cells_by_box_scaling[d.box_scaling] == d.cells["original"]
    assert rel.factor == (f.scale - 1) / (min(an.image_wh) - 1)
    with pytest.raises(ValueError, match="box scaling"):
        analysis.window_detail(an, k, box_scaling="paper")


def test_results_are_cached_per_box_scaling(an):
    res = an.result(scale_rule="original", projection="original", bin_rule="release", box_scaling="release")
    assert res is an.result("original", "original", "release", "release")
    assert res is not an.result("original", "original", "release")
    want = an.detector.windows(an.feats, an.windows, an.image_wh, "original", "original", "release", "release")
    assert torch.equal(res.cells, want.cells) and torch.equal(res.probs, want.probs)
    before, _ = an.detections(0.0, 0.3, scale_rule="original", projection="original", bin_rule="release",
                              box_scaling="release")
    assert len(before) == len(an.windows) * len(an.detector.classes)
    comb = an.combined_result("original", "release", "release")
    assert comb is an.combined_result("original", "release", "release") and comb is not an.combined_result()


def test_window_detail_release_floor_on_a_signed_map(an):
    """On a map with negative values the release rule pools all-negative bins to 0; no cell gave those values,
    so their argmax cell is (-1, -1) and their point NaN."""
    import dataclasses

    feats = [dataclasses.replace(f, fmap=f.fmap - f.fmap.max() - 1.0) for f in an.feats]  # every value < 0
    neg = dataclasses.replace(an, feats=feats, _results={})
    d = analysis.window_detail(neg, len(an.windows) - 1, (1, 2, 7), channel=1, bin_rule="release")
    for lv in d.levels:
        assert (lv.values == 0).all() and (lv.argmax_cells == -1).all() and np.isnan(lv.argmax_points).all()
    d = analysis.window_detail(neg, len(an.windows) - 1, (1, 2), channel=1, bin_rule="adaptive")
    assert all((lv.values < 0).all() and (lv.argmax_cells >= 0).all() for lv in d.levels)


def test_window_report_names_every_rule():
    from sppviz.analysis import report
    from sppviz.method import pyramid

    old = report.window_report((500, 375), (222, 179, 495, 189), "zf5-release", scales=(576,), scale_rule="original")
    assert old["box_scaling"] == "fast-rcnn" and old["bins_on"] == "paper"  # defaults: as before
    assert old["scaled_box"] == [v * (576 / 375) for v in (222, 179, 495, 189)]  # box · s/min_side
    rel = report.window_report((500, 375), (222, 179, 495, 189), "zf5-release", scales=(576,), levels=(1, 2, 3, 6, 7),
                               scale_rule="original", box_scaling="release", projection="original")
    assert rel["cells"]["original"] == [20, 16, 46, 17] and rel["cells_by_box_scaling"] == {
        "release": [20, 16, 46, 17], "fast-rcnn": [20, 16, 46, 16]}
    assert rel["scaled_box"] == rel["scaled_box_by_rule"]["release"] and rel["factor"] == 575 / 374
    assert set(rel["bins"]) == set(bins.BIN_RULES) and set(rel["scaled_box_by_rule"]) == set(pyramid.BOX_SCALING_RULES)
    assert rel["window_cells_wh"] == [27, 2]
    assert rel["bins"]["release"]["7"]["x"] == bins.bin_edges(27, 7, "release")
    assert rel["release_differences"]["x"] == [{"level": n, "bin": i, "release": list(r), "adaptive": list(e)}
                                               for n, i, r, e in bins.release_differences(27, (1, 2, 3, 6, 7))]
    with pytest.raises(ValueError, match="box scaling"):
        report.window_report((500, 375), (0, 0, 9, 9), box_scaling="x")
    with pytest.raises(ValueError, match="projection"):
        report.window_report((500, 375), (0, 0, 9, 9), projection="x")
