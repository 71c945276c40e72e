import math

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torchvision.ops import roi_align, roi_pool

from sppviz.method.geometry import (
    PROJECTION_RULES,
    Geometry,
    cell_box,
    cell_centre,
    cells_to_boxes,
    feature_size,
    project_window,
    project_windows,
    receptive_field,
    receptive_field_table,
    roialign_samples,
)

# ---------------------------------------------------------------------------
# stacks built from plain layers (1 channel: geometry does not depend on widths)


def zf5_release(pool=nn.MaxPool2d):
    """Release ZF-5: conv1 k7 s2 p1, pool k3 s2 ceil, conv2 k5 s2 p0, pool k3 s2 ceil, conv3-5 k3 p1."""
    return nn.Sequential(
        nn.Conv2d(1, 1, 7, 2, 1), nn.ReLU(), nn.LocalResponseNorm(5),
        pool(3, 2, 0, ceil_mode=True),
        nn.Conv2d(1, 1, 5, 2, 0), nn.ReLU(), nn.LocalResponseNorm(5),
        pool(3, 2, 0, ceil_mode=True),
        nn.Sequential(  # nested on purpose
            nn.Conv2d(1, 1, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(1, 1, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(1, 1, 3, 1, 1), nn.ReLU(),
        ),
    )


def zf5_paper(pool=nn.MaxPool2d):
    """ZF-5 with the paper's floor(k/2) padding everywhere."""
    return nn.Sequential(
        nn.Conv2d(1, 1, 7, 2, 3), nn.ReLU(), pool(3, 2, 1),
        nn.Conv2d(1, 1, 5, 2, 2), nn.ReLU(), pool(3, 2, 1),
        nn.Conv2d(1, 1, 3, 1, 1), nn.Conv2d(1, 1, 3, 1, 1), nn.Conv2d(1, 1, 3, 1, 1),
    )


def alexnet_plain(pool=nn.MaxPool2d):
    """torchvision AlexNet features up to conv5 + ReLU."""
    return [
        nn.Conv2d(1, 1, 11, 4, 2), nn.ReLU(inplace=True), pool(3, 2),
        nn.Conv2d(1, 1, 5, padding=2), nn.ReLU(inplace=True), pool(3, 2),
        nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(inplace=True),
    ]


def test_zf5_release_known_answers():
    layers = zf5_release()
    assert receptive_field(layers) == Geometry(stride=16, offset=20.0, size=139)
    assert feature_size(layers, (224, 224)) == (13, 13)
    assert feature_size(layers, (180, 180)) == (10, 10)


def test_zf5_paper_padding_has_zero_offset():
    g = receptive_field(zf5_paper())
    assert (g.stride, g.offset) == (16, 0.0)


def test_alexnet_known_answers():
    assert receptive_field(alexnet_plain()) == Geometry(16, 15.0, 163)
    tv = torchvision.models.alexnet().features[:12]  # random weights, no download
    assert receptive_field(tv) == Geometry(16, 15.0, 163)
    assert feature_size(tv, (224, 224)) == (13, 13)


def test_table_rows():
    rows = receptive_field_table(zf5_release())
    assert [r["name"] for r in rows] == ["0", "3", "4", "7", "8.0", "8.2", "8.4"]
    assert [r["jump"] for r in rows] == [2, 4, 8, 16, 16, 16, 16]
    assert [r["size"] for r in rows] == [7, 11, 27, 43, 75, 107, 139]
    assert [r["offset"] for r in rows] == [2, 4, 12, 20, 20, 20, 20]
    assert rows[0]["kernel"] == 7 and rows[0]["padding"] == 1 and rows[1]["type"] == "MaxPool2d"
    assert set(rows[0]) >= {"name", "kernel", "stride", "padding", "dilation", "jump", "size", "offset"}


def test_dilation_and_tuples():
    g = receptive_field([nn.Conv2d(1, 1, (3, 3), stride=(2, 2), padding=(0, 0), dilation=(2, 2))])
    assert g == Geometry(2, 2.0, 5)  # k_eff = 5: centre 2, size 5
    assert receptive_field(nn.Conv2d(1, 1, 4)) == Geometry(1, 1.5, 4)  # a single layer, even kernel
    assert receptive_field([]) == Geometry(1, 0.0, 1)


@pytest.mark.parametrize(
    "bad", [nn.AdaptiveAvgPool2d(6), nn.Flatten(), nn.Linear(3, 3), nn.Upsample(scale_factor=2)]
)
def test_unknown_layers_raise(bad):
    with pytest.raises(ValueError, match=type(bad).__name__):
        receptive_field([nn.Conv2d(1, 1, 3), bad])
    with pytest.raises(ValueError, match=type(bad).__name__):
        feature_size([nn.Conv2d(1, 1, 3), bad], (32, 32))


def test_non_square_raises():
    with pytest.raises(ValueError, match="not square"):
        receptive_field([nn.Conv2d(1, 1, (3, 5))])
    assert feature_size([nn.Conv2d(1, 1, (3, 5), stride=(1, 2))], (10, 20)) == (8, 8)


def test_feature_size_validation():
    with pytest.raises(ValueError, match="too small"):
        feature_size(zf5_release(), (20, 20))
    for bad in [(0, 5), (5, -1), (5.0, 5)]:
        with pytest.raises(ValueError, match="positive ints"):
            feature_size(zf5_release(), bad)


def _torch_hw(layers, hw):
    with torch.no_grad():
        return tuple(nn.Sequential(*layers)(torch.zeros(1, 1, *hw)).shape[-2:])


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_feature_size_matches_torch_pools(pool, ceil_mode):
    # sweep small cases, incl. the ceil_mode rule "last window starts inside input + left pad"
    for k in (1, 2, 3, 4):
        for s in (1, 2, 3):
            for p in range(k // 2 + 1):
                for n in range(max(1, k - 2 * p), 12):
                    layers = [pool(k, s, p, ceil_mode=ceil_mode)]
                    assert feature_size(layers, (n, n + 1)) == _torch_hw(layers, (n, n + 1)), (k, s, p, n)


def test_feature_size_matches_torch_stacks():
    stacks = [list(zf5_release()), list(zf5_paper()), alexnet_plain(),
              [nn.Conv2d(1, 1, 3, 2, 1, dilation=2), nn.MaxPool2d(2, 2, ceil_mode=True, dilation=2),
               nn.Conv2d(1, 1, 5, padding="same"), nn.Conv2d(1, 1, 3, padding="valid")]]
    for layers in stacks:
        for hw in [(224, 224), (180, 180), (227, 301), (97, 130)]:
            assert feature_size(layers, hw) == _torch_hw(layers, hw)


@pytest.mark.parametrize("make", [zf5_release, zf5_paper, alexnet_plain])
def test_receptive_field_matches_gradient_support(make):
    # slow obvious reference: with positive weights and average pools (same geometry as max),
    # the input gradient of one output cell is non-zero exactly on its receptive field
    layers = nn.Sequential(*make(pool=nn.AvgPool2d))
    for m in layers.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0)
            nn.init.zeros_(m.bias)
    g = receptive_field(layers)
    x = torch.ones(1, 1, 256, 256, requires_grad=True)
    out = layers(x)
    cy, cx = out.shape[-2] // 2, out.shape[-1] // 2
    out[0, 0, cy, cx].backward()
    rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
    cols = x.grad[0, 0].abs().sum(0).nonzero().flatten()
    x1, y1, x2, y2 = cell_box(cx, cy, g)
    assert (cols[0].item(), cols[-1].item()) == (x1, x2)
    assert (rows[0].item(), rows[-1].item()) == (y1, y2)
    assert cell_centre(cx, cy, g) == ((x1 + x2) / 2, (y1 + y2) / 2)


# ---------------------------------------------------------------------------
# projection: known answers

G0 = Geometry(16, 0.0, 139)
G20 = Geometry(16, 20.0, 139)


def test_projection_known_answers():
    box = (100, 100, 300, 300)
    assert project_window(box, G0, "paper") == (7, 7, 18, 18)
    assert project_window(box, G0, "fast-rcnn") == (6, 6, 19, 19)
    # release, o = 20: keeps centres 20 + 16c inside (98.5, 301.5) -> c = 5..17
    assert project_window(box, G20, "original") == (5, 5, 17, 17)
    # paper with the offset subtracted: centres strictly inside (100, 300) -> 6..17 (100 is not inside)
    assert project_window(box, G20, "paper") == (6, 6, 17, 17)
    assert project_window(box, G20) == project_window(box, G20, "paper")


def test_empty_range_collapses_to_middle():
    # paper: left = floor(100/16)+1 = 7, right = ceil(101/16)-1 = 6 -> floor(13/2) = 6
    assert project_window((100, 100, 101, 101), G0, "paper") == (6, 6, 6, 6)
    # o = 20: left = floor(81/16)+1 = 6, right = ceil(90/16)-1 = 5 -> floor(11/2) = 5
    assert project_window((101, 101, 110, 110), G20, "paper") == (5, 5, 5, 5)
    # original, x 100..105, o=20: left = floor(86.5/16 + .5) = 5, right = ceil(78.5/16 - .5) = 5
    assert project_window((100, 0, 105, 0), G20, "original")[0::2] == (5, 5)


def test_fast_rcnn_rounds_half_away_from_zero():
    # 8/16 = 0.5 -> 1 (banker's round gives 0), 40/16 = 2.5 -> 3, -8/16 = -0.5 -> -1
    assert project_window((8, 24, 40, 40), G0, "fast-rcnn") == (1, 2, 3, 3)
    assert project_window((-8, -40, 0, 0), G0, "fast-rcnn") == (-1, -3, 0, 0)
    assert project_windows(torch.tensor([[-8.0, -40, 8, 40]]), G0, "fast-rcnn").tolist() == [[-1, -3, 1, 3]]


def test_clamping_into_map():
    assert project_window((-500, -500, 5000, 5000), G0, "paper", map_hw=(10, 13)) == (0, 0, 12, 9)
    assert project_window((5000, 5000, 6000, 6000), G0, "fast-rcnn", map_hw=(10, 13)) == (12, 9, 12, 9)
    assert project_window((-900, -900, -800, -800), G20, "original", map_hw=(10, 13)) == (0, 0, 0, 0)


def release_1based(box1, o1, S, W, H):
    """The release's projection as written, 1-based pixels and cells (docs/rules.md)."""
    def axis(a, b, n):
        left = math.floor((a - o1 + 6.5) / S + 0.5) + 1
        right = math.ceil((b - o1 - 6.5) / S - 0.5) + 1
        if left > right:
            left = right = math.floor((left + right) / 2)
        return min(max(left, 1), n), min(max(right, 1), n)

    x1, y1, x2, y2 = box1
    (l, r), (t, b) = axis(x1, x2, W), axis(y1, y2, H)
    return l, t, r, b


def test_original_equals_release_1based():
    rng = np.random.default_rng(0)
    W, H = 40, 30
    for _ in range(3000):
        x1, y1 = rng.integers(-100, 700, 2)
        w, h = rng.integers(0, 400, 2)
        box = (float(x1), float(y1), float(x1 + w), float(y1 + h))
        ours = project_window(box, G20, "original", map_hw=(H, W))
        theirs = release_1based(tuple(v + 1 for v in box), 21, 16, W, H)
        assert tuple(c + 1 for c in ours) == theirs, box


def random_boxes(rng, k):
    """Tiny, negative, huge, integer, half-integer and tie-producing boxes, float64 [k, 4]."""
    x1 = np.concatenate([rng.uniform(-2000, 2000, k // 4), rng.integers(-300, 1500, k // 4).astype(float),
                         rng.integers(-100, 100, k // 4) * 8.0, rng.uniform(-1e6, 1e6, k - 3 * (k // 4))])
    y1 = rng.permutation(x1)
    w = np.concatenate([rng.uniform(0, 2, k // 4), rng.integers(0, 600, k // 4).astype(float),
                        rng.integers(0, 50, k // 4) * 8.0, rng.uniform(0, 1e7, k - 3 * (k // 4))])
    h = rng.permutation(w)
    return np.stack([x1, y1, x1 + w, y1 + h], 1)


@pytest.mark.parametrize("g", [G20, G0, Geometry(16, 15.0, 163), Geometry(12, 7.5, 71), Geometry(4, -3.0, 9)])
def test_vectorised_equals_scalar(g):
    rng = np.random.default_rng(g.stride)
    boxes = random_boxes(rng, 1200)
    for rule in PROJECTION_RULES:
        for map_hw in (None, (13, 17)):
            vec = project_windows(boxes, g, rule, map_hw)
            assert vec.dtype == torch.long and vec.shape == (len(boxes), 4)
            ref = [project_window(b, g, rule, map_hw) for b in boxes]
            assert vec.tolist() == [list(r) for r in ref], rule
    # tensor input (any float dtype) gives the same as the ndarray
    assert torch.equal(project_windows(torch.from_numpy(boxes), g), project_windows(boxes, g))
    assert project_windows(np.zeros((0, 4)), g).shape == (0, 4)


def test_fast_rcnn_matches_torchvision_roi_pool():
    # index-coded map: the max of x over the pooled region is its last column, of -x the first
    H, W = 12, 15
    ys, xs = torch.meshgrid(torch.arange(H * 1.0), torch.arange(W * 1.0), indexing="ij")
    fmap = torch.stack([xs, -xs, ys, -ys])[None]
    rng = np.random.default_rng(1)
    x1 = rng.integers(0, 4 * 16 * (W - 1), 500) / 4
    y1 = rng.integers(0, 4 * 16 * (H - 1), 500) / 4
    x2 = x1 + rng.integers(0, 4 * 16 * (W - 1), 500) / 4
    y2 = y1 + rng.integers(0, 4 * 16 * (H - 1), 500) / 4
    boxes = np.stack([x1, y1, np.minimum(x2, 16 * (W - 1)), np.minimum(y2, 16 * (H - 1))], 1)
    rois = torch.cat([torch.zeros(500, 1), torch.from_numpy(boxes).float()], 1)
    out = roi_pool(fmap, rois, output_size=1, spatial_scale=1 / 16)[:, :, 0, 0]
    ref = torch.stack([-out[:, 1], -out[:, 3], out[:, 0], out[:, 2]], 1).long()
    assert torch.equal(project_windows(boxes, G0, "fast-rcnn", map_hw=(H, W)), ref)


def test_projection_validation():
    with pytest.raises(ValueError, match="paper, original, fast-rcnn"):
        project_window((0, 0, 1, 1), G0, "round")
    with pytest.raises(ValueError, match="paper, original, fast-rcnn"):
        project_windows(np.zeros((1, 4)), G0, "roialign")
    for bad, msg in [((0, 0, math.nan, 1), "non-finite"), ((0, 0, math.inf, 1), "non-finite"),
                     ((5, 0, 4, 1), "x2 >= x1"), ((0, 5, 1, 4), "x2 >= x1"), ((0, 0, 1), "4 numbers"),
                     ((0, 0, 1, 1, 1), "4 numbers"), ("abcd", "4 numbers"), (None, "4 numbers")]:
        with pytest.raises(ValueError, match=msg):
            project_window(bad, G0)
    for bad, msg in [(np.zeros((3, 5)), r"\[K, 4\]"), (np.zeros(4), r"\[K, 4\]"),
                     (np.array([[0, 0, np.nan, 1]]), "non-finite"),
                     (np.array([[0, 0, 1, 1], [3, 0, 1, 1]]), r"boxes\[1\]")]:
        with pytest.raises(ValueError, match=msg):
            project_windows(bad, G0)
    for bad in [(0, 5), (5,), (5.5, 5), "ab"]:
        with pytest.raises(ValueError, match="map_hw"):
            project_window((0, 0, 1, 1), G0, map_hw=bad)
    with pytest.raises(ValueError, match="stride"):
        Geometry(0, 0.0, 1)


# ---------------------------------------------------------------------------
# projection: properties (quarter-pixel coordinates keep the float arithmetic exact)

quarter = st.integers(-16000, 16000).map(lambda v: v / 4)
extent = st.integers(0, 8000).map(lambda v: v / 4)
geometries = st.builds(Geometry, stride=st.sampled_from([4, 8, 12, 16, 32]),
                       offset=st.sampled_from([0.0, 7.5, 15.0, 20.0, -3.0]), size=st.just(99))
boxes_st = st.tuples(quarter, quarter, extent, extent).map(lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))
rules = st.sampled_from(PROJECTION_RULES)
maps = st.tuples(st.integers(1, 40), st.integers(1, 40))


@settings(max_examples=300, deadline=None)
@given(boxes_st, geometries, rules, maps)
def test_prop_ordered_and_inside_map(box, g, rule, map_hw):
    x0, y0, x1, y1 = project_window(box, g, rule)
    assert x0 <= x1 and y0 <= y1
    x0, y0, x1, y1 = project_window(box, g, rule, map_hw=map_hw)
    H, W = map_hw
    assert 0 <= x0 <= x1 <= W - 1 and 0 <= y0 <= y1 <= H - 1


@settings(max_examples=300, deadline=None)
@given(boxes_st, geometries)
def test_prop_paper_is_centres_strictly_inside(box, g):
    cells = project_window(box, g, "paper")
    for lo, hi, c0, c1 in [(box[0], box[2], cells[0], cells[2]), (box[1], box[3], cells[1], cells[3])]:
        # brute force: the cells whose centres lie strictly inside (lo, hi)
        first = math.floor((lo - g.offset) / g.stride) - 2
        candidates = range(first, first + int((hi - lo) / g.stride) + 6)
        inside = [c for c in candidates if lo < g.offset + g.stride * c < hi]
        if inside:
            assert (c0, c1) == (inside[0], inside[-1])
        else:
            assert c0 == c1


@settings(max_examples=300, deadline=None)
@given(boxes_st, st.integers(0, 40).map(lambda v: v / 4), st.integers(0, 40).map(lambda v: v / 4), geometries,
       st.sampled_from(["paper", "fast-rcnn"]))
def test_prop_growing_never_shrinks(box, dl, dr, g, rule):
    big = (box[0] - dl, box[1] - dr, box[2] + dr, box[3] + dl)
    a, b = project_window(box, g, rule), project_window(big, g, rule)
    for i in (0, 1):
        assert b[i + 2] - b[i] >= a[i + 2] - a[i]  # never fewer cells
        lo, hi = (box[i], box[i + 2])
        if rule == "fast-rcnn" or any(lo < g.offset + g.stride * c < hi for c in range(a[i], a[i + 2] + 1)):
            # ... and the old range is kept (unless it was collapsed to one cell)
            assert b[i] <= a[i] and b[i + 2] >= a[i + 2]


@settings(max_examples=300, deadline=None)
@given(boxes_st, geometries, rules)
def test_prop_translate_by_stride_shifts_one_cell(box, g, rule):
    if rule == "fast-rcnn":  # half away from zero is symmetric about 0, not shift-invariant: stay >= 0
        dx, dy = abs(box[0]) - box[0], abs(box[1]) - box[1]
        box = (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
    S = g.stride
    x1, y1, x2, y2 = box
    a = project_window(box, g, rule)
    assert project_window((x1 + S, y1, x2 + S, y2), g, rule) == (a[0] + 1, a[1], a[2] + 1, a[3])
    assert project_window((x1, y1 + S, x2, y2 + S), g, rule) == (a[0], a[1] + 1, a[2], a[3] + 1)


@settings(max_examples=300, deadline=None)
@given(boxes_st, st.sampled_from([0.0, 15.0, 20.0, 7.5]))
def test_prop_original_is_paper_widened_by_1_5_px(box, o):
    # for S = 16 the release constant 6.5 = 16/2 - 1.5: centres strictly inside the window widened by 1.5 px
    g = Geometry(16, o, 139)
    wide = (box[0] - 1.5, box[1] - 1.5, box[2] + 1.5, box[3] + 1.5)
    assert project_window(box, g, "original") == project_window(wide, g, "paper")


# ---------------------------------------------------------------------------
# back-projection


def test_back_projection():
    assert cell_centre(0, 0, G20) == (20.0, 20.0)
    assert cell_centre(3, 1, G20) == (68.0, 36.0)
    assert cell_box(0, 0, G20) == (-49.0, -49.0, 89.0, 89.0)
    x1, _, x2, _ = cell_box(2, 2, Geometry(16, 15.0, 163))
    assert x2 - x1 + 1 == 163
    boxes = cells_to_boxes(torch.tensor([[5, 5, 17, 17], [0, 1, 0, 2]]), G20)
    assert boxes.dtype == torch.float64
    assert boxes.tolist() == [[100.0, 100.0, 292.0, 292.0], [20.0, 36.0, 20.0, 52.0]]
    assert cells_to_boxes([[5, 5, 17, 17]], G20).tolist() == [[100.0, 100.0, 292.0, 292.0]]


# ---------------------------------------------------------------------------
# RoIAlign sample points


def bilinear(f, y, x):
    """torchvision roi_align's bilinear_interpolate (CPU kernel), in float64."""
    H, W = f.shape
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= H - 1:
        yl = yh = H - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= W - 1:
        xl = xh = W - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * f[yl, xl] + hy * lx * f[yl, xh] + ly * hx * f[yh, xl] + ly * lx * f[yh, xh]


@pytest.mark.parametrize("aligned", [True, False])
@pytest.mark.parametrize("sr", [2, 1, 0])
def test_roialign_samples_reproduce_roi_align(aligned, sr):
    rng = np.random.default_rng(sr + 10 * aligned)
    fmap = torch.from_numpy(rng.standard_normal((2, 9, 11)))  # float64 [C, H, W]
    S, n = 16, 3
    for _ in range(20):
        x1, y1 = rng.uniform(-40, 170, 2)
        w, h = rng.uniform(1, 120, 2)
        box = (x1, y1, x1 + w, y1 + h)
        pts, bins = roialign_samples(box, S, n, sampling_ratio=sr, aligned=aligned)
        assert pts.shape[:2] == (n, n) and pts.shape[-1] == 2 and bins.shape == (n, n, 4)
        if sr > 0:
            assert pts.shape == (n, n, sr, sr, 2)
        # every sample lies inside its bin
        b = bins[:, :, None, None]
        assert ((pts[..., 0] >= b[..., 0]) & (pts[..., 0] <= b[..., 2])).all()
        assert ((pts[..., 1] >= b[..., 1]) & (pts[..., 1] <= b[..., 3])).all()
        rois = torch.tensor([[0.0, *box]], dtype=torch.float64)
        ref = roi_align(fmap[None], rois, n, 1 / S, sr, aligned)[0]
        for c in range(fmap.shape[0]):
            f = fmap[c].numpy()
            mine = np.array([[np.mean([bilinear(f, y, x) for x, y in pts[i, j].reshape(-1, 2)])
                              for j in range(n)] for i in range(n)])
            np.testing.assert_allclose(mine, ref[c].numpy(), rtol=1e-9, atol=1e-12)


def test_roialign_samples_known_answer():
    # box 0..32 at stride 16 -> 0..2 cells; aligned shifts by -0.5; n = 2 bins of 1 cell, 2x2 samples each
    pts, bins = roialign_samples((0, 0, 32, 32), 16, 2, sampling_ratio=2, aligned=True)
    assert bins[0, 0].tolist() == [-0.5, -0.5, 0.5, 0.5]
    assert bins[1, 1].tolist() == [0.5, 0.5, 1.5, 1.5]
    assert pts[0, 1, :, :, 0].tolist() == [[0.75, 1.25], [0.75, 1.25]]  # x varies along the last grid axis
    assert pts[0, 1, :, :, 1].tolist() == [[-0.25, -0.25], [0.25, 0.25]]
    with pytest.raises(ValueError, match="n must be"):
        roialign_samples((0, 0, 32, 32), 16, 0)
