"""The image pyramid, per-window scale selection (paper §4.1) and box scaling.

The image is resized so that min(w, h) = s for each scale s; conv5 is computed once per
scale. Each window is then pooled at the ONE scale whose scaled window is closest to the
network's training size, by one of two named rules (SCALE_RULES):

- "paper"    (paper §4.1, Fast R-CNN code): argmin |area·f² − 224²|, f = s / min_side.
- "original" (release, ``utils/spm_pool/spm_expected_scale.m``): expected =
  round(208·min_side / √area) (``sz_conv_standard * step_standard``: 13 cells × 16 px), MATLAB round
  (half away from zero), then the s closest to it (``min`` in ``spp_features_convX_to_poolX.m``, first
  on ties).

The window is then scaled into the resized image by one of two named rules (BOX_SCALING_RULES):

- "fast-rcnn": x' = x·s/min_side (Fast R-CNN ``im_rois * im_scale``; what sppviz did before the rule
  had a name, and still its default).
- "release": ``spp_features_convX_to_poolX.m``:
  ``scaled_boxes = bsxfun(@times, (boxes - 1), (boxes_scales(:) - 1)) / (min_img_sz - 1) + 1;``
  in 1-based pixels X. With X = x + 1 (x 0-based): X' = (X − 1)(s − 1)/(m − 1) + 1 = x(s − 1)/(m − 1) + 1,
  so x' = X' − 1 = x·(s − 1)/(m − 1): pixel 0 stays 0 and pixel m − 1 becomes s − 1 (both ends fixed).
  Computed as (x·(s − 1))/(m − 1) in float64, the .m file's order, so that a window lying exactly on a
  projection boundary rounds as in the release.

The two differ by x·(m − s)/(m(m − 1)), below one pixel, yet that moves ~15% of the windows of a VOC
image to other conv5 cells (tests/method/test_release_parity.py).

Boxes are (x1, y1, x2, y2) pixel-inclusive in the ORIGINAL image: width = x2 − x1 + 1.
Image sizes are (w, h) where named `_wh`.

torch is imported by the functions that return tensors, not with the module (``sppviz.lazy``); a tensor
argument means torch is loaded already (``_is_tensor``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    import torch

PAPER_SCALES = (480, 576, 688, 864, 1200)    # paper §4.1
RELEASE_SCALES = (480, 576, 688, 874, 1200)  # release uses 874 instead of 864
SINGLE_SCALE = 688                           # paper's single-scale results
# The app's, the API's and the CLI's default: a real pyramid, three of S (the smallest, the single scale and
# the next one up; 1200 alone costs about as much conv5 as these three). A new 500 x 375 photo takes about
# 1 s on 2 CPU cores (README, speed).
DEFAULT_PYRAMID = (480, 688, 864)
SCALE_RULES = ("paper", "original")
BOX_SCALING_RULES = ("fast-rcnn", "release")

PAPER_TARGET_AREA = 224 * 224  # paper / Fast R-CNN: pixel count of a 224 x 224 input
RELEASE_TARGET_SIDE = 208      # release: 13 conv5 cells x stride 16

# Limits on user-chosen scales. conv5 cost grows with s²: at s = 1600 one ZF-5 pass over a 4:3
# image already takes seconds on 2 CPU cores, and eight scales cover S plus a few custom ones.
MIN_SCALE = 64
MAX_SCALE = 1600
MAX_SCALES = 8
# Bound on every scaled image (w'·h' pixels), checked before any resize by check_scaled_size. Fast R-CNN caps
# the longer side (MAX_SIZE); a pixel cap is used here so that every photo up to 2:1 keeps every allowed scale:
# 1600 × 3200 = MAX_SCALE on a 2:1 image. Without it a 2000×32 image at s = 1600 became 100,000 × 1,600
# (160 MP, 17.6 GB peak RSS); a thin image now gets the scales it can afford.
MAX_SCALED_PIXELS = 2 * MAX_SCALE * MAX_SCALE


def _check_size(w, h):
    for name, v in (("w", w), ("h", h)):
        if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0):
            raise ValueError(f"image {name} must be a positive int, got {v!r}")


def _check_scale(s):
    if not (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0):
        raise ValueError(f"scale must be a positive int (the new min side), got {s!r}")


def validate_scales(scales: Sequence[int]) -> tuple[int, ...]:
    """Check a user's scale list; returns it as a tuple of ints, in the order given.

    Raises ValueError (message meant for the user) for an empty list, non-integers, values
    outside [MIN_SCALE, MAX_SCALE], duplicates, or more than MAX_SCALES values."""
    try:
        items = list(scales)
    except TypeError:
        raise ValueError(f"scales must be a list of integers, got {scales!r}") from None
    if not items:
        raise ValueError("choose at least one scale")
    if len(items) > MAX_SCALES:
        raise ValueError(f"at most {MAX_SCALES} scales at once (got {len(items)})")
    out = []
    for v in items:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"scale {v!r} is not a number") from None
        if not math.isfinite(f) or f != int(f):
            raise ValueError(f"scale {v!r} must be a whole number of pixels")
        if not MIN_SCALE <= f <= MAX_SCALE:
            raise ValueError(f"scale {int(f)} is outside the allowed range {MIN_SCALE}..{MAX_SCALE} px")
        out.append(int(f))
    if len(set(out)) != len(out):
        raise ValueError(f"scales must not repeat: {out}")
    return tuple(out)


def scaled_size(w: int, h: int, s: int) -> tuple[int, int]:
    """(w', h') of the image resized so that its min side is s; the other side is
    other·s/min rounded half up (exact integer arithmetic)."""
    _check_size(w, h)
    _check_scale(s)
    m = min(w, h)

    def side(v):  # floor(v·s/m + 1/2), exactly
        return s if v == m else (2 * v * s + m) // (2 * m)

    return int(side(w)), int(side(h))


def check_scaled_size(image_wh: tuple[int, int], scales: Sequence[int]) -> None:
    """ValueError (message meant for the user) when the image of size ``image_wh`` = (w, h), resized so that
    its min side is s (``scaled_size``), would hold more than MAX_SCALED_PIXELS pixels at one of ``scales``;
    the message names the scale, the scaled size and the largest scale this image allows."""
    w, h = _check_wh(image_wh)
    for s in scales:
        sw, sh = scaled_size(w, h, int(s))
        if sw * sh > MAX_SCALED_PIXELS:
            best = math.isqrt(MAX_SCALED_PIXELS * min(w, h) // max(w, h))
            while best > 1 and math.prod(scaled_size(w, h, best)) > MAX_SCALED_PIXELS:
                best -= 1
            raise ValueError(f"scale {int(s)}: this {w}×{h} image would become {sw}×{sh} = {sw * sh / 1e6:.2f} MP; "
                             f"the limit is {MAX_SCALED_PIXELS / 1e6:.2f} MP per scaled image (the largest scale "
                             f"for this image is {best})")


def scale_factor(w: int, h: int, s: int) -> float:
    """The box scale factor for scale s: s / min(w, h) (Fast R-CNN convention)."""
    _check_size(w, h)
    _check_scale(s)
    return s / min(w, h)


def _is_tensor(x) -> bool:
    """isinstance(x, torch.Tensor) without importing torch: no tensor exists before torch is loaded."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def scale_boxes(boxes: np.ndarray | torch.Tensor, factor: float) -> np.ndarray | torch.Tensor:
    """Boxes [K, 4] (or one box) times `factor` (Fast R-CNN convention). Keeps the type
    (tensor -> tensor, else float64 ndarray)."""
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a positive finite number, got {factor!r}")
    if _is_tensor(boxes):
        return boxes * factor
    return np.asarray(boxes, dtype=np.float64) * factor


def scale_boxes_release(boxes: np.ndarray | torch.Tensor, min_side: int, s: int) -> np.ndarray | torch.Tensor:
    """The release's endpoint-preserving rule (x − 1)(s − 1)/(min_side − 1) + 1, written
    0-based: x·(s − 1)/(min_side − 1) (module doc). Pixel 0 stays 0 and pixel min_side − 1 becomes
    s − 1. Computed in float64 as (x·(s − 1))/(min_side − 1); a tensor comes back as a float64 tensor."""
    _check_scale(s)
    if not (isinstance(min_side, (int, np.integer)) and not isinstance(min_side, bool) and min_side > 1):
        raise ValueError(f"min_side must be an int > 1 (the release divides by min_side - 1), got {min_side!r}")
    if _is_tensor(boxes):
        return boxes.double() * (s - 1) / (min_side - 1)
    return np.asarray(boxes, dtype=np.float64) * (s - 1) / (min_side - 1)


def check_box_scaling(rule: str) -> None:
    """ValueError unless ``rule`` is one of BOX_SCALING_RULES."""
    if rule not in BOX_SCALING_RULES:
        raise ValueError(f"unknown box scaling rule {rule!r}; valid rules: {', '.join(BOX_SCALING_RULES)}")


def box_factor(image_wh: tuple[int, int], s: int, rule: str = "fast-rcnn") -> float:
    """The factor f of x' = x·f (0-based pixels) under a box-scaling rule: s / min_side for "fast-rcnn",
    (s − 1)/(min_side − 1) for "release" (module doc). For drawing and display: the pipeline scales
    boxes with ``scale_boxes_by_rule``, which keeps the release's operation order."""
    check_box_scaling(rule)
    w, h = _check_wh(image_wh)
    if rule == "fast-rcnn":
        return scale_factor(w, h, s)
    _check_scale(s)
    if min(w, h) < 2:
        raise ValueError(f"the release's box scaling divides by min_side - 1; the image is {w}x{h}")
    return (s - 1) / (min(w, h) - 1)


def scale_boxes_by_rule(boxes: np.ndarray | torch.Tensor, image_wh: tuple[int, int], s: int,
                        rule: str = "fast-rcnn") -> np.ndarray | torch.Tensor:
    """Boxes [K, 4] (or one box) of an image of size ``image_wh`` = (w, h), original 0-based pixels, into
    the image resized to min side ``s``, by the named rule (BOX_SCALING_RULES, module doc):

    - "fast-rcnn": boxes · (s / min_side), as ``scale_boxes`` (a tensor keeps its dtype);
    - "release":   (boxes · (s − 1)) / (min_side − 1) in float64 (``spp_features_convX_to_poolX.m``,
      written 0-based; a tensor comes back as float64).

    Example: image 500×375, x2 = 495 at s = 576: 760.32 (fast-rcnn), 761.03 (release)."""
    check_box_scaling(rule)
    w, h = _check_wh(image_wh)
    if rule == "fast-rcnn":
        return scale_boxes(boxes, scale_factor(w, h, s))
    if min(w, h) < 2:
        raise ValueError(f"the release's box scaling divides by min_side - 1; the image is {w}x{h}")
    return scale_boxes_release(boxes, min(w, h), s)


def _check_wh(image_wh: tuple[int, int]) -> tuple[int, int]:
    try:
        w, h = image_wh
    except (TypeError, ValueError):
        raise ValueError(f"image_wh must be (w, h), got {image_wh!r}") from None
    _check_size(w, h)
    return int(w), int(h)


def resize_image(img: np.ndarray, s: int) -> np.ndarray:
    """uint8 RGB image [H, W, 3] -> resized so that min side = s (cv2.INTER_LINEAR)."""
    if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3):
        desc = type(img).__name__
        if isinstance(img, np.ndarray):
            desc = f"{img.dtype} array of shape {img.shape}"
        raise ValueError(f"image must be a uint8 HxWx3 RGB array, got {desc}")
    h, w = img.shape[:2]
    new_w, new_h = scaled_size(w, h, s)
    if (new_w, new_h) == (w, h):
        return img.copy()
    return cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)


# ----------------------------------------------------------------------------
# scale selection

def _check_common(image_wh, scales, rule=None):
    if rule is not None and rule not in SCALE_RULES:
        raise ValueError(f"unknown scale rule {rule!r}; valid rules: {', '.join(SCALE_RULES)}")
    w, h = _check_wh(image_wh)
    scales = tuple(scales)
    if not scales:
        raise ValueError("scales must not be empty")
    for s in scales:
        _check_scale(s)
    return min(w, h), scales


def _area(box):
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"box must be 4 numbers (x1, y1, x2, y2), got {box!r}") from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f"box has a non-finite coordinate: {box!r}")
    if x2 < x1 or y2 < y1:
        raise ValueError(f"box must have x2 >= x1 and y2 >= y1, got {box!r}")
    return (x2 - x1 + 1) * (y2 - y1 + 1)  # pixel-inclusive area (release / Fast R-CNN)


def scaled_areas(box: Sequence[float], image_wh: tuple[int, int], scales: Sequence[int]) -> np.ndarray:
    """Pixel count of the window at each scale: area·f², f = s / min_side. float ndarray [S]."""
    m, scales = _check_common(image_wh, scales)
    area = _area(box)
    return np.array([area * (s / m) * (s / m) for s in scales])


def scale_scores(box: Sequence[float], image_wh: tuple[int, int], scales: Sequence[int],
                 rule: str = "paper") -> np.ndarray:
    """Score per scale, lower is better (the chart data); float ndarray [S].

    paper:    |area·f² − 224²|          (paper §4.1 / Fast R-CNN)
    original: |s − round(208·min/√area)| (release, ``utils/spm_pool/spm_expected_scale.m``)
    """
    m, scales = _check_common(image_wh, scales, rule)
    area = _area(box)
    if rule == "paper":
        return np.array([abs(area * (s / m) * (s / m) - PAPER_TARGET_AREA) for s in scales])
    expected = float(matlab_round(np.array([RELEASE_TARGET_SIDE * m / math.sqrt(area)]))[0])
    return np.array([float(abs(s - expected)) for s in scales])


def matlab_round(v: np.ndarray) -> np.ndarray:
    """MATLAB's round: to the nearest integer, halves away from zero, exactly (v − floor(v) is exact in
    floating point, unlike floor(v + 0.5), which rounds 0.49999999999999994 up). float ndarray."""
    a = np.abs(np.asarray(v, dtype=np.float64))
    r = np.floor(a)
    r = r + (a - r >= 0.5)
    return np.where(np.asarray(v) < 0, -r, r)


def select_scale(box: Sequence[float], image_wh: tuple[int, int], scales: Sequence[int], rule: str = "paper") -> int:
    """Index into `scales` of the one scale this window is pooled at (ties -> first)."""
    return int(np.argmin(scale_scores(box, image_wh, scales, rule)))


def select_scales(boxes: np.ndarray | torch.Tensor, image_wh: tuple[int, int], scales: Sequence[int],
                  rule: str = "paper") -> torch.Tensor:
    """Vectorised select_scale: boxes [K, 4] (tensor or ndarray) -> LongTensor [K] indices."""
    import torch

    m, scales = _check_common(image_wh, scales, rule)
    if _is_tensor(boxes):
        boxes = boxes.detach().cpu().double().numpy()
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        return torch.zeros(0, dtype=torch.long)
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"boxes must have shape [K, 4], got {b.shape}")
    if not np.isfinite(b).all():
        i = int(np.flatnonzero(~np.isfinite(b).all(1))[0])
        raise ValueError(f"boxes[{i}] has a non-finite coordinate: {b[i].tolist()}")
    bad = (b[:, 2] < b[:, 0]) | (b[:, 3] < b[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"boxes[{i}] must have x2 >= x1 and y2 >= y1, got {b[i].tolist()}")
    area = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)  # [K]
    s = np.asarray(scales, dtype=np.float64)                   # [S]
    if rule == "paper":
        f = s / m
        scores = np.abs(area[:, None] * f[None, :] * f[None, :] - PAPER_TARGET_AREA)
    else:
        expected = matlab_round(RELEASE_TARGET_SIDE * m / np.sqrt(area))  # spm_expected_scale.m
        scores = np.abs(s[None, :] - expected[:, None])
    return torch.from_numpy(scores.argmin(axis=1)).long()  # argmin takes the first on ties
