"""Drawing primitives shared by the panels: Layout, input checks, canvases, shapes, composition.

Arrays are uint8 RGB [H, W, 3]; image pixels are 0-based with pixel i centred at i; boxes are
(x1, y1, x2, y2) inclusive pixel centres (docs/conventions.md). Rectangles (l, t, r, b) are
inclusive figure pixels. The shapes (fill, outline, dashed_outline, dot, dim) draw in place,
clipped to the array; the composition helpers (hstack, vstack, caption, legend, colorbar,
with_colorbar, placeholder) return new arrays.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from .palette import BG, BLACK, FG, RGB, colorize
from .text import FONT, SMALL, draw_texts, fmt2, text_height, text_item, text_width

# ----------------------------------------------------------------------------------------
# layout info


@dataclass(frozen=True)
class Layout:
    """Where source units land in a figure.

    A source unit is an image pixel (image panels) or a conv5 cell (map panels). Unit u along x
    occupies the figure columns [x0 + (u - col0) * sx, x0 + (u - col0 + 1) * sx), likewise for
    y with (y0, row0, sy). ``rects`` holds named rectangles as drawn, (l, t, r, b) inclusive
    figure pixels; ``info`` holds panel-specific numbers.
    """

    sx: float
    sy: float
    x0: int = 0
    y0: int = 0
    col0: float = 0
    row0: float = 0
    shape: tuple[int, int] = (0, 0)  # figure (H, W)
    rects: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def unit_rect(self, u0, v0, u1, v1) -> tuple[int, int, int, int]:
        """Inclusive figure pixels (l, t, r, b) covering units u0..u1 x v0..v1 (floats allowed)."""
        l = self.x0 + int(round((u0 - self.col0) * self.sx))
        r = self.x0 + int(round((u1 + 1 - self.col0) * self.sx)) - 1
        t = self.y0 + int(round((v0 - self.row0) * self.sy))
        b = self.y0 + int(round((v1 + 1 - self.row0) * self.sy)) - 1
        return l, t, max(l, r), max(t, b)

    def to_px(self, u, v) -> tuple[float, float]:
        """Figure pixel (x, y) of the continuous source point (u, v) (pixel-centre convention)."""
        return (self.x0 + (u - self.col0 + 0.5) * self.sx - 0.5,
                self.y0 + (v - self.row0 + 0.5) * self.sy - 0.5)

    def from_px(self, x, y) -> tuple[float, float]:
        """Source coordinate (u, v) of figure pixel (x, y): inverse of to_px (e.g. a click)."""
        return ((x + 0.5 - self.x0) / self.sx - 0.5 + self.col0,
                (y + 0.5 - self.y0) / self.sy - 0.5 + self.row0)

    def shifted(self, dx: int, dy: int, shape: tuple[int, int] | None = None) -> Layout:
        """The same layout with the figure moved by (dx, dy) px (e.g. pasted on a bigger canvas)."""
        rects = {k: (l + dx, t + dy, r + dx, b + dy) for k, (l, t, r, b) in self.rects.items()}
        return Layout(self.sx, self.sy, self.x0 + dx, self.y0 + dy, self.col0, self.row0,
                      tuple(shape) if shape is not None else self.shape, rects, dict(self.info))


def with_shape(layout: Layout, arr: np.ndarray) -> Layout:
    """layout with its figure shape set to arr's (H, W) (after a legend was added below)."""
    return Layout(layout.sx, layout.sy, layout.x0, layout.y0, layout.col0, layout.row0,
                  arr.shape[:2], layout.rects, layout.info)


# ----------------------------------------------------------------------------------------
# inputs


def as_rgb(image: np.ndarray, name: str = "image") -> np.ndarray:
    """uint8 C-contiguous [H, W, 3] from uint8/float RGB, RGBA or grey input."""
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"{name} must be an RGB array [H, W, 3], got shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype != np.uint8:
        a = np.asarray(a, dtype=np.float64)
        if a.size and np.nanmax(a) <= 1.0:
            a = a * 255.0
        a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def as_boxes(boxes: Sequence | np.ndarray, name: str = "boxes") -> np.ndarray:
    """Boxes as float64 [K, 4] (x1, y1, x2, y2); one box (4 numbers) gives [1, 4], none [0, 4]."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        return np.zeros((0, 4))
    if b.ndim == 1 and b.shape[0] == 4:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape [K, 4] (x1, y1, x2, y2), got {b.shape}")
    return b


def one_box(window: Sequence[float] | np.ndarray, name: str = "window") -> np.ndarray:
    """Exactly one box as float64 [4] (x1, y1, x2, y2); ValueError otherwise."""
    w = as_boxes(window, name)
    if len(w) != 1:
        raise ValueError(f"{name} must be one box (x1, y1, x2, y2), got shape {np.asarray(window).shape}")
    return w[0]


def as_points(p: Sequence | np.ndarray, name: str = "points") -> np.ndarray:
    """Points as float64 [N, 2] (x, y); one point (2 numbers) gives [1, 2], none [0, 2]."""
    a = np.asarray(p, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 2))
    if a.ndim == 1 and a.shape[0] == 2:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name} must have shape [N, 2] (x, y), got {a.shape}")
    return a


# ----------------------------------------------------------------------------------------
# raster helpers: resizing, blank canvases, nearest-neighbour upscaling


def resize(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """Resize to (w, h): linear when enlarging, area averaging when shrinking (big shrinks
    first halve with pyrDown, several times faster than INTER_AREA at a non-integer ratio)."""
    H, W = image.shape[:2]
    w, h = int(w), int(h)
    if (w, h) == (W, H):
        return image.copy()
    if w >= W:
        return np.ascontiguousarray(cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR))
    while image.shape[1] >= 2 * w and image.shape[0] >= 2 * h and min(image.shape[:2]) >= 4:
        image = cv2.pyrDown(image)
    if image.shape[:2] == (h, w):
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA))


def fit_width(image: np.ndarray, width: int | None) -> tuple[np.ndarray, float]:
    """Image scaled to `width` (None: unchanged) and the factor."""
    H, W = image.shape[:2]
    if width is None or int(width) == W:
        return image.copy(), 1.0
    width = int(width)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    f = width / W
    return resize(image, width, max(1, int(round(H * f)))), f


def blank(h: int, w: int, color: RGB = BG) -> np.ndarray:
    """A uint8 [h, w, 3] canvas (at least 1 x 1) filled with color."""
    h, w = max(1, int(h)), max(1, int(w))
    if color[0] == color[1] == color[2]:
        return np.full((h, w, 3), color[0], np.uint8)
    row = np.empty((w, 3), np.uint8)
    row[:] = color
    a = np.empty((h, w, 3), np.uint8)
    a[:] = row  # broadcasting a whole row is much faster than a 3-vector
    return a


def gather(col: np.ndarray, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """col[iy][:, ix] (nearest-neighbour upscaling by index arrays), fast."""
    return np.take(np.take(col, iy, axis=0), ix, axis=1)


def upscale_int(col: np.ndarray, cell_px: int) -> np.ndarray:
    """Each pixel of col [h, w, 3] as a cell_px x cell_px block (exact nearest neighbour)."""
    h, w = col.shape[:2]
    return cv2.resize(col, (w * cell_px, h * cell_px), interpolation=cv2.INTER_NEAREST_EXACT)


# ----------------------------------------------------------------------------------------
# shapes


def fill(arr: np.ndarray, l: float, t: float, r: float, b: float, color: Sequence[int], alpha: float = 1.0) -> None:
    """Fill the inclusive rectangle (l, t, r, b), clipped to arr, optionally blended."""
    H, W = arr.shape[:2]
    l, t = max(int(l), 0), max(int(t), 0)
    r, b = min(int(r), W - 1), min(int(b), H - 1)
    if l > r or t > b:
        return
    if alpha >= 1.0 and arr.flags.c_contiguous:
        cv2.rectangle(arr, (l, t), (r, b), tuple(int(c) for c in color), -1)  # much faster than numpy
        return
    region = arr[t:b + 1, l:r + 1]
    if alpha >= 1.0:
        region[:] = color
    else:
        region[:] = (region * (1.0 - alpha) + np.asarray(color, np.float64) * alpha + 0.5).astype(np.uint8)


def outline(arr: np.ndarray, l: float, t: float, r: float, b: float, color: Sequence[int], th: int = 3,
            halo: RGB | None = BLACK, alpha: float = 1.0) -> None:
    """Rectangle outline th px thick lying just INSIDE (l, t, r, b) (inclusive), with a
    1-px halo on both sides of the line."""
    l, t, r, b = int(round(l)), int(round(t)), int(round(r)), int(round(b))
    th = max(1, int(th))
    if halo is not None:
        outline(arr, l - 1, t - 1, r + 1, b + 1, halo, th + 2, None, alpha)
    th = min(th, max(1, (r - l + 1) // 2), max(1, (b - t + 1) // 2))
    fill(arr, l, t, r, t + th - 1, color, alpha)
    fill(arr, l, b - th + 1, r, b, color, alpha)
    fill(arr, l, t + th, l + th - 1, b - th, color, alpha)
    fill(arr, r - th + 1, t + th, r, b - th, color, alpha)


def dashed_outline(arr: np.ndarray, l: float, t: float, r: float, b: float, color: Sequence[int], th: int = 3,
                   dash: int = 12, gap: int = 8, halo: RGB | None = BLACK) -> None:
    """Dashed rectangle outline inside (l, t, r, b); the halo is solid, so the line reads as
    alternating colour / halo dashes on any background."""
    l, t, r, b = int(round(l)), int(round(t)), int(round(r)), int(round(b))
    if halo is not None:
        outline(arr, l - 1, t - 1, r + 1, b + 1, halo, th + 2, None)
    th = min(th, max(1, (r - l + 1) // 2), max(1, (b - t + 1) // 2))
    step = dash + gap
    for x in range(l, r + 1, step):
        fill(arr, x, t, min(x + dash - 1, r), t + th - 1, color)
        fill(arr, x, b - th + 1, min(x + dash - 1, r), b, color)
    for y in range(t, b + 1, step):
        fill(arr, l, y, l + th - 1, min(y + dash - 1, b), color)
        fill(arr, r - th + 1, y, r, min(y + dash - 1, b), color)


def dot(arr: np.ndarray, x: float, y: float, r: float, color: Sequence[int], hollow: bool = False,
        ring: RGB | None = BLACK, ring_w: int = 2) -> None:
    """Anti-aliased dot of radius r at figure pixel (x, y): filled (or a ring when hollow),
    outlined in `ring`."""
    c = (int(round(x * 16)), int(round(y * 16)))
    color = tuple(int(v) for v in color)
    if hollow:
        w = max(2, int(round(r * 0.45)))
        if ring is not None:
            cv2.circle(arr, c, int(round(r * 16)), tuple(int(v) for v in ring), w + 2 * ring_w,
                       cv2.LINE_AA, 4)
        cv2.circle(arr, c, int(round(r * 16)), color, w, cv2.LINE_AA, 4)
        return
    if ring is not None:
        cv2.circle(arr, c, int(round((r + ring_w) * 16)), tuple(int(v) for v in ring), -1, cv2.LINE_AA, 4)
    cv2.circle(arr, c, int(round(r * 16)), color, -1, cv2.LINE_AA, 4)


def dim(arr: np.ndarray, keep: Sequence[int] | None = None, factor: float = 0.5) -> None:
    """Darken arr in place except inside the inclusive rectangle `keep` (l, t, r, b)."""
    H, W = arr.shape[:2]
    saved = None
    if keep is not None:
        l, t, r, b = (int(v) for v in keep)
        l, t, r, b = max(l, 0), max(t, 0), min(r, W - 1), min(b, H - 1)
        if l <= r and t <= b:
            saved = (t, b, l, r, arr[t:b + 1, l:r + 1].copy())
    lut = (np.arange(256) * float(factor)).astype(np.uint8)
    cv2.LUT(arr, lut, dst=arr)
    if saved is not None:
        t, b, l, r, region = saved
        arr[t:b + 1, l:r + 1] = region


# ----------------------------------------------------------------------------------------
# composition helpers


def to_png_bytes(arr) -> bytes:
    """PNG file bytes of a uint8 RGB array (for downloads / slides)."""
    a = as_rgb(arr)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def hstack(arrays: Sequence[np.ndarray], pad=16, bg: RGB = BG, align="top") -> np.ndarray:
    """Arrays side by side with `pad` px between them; align 'top' | 'center' | 'bottom'."""
    arrs = [as_rgb(a) for a in arrays]
    if not arrs:
        return blank(1, 1, bg)
    H = max(a.shape[0] for a in arrs)
    W = sum(a.shape[1] for a in arrs) + pad * (len(arrs) - 1)
    out = blank(H, W, bg)
    x = 0
    for a in arrs:
        h, w = a.shape[:2]
        y = {"top": 0, "center": (H - h) // 2, "bottom": H - h}[align]
        out[y:y + h, x:x + w] = a
        x += w + pad
    return out


def vstack(arrays: Sequence[np.ndarray], pad=16, bg: RGB = BG, align="left") -> np.ndarray:
    """Arrays one above the other with `pad` px between them; align 'left' | 'center' | 'right'."""
    arrs = [as_rgb(a) for a in arrays]
    if not arrs:
        return blank(1, 1, bg)
    W = max(a.shape[1] for a in arrs)
    H = sum(a.shape[0] for a in arrs) + pad * (len(arrs) - 1)
    out = blank(H, W, bg)
    y = 0
    for a in arrs:
        h, w = a.shape[:2]
        x = {"left": 0, "center": (W - w) // 2, "right": W - w}[align]
        out[y:y + h, x:x + w] = a
        y += h + pad
    return out


def caption(arr, text: str, size=FONT, bold=False, position="bottom", bg: RGB = BG, fg: RGB = FG,
            align="center") -> np.ndarray:
    """arr with a band of text (one or more lines) above or below it."""
    a = as_rgb(arr)
    lines = str(text).split("\n")
    lh = text_height(size, bold) + 6
    W = max(a.shape[1], max(text_width(s, size, bold) for s in lines) + 16)
    band = blank(lh * len(lines) + 10, W, bg)
    x, anchor = {"left": (8, "lm"), "center": (W / 2, "mm"), "right": (W - 8, "rm")}[align]
    band = draw_texts(band, [text_item(x, 5 + lh * (i + 0.5), s, size, fg, anchor, bold)
                             for i, s in enumerate(lines)])
    body = blank(a.shape[0], W, bg)
    body[:, (W - a.shape[1]) // 2:(W - a.shape[1]) // 2 + a.shape[1]] = a
    return np.concatenate([band, body] if position == "top" else [body, band], axis=0)


def legend(entries: Sequence[tuple], width: int, size: int = FONT, bg: RGB = BG) -> np.ndarray:
    """A legend band; entries are (kind, colour, text), kind in 'line' | 'dash' | 'box' | 'dot'
    | 'ring' | None. Entries flow left to right and wrap to fit `width`."""
    sw, gap, lh = 40, 26, text_height(size) + 14
    placed, x, row = [], 10, 0
    for kind, color, text in entries:
        w = (sw + 10 if kind else 0) + text_width(text, size)
        if x > 10 and x + w > width - 10:
            x, row = 10, row + 1
        placed.append((x, row, kind, color, text))
        x += w + gap
    rows = row + 1
    W = max(int(width), max((p[0] + (sw + 10 if p[2] else 0) + text_width(p[4], size) for p in placed),
                            default=10) + 10)
    out = blank(rows * lh + 6, W, bg)
    texts = []
    for x, row, kind, color, text in placed:
        cy = 3 + row * lh + lh // 2
        if kind == "line":
            outline(out, x, cy - 2, x + sw - 1, cy + 2, color, 3)
            fill(out, x, cy - 2, x + sw - 1, cy + 2, color)
        elif kind == "dash":
            fill(out, x - 1, cy - 3, x + sw, cy + 3, BLACK)
            for xx in (x, x + 16, x + 32):
                fill(out, xx, cy - 2, min(xx + 9, x + sw - 1), cy + 2, color)
        elif kind == "box":
            fill(out, x, cy - 11, x + sw - 1, cy + 11, color)
        elif kind in ("dot", "ring"):
            dot(out, x + sw / 2, cy, 8, color, hollow=(kind == "ring"))
        tx = x + (sw + 10 if kind else 0)
        texts.append(text_item(tx, cy, text, size, FG, "lm"))
    return draw_texts(out, texts)


def colorbar(vmin, vmax, cmap="viridis", width=400, height=24, size=SMALL, label: str | None = None,
             ticks: int = 0) -> np.ndarray:
    """A horizontal colour bar with its min and max printed at the ends, `label` (the quantity, in the
    page's language) before it, and `ticks` evenly spaced interior values printed under tick marks."""
    width, height = int(width), int(height)
    bar = colorize(np.linspace(0.0, 1.0, width)[None, :].repeat(height, 0), cmap, 0.0, 1.0)
    lo, hi = fmt2(vmin), fmt2(vmax)
    lab = text_width(label, size) + 12 if label else 0
    left, right = lab + text_width(lo, size) + 12, text_width(hi, size) + 12
    below = text_height(size) + 10 if ticks > 0 else 0
    out = blank(height + 4 + below, left + width + right)
    out[2:2 + height, left:left + width] = bar
    cy = 2 + height / 2
    texts = [text_item(left - 6, cy, lo, size, FG, "rm"), text_item(left + width + 6, cy, hi, size, FG, "lm")]
    if label:
        texts.append(text_item(4, cy, label, size, FG, "lm"))
    for j in range(1, int(ticks) + 1):
        f = j / (int(ticks) + 1)
        x = left + int(round(f * (width - 1)))
        fill(out, x - 1, 2 + height, x, 2 + height + 5, FG)
        texts.append(text_item(x, 2 + height + 7, fmt2(float(vmin) + f * (float(vmax) - float(vmin))), size, FG,
                               "ma"))
    return draw_texts(out, texts)


def with_colorbar(arr, vmin, vmax, cmap="viridis", label: str | None = None, entries: Sequence[tuple] = (),
                  ticks: int = 3, bar_width: int | None = None) -> np.ndarray:
    """arr with its colour scale under it (see colorbar: min, `ticks` values, max and `label`, in the
    legend's font size) and a legend row of `entries` (kind, colour, text) when there are any."""
    a = as_rgb(arr)
    bw = int(bar_width or min(420, max(160, a.shape[1] // 2)))
    parts = [a, colorbar(vmin, vmax, cmap, width=bw, height=28, size=FONT, label=label, ticks=ticks)]
    if entries:
        parts.append(legend(entries, a.shape[1]))
    return vstack(parts, pad=6)


def placeholder(w: int = 400, h: int = 120, text: str = "—") -> np.ndarray:
    """A light grey w x h panel with `text` in its middle (a panel with nothing to show)."""
    return draw_texts(blank(h, w, (240, 240, 240)), [text_item(w / 2, h / 2, text, FONT, (120, 120, 120), "mm")])
