"""Combining scales (sppviz.method.multiscale) against a slow, obvious reference: one window and one scale at a
time, pooling.spp_reference on geometry.project_window's cells, the max taken element by element."""

import functools

import numpy as np
import pytest
import torch

from sppviz.method import bins, geometry, multiscale, pooling, pyramid
from sppviz.model.detector import ScaleFeatures

GEOM = geometry.Geometry(stride=16, offset=20.0, size=139)
IMAGE_WH = (500, 375)
SCALES = (480, 688, 1200)
LEVELS = (1, 2, 3, 6)


def feats_for(scales=SCALES, channels=5, seed=0):
    """Random non-negative conv5 maps (post-ReLU) of the right size for each scale."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for s in scales:
        sw, sh = pyramid.scaled_size(*IMAGE_WH, s)
        h, w = max(1, sh // 16), max(1, sw // 16)
        fm = torch.rand((channels, h, w), generator=g).clamp(min=0.3) - 0.3
        out.append(ScaleFeatures(s, (sw, sh), pyramid.scale_factor(*IMAGE_WH, s), fm))
    return out


def random_windows(n=40, seed=1):
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(0, 400, n)
    y1 = rng.uniform(0, 300, n)
    w = rng.uniform(8, 480, n)
    h = rng.uniform(8, 360, n)
    return np.stack([x1, y1, np.minimum(x1 + w, 499), np.minimum(y1 + h, 374)], 1).astype(np.float32)


def reference(feats, windows, levels=LEVELS, projection="paper", bin_rule="adaptive"):
    """Per window, per scale: project, pool with the reference loop; then the element-wise max."""
    per_window = []
    for box in windows.tolist():
        vecs = []
        for f in feats:
            h, w = f.fmap.shape[1:]
            cells = geometry.project_window([v * f.factor for v in box], GEOM, projection, map_hw=(h, w))
            vecs.append(pooling.spp_reference(f.fmap, torch.tensor([list(cells)]), levels, bin_rule)[0])
        per_window.append(vecs)
    per_scale = torch.stack([torch.stack([pw[i] for pw in per_window]) for i in range(len(feats))])
    combined = torch.stack([functools.reduce(torch.maximum, pw) for pw in per_window])
    return per_scale, combined


@pytest.mark.parametrize("projection", geometry.PROJECTION_RULES)
def test_every_scale_and_the_max_match_the_reference(projection):
    feats, wins = feats_for(), random_windows()
    per_ref, comb_ref = reference(feats, wins, projection=projection)
    per = multiscale.pool_at_every_scale(feats, wins, GEOM, LEVELS, projection)
    assert per.shape == (len(SCALES), len(wins), bins.vector_length(5, LEVELS))
    assert torch.equal(per, per_ref)
    comb, src = multiscale.max_over_scales(per)
    assert torch.equal(comb, comb_ref)
    assert torch.equal(multiscale.max_over_scales_vectors(feats, wins, GEOM, LEVELS, projection), comb_ref)
    # the source index points at a scale holding that maximum, the first one on ties
    picked = per.gather(0, src[None])[0]
    assert torch.equal(picked, comb)
    for k in range(3):
        for j in range(0, per.shape[2], 37):
            col = per[:, k, j].tolist()
            assert int(src[k, j]) == col.index(max(col))


def test_release_box_scaling_at_every_scale():
    """box_scaling="release" scales each window by (x·(s − 1))/(m − 1) at every scale (pyramid module doc);
    with the release's bins too, every scale and the max equal the loop over windows and scales."""
    feats, wins = feats_for(), random_windows(30, seed=3)
    cells = multiscale.cells_at_every_scale(feats, wins, GEOM, "original", "release")
    default = multiscale.cells_at_every_scale(feats, wins, GEOM, "original")
    assert torch.equal(default, multiscale.cells_at_every_scale(feats, wins, GEOM, "original", "fast-rcnn"))
    want_vecs = []
    for i, f in enumerate(feats):
        for k, box in enumerate(wins.tolist()):
            sbox = pyramid.scale_boxes_by_rule(np.array(box), IMAGE_WH, f.scale, "release").tolist()
            want = geometry.project_window(sbox, GEOM, "original", map_hw=tuple(f.fmap.shape[1:]))
            assert tuple(cells[i, k].tolist()) == want
        want_vecs.append(pooling.spp_reference(f.fmap, cells[i], LEVELS, "release"))
    per = multiscale.pool_at_every_scale(feats, wins, GEOM, LEVELS, "original", "release", "release")
    assert torch.equal(per, torch.stack(want_vecs))
    comb = multiscale.max_over_scales_vectors(feats, wins, GEOM, LEVELS, "original", "release", "release")
    assert torch.equal(comb, multiscale.max_over_scales(per)[0])
    ws = multiscale.window_scales(feats, wins[0].tolist(), IMAGE_WH, GEOM, LEVELS, "original", "original",
                                  "release", "release")
    assert np.array_equal(ws.cells, cells[:, 0].numpy()) and np.array_equal(ws.per_scale, per[:, 0].numpy())
    with pytest.raises(ValueError, match="box scaling"):
        multiscale.cells_at_every_scale(feats, wins, GEOM, "paper", "paper")


def test_best_scale_vectors_are_the_detectors_choice():
    feats, wins = feats_for(), random_windows()
    per = multiscale.pool_at_every_scale(feats, wins, GEOM, LEVELS)
    sidx = pyramid.select_scales(wins, IMAGE_WH, SCALES)
    best = multiscale.best_scale_vectors(per, sidx)
    for k, box in enumerate(wins.tolist()):
        i = pyramid.select_scale(box, IMAGE_WH, SCALES)
        f = feats[i]
        cells = geometry.project_window([v * f.factor for v in box], GEOM, "paper", map_hw=tuple(f.fmap.shape[1:]))
        assert torch.equal(best[k], pooling.spp_reference(f.fmap, torch.tensor([list(cells)]), LEVELS)[0])
    comb, _ = multiscale.max_over_scales(per)
    assert bool((comb >= best).all())  # the max over scales includes the best scale
    with pytest.raises(ValueError, match="scale indices"):
        multiscale.best_scale_vectors(per, torch.full((len(wins),), 7))
    with pytest.raises(ValueError, match=r"\[S, K, D\]"):
        multiscale.best_scale_vectors(per, sidx[:3])


def test_one_scale_combined_equals_best():
    feats, wins = feats_for((688,)), random_windows(10)
    per = multiscale.pool_at_every_scale(feats, wins, GEOM, LEVELS)
    comb, src = multiscale.max_over_scales(per)
    assert torch.equal(comb, per[0]) and int(src.max()) == 0


def test_window_scales_for_one_window():
    feats = feats_for()
    box = [100.0, 60.0, 300.0, 260.0]
    ws = multiscale.window_scales(feats, box, IMAGE_WH, GEOM, LEVELS)
    per_ref, comb_ref = reference(feats, np.array([box], np.float32))
    assert ws.scales == SCALES and ws.best == pyramid.select_scale(box, IMAGE_WH, SCALES)
    assert np.array_equal(ws.per_scale, per_ref[:, 0].numpy()) and np.array_equal(ws.combined, comb_ref[0].numpy())
    assert np.array_equal(ws.best_vector, ws.per_scale[ws.best])
    assert ws.share.sum() == pytest.approx(1.0) and ws.share.shape == (3,)
    assert np.array_equal(np.bincount(ws.source, minlength=3) / ws.source.size, ws.share)
    for i, f in enumerate(feats):
        assert tuple(ws.cells[i]) == geometry.project_window([v * f.factor for v in box], GEOM, "paper",
                                                             map_hw=tuple(f.fmap.shape[1:]))
    assert 0.0 <= ws.changed <= 1.0
    with pytest.raises(ValueError, match="exactly one box"):
        multiscale.window_scales(feats, [box, box], IMAGE_WH, GEOM)


def test_analysis_combined_detections(model):
    """Through the detector's head: cached, and equal to the head on the max-over-scales vectors."""
    from sppviz import analysis
    from sppviz.analysis.images import load_image
    from sppviz.model.weights import ASSETS

    img, _ = load_image(ASSETS / "examples" / "example_2.jpg")
    a = analysis.analyze(img, model, (480, 688), "grid", 60)
    res = a.combined_result()
    assert res is a.combined_result()  # cached
    vec = multiscale.max_over_scales_vectors(a.feats, a.windows, a.geometry, model.net.levels)
    probs, _ = model.head(vec, a.windows)
    assert torch.allclose(res.probs, probs) and bool((res.scale_index == -1).all())
    before, after = a.combined_detections(0.0, 0.3)
    assert len(after) <= len(before) and len(before) > 0
