"""Two ways to use an image pyramid per window: one best scale (the paper) or all scales combined.

Paper §4.1: conv5 is computed once per scale s ∈ S on the whole image. The paper notes that the
features of all scales *could* be combined by pooling them channel by channel, "but we empirically
find that another strategy provides better results": each window is pooled at the **one** scale
whose scaled window is closest to 224² pixels (``pyramid.select_scales``). This module computes both so they
can be compared:

- **best**: ``v = SPP(F_{s*}, w)`` with ``s* = argmin_s |area(w)·f_s² − 224²|`` (the detector's path);
- **max over scales**: ``v_j = max_s SPP(F_s, w)_j`` — the window projected onto every scale's conv5
  map, pooled there, and the vectors combined element by element (each element is one channel's
  maximum in one bin, so this is the channel-by-channel max over the stacked maps' bins).

Shapes and conventions: windows [K, 4] are (x1, y1, x2, y2) original-image pixels (``sppviz/__init__``);
``feats`` is the list of per-scale conv5 maps (``detector.ScaleFeatures``, fmap [C, h, w]); vectors
are [K, D] with D = C·Σn² in the release layout (``pooling.spatial_pyramid_pool``). Every function loops
over scales (at most ``pyramid.MAX_SCALES``), never over windows. ``box_scaling`` names how a window is scaled
into each scale's image (``pyramid.BOX_SCALING_RULES``; default "fast-rcnn", box·s/min_side).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from sppviz.method import bins, geometry, pooling, pyramid

COMBINE_RULES = ("best", "max")  # one best scale per window (paper) / element-wise max over all scales


def _windows(windows) -> torch.Tensor:
    return torch.as_tensor(np.asarray(windows, dtype=np.float32)).reshape(-1, 4)


def _scale(windows: torch.Tensor, f, box_scaling: str) -> torch.Tensor:
    """Windows into the pixels of scale ``f`` by the named rule (``detector.scale_windows``, restated here:
    sppviz.method does not import sppviz.model)."""
    if box_scaling == "fast-rcnn":
        return pyramid.scale_boxes(windows, f.factor)
    return pyramid.scale_boxes_release(windows, int(round(f.scale / f.factor)), f.scale)


def cells_at_every_scale(feats: Sequence, windows: np.ndarray | torch.Tensor, geom: geometry.Geometry,
                         projection: str = "paper", box_scaling: str = "fast-rcnn") -> torch.Tensor:
    """Inclusive conv5 cells of every window at every scale: LongTensor [S, K, 4] (cx0, cy0, cx1, cy1),
    each clamped into that scale's map (``geometry.project_windows``), the window scaled by ``box_scaling``."""
    pyramid.check_box_scaling(box_scaling)
    w = _windows(windows)
    out = torch.zeros((len(feats), len(w), 4), dtype=torch.long)
    for i, f in enumerate(feats):  # a loop over scales, never over windows
        h, wd = f.fmap.shape[1:]
        out[i] = geometry.project_windows(_scale(w, f, box_scaling), geom, projection, map_hw=(h, wd))
    return out


def pool_at_every_scale(feats: Sequence, windows: np.ndarray | torch.Tensor, geom: geometry.Geometry,
                        levels: Sequence[int] = bins.DETECTION_LEVELS, projection: str = "paper",
                        bin_rule: str = "adaptive", box_scaling: str = "fast-rcnn") -> torch.Tensor:
    """SPP vectors of every window at every scale: [S, K, D] on the maps' device (S·K·D floats: for
    many windows prefer :func:`max_over_scales_vectors`, which keeps one scale at a time)."""
    cells = cells_at_every_scale(feats, windows, geom, projection, box_scaling)
    return torch.stack([pooling.spatial_pyramid_pool(f.fmap, cells[i].to(f.fmap.device), levels, bin_rule)
                        for i, f in enumerate(feats)])


def best_scale_vectors(per_scale: torch.Tensor, scale_index: torch.Tensor | Sequence[int]) -> torch.Tensor:
    """[S, K, D] and the chosen scale per window [K] → [K, D] (row k taken from scale ``scale_index[k]``)."""
    idx = torch.as_tensor(scale_index, dtype=torch.long, device=per_scale.device).reshape(-1)
    if per_scale.ndim != 3 or len(idx) != per_scale.shape[1]:
        raise ValueError(f"per_scale must be [S, K, D] with K = len(scale_index), got {tuple(per_scale.shape)} "
                         f"and {len(idx)} indices")
    if len(idx) and not (0 <= int(idx.min()) and int(idx.max()) < per_scale.shape[0]):
        raise ValueError(f"scale indices must lie in 0..{per_scale.shape[0] - 1}")
    return per_scale[idx, torch.arange(len(idx), device=per_scale.device)]


def max_over_scales(per_scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[S, K, D] → (element-wise max over scales [K, D], index of the scale it came from [K, D];
    the smallest scale index on ties)."""
    if per_scale.ndim != 3 or per_scale.shape[0] == 0:
        raise ValueError(f"per_scale must be [S, K, D] with S >= 1, got {tuple(per_scale.shape)}")
    best = per_scale[0].clone()
    src = torch.zeros(best.shape, dtype=torch.long, device=per_scale.device)
    for i in range(1, per_scale.shape[0]):  # strictly greater: ties keep the earlier scale
        gt = per_scale[i] > best
        best = torch.where(gt, per_scale[i], best)
        src[gt] = i
    return best, src


def max_over_scales_vectors(feats: Sequence, windows: np.ndarray | torch.Tensor, geom: geometry.Geometry,
                            levels: Sequence[int] = bins.DETECTION_LEVELS, projection: str = "paper",
                            bin_rule: str = "adaptive", box_scaling: str = "fast-rcnn") -> torch.Tensor:
    """The combined vectors [K, D] = max over scales of the SPP vectors, pooled one scale at a time
    (memory K·D, not S·K·D). Equal to ``max_over_scales(pool_at_every_scale(...))[0]``."""
    cells = cells_at_every_scale(feats, windows, geom, projection, box_scaling)
    out = None
    for i, f in enumerate(feats):
        v = pooling.spatial_pyramid_pool(f.fmap, cells[i].to(f.fmap.device), levels, bin_rule)
        out = v if out is None else torch.maximum(out, v, out=out)
    return out


@dataclass
class WindowScales:
    """One window under both rules. ``per_scale`` [S, D] its vector at each scale; ``cells`` [S, 4] its
    cells at each scale; ``best`` the index of the scale the scale rule picks; ``combined`` [D] the max
    over scales and ``source`` [D] the scale index each element of it came from; ``share`` [S] the
    fraction of elements each scale supplies (ties go to the smaller index)."""

    scales: tuple[int, ...]
    per_scale: np.ndarray
    cells: np.ndarray
    best: int
    combined: np.ndarray
    source: np.ndarray
    share: np.ndarray

    @property
    def best_vector(self) -> np.ndarray:
        return self.per_scale[self.best]

    @property
    def changed(self) -> float:
        """Fraction of elements where the combined vector differs from the best-scale one."""
        return float(np.mean(self.combined != self.best_vector)) if self.combined.size else 0.0


def window_scales(feats: Sequence, box: Sequence[float], image_wh: tuple[int, int], geom: geometry.Geometry,
                  levels: Sequence[int] = bins.DETECTION_LEVELS, scale_rule: str = "paper", projection: str = "paper",
                  bin_rule: str = "adaptive", box_scaling: str = "fast-rcnn") -> WindowScales:
    """Both rules for one window ``box`` (x1, y1, x2, y2, original pixels)."""
    w = _windows(box)
    if len(w) != 1:
        raise ValueError(f"give exactly one box, got {len(w)}")
    scales = tuple(int(f.scale) for f in feats)
    best = pyramid.select_scale(w[0].tolist(), image_wh, scales, rule=scale_rule)
    cells = cells_at_every_scale(feats, w, geom, projection, box_scaling)[:, 0]
    per = pool_at_every_scale(feats, w, geom, levels, projection, bin_rule, box_scaling)
    comb, src = max_over_scales(per)
    src = src[0].cpu().numpy()
    share = np.bincount(src, minlength=len(scales)) / max(1, src.size)
    return WindowScales(scales, per[:, 0].float().cpu().numpy(), cells.numpy(), int(best),
                        comb[0].float().cpu().numpy(), src, share)
