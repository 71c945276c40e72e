"""Tests for sppviz.method.roipool: the emulation of torchvision's roi_pool (float32 bins, no clamping)
against the real torchvision op, and where it differs from sppviz's exact adaptive bins."""

import numpy as np
import pytest
import torch

from sppviz.method import bins, roipool


def test_roi_pool_bin_edges_known_answers():
    assert roipool.roi_pool_bin_edges(57, 7)[-1] == (48, 57)  # one past the 57-cell RoI
    assert bins.bin_edges(57, 7)[-1] == (48, 56)
    assert roipool.roi_pool_bin_edges(29, 11)[-1][1] == 29 and roipool.roi_pool_bin_edges(7, 13)[-1][1] == 7
    assert roipool.roi_pool_bin_edges(13, 6) == bins.bin_edges(13, 6)


def test_levels_where_roi_pool_differs_from_exact_bins():
    """For every a <= 2048: levels 7, 11, 13, 14, 15 differ for some widths, the others never; wherever
    the last bin differs it ends one cell past the RoI."""
    differ = set()
    for n in range(1, 17):
        for a in range(1, 2049):
            tv, exact = roipool.roi_pool_bin_edges(a, n), bins.bin_edges(a, n)
            if tv != exact:
                differ.add(n)
                assert tv[-1] == exact[-1] or tv[-1][1] == a, (a, n)
    assert differ == {7, 11, 13, 14, 15}


def test_emulation_predicts_the_real_roi_pool():
    """On random boxes, partly outside the map too, every output of torchvision's roi_pool is the max over
    the cells roi_pool_cells_read says it reads (0 for the bins it calls empty), and its argmax lies there."""
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    h, w, stride = 9, 14, 16
    fmap = torch.randn(3, h, w, generator=gen)
    checked = empty_seen = 0
    for _ in range(300):
        x1, y1 = rng.uniform(-120, w * stride + 40, 2)
        bw, bh = rng.uniform(0, 400, 2)
        box = (float(x1), float(y1), float(x1 + bw), float(y1 + bh))
        n = int(rng.choice([1, 2, 3, 6, 7, 11, 13, 14]))
        values, cells = roipool.torchvision_roi_pool(fmap, box, n, stride)
        _, arg = torch.ops.torchvision.roi_pool(fmap[None], torch.tensor([[0.0, *box]]), 1.0 / stride, n, n)
        for by, ry in enumerate(cells.bins_y):
            for bx, rx in enumerate(cells.bins_x):
                got = values[:, by, bx]
                if ry is None or rx is None:
                    assert cells.empty[by, bx] and torch.equal(got, torch.zeros(3))
                    empty_seen += 1
                    continue
                region = fmap[:, ry[0]:ry[1] + 1, rx[0]:rx[1] + 1].reshape(3, -1)
                assert torch.equal(got, region.amax(1)), (box, n, by, bx)
                a = arg[0, :, by, bx]
                assert bool(((a // w >= ry[0]) & (a // w <= ry[1]) & (a % w >= rx[0]) & (a % w <= rx[1])).all())
                checked += 1
    assert checked > 1000 and empty_seen > 20


def test_differences_name_float32_overshoot_and_unclamped_bins():
    # 57-cell RoI at n = 7: roi_pool's last bin reads cell 57, outside the window (the map has it)
    c = roipool.roi_pool_cells_read((0, 0, 56 * 16, 15), 7, 16, (5, 70))
    assert c.roi == (0, 0, 56, 1) and c.bins_x[-1] == (48, 57) and c.exact_x[-1] == (48, 56)
    assert c.differs == [("x", 6, (48, 57), (48, 56))]
    # a box hanging off the map: roi_pool bins the unclamped RoI (empty bins -> 0), sppviz clamps first
    c = roipool.roi_pool_cells_read((-400, 0, 150, 15), 3, 16, (5, 12))
    assert c.roi[0] == -25 and c.bins_x[0] is None and bool(c.empty[:, 0].all())
    assert c.exact_cells[0] == 0 and c.exact_x == [(0, 3), (3, 6), (6, 9)]
    assert ("x", 0, None, (0, 3)) in c.differs
    fmap = -torch.ones(2, 5, 12)  # negative map: empty bins give 0, read bins keep the negative max
    values, _ = roipool.torchvision_roi_pool(fmap, (-400, 0, 150, 15), 3, 16)
    assert values[:, :, 0].eq(0).all() and values[:, :, 2].eq(-1).all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="box"):
        roipool.roi_pool_cells_read((5, 0, 1, 3), 3, 16, (4, 4))
    with pytest.raises(ValueError, match="map_hw"):
        roipool.roi_pool_cells_read((0, 0, 1, 3), 3, 16, (4,))
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        roipool.torchvision_roi_pool(torch.zeros(4, 4), (0, 0, 1, 1), 2, 16)
