import math

import cv2
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sppviz.method.pyramid import (
    BOX_SCALING_RULES,
    PAPER_SCALES,
    RELEASE_SCALES,
    SCALE_RULES,
    SINGLE_SCALE,
    box_factor,
    matlab_round,
    resize_image,
    scale_boxes,
    scale_boxes_by_rule,
    scale_boxes_release,
    scale_factor,
    scale_scores,
    scaled_areas,
    scaled_size,
    select_scale,
    select_scales,
)


def test_constants():
    assert PAPER_SCALES == (480, 576, 688, 864, 1200)
    assert RELEASE_SCALES == (480, 576, 688, 874, 1200)
    assert SINGLE_SCALE == 688 and SCALE_RULES == ("paper", "original")


def test_scaled_size():
    assert scaled_size(500, 375, 688) == (917, 688)  # 500·688/375 = 917.33
    assert scaled_size(375, 500, 688) == (688, 917)
    assert scaled_size(640, 480, 600) == (800, 600)
    assert scaled_size(3, 2, 3) == (5, 3)  # 4.5 rounds half up
    assert scaled_size(2, 3, 3) == (3, 5)
    assert scaled_size(100, 100, 50) == (50, 50)
    assert scale_factor(500, 375, 750) == 2.0
    for bad in [(0, 5, 10), (5, -1, 10), (5, 5, 0), (5.0, 5, 10), (5, 5, 10.5), (True, 5, 10)]:
        with pytest.raises(ValueError, match="positive int"):
            scaled_size(*bad)
        with pytest.raises(ValueError, match="positive int"):
            scale_factor(*bad)


def test_resize_image():
    img = np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8)
    out = resize_image(img, 480)
    assert out.shape == (480, 640, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, cv2.resize(img, (640, 480), interpolation=cv2.INTER_LINEAR))
    same = resize_image(img, 375)
    assert same.shape == img.shape and np.array_equal(same, img) and same is not img
    for bad in [img.astype(np.float32), img[..., 0], img[..., :2], img.tolist()]:
        with pytest.raises(ValueError, match="uint8 HxWx3"):
            resize_image(bad, 480)


def test_scale_boxes():
    boxes = np.array([[10.0, 20.0, 30.0, 40.0]])
    np.testing.assert_array_equal(scale_boxes(boxes, 2.0), [[20, 40, 60, 80]])
    t = scale_boxes(torch.tensor([[10.0, 20.0, 30.0, 40.0]]), 0.5)
    assert isinstance(t, torch.Tensor) and t.tolist() == [[5, 10, 15, 20]]
    with pytest.raises(ValueError, match="factor"):
        scale_boxes(boxes, 0.0)


def test_scale_boxes_release_is_endpoint_preserving():
    min_side, s = 375, 688
    out = scale_boxes_release(np.array([[0.0, 0.0, min_side - 1, min_side - 1]]), min_side, s)
    np.testing.assert_allclose(out, [[0, 0, s - 1, s - 1]])
    # equals the release's 1-based formula (x - 1)(s - 1)/(min_side - 1) + 1 after x1 = x0 + 1
    x = np.random.default_rng(0).uniform(0, 500, (50, 4))
    ref = (x + 1 - 1) * (s - 1) / (min_side - 1) + 1 - 1
    np.testing.assert_allclose(scale_boxes_release(x, min_side, s), ref)
    with pytest.raises(ValueError, match="min_side"):
        scale_boxes_release(x, 1, s)


def test_box_scaling_rules():
    assert BOX_SCALING_RULES == ("fast-rcnn", "release")
    box = np.array([222.0, 179.0, 495.0, 189.0])
    fast = scale_boxes_by_rule(box, (500, 375), 576, "fast-rcnn")
    np.testing.assert_array_equal(fast, box * (576 / 375))  # unchanged behaviour: box · s / min_side
    np.testing.assert_array_equal(scale_boxes_by_rule(box, (500, 375), 576), fast)  # the default
    rel = scale_boxes_by_rule(box, (500, 375), 576, "release")
    np.testing.assert_array_equal(rel, box * 575 / 374)  # (x·(s − 1))/(m − 1), the .m file's order
    ones = (box + 1 - 1) * (576 - 1) / (375 - 1) + 1  # spp_features_convX_to_poolX.m, 1-based
    np.testing.assert_array_equal(rel + 1, ones)
    assert box_factor((500, 375), 576, "release") == 575 / 374 and box_factor((375, 500), 576) == 576 / 375
    t = scale_boxes_by_rule(torch.tensor([[0.0, 0.0, 374.0, 499.0]]), (375, 500), 688, "release")
    assert t.dtype == torch.float64 and t.tolist() == [[0.0, 0.0, 687.0, 499 * 687 / 374]]
    t32 = scale_boxes_by_rule(torch.tensor([[10.0, 20.0, 30.0, 40.0]]), (100, 200), 50, "fast-rcnn")
    assert t32.dtype == torch.float32 and t32.tolist() == [[5, 10, 15, 20]]
    for bad in ("paper", "Release", None):
        with pytest.raises(ValueError, match="fast-rcnn, release"):
            scale_boxes_by_rule(box, (500, 375), 576, bad)
    with pytest.raises(ValueError, match="min_side - 1"):
        scale_boxes_by_rule(box, (1, 375), 576, "release")
    with pytest.raises(ValueError, match="image_wh"):
        box_factor(500, 576)


def test_matlab_round_is_half_away_from_zero_exactly():
    v = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, 2.4999999999999996, 3.0, -3.2])
    np.testing.assert_array_equal(matlab_round(v), [1, 2, 3, -1, -3, 0, 2, 3, -3])


def test_paper_rule_known_answers():
    # a 224 x 224 window in an image with min side 688 has exactly 224² pixels at s = 688
    box = (100, 50, 323, 273)
    scores = scale_scores(box, (1000, 688), PAPER_SCALES, "paper")
    assert scores[2] == 0.0 and select_scale(box, (1000, 688), PAPER_SCALES) == 2
    # 100 x 100 in a 500 x 375 image: area·(s/375)² = 53084.16 at 864 (|.| = 2908.16), 33661.4 at 688
    box = (0, 0, 99, 99)
    areas = scaled_areas(box, (500, 375), PAPER_SCALES)
    np.testing.assert_allclose(areas, [1e4 * (s / 375) ** 2 for s in PAPER_SCALES])
    np.testing.assert_allclose(scale_scores(box, (500, 375), PAPER_SCALES, "paper"), np.abs(areas - 224**2))
    assert select_scale(box, (500, 375), PAPER_SCALES, "paper") == 3


def test_original_rule_known_answers():
    # 208 x 208 window, min side 870: expected = round(208·870/208) = 870
    box, wh = (0, 0, 207, 207), (1000, 870)
    np.testing.assert_array_equal(scale_scores(box, wh, RELEASE_SCALES, "original"), [390, 294, 182, 4, 330])
    assert RELEASE_SCALES[select_scale(box, wh, RELEASE_SCALES, "original")] == 874
    assert PAPER_SCALES[select_scale(box, wh, PAPER_SCALES, "original")] == 864
    # expected 528 is halfway between 480 and 576: ties go to the first
    assert select_scale((0, 0, 207, 207), (600, 528), PAPER_SCALES, "original") == 0
    # expected = round(208·500/√(150·151)) = round(691.2...) = 691 -> 688
    assert select_scale((0, 0, 149, 150), (500, 700), PAPER_SCALES, "original") == 2
    assert math.floor(208 * 500 / math.sqrt(150 * 151) + 0.5) == 691


def test_ties_go_to_first():
    assert select_scale((0, 0, 9, 9), (100, 100), (480, 480, 480), "paper") == 0
    assert select_scales(np.array([[0, 0, 9, 9]]), (100, 100), (600, 600), "original").tolist() == [0]


@pytest.mark.parametrize("rule", SCALE_RULES)
@pytest.mark.parametrize("scales", [PAPER_SCALES, RELEASE_SCALES, (688,), (1200, 480, 700)])
def test_vectorised_equals_scalar(rule, scales):
    rng = np.random.default_rng(len(scales))
    wh = (700, 523)
    x1, y1 = rng.uniform(-50, 700, 2000), rng.uniform(-50, 520, 2000)
    w = np.concatenate([rng.uniform(0, 3, 500), rng.integers(0, 700, 1000), rng.uniform(0, 2000, 500)])
    h = rng.permutation(w)
    boxes = np.stack([x1, y1, x1 + w, y1 + h], 1)
    vec = select_scales(boxes, wh, scales, rule)
    assert vec.dtype == torch.long and vec.shape == (2000,)
    assert vec.tolist() == [select_scale(b, wh, scales, rule) for b in boxes]
    assert torch.equal(select_scales(torch.from_numpy(boxes), wh, scales, rule), vec)
    assert select_scales(np.zeros((0, 4)), wh, scales, rule).shape == (0,)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2000), st.integers(0, 1500), st.integers(0, 1500), st.integers(0, 300),
       st.sampled_from(SCALE_RULES))
def test_prop_bigger_windows_never_pick_a_bigger_scale(min_side, w, h, grow, rule):
    # with ascending scales, a window that grows is pooled at the same or a smaller scale
    a = select_scale((0, 0, w, h), (min_side, min_side + 7), PAPER_SCALES, rule)
    b = select_scale((0, 0, w + grow, h + grow), (min_side, min_side + 7), PAPER_SCALES, rule)
    assert b <= a


def test_validation():
    box, wh = (0, 0, 10, 10), (100, 80)
    with pytest.raises(ValueError, match="paper, original"):
        scale_scores(box, wh, PAPER_SCALES, "closest")
    with pytest.raises(ValueError, match="paper, original"):
        select_scales(np.zeros((1, 4)), wh, PAPER_SCALES, "closest")
    for bad, msg in [((0, 0, math.nan, 1), "non-finite"), ((0, 0, math.inf, 1), "non-finite"),
                     ((5, 0, 4, 1), "x2 >= x1"), ((0, 0, 1), "4 numbers"), (None, "4 numbers")]:
        with pytest.raises(ValueError, match=msg):
            select_scale(bad, wh, PAPER_SCALES)
    with pytest.raises(ValueError, match="empty"):
        select_scale(box, wh, ())
    with pytest.raises(ValueError, match="scale"):
        select_scale(box, wh, (480, -1))
    for bad_wh in [(0, 10), (10,), None, (10.5, 10)]:
        with pytest.raises(ValueError, match="image"):
            scaled_areas(box, bad_wh, PAPER_SCALES)
    for bad, msg in [(np.zeros((2, 3)), r"\[K, 4\]"), (np.array([[0, 0, np.inf, 1]]), "non-finite"),
                     (np.array([[0, 0, 1, 1], [0, 3, 1, 1]]), r"boxes\[1\]")]:
        with pytest.raises(ValueError, match=msg):
            select_scales(bad, wh, PAPER_SCALES)
