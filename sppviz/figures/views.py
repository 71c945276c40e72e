"""What a panel shows of an image or a map, and where it lands: views with their Layouts.

image_view shows an image at a width, or an inclusive pixel crop (c0, r0, c1, r1) zoomed into
a box (resolve_crop chooses the crop around what a panel draws). For the map panels,
choose_view picks a region of the conv5 map and a cell size, map_body draws that region as a
heatmap of square cells and frame_with_ticks writes the cell indices above and left. Image
pixels and conv5 cells are 0-based and inclusive (docs/conventions.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .palette import FG, colorize, value_range
from .primitives import Layout, blank, fit_width, resize, upscale_int
from .text import SMALL, draw_texts, text_height, text_item, text_width

# ----------------------------------------------------------------------------------------
# image views: the whole image at a width, or a zoomed crop


def image_view(img: np.ndarray, width: int | None, crop: Sequence[int] | None = None, max_up: float = 4.0,
               max_aspect: float = 0.75) -> tuple[np.ndarray, Layout]:
    """The image (or its inclusive pixel crop (c0, r0, c1, r1)) resized for display.

    Full image: scaled to `width` px wide (None: unchanged). Crop: fitted into a box of
    width x max_aspect*width px, enlarged at most max_up times. Returns (view, Layout)."""
    if crop is None:
        out, _ = fit_width(img, width)
        H, W = img.shape[:2]
        return out, Layout(out.shape[1] / W, out.shape[0] / H, shape=out.shape[:2])
    c0, r0, c1, r1 = (int(v) for v in crop)
    sub = img[r0:r1 + 1, c0:c1 + 1]
    ch, cw = sub.shape[:2]
    width = int(width) if width is not None else cw
    f = min(width / cw, max_aspect * width / ch, max_up)
    out = resize(sub, max(1, int(round(cw * f))), max(1, int(round(ch * f))))
    return out, Layout(out.shape[1] / cw, out.shape[0] / ch, 0, 0, c0, r0, out.shape[:2])


def _auto_crop(img_shape, boxes, margin_frac=0.15, min_margin=16) -> tuple[int, int, int, int]:
    """Inclusive pixel crop (c0, r0, c1, r1) around boxes [K, 4] plus a margin, clipped."""
    a = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    H, W = img_shape[:2]
    x1, y1, x2, y2 = a[:, 0].min(), a[:, 1].min(), a[:, 2].max(), a[:, 3].max()
    m = max(min_margin, margin_frac * max(x2 - x1 + 1, y2 - y1 + 1))
    c0 = int(min(max(math.floor(x1 - m), 0), W - 1))
    r0 = int(min(max(math.floor(y1 - m), 0), H - 1))
    c1 = int(max(min(math.ceil(x2 + m), W - 1), c0))
    r1 = int(max(min(math.ceil(y2 + m), H - 1), r0))
    return c0, r0, c1, r1


def resolve_crop(img: np.ndarray, crop: str | Sequence[float] | None,
                 boxes: Sequence[Sequence[float]]) -> tuple[int, int, int, int] | None:
    """The inclusive pixel crop (c0, r0, c1, r1) of a panel's `crop` argument, for image_view.

    None: no crop (the whole image); "auto": around `boxes` ([K, 4] image pixels, what the
    panel draws) plus a margin; a box (x1, y1, x2, y2): the pixels it covers. Clipped to img."""
    if crop is None:
        return None
    if isinstance(crop, str):
        if crop != "auto":
            raise ValueError(f"crop must be 'auto', None or (x1, y1, x2, y2), got {crop!r}")
        return _auto_crop(img.shape, boxes)
    return _auto_crop(img.shape, [crop], 0.0, 0)


# ----------------------------------------------------------------------------------------
# map panels (projection, bins): a cropped, zoomed heatmap with cell indices on two sides


def focus_region(map_hw: tuple[int, int], boxes_cells: Sequence[Sequence[float]],
                 margin: int) -> tuple[int, int, int, int]:
    """Inclusive cell region (c0, r0, c1, r1) covering the given (x0, y0, x1, y1) map-coordinate
    boxes plus `margin` cells, clipped to the map; the whole map when nothing is given."""
    h, w = map_hw
    if not boxes_cells:
        return 0, 0, w - 1, h - 1
    a = np.asarray(boxes_cells, dtype=np.float64)
    c0 = int(math.floor(a[:, 0].min())) - margin
    r0 = int(math.floor(a[:, 1].min())) - margin
    c1 = int(math.ceil(a[:, 2].max())) + margin
    r1 = int(math.ceil(a[:, 3].max())) + margin
    c0, r0 = min(max(c0, 0), w - 1), min(max(r0, 0), h - 1)
    c1, r1 = max(min(c1, w - 1), c0), max(min(r1, h - 1), r0)
    return c0, r0, c1, r1


def choose_view(map_hw: tuple[int, int], focus: Sequence[Sequence[float]], margin: int, cell_px: int | None,
                max_size: int, min_cell: int = 16, max_cell: int = 64) -> tuple[tuple[int, int, int, int], int]:
    """Region and cell size: the whole map when it fits max_size with cells >= min_cell px,
    else the focus region plus `margin` cells, zoomed to fit max_size. map_hw is (h, w); focus
    holds (x0, y0, x1, y1) map-coordinate boxes; returns ((c0, r0, c1, r1) inclusive, cell px)."""
    h, w = map_hw
    if cell_px is not None:
        cell_px = int(cell_px)
        if cell_px < 1:
            raise ValueError(f"cell_px must be >= 1, got {cell_px}")
        if max(h, w) * cell_px <= max_size:
            return (0, 0, w - 1, h - 1), cell_px
        return focus_region(map_hw, focus, margin), cell_px
    full = max_size // max(h, w)
    if full >= min_cell or not focus:
        return (0, 0, w - 1, h - 1), max(1, min(full, max_cell))
    region = focus_region(map_hw, focus, margin)
    rw, rh = region[2] - region[0] + 1, region[3] - region[1] + 1
    return region, max(4, min(max_cell, max_size // max(rw, rh)))


def _tick_step(cell_px, label_px):
    """Label every k-th cell: the smallest k of 1, 2, 5, 10, ... whose labels do not collide."""
    for k in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if k * cell_px >= label_px + 8:
            return k
    return 1000


def map_body(fmap2d: np.ndarray, region: tuple[int, int, int, int], cell_px: int, cmap: str, vmin: float | None,
             vmax: float | None, grid: bool = True) -> tuple[np.ndarray, Layout]:
    """Heatmap of the map region (colours normalised over the WHOLE map) and its Layout.

    fmap2d [h, w]; region (c0, r0, c1, r1) inclusive cells; each cell is cell_px x cell_px px,
    with darker grid lines when cell_px >= 8 and grid=True. Layout: cells -> body pixels."""
    c0, r0, c1, r1 = region
    lo, hi = value_range(fmap2d, vmin, vmax)
    col = colorize(fmap2d[r0:r1 + 1, c0:c1 + 1], cmap, lo, hi)
    body = upscale_int(col, cell_px)
    if grid and cell_px >= 8:
        body[:, ::cell_px] = (body[:, ::cell_px] * 0.55).astype(np.uint8)
        body[::cell_px, :] = (body[::cell_px, :] * 0.55).astype(np.uint8)
    return body, Layout(cell_px, cell_px, 0, 0, c0, r0, body.shape[:2])


def frame_with_ticks(body: np.ndarray, layout: Layout, region: tuple[int, int, int, int],
                     pad: int = 8) -> tuple[np.ndarray, Layout]:
    """Put the body on a canvas with cell indices above (columns) and left (rows).

    Returns canvas (texts drawn) and the layout shifted to canvas pixels."""
    c0, r0, c1, r1 = region
    cell = layout.sx
    left = max(text_width(str(r1), SMALL), text_width("0", SMALL)) + 12
    top = text_height(SMALL) + 8
    bh, bw = body.shape[:2]
    canvas = blank(top + bh + pad, left + bw + pad)
    canvas[top:top + bh, left:left + bw] = body
    texts = []
    kx = _tick_step(cell, text_width(str(c1), SMALL))
    for c in range(c0, c1 + 1):
        if c % kx == 0:
            texts.append(text_item(left + (c - c0 + 0.5) * cell, top - 4, str(c), SMALL, FG, "md"))
    ky = _tick_step(cell, text_height(SMALL))
    for r in range(r0, r1 + 1):
        if r % ky == 0:
            texts.append(text_item(left - 6, top + (r - r0 + 0.5) * cell, str(r), SMALL, FG, "rm"))
    return draw_texts(canvas, texts), layout.shifted(left, top, canvas.shape[:2])
