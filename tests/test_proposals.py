"""Tests for sppviz.method.proposals: selective search, grid windows, user-box validation."""

import functools

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sppviz.method.proposals import MAX_WINDOWS, grid_windows, selective_search, validate_boxes

# Solid rectangles (x1, y1, x2, y2, inclusive pixels) on a noisy grey background, 400 x 300.
RECTS = np.array([[40, 30, 159, 119], [220, 150, 369, 279], [30, 170, 119, 269]], dtype=np.float64)
COLOURS = [(220, 30, 30), (30, 200, 40), (20, 40, 210)]


def _scene(w=400, h=300, rects=RECTS, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(90, 160, (h, w, 3), dtype=np.uint8)
    for (x1, y1, x2, y2), c in zip(rects.astype(int), COLOURS, strict=False):
        img[y1:y2 + 1, x1:x2 + 1] = c
    return img


@functools.cache
def _search(kind):
    """Selective search results shared between tests (each call takes ~0.5 s on 2 cores)."""
    if kind == "small":
        return selective_search(_scene())
    if kind == "small-again":
        return selective_search(_scene())
    # 1000 x 700 image = the 500 x 350 scene upscaled 2x, searched on a 500-px copy
    small = _scene(500, 350)
    big = np.ascontiguousarray(np.kron(small, np.ones((2, 2, 1), np.uint8)))
    if kind == "big":
        return selective_search(big, max_side=500, min_size=16, max_windows=MAX_WINDOWS)
    return selective_search(small, max_side=500, min_size=8, max_windows=MAX_WINDOWS)


def iou(a, b):
    """IoU of inclusive-pixel boxes a [N,4] and b [M,4] -> [N,M] (width = x2 - x1 + 1)."""
    a, b = np.asarray(a, float)[:, None], np.asarray(b, float)[None]
    iw = (np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]) + 1).clip(0)
    ih = (np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]) + 1).clip(0)
    area = lambda z: (z[..., 2] - z[..., 0] + 1) * (z[..., 3] - z[..., 1] + 1)  # noqa: E731
    inter = iw * ih
    return inter / (area(a) + area(b) - inter)


def _check_windows(boxes, w, h, min_size, cap):
    assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
    assert 0 < len(boxes) <= cap
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 1] >= 0).all()
    assert (boxes[:, 2] <= w - 1).all() and (boxes[:, 3] <= h - 1).all()
    assert (boxes[:, 2] - boxes[:, 0] + 1 >= min_size).all()
    assert (boxes[:, 3] - boxes[:, 1] + 1 >= min_size).all()
    assert np.array_equal(boxes, np.round(boxes))
    assert len(np.unique(boxes, axis=0)) == len(boxes)


# --- selective search ------------------------------------------------------------------------------


def test_selective_search_finds_the_rectangles():
    boxes = _search("small")
    _check_windows(boxes, 400, 300, min_size=16, cap=2000)
    assert (iou(RECTS, boxes).max(axis=1) >= 0.7).all()


def test_selective_search_is_deterministic():
    assert np.array_equal(_search("small"), _search("small-again"))


def test_selective_search_seed_changes_only_the_order():
    other = selective_search(_scene(), seed=7)
    boxes = _search("small")
    assert not np.array_equal(other, boxes)
    assert np.array_equal(np.unique(other, axis=0), np.unique(boxes, axis=0))


def test_selective_search_cap_keeps_opencv_order():
    boxes = _search("small")
    capped = selective_search(_scene(), max_windows=10)
    assert np.array_equal(capped, boxes[:10])


def test_selective_search_maps_back_from_downscaled_copy():
    # The 1000 x 700 image is searched on a 500 x 350 copy that equals the original scene exactly
    # (2x2 pixel blocks averaged), so each window x..x+w-1 of the copy must come back as the original
    # pixels 2x .. 2(x+w)-1, i.e. (x1, y1, x2, y2) -> (2 x1, 2 y1, 2 x2 + 1, 2 y2 + 1).
    big, small = _search("big"), _search("small-500")
    _check_windows(big, 1000, 700, min_size=16, cap=MAX_WINDOWS)
    assert np.array_equal(big, small * 2 + np.array([0, 0, 1, 1], np.float32))
    rects_big = RECTS * 2 + np.array([0, 0, 1, 1])
    assert (iou(rects_big, big).max(axis=1) >= 0.7).all()


def test_selective_search_never_upscales_and_restores_threads():
    img = _scene(120, 90, rects=RECTS[:1] / 4, seed=1)
    before = cv2.getNumThreads()
    boxes = selective_search(img, max_side=500, min_size=4)
    assert cv2.getNumThreads() == before
    _check_windows(boxes, 120, 90, min_size=4, cap=2000)


def test_selective_search_bad_arguments():
    img = _scene(64, 48)
    for kwargs, msg in [
        ({"mode": "slow"}, "mode"),
        ({"max_windows": MAX_WINDOWS + 1}, "max_windows"),
        ({"max_windows": 0}, "max_windows"),
        ({"min_size": 0}, "min_size"),
        ({"max_side": 2.5}, "max_side"),
        ({"num_threads": 0}, "num_threads"),
    ]:
        with pytest.raises(ValueError, match=msg):
            selective_search(img, **kwargs)
    for bad in (img.astype(np.float32), img[:, :, 0], img.tolist()):
        with pytest.raises(ValueError, match="uint8|ndarray"):
            selective_search(bad)


# --- grid ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wh", [(400, 300), (97, 61), (50, 300)])
def test_grid_covers_the_image(wh):
    w, h = wh
    boxes = grid_windows(wh)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= w - 1).all() and (boxes[:, 3] <= h - 1).all()
    assert len(np.unique(boxes, axis=0)) == len(boxes)
    for size in (64, 128, 256):  # every scale on its own covers every pixel
        covered = np.zeros((h, w), bool)
        for x1, y1, x2, y2 in grid_windows(wh, sizes=(size,), aspect_ratios=(1.0,)).astype(int):
            covered[y1:y2 + 1, x1:x2 + 1] = True
        assert covered.all()


def test_grid_window_shapes_and_cap():
    boxes = grid_windows((1000, 1000), sizes=(100,), aspect_ratios=(0.5, 2.0), stride_frac=1.0)
    widths, heights = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    assert set(zip(widths.tolist(), heights.tolist(), strict=True)) == {(141, 71), (71, 141)}
    many = grid_windows((2000, 2000), sizes=(32, 256), stride_frac=0.25, max_windows=500)
    assert len(many) == 500
    assert (many[:, 2] - many[:, 0] + 1 >= 256 * 0.7).any()  # large windows survive the cap
    with pytest.raises(ValueError, match="stride_frac"):
        grid_windows((100, 100), stride_frac=0)
    with pytest.raises(ValueError, match="img_wh"):
        grid_windows((100, 0))


# --- validate_boxes --------------------------------------------------------------------------------


def test_validate_boxes_accepts_and_clips():
    out = validate_boxes([[-10, 5, 50, 400], [0, 0, 99, 79]], (100, 80))
    assert out.dtype == np.float32
    assert out.tolist() == [[0, 5, 50, 79], [0, 0, 99, 79]]
    assert validate_boxes((1, 2, 3, 4), (100, 80)).shape == (1, 4)  # a single box
    assert validate_boxes(np.zeros((0, 4)), (100, 80)).shape == (0, 4)
    assert validate_boxes([5, 5, 5, 5], (10, 10)).tolist() == [[5, 5, 5, 5]]  # one pixel


@pytest.mark.parametrize(
    "boxes,msg",
    [
        ([1, 2, 3], r"shape \[K, 4\]"),
        ([[1, 2, 3, 4, 5]], r"shape \[K, 4\]"),
        (np.zeros((2, 2, 4)), r"shape \[K, 4\]"),
        ([["a", 1, 2, 3]], "numbers"),
        ([[0, 0, 10, 10], [0, np.nan, 5, 5]], r"box 1 .*NaN or infinity"),
        ([[0, 0, np.inf, 5]], "NaN or infinity"),
        ([[10, 0, 5, 5]], r"box 0 \(x1=10, y1=0, x2=5, y2=5\) is inverted"),
        ([[0, 9, 5, 5]], "inverted"),
        ([[100, 0, 120, 10]], "entirely outside the 100x80 image"),
        ([[-20, -20, -1, 10]], "entirely outside"),
        ([[0.2, 0, 0.8, 5]], "degenerate"),
        (np.zeros((MAX_WINDOWS + 1, 4)), "too many boxes"),
    ],
)
def test_validate_boxes_errors(boxes, msg):
    with pytest.raises(ValueError, match=msg):
        validate_boxes(boxes, (100, 80))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-50, 150, allow_nan=False), min_size=4, max_size=4))
def test_validate_boxes_property(v):
    x1, y1, x2, y2 = min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])
    try:
        out = validate_boxes([x1, y1, x2, y2], (100, 80))[0]
    except ValueError:
        # only rejected when it covers no pixel centre of the image
        xs = np.arange(100)[(np.arange(100) >= x1) & (np.arange(100) <= x2)]
        ys = np.arange(80)[(np.arange(80) >= y1) & (np.arange(80) <= y2)]
        assert len(xs) == 0 or len(ys) == 0
        return
    assert 0 <= out[0] <= out[2] <= 99 and 0 <= out[1] <= out[3] <= 79
    assert out[0] >= np.float32(x1) - 1e-4 and out[2] <= np.float32(x2) + 1e-4
