"""Release mode is the release, bit for bit: sppviz's pipeline under the "release" preset against
tests/method/release_reference.py, a re-typing of the release's MATLAB and C++ lines that does not use sppviz.

Each comparison prints "release parity | <comparison>: <cases> cases, <mismatches> mismatches" (run pytest
with -s to see them). The MEX's ``[offset0, offset, min_times]`` (from the model's spp_config.m, not in the
repository) are taken as sppviz's "original" projection assumes them: offset0 = 21, the 1-based pixel of
conv5 cell 1's centre in ``model-defs/Zeiler_conv5.prototxt``'s geometry (0-based 20 + 1), offset = 6.5,
min_times = 16.
"""

from __future__ import annotations

import numpy as np
import pytest
import release_reference as ref
import torch

from sppviz.method import bins, pyramid
from sppviz.method.presets import RELEASE
from sppviz.model import backbones
from sppviz.model.detector import ScaleFeatures, pool_windows

pytestmark = pytest.mark.skipif(ref.numba is None, reason="the reference runs the MEX loop with numba")

TRUNK = backbones.build("zf5-release", width=0.125)
GEOM = TRUNK.geometry  # stride 16, offset 20
OFFSET0, OFFSET, MIN_TIMES = GEOM.offset + 1, 6.5, 16.0
CHANNELS = 4  # the MEX needs dim % 4 == 0
IMAGES, WINDOWS = 100, 1000  # 100,000 windows per map kind
LEVEL_SETS = ((1, 2, 3, 6), (13, 7, 5, 1, 14))  # the preset's levels; levels whose float32 bins differ


def report(name: str, cases: int, mismatches: int) -> None:
    print(f"release parity | {name}: {cases:,} cases, {mismatches:,} mismatches")


def random_image(rng: np.random.Generator) -> tuple[tuple[int, int], np.ndarray]:
    """An image size (w, h) and WINDOWS integer boxes (0-based, inclusive): mostly inside the image with
    log-uniform sizes from 1 px to the whole image, some hanging over its border (the MEX clamps them)."""
    w, h = (int(v) for v in rng.integers(80, 1001, 2))
    bw = np.floor(np.exp(rng.uniform(0, np.log(w), WINDOWS))).astype(np.int64)
    bh = np.floor(np.exp(rng.uniform(0, np.log(h), WINDOWS))).astype(np.int64)
    x1 = rng.integers(0, w - bw + 1)
    y1 = rng.integers(0, h - bh + 1)
    boxes = np.stack([x1, y1, x1 + bw - 1, y1 + bh - 1], 1)
    over = rng.random(WINDOWS) < 0.05
    boxes[over] += rng.integers(-300, 300, (int(over.sum()), 4))
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
    return (w, h), boxes


def conv5_maps(wh: tuple[int, int], rng: np.random.Generator, signed: bool) -> list[ScaleFeatures]:
    """Random conv5 maps of the right size at each release scale: ReLU-like (about half exact zeros) or signed."""
    out = []
    for s in RELEASE.scales:
        sw, sh = pyramid.scaled_size(*wh, s)
        fh, fw = TRUNK.feature_size((sh, sw))
        m = rng.standard_normal((CHANNELS, fh, fw), dtype=np.float32)
        m = m - 0.7 if signed else np.maximum(m, 0)
        out.append(ScaleFeatures(s, (sw, sh), pyramid.scale_factor(*wh, s), torch.from_numpy(m)))
    return out


def run_image(wh, boxes, feats, levels, bin_rule="release", box_scaling="release"):
    """(sppviz's scale index, cells, vectors) and the reference's outputs for one image."""
    rules = {**RELEASE.rules(), "bin_rule": bin_rule, "box_scaling": box_scaling}
    sidx, cells, pooled = pool_windows(feats, torch.as_tensor(boxes, dtype=torch.float32), wh, GEOM, levels, **rules)
    maps = [f.fmap.permute(1, 2, 0).contiguous().numpy() for f in feats]  # spm_pool.m: (channel, width, height)
    theirs = ref.features_convx_to_poolx(maps, list(RELEASE.scales), wh, boxes + 1, list(levels), OFFSET0, OFFSET,
                                         MIN_TIMES)
    return sidx, cells, pooled, theirs


@pytest.fixture(scope="module")
def parity():
    """Run 100 images x 1,000 windows twice (ReLU maps, signed maps); half the images with the preset's levels,
    half with levels whose float32 bins differ from the exact ones. Counts per comparison."""
    rng = np.random.default_rng(2014)
    counts = {}

    def add(name, cases, bad):
        c = counts.setdefault(name, [0, 0])
        c[0] += int(cases)
        c[1] += int(bad)

    for i in range(IMAGES):
        wh, boxes = random_image(rng)
        levels = LEVEL_SETS[i % 2]
        for signed in (False, True):
            feats = conv5_maps(wh, rng, signed)
            sidx, cells, pooled, theirs = run_image(wh, boxes, feats, levels)
            kind = "signed maps" if signed else "ReLU maps"
            if not signed:
                add("scale selection (original)", len(boxes), (sidx.numpy() != theirs["best_scale_ids"] - 1).sum())
                ours_scaled = np.zeros(boxes.shape)
                for j, s in enumerate(RELEASE.scales):  # each window at its own scale
                    rows = (sidx == j).numpy()
                    ours_scaled[rows] = pyramid.scale_boxes_by_rule(boxes[rows].astype(np.float64), wh, s, "release")
                add("scaled boxes (release), 1-based", boxes.size, (ours_scaled + 1 != theirs["scaled_boxes"]).sum())
                ref_cells = theirs["box_norm"][:, [1, 0, 3, 2]] - 1  # (top, left, bottom, right) 1-based -> ours
                add("cells (projection original, clamped)", len(boxes), (cells.numpy() != ref_cells).any(1).sum())
            same = torch.from_numpy(theirs["pooled"]) == pooled
            add(f"pooled vectors, {kind}, windows", len(boxes), (~same.all(1)).sum())
            add(f"pooled vectors, {kind}, values", same.numel(), (~same).sum())
            if levels != LEVEL_SETS[0] and not signed:  # the comparison can fail: adaptive bins differ here
                _, _, exact, _ = run_image(wh, boxes[:200], feats, levels, bin_rule="adaptive")
                add("sensitivity: adaptive-bin vectors that differ from the release (not an error)", 200,
                    (exact != torch.from_numpy(theirs["pooled"][:200])).any(1).sum())
            if signed:
                add("sensitivity: signed windows whose floor of 0 matters (not an error)", len(boxes),
                    (torch.from_numpy(theirs["pooled"]) == 0).any(1).sum())
    for name, (cases, bad) in counts.items():
        report(name, cases, bad)
    return counts


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_pipeline_equals_the_release_bit_for_bit(parity):
    for name, (cases, bad) in parity.items():
        if name.startswith("sensitivity"):
            assert bad > 0, name  # each comparison above could have failed
            continue
        assert bad == 0, (name, bad, cases)
    assert parity["pooled vectors, ReLU maps, windows"][0] >= 100_000
    assert parity["pooled vectors, signed maps, windows"][0] >= 100_000


def test_bin_edges_equal_the_float32_formula_for_every_width_and_level():
    cases = bad = 0
    for n in range(1, 17):
        for a in range(1, 2049):
            want = [(s, e - 1) for s, e in ref.bin_edges_float32(a, n)]
            bad += bins.bin_edges(a, n, "release") != want
            cases += 1
    report("bin_edges(a, n, 'release') vs float32 formula, a = 1..2048, n = 1..16", cases, bad)
    assert cases == 2048 * 16 and bad == 0


def test_the_reference_jit_equals_its_python_loop():
    """The numba-compiled MEX loop and the same loop run by Python give the same floats (float32 kept)."""
    rng = np.random.default_rng(3)
    maps = [rng.standard_normal((9, 13, 8), dtype=np.float32), rng.standard_normal((20, 31, 8), dtype=np.float32)]
    ids = rng.integers(1, 3, 60)
    top, left = rng.integers(1, 8, 60), rng.integers(1, 12, 60)
    box_norm = np.stack([top, left, top + rng.integers(0, 2, 60), left + rng.integers(0, 20, 60)], 1)
    box_norm[:, 2] = np.minimum(box_norm[:, 2], np.where(ids == 1, 9, 20))
    box_norm[:, 3] = np.minimum(box_norm[:, 3], np.where(ids == 1, 13, 31))
    a = ref.spm_pool(maps, [7, 13, 1], box_norm, ids, jit=True)
    b = ref.spm_pool(maps, [7, 13, 1], box_norm, ids, jit=False)
    assert np.array_equal(a, b) and (a >= 0).all()


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_issue_example_window_and_box_scaling_share():
    """Image 500 x 375, box (222, 179, 495, 189) at s = 576: the release gives 1-based cells (21, 17, 47, 18),
    i.e. 0-based (20, 16, 46, 17); box·s/min_side gives (20, 16, 46, 16). On realistic VOC-like windows the two
    box-scaling rules give different cells for a sizeable share of windows."""
    box = np.array([[222, 179, 495, 189]])
    theirs = ref.normalize_boxes(ref.scale_boxes(box + 1, np.array([576]), 375), np.array([1]), np.array([48]),
                                 np.array([36]), OFFSET0, OFFSET, MIN_TIMES)
    assert theirs[:, [1, 0, 3, 2]].tolist() == [[21, 17, 47, 18]]
    feat = [ScaleFeatures(576, (768, 576), pyramid.scale_factor(500, 375, 576), torch.zeros(4, 36, 48))]
    for rule, want in (("release", [20, 16, 46, 17]), ("fast-rcnn", [20, 16, 46, 16])):
        cells = pool_windows(feat, torch.tensor(box, dtype=torch.float32), (500, 375), GEOM, (1,),
                             **{**RELEASE.rules(), "box_scaling": rule})[1]
        assert cells[0].tolist() == want
    rng = np.random.default_rng(7)
    sizes = [(500, 375), (375, 500), (500, 333), (333, 500), (500, 500), (500, 281), (480, 640)]
    cases = differ = 0
    for wh in sizes * 4:
        w, h = wh
        k = 2000  # selective-search-like: log-uniform sides from 20 px to the image
        bw = np.exp(rng.uniform(np.log(20), np.log(w), k)).astype(np.int64)
        bh = np.exp(rng.uniform(np.log(20), np.log(h), k)).astype(np.int64)
        x1, y1 = rng.integers(0, w - bw + 1), rng.integers(0, h - bh + 1)
        boxes = torch.tensor(np.stack([x1, y1, x1 + bw - 1, y1 + bh - 1], 1), dtype=torch.float32)
        feats = conv5_maps(wh, rng, False)
        rel = pool_windows(feats, boxes, wh, GEOM, (1,), **RELEASE.rules())[1]
        fast = pool_windows(feats, boxes, wh, GEOM, (1,), **{**RELEASE.rules(), "box_scaling": "fast-rcnn"})[1]
        cases += k
        differ += int((rel != fast).any(1).sum())
    report("box scaling: windows whose cells differ, release vs box·s/min_side (VOC-like, not an error)",
           cases, differ)
    assert 0.05 < differ / cases < 0.35
