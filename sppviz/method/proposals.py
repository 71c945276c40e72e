"""Candidate windows: selective search (OpenCV ximgproc), a regular grid, and user boxes.

Box convention (docs/conventions.md): (x1, y1, x2, y2) float pixel coordinates, 0-based, pixel i
centred at coordinate i; a box covers the pixel centres x1..x2 inclusive, so a window of pixels
x..x+w-1 is (x, y, x+w-1, y+h-1) and its width is x2 - x1 + 1.  Image sizes are (w, h) where
named ``img_wh``.  Every function returns float32 ndarrays of shape [K, 4].

The paper uses selective search "fast" mode, about 2,000 windows per image (docs/rules.md);
selective search costs 1-2 s per image on a CPU (docs/rules.md), which is why we run it on a copy
downscaled to ``max_side`` pixels, by default ``WORKING_SIDE``.
"""

from __future__ import annotations

import ctypes
import math
import os
import threading

import cv2
import numpy as np

# Hard cap on windows per image. Each window costs one SPP vector (12,800 floats = 51 KB for
# ZF-5 conv5 and levels {1,2,3,6}) plus its fc6/fc7 pass; 5,000 windows is ~256 MB of pooled
# features and a few seconds of fc compute on a 2-core CPU host -- the most we accept per request.
MAX_WINDOWS = 5000

# The longer side of the copy selective search runs on (images no larger are searched as they are). Chosen
# from recall against time (``python -m sppviz bench --proposals``: 100 generated scenes with held-out seeds,
# 348 objects, mean 491 x 508 px, "fast" mode, first 2,000 windows): a 400-px copy finds 98.6 % of the objects
# at IoU >= 0.5 and 94.3 % at IoU >= 0.7 in about half the time of a 500-px one (99.7 %, 94.8 %); at 300 px
# recall drops to 93.4 % and 88.5 %.
WORKING_SIDE = 400

SEARCH_MODES = ("fast", "quality")

# cv2.setNumThreads and the C library's rand() state are process-global; selective search calls
# take this lock so that concurrent callers (e.g. two Gradio sessions) never interleave them.
_CV2_LOCK = threading.Lock()


def _load_libc():
    """The process's C library (for srand), or None where it cannot be found (then no seeding)."""
    try:
        libc = ctypes.CDLL(None)
        libc.srand.argtypes = [ctypes.c_uint]
        return libc
    except (OSError, AttributeError, TypeError):
        return None


_LIBC = _load_libc()


# ---------------------------------------------------------------------------------------------
# Selective search
# ---------------------------------------------------------------------------------------------


def selective_search(
    img: np.ndarray,
    mode: str = "fast",
    max_side: int = WORKING_SIDE,
    max_windows: int = 2000,
    min_size: int = 16,
    num_threads: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Selective search windows (Uijlings et al.) via ``cv2.ximgproc``, in original pixels.

    img: uint8 H x W x 3 RGB. mode: "fast" (the paper's setting) or "quality".
    max_side: the search runs on a copy downscaled so max(H, W) <= max_side (never upscaled); default
    ``WORKING_SIDE``.
    min_size: windows narrower or shorter than this (original pixels, width = x2 - x1 + 1) are dropped.
    max_windows: keep at most this many, in OpenCV's order (its ranking), after deduplication.
    num_threads: OpenCV threads for this call (default 1), restored afterwards. OpenCV's selective
    search is essentially serial (measured: 1 and 2 threads take the same time on a 2-core host),
    so extra threads would only compete with torch and other sessions.
    seed: seeds OpenCV's ranking. OpenCV ranks each region by rand() * level (Uijlings' randomised
    ranking; C ``rand()`` in opencv_contrib's selectivesearchsegmentation.cpp), so we call C
    ``srand(seed)`` first; the set of windows does not depend on it, their order (and the cap) does.
    Returns float32 [K, 4] integer-valued (x1, y1, x2, y2), clipped to the image. Deterministic.
    """
    _check_image(img)
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {SEARCH_MODES}, got {mode!r}")
    max_side = _check_int("max_side", max_side, 16, 10_000)
    max_windows = _check_int("max_windows", max_windows, 1, MAX_WINDOWS)
    min_size = _check_int("min_size", min_size, 1, 10_000)
    num_threads = 1 if num_threads is None else _check_int("num_threads", num_threads, 1, os.cpu_count() or 1)
    seed = _check_int("seed", seed, 0, 2**32 - 1)
    h, w = img.shape[:2]
    small, sx, sy = _downscale(img, max_side)
    rects = _run_opencv(small, mode, num_threads, seed)          # [N, 4] (x, y, w, h) in the small copy
    boxes = _rects_to_boxes(rects, sx, sy)                  # float, original pixels
    boxes = np.floor(boxes + 0.5)                          # nearest integer pixel (half up)
    boxes = _clip(boxes, (w, h))
    keep = (boxes[:, 2] - boxes[:, 0] + 1 >= min_size) & (boxes[:, 3] - boxes[:, 1] + 1 >= min_size)
    boxes = _dedupe_keep_order(boxes[keep])
    return boxes[:max_windows].astype(np.float32)


def _downscale(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float, float]:
    """Copy of img with max side <= max_side (area interpolation); returns (copy, sx, sy) = small/original."""
    h, w = img.shape[:2]
    factor = max_side / max(h, w)
    if factor >= 1.0:
        return img, 1.0, 1.0
    sw, sh = max(1, int(round(w * factor))), max(1, int(round(h * factor)))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    return small, sw / w, sh / h


def _run_opencv(img_rgb: np.ndarray, mode: str, num_threads: int, seed: int) -> np.ndarray:
    """OpenCV selective search on an RGB image -> float64 [N, 4] rects (x, y, w, h), OpenCV's order."""
    bgr = np.ascontiguousarray(img_rgb[:, :, ::-1])  # OpenCV's colour-space strategies expect BGR
    with _CV2_LOCK:
        previous = cv2.getNumThreads()
        cv2.setNumThreads(num_threads)
        try:
            ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
            ss.setBaseImage(bgr)
            if mode == "fast":
                ss.switchToSelectiveSearchFast()
            else:
                ss.switchToSelectiveSearchQuality()
            if _LIBC is not None:
                _LIBC.srand(seed)  # reproducible ranking (see selective_search)
            rects = ss.process()
        finally:
            cv2.setNumThreads(previous)
    return np.asarray(rects, dtype=np.float64).reshape(-1, 4)


def _rects_to_boxes(rects: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """(x, y, w, h) rects of a copy scaled by (sx, sy) -> (x1, y1, x2, y2) boxes in original pixels.

    With pixel i centred at i, pixel i spans [i - 0.5, i + 0.5], so a rect's pixels x..x+w-1 span the
    edges [x - 0.5, x + w - 0.5] in the small copy; an edge e maps back to (e + 0.5) / sx - 0.5.
    The first/last covered original pixel centres are therefore x / sx and (x + w) / sx - 1
    (for sx = 1 this is the convention's (x, y, x + w - 1, y + h - 1)).
    """
    x, y, w, h = rects.T
    return np.stack([x / sx, y / sy, (x + w) / sx - 1.0, (y + h) / sy - 1.0], axis=1)


def _dedupe_keep_order(boxes: np.ndarray) -> np.ndarray:
    """Drop exact duplicate rows, keeping the first occurrence and the original order."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    _, first = np.unique(boxes, axis=0, return_index=True)
    return boxes[np.sort(first)]


# ---------------------------------------------------------------------------------------------
# Regular grid
# ---------------------------------------------------------------------------------------------


def grid_windows(
    img_wh,
    sizes=(64, 128, 256),
    aspect_ratios=(0.5, 1.0, 2.0),
    stride_frac: float = 0.5,
    max_windows: int = 2000,
) -> np.ndarray:
    """Regular multi-scale grid of windows clipped to the image.

    For each size s and aspect ratio r = height / width, windows of about s x s pixels area with
    width round(s / sqrt(r)) and height round(s * sqrt(r)), placed every stride_frac * side pixels
    from the top-left corner, plus one flush with the right / bottom edge so the grid covers the
    whole image.  Windows larger than the image are clipped; duplicates are dropped.
    Order: sizes, then ratios, as given, then row-major. If more than max_windows result, an
    evenly spaced subset (in that order) is kept so every size stays represented.
    Returns float32 [K, 4] (x1, y1, x2, y2).
    """
    w, h = _check_wh(img_wh)
    max_windows = _check_int("max_windows", max_windows, 1, MAX_WINDOWS)
    if not (isinstance(stride_frac, int | float) and 0.05 <= stride_frac <= 1.0):
        raise ValueError(f"stride_frac must be in [0.05, 1], got {stride_frac!r}")
    sizes = [_check_int("size", s, 1, 100_000) for s in np.atleast_1d(sizes).tolist()]
    ratios = [float(r) for r in np.atleast_1d(aspect_ratios).tolist()]
    if not sizes or not ratios or any(not (math.isfinite(r) and 0.01 <= r <= 100) for r in ratios):
        raise ValueError(f"need sizes and aspect ratios in [0.01, 100], got {sizes!r}, {ratios!r}")
    parts = []
    for s in sizes:
        for r in ratios:
            bw = max(1, int(round(s / math.sqrt(r))))
            bh = max(1, int(round(s * math.sqrt(r))))
            xs = _starts(w, bw, stride_frac)
            ys = _starts(h, bh, stride_frac)
            yy, xx = np.meshgrid(ys, xs, indexing="ij")  # row-major: y outer, x inner
            x1, y1 = xx.ravel(), yy.ravel()
            parts.append(np.stack([x1, y1, x1 + bw - 1, y1 + bh - 1], axis=1))
    boxes = _dedupe_keep_order(_clip(np.concatenate(parts).astype(np.float64), (w, h)))
    if len(boxes) > max_windows:
        boxes = boxes[np.linspace(0, len(boxes) - 1, max_windows).round().astype(np.int64)]
    return boxes.astype(np.float32)


def _starts(length: int, side: int, stride_frac: float) -> np.ndarray:
    """Start pixels of windows of `side` px along an axis of `length` px: 0, step, ..., and length - side."""
    if side >= length:
        return np.zeros(1, dtype=np.int64)
    step = max(1, int(round(side * stride_frac)))
    starts = np.arange(0, length - side + 1, step, dtype=np.int64)
    if starts[-1] != length - side:
        starts = np.append(starts, length - side)
    return starts


# ---------------------------------------------------------------------------------------------
# User boxes
# ---------------------------------------------------------------------------------------------


def validate_boxes(boxes, img_wh) -> np.ndarray:
    """Check user boxes and clip them to the image; returns float32 [K, 4] (x1, y1, x2, y2).

    Accepts a single box (4 numbers) or anything array-like of shape [K, 4] (K may be 0, at most
    MAX_WINDOWS). Raises ValueError naming the first bad box for: wrong shape, non-numbers,
    NaN / inf, inverted (x2 < x1 or y2 < y1), entirely outside the image, or degenerate (covers
    no pixel centre after clipping, e.g. (0.2, 0, 0.8, 5)). Boxes partly outside are clipped to
    [0, w - 1] x [0, h - 1].
    """
    w, h = _check_wh(img_wh)
    try:
        arr = np.array(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("boxes must be numbers: a box (x1, y1, x2, y2) or a [K, 4] array") from None
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None, :]
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"boxes must have shape [K, 4] (x1, y1, x2, y2) or [4]; got shape {arr.shape}")
    if len(arr) > MAX_WINDOWS:
        raise ValueError(f"too many boxes: {len(arr)} > MAX_WINDOWS = {MAX_WINDOWS}")
    _fail_first(~np.isfinite(arr).all(axis=1), arr, "contains NaN or infinity")
    _fail_first((arr[:, 2] < arr[:, 0]) | (arr[:, 3] < arr[:, 1]), arr, "is inverted (x2 < x1 or y2 < y1)")
    outside = (arr[:, 2] < 0) | (arr[:, 3] < 0) | (arr[:, 0] > w - 1) | (arr[:, 1] > h - 1)
    _fail_first(outside, arr, f"lies entirely outside the {w}x{h} image (pixels 0..{w - 1}, 0..{h - 1})")
    clipped = _clip(arr, (w, h))
    # a box covers a pixel centre along an axis iff some integer lies in [lo, hi]
    no_centre = np.ceil(clipped[:, :2]) > np.floor(clipped[:, 2:])  # [K, 2]: along x, along y
    empty = no_centre.any(axis=1)
    _fail_first(empty, arr, "is degenerate: it covers no pixel centre (zero size in pixels)")
    return clipped.astype(np.float32)


def _fail_first(bad: np.ndarray, arr: np.ndarray, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        x1, y1, x2, y2 = arr[i].tolist()
        more = f" ({int(bad.sum()) - 1} more bad boxes)" if bad.sum() > 1 else ""
        raise ValueError(f"box {i} (x1={x1:g}, y1={y1:g}, x2={x2:g}, y2={y2:g}) {what}{more}")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _clip(boxes: np.ndarray, img_wh) -> np.ndarray:
    """Clip (x1, y1, x2, y2) to the pixel centres [0, w - 1] x [0, h - 1]."""
    w, h = img_wh
    out = boxes.astype(np.float64, copy=True).reshape(-1, 4)
    out[:, 0::2] = out[:, 0::2].clip(0, w - 1)
    out[:, 1::2] = out[:, 1::2].clip(0, h - 1)
    return out


def _check_wh(img_wh) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in img_wh)
        ok = all(float(v) == int(v) for v in img_wh)
    except (TypeError, ValueError):
        raise ValueError(f"img_wh must be (width, height) positive integers, got {img_wh!r}") from None
    if not ok or w < 1 or h < 1:
        raise ValueError(f"img_wh must be (width, height) positive integers, got {img_wh!r}")
    return w, h


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


def _check_image(img) -> None:
    if not isinstance(img, np.ndarray):
        raise ValueError(f"image must be a numpy ndarray, got {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be uint8 H x W x 3 RGB, got dtype {img.dtype} shape {img.shape}")
    if img.shape[0] < 2 or img.shape[1] < 2:
        raise ValueError(f"image too small for selective search: shape {img.shape}")
