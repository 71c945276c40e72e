"""The comparisons the app shows beside SPP-net: the R-CNN path timed on the same windows, SPP vs
RoIPool vs RoIAlign on one window, and how far two sets of detections agree.

R-CNN (Girshick et al. 2014) crops and warps every window to 224 × 224 and runs the whole network on
each; SPP-net runs the convolutions once per scale and pools every window from conv5 (paper §4).
Fast R-CNN's RoIPool rounds the window to cells with round(x/S) and uses adaptive bins; RoIAlign
(Mask R-CNN) samples the map bilinearly without rounding (torchvision ``roi_align``)."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from sppviz.analysis.pipeline import Analysis, WindowDetail
from sppviz.method import geometry, pooling, roipool
from sppviz.model.detector import box_iou

# (method name, the projection rule whose cells it pools); RoIAlign samples the box itself.
COMPARE_METHODS = (("SPP", "paper"), ("RoIPool", "fast-rcnn"), ("RoIAlign", "roialign"))
RCNN_CHUNK = 16  # windows per R-CNN batch (so that a progress bar moves)


def ranked_windows(a: Analysis) -> torch.Tensor:
    """Window indices [K], best score (any class but background) first."""
    probs = a.result().probs
    score = probs[:, :-1].amax(1) if probs.shape[1] > 1 else torch.zeros(len(a.windows))
    return torch.argsort(score, descending=True, stable=True)


def most_distorted(windows: torch.Tensor, m: int) -> torch.Tensor:
    """Indices of the ``m`` windows [N, 4] whose aspect ratio a 224 × 224 warp distorts most."""
    wh = windows[:, 2:] - windows[:, :2] + 1
    skew = torch.log(wh[:, 0].clamp(min=1) / wh[:, 1].clamp(min=1)).abs()
    return torch.argsort(skew, descending=True, stable=True)[:m]


def time_rcnn_vs_spp(a: Analysis, n: int, progress: Callable | None = None) -> tuple[dict, torch.Tensor]:
    """Time the R-CNN path (crop, warp, whole network per window) on the ``n`` best-scoring windows and
    SPP-net (conv5 once per scale + pooling + head) on all K windows. Returns the numbers (seconds and
    ms; ``speedup`` = R-CNN's time per window × K / SPP-net's time) and the indices of the n windows."""
    K = len(a.windows)
    if K == 0:
        raise ValueError("the image has no windows")
    n = max(1, min(int(n), K))
    order = ranked_windows(a)[:n]
    wins = a.windows[order]
    det = a.detector
    rcnn_s = 0.0
    for start in range(0, n, RCNN_CHUNK):
        if progress:
            progress(0.05 + 0.8 * start / n, desc=f"R-CNN path: window {start + 1}/{n}")
        t0 = time.perf_counter()
        det.rcnn_windows(a.image, wins[start:start + RCNN_CHUNK])
        rcnn_s += time.perf_counter() - t0
    if progress:
        progress(0.88, desc="SPP-net: pooling and fc for all windows")
    t0 = time.perf_counter()
    det.windows(a.feats, a.windows, a.image_wh)
    pool_s = time.perf_counter() - t0
    conv_s = float(sum(f.seconds for f in a.feats))
    spp_s = conv_s + pool_s
    per = rcnn_s / n
    numbers = {"device": det.device.type, "model": det.net.trunk.name, "rcnn_s": rcnn_s, "n": n,
               "per_ms": 1000 * per, "k": K, "rcnn_all": per * K, "conv": conv_s, "pool": pool_s, "spp": spp_s,
               "speedup": per * K / spp_s if spp_s > 0 else float("inf")}
    return numbers, order


def pooled_by_method(fmap: torch.Tensor, d: WindowDetail, n: int, stride: float) -> dict[str, torch.Tensor]:
    """The window's n×n pooled values [C, n, n] by each method, all from the same conv5 map [C, H, W]:
    SPP = adaptive bins on the paper cells, RoIPool = the same on the fast-rcnn cells (round(x/S)),
    RoIAlign = torchvision's roi_align on the scaled box (spatial_scale 1/S, sampling_ratio 2, aligned)."""
    from torchvision.ops import roi_align

    fm = fmap.detach().float().cpu()
    C = fm.shape[0]
    out = {}
    for name, rule in COMPARE_METHODS[:2]:
        cells = torch.tensor([list(d.cells[rule])], dtype=torch.long)
        out[name] = pooling.spatial_pyramid_pool(fm, cells, (n,), "adaptive")[0].reshape(C, n, n)
    box = torch.tensor([[0.0, *(float(x) for x in d.scaled_box)]], dtype=torch.float32)
    out["RoIAlign"] = roi_align(fm[None], box, output_size=(n, n), spatial_scale=1.0 / stride, sampling_ratio=2,
                                aligned=True)[0]
    return out


def roialign_region(samples: geometry.RoIAlignSamples) -> tuple[float, float, float, float]:
    """The continuous region (x0, y0, x1, y1, in cells) RoIAlign's bins cover."""
    b = samples.bins
    return float(b[0, 0, 0]), float(b[0, 0, 1]), float(b[-1, -1, 2]), float(b[-1, -1, 3])


def compare_pooling(fmap: torch.Tensor, d: WindowDetail, n: int, stride: float
                    ) -> tuple[list[list], geometry.RoIAlignSamples, roipool.RoIPoolCells]:
    """SPP vs RoIPool vs RoIAlign at level ``n``, and torchvision's own ``roi_pool`` on the same box: one row
    per method — name, region read ("x0..x1; y0..y1"), max and mean |Δ| against SPP over all channels and
    bins — RoIAlign's sample points, and the cells torchvision's roi_pool read (float32 bins, unclamped)."""
    if not 1 <= int(n) <= 64:
        raise ValueError(f"the level must lie in 1..64, got {n}")
    pooled = pooled_by_method(fmap, d, int(n), stride)
    pooled["roi_pool"], tv = roipool.torchvision_roi_pool(fmap, d.scaled_box, int(n), int(round(stride)))
    ref = pooled["SPP"]
    samples = geometry.roialign_samples(list(d.scaled_box), stride, int(n), sampling_ratio=2, aligned=True)
    ra = roialign_region(samples)
    rows = []
    for name, rule in (*COMPARE_METHODS, ("roi_pool", "torchvision")):
        diff = (pooled[name] - ref).abs()
        if rule == "torchvision":
            region = f"{tv.roi[0]}..{tv.roi[2]}; {tv.roi[1]}..{tv.roi[3]}"
        elif rule == "roialign":
            region = f"{ra[0]:.2f}..{ra[2]:.2f}; {ra[1]:.2f}..{ra[3]:.2f}"
        else:
            c = d.cells[rule]
            region = f"{c[0]}..{c[2]}; {c[1]}..{c[3]}"
        rows.append([name, region, round(float(diff.max()), 6), round(float(diff.mean()), 6)])
    return rows, samples, tv


def matched(a_det, b_det, iou: float = 0.5) -> int:
    """How many detections of ``a_det`` have one in ``b_det`` of the same class with IoU ≥ ``iou``."""
    if len(a_det) == 0 or len(b_det) == 0:
        return 0
    same = a_det.labels[:, None] == b_det.labels[None, :]
    return int(((box_iou(a_det.boxes, b_det.boxes) >= iou) & same).any(1).sum())
