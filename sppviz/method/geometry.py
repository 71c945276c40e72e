"""Receptive-field geometry and the window -> conv5-cell projection.

Conventions (docs/conventions.md): image pixels are 0-based and pixel i has its centre
at coordinate i; a box is (x1, y1, x2, y2) covering pixel centres x1..x2 inclusive;
cells are 0-based inclusive conv5 indices (cx0, cy0, cx1, cy1).

A conv/pool stack maps conv5 cell c to the image point ``offset + stride * c`` (the
centre of its receptive field, ``size`` pixels wide). Three named rules turn a window
into a cell range (paper Appendix A, the authors' release, Fast R-CNN's roi_pool);
``roialign_samples`` gives the continuous RoIAlign sample points for comparison.

torch is imported by the functions that use it, not with the module (``sppviz.lazy``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

    Layers = nn.Module | Iterable[nn.Module]

PROJECTION_RULES = ("paper", "original", "fast-rcnn")

# The release hard-codes 6.5 px for its stride-16 ZF-5 (it keeps cells whose centres lie
# inside the window widened by 1.5 px). We keep the constant as the release does and do
# NOT rescale it for other strides.
RELEASE_MARGIN = 6.5


@dataclass(frozen=True)
class Geometry:
    """Where conv5 cells sit in the input image (1-D; the same on both axes).

    stride: image pixels between neighbouring cells (product of all strides).
    offset: 0-based image x (and y) of the receptive-field centre of cell 0.
    size:   receptive-field side in pixels.
    """

    stride: int
    offset: float
    size: int

    def __post_init__(self):
        if not (isinstance(self.stride, (int, np.integer)) and self.stride > 0):
            raise ValueError(f"Geometry.stride must be a positive int, got {self.stride!r}")
        if not (isinstance(self.size, (int, np.integer)) and self.size > 0):
            raise ValueError(f"Geometry.size must be a positive int, got {self.size!r}")
        if not math.isfinite(self.offset):
            raise ValueError(f"Geometry.offset must be finite, got {self.offset!r}")


# ----------------------------------------------------------------------------
# receptive-field arithmetic over a layer stack

@functools.cache
def _layer_kinds() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """(modules that keep the spatial shape and position of every value, ignored by the walk; containers;
    the layers that change the geometry)."""
    from torch import nn

    shape_preserving = (
        nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
        nn.LocalResponseNorm, nn.CrossMapLRN2d, nn.modules.batchnorm._BatchNorm, nn.GroupNorm,
        nn.modules.dropout._DropoutNd, nn.Identity,
    )
    return shape_preserving, (nn.Sequential, nn.ModuleList), (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _layer_params(m):
    """(kernel, stride, padding, dilation) as (h, w) pairs, plus ceil_mode, for a conv/pool."""
    k, s = _pair(m.kernel_size), _pair(m.stride if m.stride is not None else m.kernel_size)
    d = _pair(getattr(m, "dilation", 1))  # AvgPool2d has no dilation
    p = m.padding
    if p == "valid":
        p = (0, 0)
    elif p == "same":  # PyTorch pads total d*(k-1), the extra pixel (if odd) on the right
        p = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d, strict=True))
    p = _pair(p)
    return k, s, p, d, bool(getattr(m, "ceil_mode", False))


def _walk(layers, prefix=""):
    """Yield (name, module) for every conv/pool in `layers`, recursing into containers.

    Shape-preserving modules (those listed above, or any module with a true ``preserves_geometry``
    attribute, e.g. ``backbones.WithinChannelLRN``) are skipped; anything else raises ValueError (its
    effect on geometry is unknown).
    """
    from torch import nn

    shape_preserving, containers, geometric = _layer_kinds()
    if isinstance(layers, nn.Module) and not isinstance(layers, containers):
        layers = [layers]  # a single layer
    items = layers.named_children() if isinstance(layers, nn.Module) else enumerate(layers)
    for key, m in items:
        name = f"{prefix}{key}"
        if isinstance(m, containers):
            yield from _walk(m, prefix=name + ".")
        elif isinstance(m, geometric):
            yield name, m
        elif not (isinstance(m, shape_preserving) or getattr(m, "preserves_geometry", False)):
            raise ValueError(
                f"layer {name} ({type(m).__name__}) may change the geometry; supported: "
                "Conv2d, MaxPool2d, AvgPool2d and shape-preserving layers (ReLU, LRN, "
                "BatchNorm, Dropout, Identity, ...)"
            )


def receptive_field_table(layers: Layers) -> list[dict]:
    """Per conv/pool layer, the geometry *after* that layer (standard RF arithmetic, docs/rules.md).

    Returns a list of dicts with keys: name, type, kernel, stride, padding, dilation, jump,
    size, offset. Kernels etc. must be square (the geometry is the same on both axes).
    """
    jump, size, centre0 = 1, 1, 0.0  # the input image: one pixel, centred at 0
    rows = []
    for name, m in _walk(layers):
        k, s, p, d, _ = _layer_params(m)
        if not (k[0] == k[1] and s[0] == s[1] and p[0] == p[1] and d[0] == d[1]):
            raise ValueError(f"layer {name} ({type(m).__name__}) is not square: "
                             f"kernel={k} stride={s} padding={p} dilation={d}")
        k, s, p, d = k[0], s[0], p[0], d[0]
        k_eff = d * (k - 1) + 1
        centre0 += ((k_eff - 1) / 2 - p) * jump  # centre of output cell 0
        size += (k_eff - 1) * jump
        jump *= s
        rows.append(dict(name=name, type=type(m).__name__, kernel=k, stride=s, padding=p,
                         dilation=d, jump=jump, size=size, offset=centre0))
    return rows


def receptive_field(layers: Layers) -> Geometry:
    """Geometry (stride, offset, size) of the last feature map of a conv/pool stack."""
    rows = receptive_field_table(layers)
    if not rows:
        return Geometry(1, 0.0, 1)
    last = rows[-1]
    return Geometry(stride=last["jump"], offset=float(last["offset"]), size=last["size"])


def _out_len(n, k, s, p, d, ceil_mode):
    # PyTorch's Conv2d / MaxPool2d / AvgPool2d output length
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:  # the last window must start inside input + left pad
        out -= 1
    return out


def feature_size(layers: Layers, in_hw: tuple[int, int]) -> tuple[int, int]:
    """Output (h, w) of the stack for an input of (h, w) pixels (ceil_mode honoured)."""
    h, w = in_hw
    if not (isinstance(h, (int, np.integer)) and isinstance(w, (int, np.integer)) and h > 0 and w > 0):
        raise ValueError(f"in_hw must be two positive ints (h, w), got {in_hw!r}")
    for name, m in _walk(layers):
        k, s, p, d, ceil_mode = _layer_params(m)
        if m.padding == "same":  # PyTorch: stride 1, output size = input size
            continue
        h2 = _out_len(h, k[0], s[0], p[0], d[0], ceil_mode)
        w2 = _out_len(w, k[1], s[1], p[1], d[1], ceil_mode)
        if h2 <= 0 or w2 <= 0:
            raise ValueError(f"input {tuple(in_hw)} is too small: layer {name} "
                             f"({type(m).__name__}) gets {h}x{w} and would output {h2}x{w2}")
        h, w = h2, w2
    return int(h), int(w)


# ----------------------------------------------------------------------------
# window -> cells

def _check_rule(rule):
    if rule not in PROJECTION_RULES:
        raise ValueError(f"unknown projection rule {rule!r}; valid rules: {', '.join(PROJECTION_RULES)}")


def _check_map_hw(map_hw):
    if map_hw is None:
        return None
    try:
        H, W = map_hw
    except (TypeError, ValueError):
        raise ValueError(f"map_hw must be (H, W), got {map_hw!r}") from None
    if not (isinstance(H, (int, np.integer)) and isinstance(W, (int, np.integer)) and H > 0 and W > 0):
        raise ValueError(f"map_hw must be two positive ints (H, W), got {map_hw!r}")
    return int(H), int(W)


def _round_half_away(v):
    # C round(): half away from zero. v - floor(v) is exact in floating point.
    a = abs(v)
    r = math.floor(a)
    r += a - r >= 0.5
    return r if v >= 0 else -r


def _project_1d(lo, hi, S, o, rule):
    """Inclusive cell range [left, right] for pixel interval [lo, hi] on one axis (unclamped)."""
    if rule == "paper":  # paper App. A, offset subtracted: centres strictly inside the window
        left = math.floor((lo - o) / S) + 1
        right = math.ceil((hi - o) / S) - 1
    elif rule == "original":  # release (1-based there), rewritten 0-based
        left = math.floor((lo - o + RELEASE_MARGIN) / S + 0.5)
        right = math.ceil((hi - o - RELEASE_MARGIN) / S - 0.5)
    else:  # Fast R-CNN / torchvision roi_pool: round(x / S), no offset
        left = _round_half_away(lo / S)
        right = _round_half_away(hi / S)
    if left > right:  # empty range -> one cell in the middle (release)
        left = right = (left + right) // 2
    return left, right


def project_window(box: Sequence[float], geometry: Geometry, rule: str = "paper",
                   map_hw: tuple[int, int] | None = None) -> tuple[int, int, int, int]:
    """Project a window onto the conv5 map; returns inclusive 0-based cells (cx0, cy0, cx1, cy1).

    box: (x1, y1, x2, y2) float pixels in the image the map was computed on (same scale).
    rule: "paper" | "original" | "fast-rcnn" (see PROJECTION_RULES and the module doc).
    map_hw: (H, W) of the map; if given, cells are clamped into [0, W-1] x [0, H-1].

    "original" is ``utils/spm_pool/spm_pool_caffe_mex.cpp`` rewritten 0-based::

        int x0_norm = int(floor((x0 - offset0 + offset) / min_times + 0.5) + 1);
        int x1_norm = int(ceil((x1 - offset0 - offset) / min_times - 0.5) + 1);
        if (x0_norm > x1_norm) { x0_norm = (x0_norm + x1_norm) / 2; x1_norm = x0_norm; }
        box_norm[1] = std::min(rsp_widths[best_feat], std::max(1, x0_norm));

    with 1-based pixels and cells: offset0 = geometry.offset + 1 (the 1-based pixel of cell 1's centre),
    offset = RELEASE_MARGIN, min_times = stride. Same float64 operations in the same order; the
    midpoint is floor((l + r)/2) here and C's truncation there, which differ only for a negative sum,
    and both then clamp to the first cell; clamping comes after the midpoint fix in both.
    """
    _check_rule(rule)
    map_hw = _check_map_hw(map_hw)
    x1, y1, x2, y2 = _check_box(box)
    S, o = float(geometry.stride), float(geometry.offset)
    cx0, cx1 = _project_1d(x1, x2, S, o, rule)
    cy0, cy1 = _project_1d(y1, y2, S, o, rule)
    if map_hw is not None:
        H, W = map_hw
        cx0, cx1 = (min(max(c, 0), W - 1) for c in (cx0, cx1))
        cy0, cy1 = (min(max(c, 0), H - 1) for c in (cy0, cy1))
    return int(cx0), int(cy0), int(cx1), int(cy1)


def _check_box(box):
    try:
        vals = [float(v) for v in (box.tolist() if hasattr(box, "tolist") else box)]
    except (TypeError, ValueError):
        raise ValueError(f"box must be 4 numbers (x1, y1, x2, y2), got {box!r}") from None
    if len(vals) != 4:
        raise ValueError(f"box must have 4 numbers (x1, y1, x2, y2), got {len(vals)}: {box!r}")
    if not all(math.isfinite(v) for v in vals):
        raise ValueError(f"box has a non-finite coordinate: {vals}")
    x1, y1, x2, y2 = vals
    if x2 < x1 or y2 < y1:
        raise ValueError(f"box must have x2 >= x1 and y2 >= y1, got {vals}")
    return x1, y1, x2, y2


def _as_boxes(boxes):
    """[K, 4] tensor/ndarray/list -> float64 tensor, validated."""
    import torch

    b = boxes if isinstance(boxes, torch.Tensor) else torch.as_tensor(np.asarray(boxes, dtype=np.float64))
    b = b.detach().to("cpu", torch.float64)
    if b.numel() == 0:
        b = b.reshape(0, 4)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes must have shape [K, 4], got {tuple(b.shape)}")
    if not torch.isfinite(b).all():
        bad = (~torch.isfinite(b)).any(1).nonzero()[0, 0].item()
        raise ValueError(f"boxes[{bad}] has a non-finite coordinate: {b[bad].tolist()}")
    inverted = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
    if inverted.any():
        bad = inverted.nonzero()[0, 0].item()
        raise ValueError(f"boxes[{bad}] must have x2 >= x1 and y2 >= y1, got {b[bad].tolist()}")
    return b


def _round_half_away_t(v):
    import torch

    a = v.abs()
    r = a.floor()
    r = r + (a - r >= 0.5)
    return torch.where(v >= 0, r, -r)


def project_windows(boxes: np.ndarray | torch.Tensor | Sequence[Sequence[float]], geometry: Geometry,
                    rule: str = "paper", map_hw: tuple[int, int] | None = None) -> torch.Tensor:
    """Vectorised project_window: boxes [K, 4] (tensor or ndarray) -> CPU LongTensor [K, 4] cells.

    Same float64 arithmetic as project_window, so the results are identical elementwise.
    """
    import torch

    _check_rule(rule)
    map_hw = _check_map_hw(map_hw)
    b = _as_boxes(boxes)
    S, o = float(geometry.stride), float(geometry.offset)
    lo, hi = b[:, :2], b[:, 2:]  # (x1, y1), (x2, y2)
    if rule == "paper":
        left = torch.floor((lo - o) / S) + 1
        right = torch.ceil((hi - o) / S) - 1
    elif rule == "original":
        left = torch.floor((lo - o + RELEASE_MARGIN) / S + 0.5)
        right = torch.ceil((hi - o - RELEASE_MARGIN) / S - 0.5)
    else:
        left = _round_half_away_t(lo / S)
        right = _round_half_away_t(hi / S)
    left, right = left.long(), right.long()
    mid = torch.div(left + right, 2, rounding_mode="floor")
    empty = left > right
    left, right = torch.where(empty, mid, left), torch.where(empty, mid, right)
    cells = torch.cat([left, right], dim=1)  # (cx0, cy0, cx1, cy1)
    if map_hw is not None:
        H, W = map_hw
        cells[:, 0::2] = cells[:, 0::2].clamp(0, W - 1)
        cells[:, 1::2] = cells[:, 1::2].clamp(0, H - 1)
    return cells


# ----------------------------------------------------------------------------
# cells -> image (back-projection, for drawing)

def cell_centre(cx: float, cy: float, geometry: Geometry) -> tuple[float, float]:
    """Image (x, y) of the receptive-field centre of cell (cx, cy)."""
    S, o = geometry.stride, geometry.offset
    return o + S * cx, o + S * cy


def cell_box(cx: float, cy: float, geometry: Geometry) -> tuple[float, float, float, float]:
    """Receptive-field box (x1, y1, x2, y2) of cell (cx, cy): side geometry.size, centred on it."""
    x, y = cell_centre(cx, cy, geometry)
    r = (geometry.size - 1) / 2
    return x - r, y - r, x + r, y + r


def cells_to_boxes(cells: np.ndarray | torch.Tensor | Sequence[Sequence[int]], geometry: Geometry) -> torch.Tensor:
    """Cell ranges [K, 4] (cx0, cy0, cx1, cy1) -> float64 tensor [K, 4]: the image box spanned
    by the centres of the first and last cells (for drawing a projected window)."""
    import torch

    c = torch.as_tensor(np.asarray(cells) if not isinstance(cells, torch.Tensor) else cells)
    c = c.to(torch.float64).reshape(-1, 4)
    return geometry.offset + geometry.stride * c


# ----------------------------------------------------------------------------
# RoIAlign (Mask R-CNN / torchvision.ops.roi_align), for comparison: no rounding at all

class RoIAlignSamples(NamedTuple):
    points: np.ndarray  # [n, n, gh, gw, 2] (x, y) sample points, feature-map coordinates
    bins: np.ndarray    # [n, n, 4] (x1, y1, x2, y2) bin rectangles, feature-map coordinates


def roialign_samples(box: Sequence[float], stride: float, n: int, sampling_ratio: int = 2,
                     aligned: bool = True) -> RoIAlignSamples:
    """The sample points torchvision's roi_align uses for an n x n output on `box`.

    box is in image pixels, passed as-is (roi_align treats x2 - x1 as the width);
    spatial_scale = 1/stride; aligned=True shifts by -0.5 (pixel-centre model). Bin
    (ph, pw) is sampled on a gh x gw grid of bin centres (gh = gw = sampling_ratio, or
    ceil(roi_h / n), ceil(roi_w / n) when sampling_ratio <= 0); roi_align bilinearly
    samples the map at each point and averages per bin. Index order: [ph, pw, iy, ix].
    """
    x1, y1, x2, y2 = _check_box(box)
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not (isinstance(stride, (int, float, np.number)) and stride > 0):
        raise ValueError(f"stride must be positive, got {stride!r}")
    scale, shift = 1.0 / stride, (0.5 if aligned else 0.0)
    sx, sy = x1 * scale - shift, y1 * scale - shift
    rw, rh = x2 * scale - shift - sx, y2 * scale - shift - sy
    if not aligned:  # legacy behaviour: force malformed RoIs to 1x1
        rw, rh = max(rw, 1.0), max(rh, 1.0)
    bw, bh = rw / n, rh / n
    gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / n)
    gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / n)
    p = np.arange(n, dtype=np.float64)
    ys = sy + p[:, None] * bh + (np.arange(gh) + 0.5)[None, :] * bh / gh  # [n, gh]
    xs = sx + p[:, None] * bw + (np.arange(gw) + 0.5)[None, :] * bw / gw  # [n, gw]
    points = np.empty((n, n, gh, gw, 2))
    points[..., 0] = xs[None, :, None, :]
    points[..., 1] = ys[:, None, :, None]
    bins = np.empty((n, n, 4))
    bins[..., 0] = (sx + p * bw)[None, :]
    bins[..., 2] = (sx + (p + 1) * bw)[None, :]
    bins[..., 1] = (sy + p * bh)[:, None]
    bins[..., 3] = (sy + (p + 1) * bh)[:, None]
    return RoIAlignSamples(points, bins)
