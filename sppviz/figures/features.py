"""Panels of feature maps: a map as a heatmap (plain, or as a figure with cell indices, the selected
window's cells and a colour scale), painted on the image, and one tile per channel.

A conv5 map is [h, w] (rows, columns); cell (cx, cy) has its receptive-field centre at image
pixel offset + stride * (cx, cy) (docs/conventions.md). Cells are 0-based inclusive
(cx0, cy0, cx1, cy1).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .palette import BLACK, FG, RGB, SELECTED_COLOR, colorize, value_range
from .primitives import Layout, as_rgb, blank, gather, outline, placeholder, upscale_int, with_colorbar, with_shape
from .text import FONT, SMALL, draw_texts, text_height, text_item, text_width
from .views import frame_with_ticks, image_view, map_body

# ----------------------------------------------------------------------------------------
# heatmaps


def _upscale_index(n_src: int, n_dst: int) -> np.ndarray:
    """Nearest-neighbour source index of each destination pixel (blocks of equal size +-1)."""
    return (np.arange(n_dst) * n_src) // n_dst


def _grid_lines(body: np.ndarray, ix: np.ndarray, iy: np.ndarray, factor=0.55) -> None:
    """Darken the first column / row of every cell block in place (thin cell grid)."""
    xs = np.flatnonzero(np.diff(ix)) + 1
    ys = np.flatnonzero(np.diff(iy)) + 1
    body[:, xs] = (body[:, xs] * factor).astype(np.uint8)
    body[ys, :] = (body[ys, :] * factor).astype(np.uint8)


def heatmap(values2d, size=None, cell_px=None, cmap="viridis", vmin=None, vmax=None, grid=True,
            return_layout=False):
    """Nearest-neighbour upscaled heatmap of a 2-D map [h, w].

    size=(W, H) gives the output size in pixels; else cell_px (int) the side of one cell;
    else cells of max(1, min(48, 640 // max(h, w))) px. Thin darker grid lines separate the
    cells when cells are >= 8 px and grid=True. vmin / vmax default to the map's min / max.
    With return_layout=True returns (image, Layout) with cells as source units.
    """
    v = np.asarray(values2d, dtype=np.float64)
    if v.ndim != 2 or v.size == 0:
        raise ValueError(f"values2d must be a non-empty 2-D array [h, w], got shape {v.shape}")
    h, w = v.shape
    if size is not None:
        W, H = (int(s) for s in size)
        if W < 1 or H < 1:
            raise ValueError(f"size must be positive (W, H), got {size}")
    else:
        if cell_px is None:
            cell_px = max(1, min(48, 640 // max(h, w)))
        cell_px = int(cell_px)
        if cell_px < 1:
            raise ValueError(f"cell_px must be >= 1, got {cell_px}")
        W, H = w * cell_px, h * cell_px
    col = colorize(v, cmap, vmin, vmax)
    ix, iy = _upscale_index(w, W), _upscale_index(h, H)
    if W % w == 0 and H % h == 0 and W // w == H // h:
        body = upscale_int(col, W // w)
    else:
        body = gather(col, iy, ix)
    if grid and min(W / w, H / h) >= 8:
        _grid_lines(body, ix, iy)
    if return_layout:
        return body, Layout(W / w, H / h, shape=body.shape[:2])
    return body


def feature_map(values2d, cells=None, cell_px=None, max_size=900, cmap="viridis", vmin=None, vmax=None,
                label: str | None = None, window_text: str | None = None, cells_color: RGB = SELECTED_COLOR,
                return_layout=False):
    """The whole conv5 map [h, w] as square cells with their indices along the top (columns cx) and the
    left (rows cy), every k-th when dense; the window's cells (cx0, cy0, cx1, cy1), when given, outlined
    in cells_color; under it the colour scale (min, three values, max; `label` names the quantity) and a
    legend line `window_text` for the outline. Cells are cell_px px (default: the map fits max_size).
    Layout: cells -> figure pixels; rects["window"] is the outline as drawn."""
    v = np.asarray(values2d, dtype=np.float64)
    if v.ndim != 2 or v.size == 0:
        raise ValueError(f"values2d must be a non-empty 2-D array [h, w], got shape {v.shape}")
    h, w = v.shape
    cp = int(cell_px) if cell_px is not None else max(1, min(40, int(max_size) // max(h, w)))
    if cp < 1:
        raise ValueError(f"cell_px must be >= 1, got {cell_px}")
    region = (0, 0, w - 1, h - 1)
    body, lay = map_body(v, region, cp, cmap, vmin, vmax)
    rects = {}
    if cells is not None:
        cx0, cy0, cx1, cy1 = (int(c) for c in cells)
        if not (0 <= cx0 <= cx1 < w and 0 <= cy0 <= cy1 < h):
            raise ValueError(f"cells {tuple(cells)} must satisfy 0 <= cx0 <= cx1 < {w}, 0 <= cy0 <= cy1 < {h}")
        rect = lay.unit_rect(cx0, cy0, cx1, cy1)
        outline(body, *rect, cells_color, max(2, min(4, cp // 4)), BLACK)
        rects["window"] = rect
    lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, lay.shape, rects, {"cell_px": cp})
    canvas, lay = frame_with_ticks(body, lay, region)
    lo, hi = value_range(v, vmin, vmax)
    entries = [("line", cells_color, window_text)] if cells is not None and window_text else []
    out = with_colorbar(canvas, lo, hi, cmap, label, entries)
    if return_layout:
        return out, with_shape(lay, out)
    return out


def overlay_on_image(image, values2d, stride, offset, alpha=0.55, cmap="inferno", vmin=None, vmax=None,
                     width=None, cells=None, cells_color: RGB = SELECTED_COLOR, return_layout=False):
    """Each conv5 cell's value painted as a square of side `stride` centred on its
    receptive-field centre (pixel offset + stride * i), blended onto the image.

    image [H, W, 3] is the image the map was computed on; values2d [h, w]; cell (x, y) covers
    the pixels with centres in [offset + stride*(x - 1/2), offset + stride*(x + 1/2)). Pixels
    outside every cell keep the image. cells (cx0, cy0, cx1, cy1), when given: the squares of
    those cells outlined together in cells_color (rects["window"] in the Layout). width
    (optional) rescales the output.
    """
    img = as_rgb(image)
    v = np.asarray(values2d, dtype=np.float64)
    if v.ndim != 2 or v.size == 0:
        raise ValueError(f"values2d must be a non-empty 2-D array [h, w], got shape {v.shape}")
    if float(stride) <= 0:
        raise ValueError(f"stride must be > 0, got {stride}")
    out, lay = image_view(img, width)
    Ho, Wo = out.shape[:2]
    h, w = v.shape
    # source pixel coordinate of each output pixel (pixel-centre convention), then its cell
    sx = (np.arange(Wo) + 0.5) / lay.sx - 0.5
    sy = (np.arange(Ho) + 0.5) / lay.sy - 0.5
    cx = np.floor((sx - float(offset)) / float(stride) + 0.5).astype(np.intp)
    cy = np.floor((sy - float(offset)) / float(stride) + 0.5).astype(np.intp)
    okx, oky = (cx >= 0) & (cx < w), (cy >= 0) & (cy < h)
    col = colorize(v, cmap, vmin, vmax)
    x0, x1 = np.flatnonzero(okx)[[0, -1]] if okx.any() else (0, -1)
    y0, y1 = np.flatnonzero(oky)[[0, -1]] if oky.any() else (0, -1)
    if x1 >= x0 and y1 >= y0:
        paint = gather(col, cy[y0:y1 + 1], cx[x0:x1 + 1])
        region = out[y0:y1 + 1, x0:x1 + 1]
        out[y0:y1 + 1, x0:x1 + 1] = cv2.addWeighted(region, 1.0 - alpha, paint, alpha, 0.0)
    rects = {}
    if cells is not None:
        c0, r0, c1, r1 = (int(c) for c in cells)
        s, o = float(stride), float(offset)
        H, W = img.shape[:2]
        px0, py0 = max(0, int(np.ceil(o + s * (c0 - 0.5)))), max(0, int(np.ceil(o + s * (r0 - 0.5))))
        px1 = min(W - 1, int(np.ceil(o + s * (c1 + 0.5))) - 1)
        py1 = min(H - 1, int(np.ceil(o + s * (r1 + 0.5))) - 1)
        if px0 <= px1 and py0 <= py1:
            rect = lay.unit_rect(px0, py0, px1, py1)
            outline(out, *rect, cells_color, 4, BLACK)
            rects["window"] = rect
    if return_layout:
        return out, Layout(lay.sx, lay.sy, shape=out.shape[:2], rects=rects,
                           info={"stride": float(stride), "offset": float(offset)})
    return out


def channel_tiles(fmap, channels: Sequence[int], labels: Sequence[str] | None = None, tile=160, cols=4,
                  cmap="viridis", shared_range=False) -> np.ndarray:
    """A grid of per-channel heatmaps of fmap [C, h, w], `cols` per row.

    Each tile fits its map into tile x tile px (aspect kept), normalised per channel (or over
    all shown channels with shared_range=True), with "#c" and the optional label under it."""
    fm = np.asarray(fmap)
    if fm.ndim != 3:
        raise ValueError(f"fmap must be [C, h, w], got shape {fm.shape}")
    channels = [int(c) for c in channels]
    if labels is not None and len(labels) != len(channels):
        raise ValueError(f"labels must match channels: {len(labels)} != {len(channels)}")
    for c in channels:
        if not 0 <= c < fm.shape[0]:
            raise ValueError(f"channel {c} out of range 0..{fm.shape[0] - 1}")
    if not channels:
        return placeholder(int(tile) * 2, int(tile))
    tile, cols = int(tile), max(1, int(cols))
    h, w = fm.shape[1:]
    k = tile / max(h, w)
    tw, th = max(1, int(round(w * k))), max(1, int(round(h * k)))
    lo = hi = None
    if shared_range:
        lo, hi = value_range(fm[channels].astype(np.float64))
    lab_size = SMALL
    lh = text_height(FONT) + 2
    n_lines = 2 if labels is not None else 1
    cell_w, cell_h = max(tw, 60) + 16, th + 10 + n_lines * lh + 14
    rows = -(-len(channels) // cols)
    out = blank(rows * cell_h, min(cols, len(channels)) * cell_w)
    texts = []
    for i, c in enumerate(channels):
        r, q = divmod(i, cols)
        x, y = q * cell_w + 8, r * cell_h
        ox = x + (cell_w - 16 - tw) // 2
        out[y:y + th, ox:ox + tw] = heatmap(fm[c], size=(tw, th), cmap=cmap, vmin=lo, vmax=hi, grid=False)
        outline(out, ox - 1, y - 1, ox + tw, y + th, (90, 90, 90), 1, None)
        cx, ty = x + (cell_w - 16) / 2, y + th + 8
        texts.append(text_item(cx, ty, f"#{c}", FONT, FG, "ma", True))
        if labels is not None and str(labels[i]):
            text, size = str(labels[i]), FONT
            while size > lab_size and text_width(text, size) > cell_w - 4:
                size -= 1
            while len(text) > 1 and text_width(text, size) > cell_w - 4:
                text = text[:-2] + "…"
            texts.append(text_item(cx, ty + lh, text, size, FG, "ma"))
    return draw_texts(out, texts)
