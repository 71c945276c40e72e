"""The recall benchmark's overlap measure is the detector's IoU of inclusive pixel boxes."""

import numpy as np
import torch

from sppviz.model import synthetic
from sppviz.model.detector import box_iou
from sppviz.tools.bench_proposals import best_overlaps, iou_inclusive, scene_seeds


def test_iou_of_inclusive_boxes_matches_the_detector():
    rng = np.random.default_rng(0)
    xy = rng.integers(0, 200, (30, 2))
    a = np.concatenate([xy, xy + rng.integers(0, 80, (30, 2))], 1).astype(np.float64)
    b = np.roll(a, 3, axis=0) + rng.integers(-10, 10, (30, 4))
    b[:, 2:] = np.maximum(b[:, 2:], b[:, :2])
    want = box_iou(torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)).numpy()
    assert np.allclose(iou_inclusive(a, b), want, atol=1e-5)
    assert iou_inclusive([[0, 0, 9, 9]], [[0, 0, 9, 9]])[0, 0] == 1.0
    assert iou_inclusive([[0, 0, 9, 9]], [[10, 0, 19, 9]])[0, 0] == 0.0  # adjacent, not overlapping
    assert iou_inclusive([[0, 0, 9, 9]], [[5, 0, 14, 9]])[0, 0] == 50 / 150


def test_best_overlaps_and_seeds():
    gt = np.array([[0, 0, 9, 9], [50, 50, 59, 59]], np.float64)
    assert best_overlaps(gt, np.zeros((0, 4))).tolist() == [0.0, 0.0]
    assert best_overlaps(gt, np.array([[0, 0, 9, 9], [5, 0, 14, 9]])).tolist() == [1.0, 0.0]
    seeds = scene_seeds(3)
    assert len(set(seeds)) == 3 and min(seeds) >= synthetic.EVAL_SEED_BASE  # never training seeds
