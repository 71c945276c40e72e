"""torchvision's ``roi_pool`` (Fast R-CNN's RoI pooling layer) next to sppviz's own rules, cell by cell.

What ``torchvision.ops.roi_pool`` does with a box in image pixels and ``spatial_scale = 1/S``
(``torchvision/csrc/ops/cpu/roi_pool_kernel.cpp``, T = float for float32 maps; the CUDA kernel has the
same arithmetic)::

    int roi_start_w = round(offset_rois[1] * spatial_scale);      // float32 product, C round
    int roi_end_w = round(offset_rois[3] * spatial_scale);
    int roi_width = std::max(roi_end_w - roi_start_w + 1, 1);
    T bin_size_w = static_cast<T>(roi_width) / static_cast<T>(pooled_width);
    int wstart = static_cast<int>(std::floor(static_cast<T>(pw) * bin_size_w));
    int wend = static_cast<int>(std::ceil(static_cast<T>(pw + 1) * bin_size_w));   // exclusive
    wstart = std::min(std::max(wstart + roi_start_w, 0), width);  // clip each bin to the map
    bool is_empty = (hend <= hstart) || (wend <= wstart);
    T maxval = is_empty ? 0 : -FLT_MAX;

It differs from sppviz's "fast-rcnn" projection + "adaptive" bins (exact integers, ``bins.bin_edges``) in
two ways (docs/rules.md):

1. Float32 bins, in another order than the release's MEX (``bins`` "release": fl(i/n)·a; here
   i·fl(a/n)). At levels 7, 11, 13, 14, 15 some widths a make the last bin end one cell PAST the RoI
   (a = 57 at n = 7, a = 29 at n = 11, a = 7 at n = 13, a = 241 at n = 15), so roi_pool reads a cell
   outside the window when the map has one; at n = 14 some interior bins move too. Levels 1..6 and
   8, 9, 10, 12, 16 never differ (every a <= 2048).
2. No clamping of the RoI: the n bins are laid over the unclamped RoI and each is clipped to the map;
   a bin entirely outside is empty and pools to 0. sppviz clamps the cells into the map first and lays
   all n bins over the clamped window, so no bin is ever empty.
Non-empty bins start their maximum at −FLT_MAX, so negative maxima are kept (unlike the release's MEX,
whose maxima start at 0).

Coordinates: boxes (x1, y1, x2, y2) in pixels of the image the map was computed on (0-based pixel
centres, inclusive); cells 0-based inclusive (cx0, cy0, cx1, cy1); bins absolute inclusive cell ranges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from sppviz.method import bins, geometry


def _c_round(v: np.float32) -> int:
    """C/C++ round() of a float: halves away from zero (exactly: v - floor(v) is exact)."""
    a = abs(float(v))
    r = math.floor(a)
    r += a - r >= 0.5
    return int(r if v >= 0 else -r)


def _check_box(box: Sequence[float]) -> tuple[np.float32, np.float32, np.float32, np.float32]:
    """(x1, y1, x2, y2) as float32 (what roi_pool reads), finite, x2 >= x1 and y2 >= y1."""
    try:
        vals = [float(v) for v in box]
    except (TypeError, ValueError):
        raise ValueError(f"box must be 4 numbers (x1, y1, x2, y2), got {box!r}") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals) or vals[2] < vals[0] or vals[3] < vals[1]:
        raise ValueError(f"box must be 4 finite numbers (x1, y1, x2, y2) with x2 >= x1, y2 >= y1, got {box!r}")
    x1, y1, x2, y2 = (np.float32(v) for v in vals)
    return x1, y1, x2, y2


def roi_pool_bin_edges(length: int, n: int) -> list[tuple[int, int]]:
    """torchvision roi_pool's bins of an n-bin level on a ``length``-cell RoI axis, relative to the RoI's
    first cell, inclusive, BEFORE clipping to the map: bin_size = fl(a/n), bin i = floor(fl(i·bin_size))
    .. ceil(fl((i+1)·bin_size)) − 1 (fl = float32 rounding). The last end can be ``length`` (one past)."""
    a = bins.check_positive_int(length, "length")
    n = bins.check_positive_int(n, "n")
    size = np.float32(a) / np.float32(n)
    i = np.arange(n + 1, dtype=np.float32)
    starts, ends = np.floor(i[:-1] * size).astype(np.int64), np.ceil(i[1:] * size).astype(np.int64) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


@dataclass(frozen=True)
class RoIPoolCells:
    """Which conv5 cells torchvision's roi_pool reads for one box and one n × n level, next to sppviz's
    exact version (the "fast-rcnn" projection, clamped, with adaptive bins).

    ``roi``: the RoI's cells (round(x·scale) in float32), NOT clamped: it may lie partly outside the map.
    ``bins_x`` / ``bins_y``: per bin, the absolute inclusive cells roi_pool reads after clipping to the map,
    or None when that bin is empty on that axis (the output there is 0).
    ``exact_cells``, ``exact_x``, ``exact_y``: sppviz's clamped cells and its adaptive bins (absolute).
    ``differs``: (axis "x" | "y", bin index, roi_pool's cells or None, the exact cells) wherever they differ.
    """

    n: int
    roi: tuple[int, int, int, int]
    bins_x: list[tuple[int, int] | None]
    bins_y: list[tuple[int, int] | None]
    exact_cells: tuple[int, int, int, int]
    exact_x: list[tuple[int, int]]
    exact_y: list[tuple[int, int]]
    differs: list[tuple[str, int, tuple[int, int] | None, tuple[int, int]]]

    @property
    def empty(self) -> np.ndarray:
        """bool [n, n] (row by, column bx): bins roi_pool leaves at 0 because they lie outside the map."""
        ey = np.array([b is None for b in self.bins_y])
        ex = np.array([b is None for b in self.bins_x])
        return ey[:, None] | ex[None, :]


def roi_pool_cells_read(box_on_image: Sequence[float], n: int, stride: int,
                        map_hw: tuple[int, int]) -> RoIPoolCells:
    """The cells torchvision's roi_pool reads for ``box_on_image`` (x1, y1, x2, y2, pixels of the image the
    map of size ``map_hw`` = (H, W) was computed on) with spatial_scale 1/stride and an n × n output; see
    RoIPoolCells and the module doc. Pure arithmetic: no map needed."""
    n = bins.check_positive_int(n, "n")
    stride = bins.check_positive_int(stride, "stride")
    x1, y1, x2, y2 = _check_box(box_on_image)
    try:
        h, w = (bins.check_positive_int(v, "map_hw") for v in map_hw)
    except (TypeError, ValueError):
        raise ValueError(f"map_hw must be two positive ints (H, W), got {map_hw!r}") from None
    scale = np.float32(1.0 / stride)  # the kernel's `const T spatial_scale`
    roi = tuple(_c_round(v * scale) for v in (x1, y1, x2, y2))
    exact = geometry.project_window([float(v) for v in (x1, y1, x2, y2)], geometry.Geometry(stride, 0.0, 1),
                                    "fast-rcnn", map_hw=(h, w))

    def axis(lo: int, hi: int, size: int, e0: int, e1: int, name: str):
        read = []
        for s, e in roi_pool_bin_edges(max(hi - lo + 1, 1), n):
            s, e = min(max(s + lo, 0), size), min(max(e + 1 + lo, 0), size)  # exclusive end, as the kernel
            read.append((s, e - 1) if e > s else None)
        exact_bins = [(e0 + s, e0 + e) for s, e in bins.bin_edges(e1 - e0 + 1, n)]
        diff = [(name, i, r, x) for i, (r, x) in enumerate(zip(read, exact_bins, strict=True)) if r != x]
        return read, exact_bins, diff

    bx, ex, dx = axis(roi[0], roi[2], w, exact[0], exact[2], "x")
    by, ey, dy = axis(roi[1], roi[3], h, exact[1], exact[3], "y")
    return RoIPoolCells(n, roi, bx, by, exact, ex, ey, dx + dy)


def torchvision_roi_pool(fmap: torch.Tensor, box_on_image: Sequence[float], n: int,
                         stride: int) -> tuple[torch.Tensor, RoIPoolCells]:
    """torchvision's real roi_pool of one box: fmap [C, H, W] (float), box (x1, y1, x2, y2) in pixels of the
    image the map was computed on, n × n output, spatial_scale 1/stride. Returns (values [C, n, n] float32
    on the CPU, exactly what ``torchvision.ops.roi_pool`` gives, and the RoIPoolCells it read)."""
    from torchvision.ops import roi_pool

    if not (isinstance(fmap, torch.Tensor) and fmap.dim() == 3 and fmap.is_floating_point()):
        raise ValueError("fmap must be a float tensor [C, H, W]")
    cells = roi_pool_cells_read(box_on_image, n, stride, tuple(fmap.shape[1:]))
    box = torch.tensor([[0.0, *(float(v) for v in _check_box(box_on_image))]], dtype=torch.float32)
    values = roi_pool(fmap.detach().float().cpu()[None], box, (n, n), 1.0 / stride)[0]
    return values, cells
