"""The image pyramid and per-window scale selection (paper §4.1).

The image is resized so that min(w, h) = s for each scale s; conv5 is computed once per
scale. Each window is then pooled at the ONE scale whose scaled window is closest to the
network's training size, by one of two named rules:

- "paper"    (paper §4.1, Fast R-CNN code): argmin |area·f² − 224²|, f = s / min_side.
- "original" (release): expected = round(208·min_side / √area) (a 208-px side = 13 cells ×
  16), pick the s closest to it.

Boxes are (x1, y1, x2, y2) pixel-inclusive in the ORIGINAL image: width = x2 − x1 + 1.
Image sizes are (w, h) where named `_wh`.
"""

import math

import cv2
import numpy as np
import torch

PAPER_SCALES = (480, 576, 688, 864, 1200)    # paper §4.1
RELEASE_SCALES = (480, 576, 688, 874, 1200)  # release uses 874 instead of 864
SINGLE_SCALE = 688                           # paper's single-scale results
SCALE_RULES = ("paper", "original")

PAPER_TARGET_AREA = 224 * 224  # paper / Fast R-CNN: pixel count of a 224 x 224 input
RELEASE_TARGET_SIDE = 208      # release: 13 conv5 cells x stride 16

# Limits on user-chosen scales. conv5 cost grows with s²: at s = 1600 one ZF-5 pass over a 4:3
# image already takes seconds on 2 CPU cores, and eight scales cover S plus a few custom ones.
MIN_SCALE = 64
MAX_SCALE = 1600
MAX_SCALES = 8


def _check_size(w, h):
    for name, v in (("w", w), ("h", h)):
        if not (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0):
            raise ValueError(f"image {name} must be a positive int, got {v!r}")


def _check_scale(s):
    if not (isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0):
        raise ValueError(f"scale must be a positive int (the new min side), got {s!r}")


def validate_scales(scales):
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


def scaled_size(w, h, s):
    """(w', h') of the image resized so that its min side is s; the other side is
    other·s/min rounded half up (exact integer arithmetic)."""
    _check_size(w, h)
    _check_scale(s)
    m = min(w, h)

    def side(v):  # floor(v·s/m + 1/2), exactly
        return s if v == m else (2 * v * s + m) // (2 * m)

    return int(side(w)), int(side(h))


def scale_factor(w, h, s):
    """The box scale factor for scale s: s / min(w, h) (Fast R-CNN convention)."""
    _check_size(w, h)
    _check_scale(s)
    return s / min(w, h)


def scale_boxes(boxes, factor):
    """Boxes [K, 4] (or one box) times `factor` (Fast R-CNN convention). Keeps the type
    (tensor -> tensor, else float64 ndarray)."""
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be a positive finite number, got {factor!r}")
    if isinstance(boxes, torch.Tensor):
        return boxes * factor
    return np.asarray(boxes, dtype=np.float64) * factor


def scale_boxes_release(boxes, min_side, s):
    """The release's endpoint-preserving rule (x − 1)(s − 1)/(min_side − 1) + 1, written
    0-based: x·(s − 1)/(min_side − 1). Pixel 0 stays 0 and pixel min_side − 1 becomes s − 1."""
    _check_scale(s)
    if not (isinstance(min_side, (int, np.integer)) and min_side > 1):
        raise ValueError(f"min_side must be an int > 1, got {min_side!r}")
    return scale_boxes(boxes, (s - 1) / (min_side - 1))


def resize_image(img, s):
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
    try:
        w, h = image_wh
    except (TypeError, ValueError):
        raise ValueError(f"image_wh must be (w, h), got {image_wh!r}") from None
    _check_size(w, h)
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


def scaled_areas(box, image_wh, scales):
    """Pixel count of the window at each scale: area·f², f = s / min_side. float ndarray [S]."""
    m, scales = _check_common(image_wh, scales)
    area = _area(box)
    return np.array([area * (s / m) * (s / m) for s in scales])


def scale_scores(box, image_wh, scales, rule="paper"):
    """Score per scale, lower is better (the chart data); float ndarray [S].

    paper:    |area·f² − 224²|          (paper §4.1 / Fast R-CNN)
    original: |s − round(208·min/√area)| (release)
    """
    m, scales = _check_common(image_wh, scales, rule)
    area = _area(box)
    if rule == "paper":
        return np.array([abs(area * (s / m) * (s / m) - PAPER_TARGET_AREA) for s in scales])
    expected = math.floor(RELEASE_TARGET_SIDE * m / math.sqrt(area) + 0.5)  # MATLAB round (>0)
    return np.array([float(abs(s - expected)) for s in scales])


def select_scale(box, image_wh, scales, rule="paper"):
    """Index into `scales` of the one scale this window is pooled at (ties -> first)."""
    return int(np.argmin(scale_scores(box, image_wh, scales, rule)))


def select_scales(boxes, image_wh, scales, rule="paper"):
    """Vectorised select_scale: boxes [K, 4] (tensor or ndarray) -> LongTensor [K] indices."""
    m, scales = _check_common(image_wh, scales, rule)
    if isinstance(boxes, torch.Tensor):
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
        expected = np.floor(RELEASE_TARGET_SIDE * m / np.sqrt(area) + 0.5)
        scores = np.abs(s[None, :] - expected[:, None])
    return torch.from_numpy(scores.argmin(axis=1)).long()  # argmin takes the first on ties
