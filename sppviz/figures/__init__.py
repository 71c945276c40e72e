"""Every picture the app shows, rendered from plain data (numpy arrays, lists, dicts).

No Gradio, no model, no matplotlib figures: panels are drawn with numpy slicing, OpenCV
(resize, anti-aliased dots) and PIL ImageDraw (text), so an interactive panel renders in a few
milliseconds. matplotlib is used only for its colormap tables and its bundled DejaVu Sans
font, each loaded once.

Conventions (docs/conventions.md):
- every function returns a uint8 RGB array [H, W, 3];
- images are uint8 RGB [H, W, 3]; image pixels are 0-based and pixel i has its centre at i;
- boxes / windows are (x1, y1, x2, y2) float pixel coordinates covering the pixel centres
  x1..x2 inclusive, so a box is drawn around the pixels x1..x2 (its outline lies just inside);
- conv5 cells are 0-based inclusive (cx0, cy0, cx1, cy1); maps are [H, W] (rows, columns);
  cell (cx, cy) has its receptive-field centre at image pixel offset + stride * (cx, cy);
- sizes printed in figures are width x height ("918×688 px", "conv5 58×43");
- text in figures is language-neutral (numbers, symbols, short technical tokens) because the
  UI translates its own labels; fonts are large and lines thick (projector).

Panels that place data at known pixels accept ``return_layout=True`` and then return
``(image, Layout)``; a Layout maps source units (image pixels or conv5 cells) to figure pixels,
for tests and for turning a click on the figure back into an image coordinate.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]

# ----------------------------------------------------------------------------------------
# palette (Okabe-Ito and Tableau 10: colour-blind friendly, the same in every panel)

_OI_ORANGE = (230, 159, 0)
_OI_SKY = (86, 180, 233)
_OI_GREEN = (0, 158, 115)
_OI_YELLOW = (240, 228, 66)
_OI_BLUE = (0, 114, 178)
_OI_VERMILLION = (213, 94, 0)
_OI_PURPLE = (204, 121, 167)

CLASS_COLORS: tuple[RGB, ...] = (  # Tableau 10
    (78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79),
    (237, 201, 72), (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172),
)

SCALE_COLORS: dict[int, RGB] = {
    480: _OI_BLUE, 576: _OI_GREEN, 688: _OI_ORANGE, 864: _OI_VERMILLION, 874: _OI_PURPLE, 1200: _OI_SKY,
}

LEVEL_COLORS: dict[int, RGB] = {
    1: _OI_ORANGE, 2: _OI_SKY, 3: _OI_GREEN, 4: _OI_VERMILLION, 5: _OI_BLUE, 6: _OI_PURPLE,
    7: _OI_YELLOW, 8: (150, 150, 150),
}

# Drawn over feature-map heatmaps with a black halo, so they are bright.
RULE_COLORS: dict[str, RGB] = {
    "paper": (255, 160, 0),       # orange
    "original": (240, 110, 200),  # pink / reddish purple
    "fast-rcnn": (70, 200, 255),  # sky blue
    "roialign": (0, 230, 150),    # bluish green
}

WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
BG: RGB = (255, 255, 255)          # figure background
FG: RGB = (20, 20, 20)             # figure text
WINDOW_COLOR: RGB = (255, 255, 255)  # the (continuous) window, with a black halo
SELECTED_COLOR: RGB = (255, 221, 0)  # the selected window (yellow, black halo)
UNSELECTED_COLOR: RGB = (0, 220, 255)  # the other windows (cyan, semi-transparent)

FONT = 22   # captions, legends
SMALL = 18  # tick labels


def _as_color(c) -> RGB:
    c = tuple(int(v) for v in c)
    if len(c) != 3:
        raise ValueError(f"a colour is 3 ints (R, G, B), got {c}")
    return c


def _hash_pick(v: int) -> RGB:
    h = (int(v) * 2654435761) & 0xFFFFFFFF  # Knuth's multiplicative hash: spreads round numbers
    return CLASS_COLORS[(h >> 16) % len(CLASS_COLORS)]


def scale_color(s) -> RGB:
    """Colour of image scale s (the shorter side in pixels); stable fallback for custom scales."""
    s = int(s)
    return SCALE_COLORS[s] if s in SCALE_COLORS else _hash_pick(s)


def level_color(n) -> RGB:
    """Colour of pyramid level n (n x n bins); stable fallback beyond 8."""
    n = int(n)
    return LEVEL_COLORS[n] if n in LEVEL_COLORS else _hash_pick(n)


def rule_color(rule: str) -> RGB:
    """Colour of a projection rule; unknown rules get a stable fallback."""
    if rule in RULE_COLORS:
        return RULE_COLORS[rule]
    return CLASS_COLORS[sum(map(ord, rule)) % len(CLASS_COLORS)]


def class_color(i) -> RGB:
    """Colour of class index i (0-based), cycling through Tableau 10."""
    return CLASS_COLORS[int(i) % len(CLASS_COLORS)]


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

    def shifted(self, dx: int, dy: int, shape=None) -> Layout:
        rects = {k: (l + dx, t + dy, r + dx, b + dy) for k, (l, t, r, b) in self.rects.items()}
        return Layout(self.sx, self.sy, self.x0 + dx, self.y0 + dy, self.col0, self.row0,
                      tuple(shape) if shape is not None else self.shape, rects, dict(self.info))


def _with_shape(layout: Layout, arr: np.ndarray) -> Layout:
    return Layout(layout.sx, layout.sy, layout.x0, layout.y0, layout.col0, layout.row0,
                  arr.shape[:2], layout.rects, layout.info)


# ----------------------------------------------------------------------------------------
# low-level helpers: inputs, colour maps, fonts, shapes, text


def _as_rgb(image, name="image") -> np.ndarray:
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


def _as_boxes(boxes, name="boxes") -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    if b.size == 0:
        return np.zeros((0, 4))
    if b.ndim == 1 and b.shape[0] == 4:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape [K, 4] (x1, y1, x2, y2), got {b.shape}")
    return b


def _resize(image: np.ndarray, w: int, h: int) -> np.ndarray:
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


def _fit_width(image: np.ndarray, width) -> tuple[np.ndarray, float]:
    """Image scaled to `width` (None: unchanged) and the factor."""
    H, W = image.shape[:2]
    if width is None or int(width) == W:
        return image.copy(), 1.0
    width = int(width)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    f = width / W
    return _resize(image, width, max(1, int(round(H * f)))), f


def _blank(h: int, w: int, color: RGB = BG) -> np.ndarray:
    h, w = max(1, int(h)), max(1, int(w))
    if color[0] == color[1] == color[2]:
        return np.full((h, w, 3), color[0], np.uint8)
    row = np.empty((w, 3), np.uint8)
    row[:] = color
    a = np.empty((h, w, 3), np.uint8)
    a[:] = row  # broadcasting a whole row is much faster than a 3-vector
    return a


def _gather(col: np.ndarray, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """col[iy][:, ix] (nearest-neighbour upscaling by index arrays), fast."""
    return np.take(np.take(col, iy, axis=0), ix, axis=1)


def _upscale_int(col: np.ndarray, cell_px: int) -> np.ndarray:
    """Each pixel of col [h, w, 3] as a cell_px x cell_px block (exact nearest neighbour)."""
    h, w = col.shape[:2]
    return cv2.resize(col, (w * cell_px, h * cell_px), interpolation=cv2.INTER_NEAREST_EXACT)


@lru_cache(maxsize=16)
def _lut(cmap: str) -> np.ndarray:
    """[256, 3] uint8 lookup table of a matplotlib colormap (computed once per name)."""
    import matplotlib

    try:
        cm = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f"unknown colormap {cmap!r}") from None
    return (cm(np.linspace(0.0, 1.0, 256))[:, :3] * 255.0 + 0.5).astype(np.uint8)


def _value_range(values: np.ndarray, vmin=None, vmax=None) -> tuple[float, float]:
    finite = values[np.isfinite(values)] if values.size else values
    lo = float(vmin) if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = float(vmax) if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    return lo, hi


def colorize(values, cmap="viridis", vmin=None, vmax=None) -> np.ndarray:
    """Map any-shaped values to uint8 RGB [..., 3] with a colormap; NaN -> grey.

    vmin / vmax default to the finite min / max; a constant map gets the colormap's low end."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = _value_range(v, vmin, vmax)
    span = hi - lo if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        idx = np.clip((v - lo) * (255.0 / span), 0, 255)
    nan = ~np.isfinite(idx)
    idx = np.where(nan, 0, idx).astype(np.intp)
    out = _lut(cmap)[idx]
    if nan.any():
        out[nan] = (128, 128, 128)
    return out


def _font_path(bold: bool) -> str:
    import os

    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


# FreeType faces are shared by every thread of the server: measure / draw text under one lock.
_TEXT_LOCK = threading.Lock()


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    try:
        return ImageFont.truetype(_font_path(bold), int(size))
    except OSError:  # pragma: no cover - matplotlib always ships DejaVu
        return ImageFont.load_default(size=int(size))


def _tw(text: str, size: int = FONT, bold: bool = False) -> int:
    """Width of a text line in pixels."""
    font = _font(size, bold)
    with _TEXT_LOCK:
        return int(math.ceil(font.getlength(text)))


@lru_cache(maxsize=64)
def _th(size: int = FONT, bold: bool = False) -> int:
    """Height of a text line (ascent + descent) in pixels."""
    font = _font(size, bold)
    with _TEXT_LOCK:
        a, d = font.getmetrics()
    return a + d


def warm_up() -> None:
    """Load the colormaps and fonts now (the first figure otherwise pays ~0.3 s for them)."""
    for cmap in ("viridis", "inferno", "gray"):
        _lut(cmap)
    for size in (SMALL, FONT):
        for bold in (False, True):
            _th(size, bold)


def _t(x, y, text, size=FONT, color=FG, anchor="la", bold=False, bg=None, pad=4):
    """A text item for _draw_texts (anchor as in PIL: 'la', 'mm', 'rm', 'ms', ...)."""
    return (float(x), float(y), str(text), int(size), _as_color(color), anchor, bool(bold),
            None if bg is None else _as_color(bg), int(pad))


def _draw_texts(arr: np.ndarray, items) -> np.ndarray:
    """Draw text items (see _t) on a copy of arr, in one PIL round trip."""
    if not items:
        return arr
    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    fonts = [_font(it[3], it[6]) for it in items]
    with _TEXT_LOCK:
        for (x, y, text, _size, color, anchor, _bold, bg, pad), font in zip(items, fonts, strict=True):
            if bg is not None:
                l, t, r, b = d.textbbox((x, y), text, font=font, anchor=anchor)
                d.rectangle((l - pad, t - pad, r + pad - 1, b + pad - 1), fill=bg)
            d.text((x, y), text, font=font, fill=color, anchor=anchor)
    return np.array(img)


def _luma(c) -> float:
    r, g, b = (float(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ink_on(c) -> RGB:
    """Black or white text, whichever reads better on background colour c."""
    return BLACK if _luma(c) > 140 else WHITE


def _fill(arr, l, t, r, b, color, alpha=1.0) -> None:
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


def _outline(arr, l, t, r, b, color, th=3, halo: RGB | None = BLACK, alpha=1.0) -> None:
    """Rectangle outline th px thick lying just INSIDE (l, t, r, b) (inclusive), with a
    1-px halo on both sides of the line."""
    l, t, r, b = int(round(l)), int(round(t)), int(round(r)), int(round(b))
    th = max(1, int(th))
    if halo is not None:
        _outline(arr, l - 1, t - 1, r + 1, b + 1, halo, th + 2, None, alpha)
    th = min(th, max(1, (r - l + 1) // 2), max(1, (b - t + 1) // 2))
    _fill(arr, l, t, r, t + th - 1, color, alpha)
    _fill(arr, l, b - th + 1, r, b, color, alpha)
    _fill(arr, l, t + th, l + th - 1, b - th, color, alpha)
    _fill(arr, r - th + 1, t + th, r, b - th, color, alpha)


def _dashed_outline(arr, l, t, r, b, color, th=3, dash=12, gap=8, halo: RGB | None = BLACK) -> None:
    """Dashed rectangle outline inside (l, t, r, b); the halo is solid, so the line reads as
    alternating colour / halo dashes on any background."""
    l, t, r, b = int(round(l)), int(round(t)), int(round(r)), int(round(b))
    if halo is not None:
        _outline(arr, l - 1, t - 1, r + 1, b + 1, halo, th + 2, None)
    th = min(th, max(1, (r - l + 1) // 2), max(1, (b - t + 1) // 2))
    step = dash + gap
    for x in range(l, r + 1, step):
        _fill(arr, x, t, min(x + dash - 1, r), t + th - 1, color)
        _fill(arr, x, b - th + 1, min(x + dash - 1, r), b, color)
    for y in range(t, b + 1, step):
        _fill(arr, l, y, l + th - 1, min(y + dash - 1, b), color)
        _fill(arr, r - th + 1, y, r, min(y + dash - 1, b), color)


def _dot(arr, x, y, r, color, hollow=False, ring: RGB | None = BLACK, ring_w=2) -> None:
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


def _dim(arr, keep=None, factor=0.5) -> None:
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


def _fmt2(v) -> str:
    """Two significant digits, short: 0 -> '0', 5.67 -> '5.7', 0.0123 -> '0.012', 1234 -> '1200'."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)))
    if e >= 4 or e <= -4:
        return f"{v:.1e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    if e >= 1:
        return str(int(round(v, -(e - 1))))
    s = f"{v:.{1 - e}f}"
    if float(s) != 0 and abs(float(s)) >= 10 ** (e + 1):  # 9.96 -> '10.0' -> '10'
        s = f"{float(s):.{max(0, -e)}f}"
    return s


def _fmtc(v) -> str:
    """A map coordinate: integer when integral, else 2 decimals."""
    v = float(v)
    return str(int(v)) if v == int(v) else f"{v:.2f}"


# ----------------------------------------------------------------------------------------
# composition helpers


def to_png_bytes(arr) -> bytes:
    """PNG file bytes of a uint8 RGB array (for downloads / slides)."""
    a = _as_rgb(arr)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def hstack(arrays: Sequence[np.ndarray], pad=16, bg: RGB = BG, align="top") -> np.ndarray:
    """Arrays side by side with `pad` px between them; align 'top' | 'center' | 'bottom'."""
    arrs = [_as_rgb(a) for a in arrays]
    if not arrs:
        return _blank(1, 1, bg)
    H = max(a.shape[0] for a in arrs)
    W = sum(a.shape[1] for a in arrs) + pad * (len(arrs) - 1)
    out = _blank(H, W, bg)
    x = 0
    for a in arrs:
        h, w = a.shape[:2]
        y = {"top": 0, "center": (H - h) // 2, "bottom": H - h}[align]
        out[y:y + h, x:x + w] = a
        x += w + pad
    return out


def vstack(arrays: Sequence[np.ndarray], pad=16, bg: RGB = BG, align="left") -> np.ndarray:
    """Arrays one above the other with `pad` px between them; align 'left' | 'center' | 'right'."""
    arrs = [_as_rgb(a) for a in arrays]
    if not arrs:
        return _blank(1, 1, bg)
    W = max(a.shape[1] for a in arrs)
    H = sum(a.shape[0] for a in arrs) + pad * (len(arrs) - 1)
    out = _blank(H, W, bg)
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
    a = _as_rgb(arr)
    lines = str(text).split("\n")
    lh = _th(size, bold) + 6
    W = max(a.shape[1], max(_tw(s, size, bold) for s in lines) + 16)
    band = _blank(lh * len(lines) + 10, W, bg)
    x, anchor = {"left": (8, "lm"), "center": (W / 2, "mm"), "right": (W - 8, "rm")}[align]
    band = _draw_texts(band, [_t(x, 5 + lh * (i + 0.5), s, size, fg, anchor, bold)
                              for i, s in enumerate(lines)])
    body = _blank(a.shape[0], W, bg)
    body[:, (W - a.shape[1]) // 2:(W - a.shape[1]) // 2 + a.shape[1]] = a
    return np.concatenate([band, body] if position == "top" else [body, band], axis=0)


def _legend(entries, width, size=FONT, bg: RGB = BG) -> np.ndarray:
    """A legend band; entries are (kind, colour, text), kind in 'line' | 'dash' | 'box' | 'dot'
    | 'ring' | None. Entries flow left to right and wrap to fit `width`."""
    sw, gap, lh = 40, 26, _th(size) + 14
    placed, x, row = [], 10, 0
    for kind, color, text in entries:
        w = (sw + 10 if kind else 0) + _tw(text, size)
        if x > 10 and x + w > width - 10:
            x, row = 10, row + 1
        placed.append((x, row, kind, color, text))
        x += w + gap
    rows = row + 1
    W = max(int(width), max((p[0] + (sw + 10 if p[2] else 0) + _tw(p[4], size) for p in placed),
                            default=10) + 10)
    out = _blank(rows * lh + 6, W, bg)
    texts = []
    for x, row, kind, color, text in placed:
        cy = 3 + row * lh + lh // 2
        if kind == "line":
            _outline(out, x, cy - 2, x + sw - 1, cy + 2, color, 3)
            _fill(out, x, cy - 2, x + sw - 1, cy + 2, color)
        elif kind == "dash":
            _fill(out, x - 1, cy - 3, x + sw, cy + 3, BLACK)
            for xx in (x, x + 16, x + 32):
                _fill(out, xx, cy - 2, min(xx + 9, x + sw - 1), cy + 2, color)
        elif kind == "box":
            _fill(out, x, cy - 11, x + sw - 1, cy + 11, color)
        elif kind in ("dot", "ring"):
            _dot(out, x + sw / 2, cy, 8, color, hollow=(kind == "ring"))
        tx = x + (sw + 10 if kind else 0)
        texts.append(_t(tx, cy, text, size, FG, "lm"))
    return _draw_texts(out, texts)


def colorbar(vmin, vmax, cmap="viridis", width=400, height=24, size=SMALL) -> np.ndarray:
    """A horizontal colour bar with its min and max printed at the ends."""
    bar = colorize(np.linspace(0.0, 1.0, int(width))[None, :].repeat(int(height), 0), cmap, 0.0, 1.0)
    lo, hi = _fmt2(vmin), _fmt2(vmax)
    left, right = _tw(lo, size) + 12, _tw(hi, size) + 12
    out = _blank(int(height) + 4, left + int(width) + right)
    out[2:2 + int(height), left:left + int(width)] = bar
    return _draw_texts(out, [_t(left - 6, out.shape[0] / 2, lo, size, FG, "rm"),
                             _t(left + int(width) + 6, out.shape[0] / 2, hi, size, FG, "lm")])


def _placeholder(w=400, h=120, text="—") -> np.ndarray:
    return _draw_texts(_blank(h, w, (240, 240, 240)), [_t(w / 2, h / 2, text, FONT, (120, 120, 120), "mm")])


# ----------------------------------------------------------------------------------------
# 1. image pyramid


def pyramid_strip(images: Sequence[np.ndarray], scales: Sequence[int], conv5_hw: Sequence[tuple[int, int]],
                  height=360, max_width=None, return_layout=False):
    """Every scaled image side by side at sizes PROPORTIONAL to their true sizes.

    images[i] is the image resized to scale scales[i] (min side = s), uint8 [h_i, w_i, 3];
    conv5_hw[i] = (rows, cols) of its conv5 map. One factor k = height / max(h_i) (or smaller
    if the strip would exceed max_width) shrinks every image, so the largest one is `height`
    px tall. Each image is framed in its scale colour and captioned with three lines:
    "s=688", "918×688 px" and "conv5 58×43" (width × height for both). Images are bottom
    aligned, like the levels of a pyramid seen from the side. Layout: rects["s=688"] is
    where each image landed (inside its frame); info["k"] the common shrink factor.
    """
    if not (len(images) == len(scales) == len(conv5_hw)):
        raise ValueError(f"images, scales and conv5_hw must have the same length, got "
                         f"{len(images)}, {len(scales)}, {len(conv5_hw)}")
    if not images:
        out = _placeholder(600, int(height))
        return (out, Layout(1.0, 1.0, shape=out.shape[:2])) if return_layout else out
    imgs = [_as_rgb(im, f"images[{i}]") for i, im in enumerate(images)]
    pad, frame = 24, 5
    k = height / max(im.shape[0] for im in imgs)
    if max_width is not None:
        total = sum(im.shape[1] for im in imgs) * k + (pad + 2 * frame) * len(imgs)
        if total > max_width:
            k *= (max_width - (pad + 2 * frame) * len(imgs)) / (total - (pad + 2 * frame) * len(imgs))
    cols = []
    for im, s, (ch, cw) in zip(imgs, scales, conv5_hw, strict=True):
        h, w = im.shape[:2]
        small = _resize(im, max(1, int(round(w * k))), max(1, int(round(h * k))))
        color = scale_color(s)
        lines = [(f"s={int(s)}", True, color), (f"{w}×{h} px", False, FG),
                 (f"conv5 {int(cw)}×{int(ch)}", False, FG)]
        cw_px = max(small.shape[1] + 2 * frame, max(_tw(t, FONT, b) for t, b, _ in lines) + 8)
        framed = _blank(small.shape[0] + 2 * frame, small.shape[1] + 2 * frame, color)
        framed[frame:-frame, frame:-frame] = small
        cols.append((framed, lines, cw_px))
    H = max(c[0].shape[0] for c in cols)
    lh = _th(FONT) + 6
    total_w = sum(c[2] for c in cols) + pad * (len(cols) - 1)
    out = _blank(H + 10 + 3 * lh + 6, total_w)
    texts, x, rects = [], 0, {}
    for (framed, lines, cw_px), s in zip(cols, scales, strict=True):
        fh, fw = framed.shape[:2]
        fx = x + (cw_px - fw) // 2
        out[H - fh:H, fx:fx + fw] = framed
        rects[f"s={int(s)}"] = (fx + frame, H - fh + frame, fx + fw - frame - 1, H - frame - 1)
        for j, (text, bold, color) in enumerate(lines):
            texts.append(_t(x + cw_px / 2, H + 10 + lh * (j + 0.5), text, FONT,
                            color if _luma(color) < 200 else FG, "mm", bold))
        x += cw_px + pad
    out = _draw_texts(out, texts)
    if return_layout:
        return out, Layout(k, k, shape=out.shape[:2], rects=rects, info={"k": k})
    return out


# ----------------------------------------------------------------------------------------
# 2. heatmaps


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
        body = _upscale_int(col, W // w)
    else:
        body = _gather(col, iy, ix)
    if grid and min(W / w, H / h) >= 8:
        _grid_lines(body, ix, iy)
    if return_layout:
        return body, Layout(W / w, H / h, shape=body.shape[:2])
    return body


def overlay_on_image(image, values2d, stride, offset, alpha=0.55, cmap="inferno", vmin=None, vmax=None,
                     width=None, return_layout=False):
    """Each conv5 cell's value painted as a square of side `stride` centred on its
    receptive-field centre (pixel offset + stride * i), blended onto the image.

    image [H, W, 3] is the image the map was computed on; values2d [h, w]; cell (x, y) covers
    the pixels with centres in [offset + stride*(x - 1/2), offset + stride*(x + 1/2)). Pixels
    outside every cell keep the image. width (optional) rescales the output.
    """
    img = _as_rgb(image)
    v = np.asarray(values2d, dtype=np.float64)
    if v.ndim != 2 or v.size == 0:
        raise ValueError(f"values2d must be a non-empty 2-D array [h, w], got shape {v.shape}")
    if float(stride) <= 0:
        raise ValueError(f"stride must be > 0, got {stride}")
    out, lay = _image_view(img, width)
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
        paint = _gather(col, cy[y0:y1 + 1], cx[x0:x1 + 1])
        region = out[y0:y1 + 1, x0:x1 + 1]
        out[y0:y1 + 1, x0:x1 + 1] = cv2.addWeighted(region, 1.0 - alpha, paint, alpha, 0.0)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, shape=out.shape[:2],
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
        return _placeholder(int(tile) * 2, int(tile))
    tile, cols = int(tile), max(1, int(cols))
    h, w = fm.shape[1:]
    k = tile / max(h, w)
    tw, th = max(1, int(round(w * k))), max(1, int(round(h * k)))
    lo = hi = None
    if shared_range:
        lo, hi = _value_range(fm[channels].astype(np.float64))
    lab_size = SMALL
    lh = _th(FONT) + 2
    n_lines = 2 if labels is not None else 1
    cell_w, cell_h = max(tw, 60) + 16, th + 10 + n_lines * lh + 14
    rows = -(-len(channels) // cols)
    out = _blank(rows * cell_h, min(cols, len(channels)) * cell_w)
    texts = []
    for i, c in enumerate(channels):
        r, q = divmod(i, cols)
        x, y = q * cell_w + 8, r * cell_h
        ox = x + (cell_w - 16 - tw) // 2
        out[y:y + th, ox:ox + tw] = heatmap(fm[c], size=(tw, th), cmap=cmap, vmin=lo, vmax=hi, grid=False)
        _outline(out, ox - 1, y - 1, ox + tw, y + th, (90, 90, 90), 1, None)
        cx, ty = x + (cell_w - 16) / 2, y + th + 8
        texts.append(_t(cx, ty, f"#{c}", FONT, FG, "ma", True))
        if labels is not None and str(labels[i]):
            text, size = str(labels[i]), FONT
            while size > lab_size and _tw(text, size) > cell_w - 4:
                size -= 1
            while len(text) > 1 and _tw(text, size) > cell_w - 4:
                text = text[:-2] + "…"
            texts.append(_t(cx, ty + lh, text, size, FG, "ma"))
    return _draw_texts(out, texts)


# ----------------------------------------------------------------------------------------
# 4. boxes on images


def _image_view(img: np.ndarray, width, crop=None, max_up=4.0, max_aspect=0.75):
    """The image (or its inclusive pixel crop (c0, r0, c1, r1)) resized for display.

    Full image: scaled to `width` px wide (None: unchanged). Crop: fitted into a box of
    width x max_aspect*width px, enlarged at most max_up times. Returns (view, Layout)."""
    if crop is None:
        out, _ = _fit_width(img, width)
        H, W = img.shape[:2]
        return out, Layout(out.shape[1] / W, out.shape[0] / H, shape=out.shape[:2])
    c0, r0, c1, r1 = (int(v) for v in crop)
    sub = img[r0:r1 + 1, c0:c1 + 1]
    ch, cw = sub.shape[:2]
    width = int(width) if width is not None else cw
    f = min(width / cw, max_aspect * width / ch, max_up)
    out = _resize(sub, max(1, int(round(cw * f))), max(1, int(round(ch * f))))
    return out, Layout(out.shape[1] / cw, out.shape[0] / ch, 0, 0, c0, r0, out.shape[:2])


def _auto_crop(img_shape, boxes, margin_frac=0.15, min_margin=16):
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


def windows_on_image(image, boxes, selected: int | None = None, colors: Sequence | None = None,
                     max_draw=300, width=1000, alpha=0.45, dim_outside=0.6,
                     selected_color: RGB = SELECTED_COLOR, return_layout=False):
    """The image scaled to `width` px with windows boxes [K, 4] (image pixels, x1 y1 x2 y2).

    The first max_draw windows are drawn thin (2 px, 1 px when there are more than 50) and
    semi-transparent in their colours (default UNSELECTED_COLOR); the selected window is
    drawn last, thick, always in `selected_color` (SELECTED_COLOR, whatever `colors` says) with
    a black halo and a "#i" tag; its inside is kept free of the other windows and the image
    outside it is darkened by `dim_outside` (None or 1: no dimming). Layout: image pixels ->
    figure pixels (Layout.from_px maps a click back to the image).
    """
    img = _as_rgb(image)
    b = _as_boxes(boxes)
    if selected is not None and not 0 <= int(selected) < len(b):
        raise ValueError(f"selected={selected} out of range for {len(b)} windows")
    if colors is not None and len(colors) != len(b):
        raise ValueError(f"colors must have one colour per window: {len(colors)} != {len(b)}")
    out, lay = _image_view(img, width)
    sel_rect = None
    if selected is not None:
        selected = int(selected)
        sel_rect = lay.unit_rect(*b[selected])
        if dim_outside is not None and dim_outside < 1:
            _dim(out, sel_rect, dim_outside)
    n = min(len(b), int(max_draw))
    if n:
        over = out.copy()
        th = 1 if n > 50 else 2
        for i in range(n):
            if i == selected:
                continue
            c = UNSELECTED_COLOR if colors is None else _as_color(colors[i])
            l, t, r, bb = lay.unit_rect(*b[i])
            for k in range(th):
                cv2.rectangle(over, (l + k, t + k), (r - k, bb - k), c, 1)
        keep = out[sel_rect[1]:sel_rect[3] + 1, sel_rect[0]:sel_rect[2] + 1].copy() if sel_rect else None
        cv2.addWeighted(over, alpha, out, 1.0 - alpha, 0.0, dst=out)
        if keep is not None:  # the selected window's inside stays clean
            out[sel_rect[1]:sel_rect[3] + 1, sel_rect[0]:sel_rect[2] + 1] = keep
    texts = []
    rects = {}
    if selected is not None:
        c = _as_color(selected_color)
        _outline(out, *sel_rect, c, 5, BLACK)
        rects["selected"] = sel_rect
        l, t = sel_rect[0], sel_rect[1]
        above = t > _th(FONT, True) + 12
        texts.append(_t(max(l, 0) + 4, t - 8 if above else t + 12, f"#{selected}", FONT, _ink_on(c),
                        "ld" if above else "la", True, bg=c))
    out = _draw_texts(out, texts)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, shape=out.shape[:2], rects=rects)
    return out


def boxes_on_image(image, boxes, colors: Sequence | None = None, labels: Sequence[str] | None = None,
                   width=None, thickness=3, return_layout=False):
    """Boxes [K, 4] (image pixels) with an optional text label on a filled tag in the box colour.

    colors: one RGB per box (default class_color(i)); width rescales the image (None: as is).
    The tag sits above the box's top-left corner, or just inside when there is no room."""
    img = _as_rgb(image)
    b = _as_boxes(boxes)
    if colors is not None and len(colors) != len(b):
        raise ValueError(f"colors must have one colour per box: {len(colors)} != {len(b)}")
    if labels is not None and len(labels) != len(b):
        raise ValueError(f"labels must have one label per box: {len(labels)} != {len(b)}")
    out, lay = _image_view(img, width)
    texts = []
    th_text = _th(FONT)
    for i in range(len(b)):
        c = class_color(i) if colors is None else _as_color(colors[i])
        rect = lay.unit_rect(*b[i])
        _outline(out, *rect, c, thickness, BLACK)
        if labels is not None and str(labels[i]):
            l, t = rect[0], rect[1]
            above = t - th_text - 10 >= 0
            ty = t - 6 if above else t + thickness + 6
            texts.append(_t(max(l + 4, 4), ty, str(labels[i]), FONT, _ink_on(c), "ld" if above else "la",
                            True, bg=c))
    out = _draw_texts(out, texts)
    if return_layout:
        return out, _with_shape(lay, out)
    return out


def detections_on_image(image, boxes, labels: Sequence[str], scores, colors: Sequence, width=1000,
                        thickness=4):
    """Detections as boxes [K, 4] (image pixels) labelled "label 0.93" in their colours."""
    b = _as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not (len(b) == len(labels) == len(scores) == len(colors)):
        raise ValueError(f"boxes, labels, scores, colors must have the same length, got "
                         f"{len(b)}, {len(labels)}, {len(scores)}, {len(colors)}")
    text = [f"{lab} {s:.2f}" for lab, s in zip(labels, scores, strict=True)]
    return boxes_on_image(image, b, colors, text, width=width, thickness=thickness)


# ----------------------------------------------------------------------------------------
# map panels (projection, bins): a cropped, zoomed heatmap with cell indices on two sides


def _focus_region(map_hw, boxes_cells, margin):
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


def _choose_view(map_hw, focus, margin, cell_px, max_size, min_cell=16, max_cell=64):
    """Region and cell size: the whole map when it fits max_size with cells >= min_cell px,
    else the focus region plus `margin` cells, zoomed to fit max_size."""
    h, w = map_hw
    if cell_px is not None:
        cell_px = int(cell_px)
        if cell_px < 1:
            raise ValueError(f"cell_px must be >= 1, got {cell_px}")
        if max(h, w) * cell_px <= max_size:
            return (0, 0, w - 1, h - 1), cell_px
        return _focus_region(map_hw, focus, margin), cell_px
    full = max_size // max(h, w)
    if full >= min_cell or not focus:
        return (0, 0, w - 1, h - 1), max(1, min(full, max_cell))
    region = _focus_region(map_hw, focus, margin)
    rw, rh = region[2] - region[0] + 1, region[3] - region[1] + 1
    return region, max(4, min(max_cell, max_size // max(rw, rh)))


def _tick_step(cell_px, label_px):
    for k in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if k * cell_px >= label_px + 8:
            return k
    return 1000


def _map_body(fmap2d, region, cell_px, cmap, vmin, vmax, grid=True):
    """Heatmap of the map region (colours normalised over the WHOLE map) and its Layout."""
    c0, r0, c1, r1 = region
    lo, hi = _value_range(fmap2d, vmin, vmax)
    col = colorize(fmap2d[r0:r1 + 1, c0:c1 + 1], cmap, lo, hi)
    body = _upscale_int(col, cell_px)
    if grid and cell_px >= 8:
        body[:, ::cell_px] = (body[:, ::cell_px] * 0.55).astype(np.uint8)
        body[::cell_px, :] = (body[::cell_px, :] * 0.55).astype(np.uint8)
    return body, Layout(cell_px, cell_px, 0, 0, c0, r0, body.shape[:2])


def _frame_with_ticks(body, layout: Layout, region, pad=8):
    """Put the body on a canvas with cell indices above (columns) and left (rows).

    Returns canvas (texts drawn) and the layout shifted to canvas pixels."""
    c0, r0, c1, r1 = region
    cell = layout.sx
    left = max(_tw(str(r1), SMALL), _tw("0", SMALL)) + 12
    top = _th(SMALL) + 8
    bh, bw = body.shape[:2]
    canvas = _blank(top + bh + pad, left + bw + pad)
    canvas[top:top + bh, left:left + bw] = body
    texts = []
    kx = _tick_step(cell, _tw(str(c1), SMALL))
    for c in range(c0, c1 + 1):
        if c % kx == 0:
            texts.append(_t(left + (c - c0 + 0.5) * cell, top - 4, str(c), SMALL, FG, "md"))
    ky = _tick_step(cell, _th(SMALL))
    for r in range(r0, r1 + 1):
        if r % ky == 0:
            texts.append(_t(left - 6, top + (r - r0 + 0.5) * cell, str(r), SMALL, FG, "rm"))
    return _draw_texts(canvas, texts), layout.shifted(left, top, canvas.shape[:2])


def _is_integral(vals) -> bool:
    return all(float(v) == int(v) for v in vals)


def projection_grid(fmap2d, cells_by_rule: dict, window_on_map=None, cell_px=None, max_size=900,
                    cmap="viridis", vmin=None, vmax=None, centres=True, return_layout=False):
    """The projected window on the conv5 map, one rectangle per projection rule.

    fmap2d [h, w]: one channel (or the channel mean); colours are normalised over the whole map.
    cells_by_rule: {rule: (cx0, cy0, cx1, cy1)} inclusive cells, outlined in RULE_COLORS (4 px)
        just inside the cells and inset by 6 px more per rule (in dict order) so coinciding
        rectangles stay visible. A value with non-integer numbers is a continuous box in map
        coordinates (e.g. RoIAlign), drawn centred on exactly those coordinates, not inset.
    window_on_map: (x1, y1, x2, y2) = ((x1 - offset) / stride, ...): the window's extreme pixel
        centres in cell units, so cell i's centre is at i; drawn as a dashed white rectangle
        through those points. With centres=True (and cells >= 20 px) a small dot marks each
        cell centre along the window's edges: the paper rule keeps the cells whose centre lies
        strictly inside the window.
    The whole map is shown when it fits max_size px with cells >= 16 px; else the region
    around the window and the cells (plus 2 cells) is shown, zoomed. Cell indices are written
    along the top and left edges; a legend under the map reads "paper  x 7..18  y 3..9".
    Layout: cells -> figure pixels; rects[rule] = the rectangle as drawn (after inset).
    """
    fm = np.asarray(fmap2d, dtype=np.float64)
    if fm.ndim != 2 or fm.size == 0:
        raise ValueError(f"fmap2d must be a non-empty 2-D map [h, w], got shape {fm.shape}")
    h, w = fm.shape
    rules = {}
    for rule, c in (cells_by_rule or {}).items():
        c = tuple(float(v) for v in c)
        if len(c) != 4:
            raise ValueError(f"cells for rule {rule!r} must be (cx0, cy0, cx1, cy1), got {c}")
        rules[rule] = c
    focus = list(rules.values())
    if window_on_map is not None:
        win = tuple(float(v) for v in window_on_map)
        if len(win) != 4:
            raise ValueError(f"window_on_map must be (x1, y1, x2, y2), got {window_on_map}")
        focus.append(win)
    else:
        win = None
    region, cp = _choose_view((h, w), focus, 2, cell_px, max_size)
    body, lay = _map_body(fm, region, cp, cmap, vmin, vmax)
    c0, r0, c1, r1 = region
    if centres and win is not None and cp >= 20:
        # cell centres along the window's edges: the paper rule keeps those strictly inside
        rad = max(2.0, cp / 16)
        xa, xb = math.floor(win[0]) - 1, math.ceil(win[2]) + 1
        ya, yb = math.floor(win[1]) - 1, math.ceil(win[3]) + 1

        def near_edge(v, lo, hi):
            return v <= lo + 2 or v >= hi - 2

        for cy in range(max(r0, ya), min(r1, yb) + 1):
            for cx in range(max(c0, xa), min(c1, xb) + 1):
                if near_edge(cx, xa, xb) or near_edge(cy, ya, yb):
                    x, y = lay.to_px(cx, cy)
                    _dot(body, x, y, rad, WHITE, ring=BLACK, ring_w=1)
    rects = {}
    # the window first, so that every rule's colour stays visible where lines coincide
    if win is not None:
        (l, t), (r, b) = lay.to_px(win[0], win[1]), lay.to_px(win[2], win[3])
        rect = (int(round(l)) - 1, int(round(t)) - 1, int(round(r)) + 1, int(round(b)) + 1)
        _dashed_outline(body, *rect, WINDOW_COLOR, 3, dash=14, gap=8)
        rects["window"] = rect
    step, th = 6, 4
    k = 0
    for rule, c in rules.items():
        color = rule_color(rule)
        if _is_integral(c):  # inclusive cells, inset by k * step px (k counts discrete rules)
            l, t, r, b = lay.unit_rect(c[0], c[1], c[2], c[3])
            ins = min(k * step, max(0, (r - l + 1 - 2 * th) // 2), max(0, (b - t + 1 - 2 * th) // 2))
            k += 1
        else:  # continuous map coordinates: a line through exactly those points, no inset
            (l, t), (r, b) = lay.to_px(c[0], c[1]), lay.to_px(c[2], c[3])
            l, t, r, b = (int(round(v)) for v in (l - th / 2, t - th / 2, r + th / 2, b + th / 2))
            ins = 0
        rect = (l + ins, t + ins, r - ins, b - ins)
        _outline(body, *rect, color, th, BLACK)
        rects[rule] = rect
    lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, lay.shape, rects,
                 {"region": region, "cell_px": cp})
    canvas, lay = _frame_with_ticks(body, lay, region)
    entries = []
    if win is not None:
        entries.append(("dash", WINDOW_COLOR,
                        f"x {_fmtc(win[0])}..{_fmtc(win[2])}  y {_fmtc(win[1])}..{_fmtc(win[3])}"))
    for rule, c in rules.items():
        fmt = (lambda v: str(int(v))) if _is_integral(c) else _fmtc
        entries.append(("line", rule_color(rule),
                        f"{rule}  x {fmt(c[0])}..{fmt(c[2])}  y {fmt(c[1])}..{fmt(c[3])}"))
    out = vstack([canvas, _legend(entries, canvas.shape[1])], pad=0) if entries else canvas
    if return_layout:
        return out, _with_shape(lay, out)
    return out


# ----------------------------------------------------------------------------------------
# 6. receptive fields


def _one_box(window, name="window") -> np.ndarray:
    w = _as_boxes(window, name)
    if len(w) != 1:
        raise ValueError(f"{name} must be one box (x1, y1, x2, y2), got shape {np.asarray(window).shape}")
    return w[0]


def _points(p, name="points") -> np.ndarray:
    a = np.asarray(p, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, 2))
    if a.ndim == 1 and a.shape[0] == 2:
        a = a[None]
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{name} must have shape [N, 2] (x, y), got {a.shape}")
    return a


def _resolve_crop(img, crop, boxes):
    if crop is None:
        return None
    if isinstance(crop, str):
        if crop != "auto":
            raise ValueError(f"crop must be 'auto', None or (x1, y1, x2, y2), got {crop!r}")
        return _auto_crop(img.shape, boxes)
    return _auto_crop(img.shape, [crop], 0.0, 0)


def receptive_fields_on_image(image, window, centres, rf_boxes=None, color: RGB = SELECTED_COLOR, width=1000,
                              inside=None, dim_outside=0.7, crop="auto", return_layout=False):
    """The window, the receptive-field centres of the projected cells and a few RF boxes.

    window (x1, y1, x2, y2), centres [N, 2] (x, y) and rf_boxes [M, 4] are image pixels.
    A centre inside the window (x1 <= x <= x2 and y1 <= y <= y2, or as given by `inside` [N]
    bool) is a filled dot, others are hollow rings. RF boxes are thin, semi-transparent.
    crop="auto" zooms on everything drawn plus a margin (None: the whole image; or a box);
    the view fits width x 0.75*width px. Layout: image pixels -> figure pixels.
    """
    img = _as_rgb(image)
    win = _one_box(window)
    color = _as_color(color)
    pts = _points(centres, "centres")
    rfb = _as_boxes(rf_boxes, "rf_boxes") if rf_boxes is not None else np.zeros((0, 4))
    extent = [win] + [np.r_[p, p] for p in pts] + list(rfb)
    out, lay = _image_view(img, width, _resolve_crop(img, crop, extent))
    wrect = lay.unit_rect(*win)
    if dim_outside is not None and dim_outside < 1:
        _dim(out, wrect, dim_outside)
    if len(rfb):
        over = out.copy()
        for bx in rfb:
            _outline(over, *lay.unit_rect(*bx), color, 3, None)
        cv2.addWeighted(over, 0.75, out, 0.25, 0.0, dst=out)
    _outline(out, *wrect, WINDOW_COLOR, 4, BLACK)
    if inside is None:
        inside = ((pts[:, 0] >= win[0]) & (pts[:, 0] <= win[2])
                  & (pts[:, 1] >= win[1]) & (pts[:, 1] <= win[3]))
    inside = np.asarray(inside, bool).ravel()
    if len(inside) != len(pts):
        raise ValueError(f"inside must have one flag per centre: {len(inside)} != {len(pts)}")
    xs = np.unique(pts[:, 0]) if len(pts) else np.zeros(0)
    spacing = float(np.diff(xs).min()) * lay.sx if len(xs) > 1 else 40.0
    r = max(3.0, min(10.0, spacing * 0.28))
    for (x, y), ins in zip(pts, inside, strict=True):
        px, py = lay.to_px(x, y)
        _dot(out, px, py, r, color, hollow=not ins)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, 0, 0, lay.col0, lay.row0, out.shape[:2], {"window": wrect})
    return out


# ----------------------------------------------------------------------------------------
# 7. scale chart


def scale_chart(scales, scaled_sides_or_areas, target=224 * 224, chosen_paper: int | None = None,
                chosen_release: int | None = None, release_target=None, size=(900, 380), kind=None):
    """Horizontal bars: the window's scaled area (or side) at each scale in S.

    scaled_sides_or_areas[i]: the window's area (or side) in pixels after resizing the image
        to scales[i]; target / release_target in the same unit (224² for the paper rule
        (paper §4.1); 208² for the release, which picks the scale whose scaled window side is
        closest to 208). kind = 'area' | 'side' (default: 'area' when target > 4096).
    chosen_paper / chosen_release: indices into scales (pyramid.select_scale), marked
        "paper ✓" / "release ✓". Bars are labelled "212²" (√area) or "212" (side).
    """
    scales = [int(s) for s in scales]
    vals = np.asarray(scaled_sides_or_areas, dtype=np.float64).ravel()
    if len(scales) != len(vals):
        raise ValueError(f"scales and values must have the same length: {len(scales)} != {len(vals)}")
    W, H = (int(v) for v in size)
    if not scales:
        return _placeholder(W, H)
    if kind is None:
        kind = "area" if float(target) > 4096 else "side"
    if kind not in ("area", "side"):
        raise ValueError(f"kind must be 'area' or 'side', got {kind!r}")
    for name, idx in (("chosen_paper", chosen_paper), ("chosen_release", chosen_release)):
        if idx is not None and not 0 <= int(idx) < len(scales):
            raise ValueError(f"{name}={idx} is not an index into {len(scales)} scales")

    def fmt(v):
        return f"{int(round(math.sqrt(max(v, 0))))}²" if kind == "area" else f"{int(round(v))}"

    n = len(scales)
    bottom = 8
    left = max(_tw(f"s={s}", FONT, True) for s in scales) + 20
    marks = []
    for i in range(n):
        m = []
        if chosen_paper is not None and i == int(chosen_paper):
            m.append("paper ✓")
        if chosen_release is not None and i == int(chosen_release):
            m.append("release ✓")
        marks.append("  ".join(m))
    right = max(_tw(fmt(v), FONT) + (_tw("  " + mk, FONT, True) if mk else 0)
                for v, mk in zip(vals, marks, strict=True)) + 24
    lines = [(float(target), "paper", False)]
    if release_target is not None:
        lines.append((float(release_target), "release", True))
    xmax = max(float(vals.max()), *(v for v, _, _ in lines)) * 1.02 or 1.0
    plot_w = max(50, W - left - right)
    k = plot_w / xmax
    # target-line labels above the plot, centred on their line, on a second row if they collide
    lh = _th(FONT) + 6
    placed = []
    for j, (v, name, dashed) in enumerate(sorted(lines, key=lambda z: z[0])):
        x = int(round(left + v * k))
        label = f"{name} {fmt(v)}"
        w = _tw(label, FONT)
        # the leftmost line's label sits left of it, the others right of theirs; else centred
        sides = [x - 8 - w, x + 8] if j == 0 and len(lines) > 1 else [x + 8, x - 8 - w]
        cands = ([lx for lx in sides + [x - w / 2] if 4 <= lx <= W - 4 - w]
                 or [min(max(x - w / 2, 4), W - 4 - w)])
        row, lx = 0, None
        while lx is None:
            free = [c for c in cands
                    if not any(r == row and c < px + pw + 12 and px < c + w + 12 for px, pw, r, *_ in placed)]
            lx = free[0] if free else None
            row += lx is None
        placed.append((lx, w, row, x, label, dashed))
    n_rows = 1 + max(p[2] for p in placed)
    top = n_rows * lh + 14
    row_h = (H - top - bottom) / n
    bar_h = max(8, int(min(46, row_h * 0.66)))
    out = _blank(H, W)
    texts = []
    _fill(out, left - 2, top - 4, left - 1, H - bottom, (60, 60, 60))  # the zero line
    for i, (s, v) in enumerate(zip(scales, vals, strict=True)):
        cy = top + row_h * (i + 0.5)
        t = int(round(cy - bar_h / 2))
        x1 = left + max(2, int(round(v * k)))
        color = scale_color(s)
        _fill(out, left, t, x1 - 1, t + bar_h - 1, color)
        if marks[i]:
            _outline(out, left, t, x1 - 1, t + bar_h - 1, FG, 3, None)
        texts.append(_t(left - 12, cy, f"s={s}", FONT, FG, "rm", True))
        # value labels on a background tag: the target lines pass behind them
        texts.append(_t(x1 + 10, cy, fmt(v), FONT, FG, "lm", bg=BG, pad=3))
        if marks[i]:
            texts.append(_t(x1 + 10 + _tw(fmt(v) + "  ", FONT), cy, marks[i], FONT, FG, "lm", True,
                            bg=BG, pad=3))
    for lx, _w, row, x, label, dashed in placed:
        ly = 6 + row * lh + lh / 2
        y0 = int(ly - lh / 2)  # the line rises beside its label
        if dashed:
            for y in range(y0, H - bottom, 14):
                _fill(out, x - 1, y, x + 1, min(y + 8, H - bottom), (40, 40, 40))
        else:
            _fill(out, x - 1, y0, x + 1, H - bottom, (40, 40, 40))
        texts.append(_t(lx, ly, label, FONT, FG, "lm", bg=BG, pad=2))
    return _draw_texts(out, texts)


# ----------------------------------------------------------------------------------------
# 8-9. bins


def bins_on_map(fmap2d, cells, bins_x, bins_y, level: int, argmax_cells=None, selected_bin=None, values=None,
                cell_px=None, max_size=700, cmap="viridis", vmin=None, vmax=None, return_layout=False):
    """The bins of one pyramid level on the projected window of one channel's conv5 map.

    fmap2d [h, w]; cells (cx0, cy0, cx1, cy1) the projected window (inclusive);
    bins_x / bins_y: inclusive (start, end) cells RELATIVE to cx0 / cy0, as spp.bin_edges
        returns them; every bin (by, bx) is outlined in level_color(level), inset by a few px
        so that overlapping adaptive bins (which share a cell) stay distinguishable;
    argmax_cells: [(x, y)] absolute map cells of each bin's maximum, row-major (by * n_x + bx),
        drawn as dots; values [n_y, n_x] (optional): each bin's max, printed in the bin's corner
        farthest from its dot when it fits (only the selected bin's when bins overlap);
        selected_bin (by, bx): thicker outline and a translucent fill.
    The view is the window plus one cell of context, zoomed to fit max_size px; cell indices
    along the top and left. Layout: cells -> figure; rects["by,bx"] per bin as drawn.
    """
    fm = np.asarray(fmap2d, dtype=np.float64)
    if fm.ndim != 2 or fm.size == 0:
        raise ValueError(f"fmap2d must be a non-empty 2-D map [h, w], got shape {fm.shape}")
    h, w = fm.shape
    cx0, cy0, cx1, cy1 = (int(v) for v in cells)
    if not (0 <= cx0 <= cx1 < w and 0 <= cy0 <= cy1 < h):
        raise ValueError(f"cells {tuple(cells)} must satisfy 0 <= cx0 <= cx1 < {w}, 0 <= cy0 <= cy1 < {h}")
    bx_ = [(int(s), int(e)) for s, e in bins_x]
    by_ = [(int(s), int(e)) for s, e in bins_y]
    nx, ny = len(bx_), len(by_)
    color = level_color(level)
    if cell_px is None:
        region = _focus_region((h, w), [(cx0, cy0, cx1, cy1)], 1)
        rw, rh = region[2] - region[0] + 1, region[3] - region[1] + 1
        cp = max(6, min(80, max_size // max(rw, rh)))
    else:
        region, cp = _choose_view((h, w), [(cx0, cy0, cx1, cy1)], 1, cell_px, max_size)
    body, lay = _map_body(fm, region, cp, cmap, vmin, vmax)
    sel = None if selected_bin is None else (int(selected_bin[0]), int(selected_bin[1]))
    if sel is not None and not (0 <= sel[0] < ny and 0 <= sel[1] < nx):
        raise ValueError(f"selected_bin {sel} out of range for {ny}x{nx} bins")
    # the window itself, white, outside the bins
    wrect = lay.unit_rect(cx0, cy0, cx1, cy1)
    _outline(body, wrect[0] - 4, wrect[1] - 4, wrect[2] + 4, wrect[3] + 4, WINDOW_COLOR, 3, BLACK)
    ins = max(2, min(6, cp // 6))
    rects = {"window": wrect}
    pts = None
    if argmax_cells is not None:
        pts = _points(argmax_cells, "argmax_cells")
        if len(pts) != nx * ny:
            raise ValueError(f"argmax_cells must have {nx * ny} points (one per bin), got {len(pts)}")
    # adaptive bins overlap when n does not divide the side: a shared cell then lies between
    # two parallel (inset) lines, one per bin
    overlap = (any(bx_[j + 1][0] <= bx_[j][1] for j in range(nx - 1))
               or any(by_[i + 1][0] <= by_[i][1] for i in range(ny - 1)))
    order = [(i, j) for i in range(ny) for j in range(nx) if (i, j) != sel] + ([sel] if sel else [])
    for i, j in order:
        (ys, ye), (xs, xe) = by_[i], bx_[j]
        l, t, r, b = lay.unit_rect(cx0 + xs, cy0 + ys, cx0 + xe, cy0 + ye)
        rect = (l + ins, t + ins, r - ins, b - ins)
        if (i, j) == sel:
            if nx * ny > 1:
                _fill(body, *rect, color, 0.25)
            _outline(body, *rect, color, 6, BLACK)
            _outline(body, rect[0] - 2, rect[1] - 2, rect[2] + 2, rect[3] + 2, WHITE, 1, None)
        else:
            _outline(body, *rect, color, 3, BLACK)
        rects[f"{i},{j}"] = rect
    texts = []
    if values is not None:
        vals = np.asarray(values, dtype=np.float64)
        if vals.shape != (ny, nx):
            raise ValueError(f"values must have shape {(ny, nx)}, got {vals.shape}")
        tw_h = _th(SMALL, True)
        for i in range(ny):
            for j in range(nx):
                if overlap and (i, j) != sel:  # tags would be ambiguous: only the selected bin's
                    continue
                l, t, r, b = rects[f"{i},{j}"]
                s = _fmt2(vals[i, j])
                tw = _tw(s, SMALL, True)
                if tw + 20 > r - l or tw_h + 16 > b - t:
                    continue
                # the inner corner farthest from the bin's argmax dot
                corners = [(l + 9, t + 9, "la"), (r - 9, t + 9, "ra"),
                           (l + 9, b - 9, "ld"), (r - 9, b - 9, "rd")]
                if pts is not None:
                    dx, dy = lay.to_px(*pts[i * nx + j])
                    corners.sort(key=lambda q: -((q[0] - dx) ** 2 + (q[1] - dy) ** 2))
                x, y, anchor = corners[0]
                texts.append(_t(x, y, s, SMALL, WHITE, anchor, True, bg=(0, 0, 0), pad=2))
    if pts is not None:
        r = max(3.0, cp * 0.22)
        for k, (x, y) in enumerate(pts):
            big = sel is not None and k == sel[0] * nx + sel[1]
            px, py = lay.to_px(x, y)
            _dot(body, px, py, r * (1.5 if big else 1.0), color,
                 ring=WHITE if big else BLACK, ring_w=3 if big else 2)
    if texts:
        body = _draw_texts(body, texts)
    lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, lay.shape, rects,
                 {"region": region, "cell_px": cp, "inset": ins})
    canvas, lay = _frame_with_ticks(body, lay, region)
    leg = _legend([("line", color, f"n={int(level)}  {ny}×{nx}  x {cx0}..{cx1}  y {cy0}..{cy1}")],
                  canvas.shape[1])
    out = vstack([canvas, leg], pad=0)
    if return_layout:
        return out, _with_shape(lay, out)
    return out


def bin_values(values, level: int, selected_bin=None, cell_px=90, cmap="viridis", vmin=None, vmax=None,
               return_layout=False):
    """The n_y x n_x grid of per-bin maxima as coloured cells, each value printed (2 significant
    digits, font sized to fit, black or white by luminance); title "n=3  3×3" in the level
    colour; the selected bin (by, bx) outlined in white. Layout: bins -> figure; rects["by,bx"]."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.size == 0:
        raise ValueError(f"values must be a non-empty 2-D array [n_y, n_x], got shape {v.shape}")
    ny, nx = v.shape
    cp, gap = int(cell_px), 4
    if cp < 8:
        raise ValueError(f"cell_px must be >= 8, got {cp}")
    sel = None if selected_bin is None else (int(selected_bin[0]), int(selected_bin[1]))
    if sel is not None and not (0 <= sel[0] < ny and 0 <= sel[1] < nx):
        raise ValueError(f"selected_bin {sel} out of range for {ny}x{nx} bins")
    colors = colorize(v, cmap, vmin, vmax)
    labels = [[_fmt2(v[i, j]) for j in range(nx)] for i in range(ny)]
    widest = max(_tw(s, 100, True) for row in labels for s in row)
    size = int(max(10, min(cp * 0.36, 0.8 * cp * 100 / max(widest, 1))))
    title = f"n={int(level)}  {ny}×{nx}"
    lcol = level_color(level)
    top = _th(FONT, True) + 16
    gw, gh = nx * cp + (nx + 1) * gap, ny * cp + (ny + 1) * gap
    W = max(gw, 30 + _tw(title, FONT, True) + 10)
    out = _blank(top + gh, W)
    x0 = (W - gw) // 2
    _fill(out, x0, top, x0 + gw - 1, top + gh - 1, (255, 255, 255))
    _fill(out, 4, top // 2 - 9, 22, top // 2 + 9, lcol)
    texts = [_t(30, top / 2, title, FONT, FG, "lm", True)]
    rects = {}
    for i in range(ny):
        for j in range(nx):
            l, t = x0 + gap + j * (cp + gap), top + gap + i * (cp + gap)
            c = tuple(int(q) for q in colors[i, j])
            _fill(out, l, t, l + cp - 1, t + cp - 1, c)
            rects[f"{i},{j}"] = (l, t, l + cp - 1, t + cp - 1)
            texts.append(_t(l + cp / 2, t + cp / 2, labels[i][j], size, _ink_on(c), "mm", True))
    if sel is not None:
        l, t, r, b = rects[f"{sel[0]},{sel[1]}"]
        _outline(out, l - gap + 1, t - gap + 1, r + gap - 1, b + gap - 1, WHITE, 5, BLACK)
    out = _draw_texts(out, texts)
    if return_layout:
        return out, Layout(cp + gap, cp + gap, x0 + gap, top + gap, 0, 0, out.shape[:2], rects)
    return out


# ----------------------------------------------------------------------------------------
# 10. argmax back-projected to the image


def argmax_on_image(image, points_by_level: dict, window, selected=None, rf_size=None, width=1000,
                    dim_outside=0.6, crop="auto", return_layout=False):
    """Each level's per-bin argmax receptive-field centres as dots on the image.

    points_by_level {n: [N, 2] (x, y) image pixels}, row-major over bins (by * n_x + bx with
    n_x = n, or sqrt(N) when N != n², e.g. the sliding rule). Coarser levels get bigger dots
    drawn first, so a maximum shared by several levels shows as concentric dots. selected =
    (level, by, bx): that dot big with a white ring and, with rf_size (px), its receptive field
    (a dashed square of side rf_size centred on the dot). The window is outlined in white and
    the image outside it darkened. crop="auto" zooms on the window, the dots and the selected
    receptive field (None: the whole image). A legend row "n=1 n=2 ..." is added below.
    """
    img = _as_rgb(image)
    win = _one_box(window)
    pts = {int(n): _points(p, f"points_by_level[{n}]") for n, p in points_by_level.items()}
    levels = sorted(pts, reverse=True)                     # finest first
    radius = {n: 6 + 4 * k for k, n in enumerate(levels)}  # coarser -> bigger
    sel_pt = None
    if selected is not None:
        n, by, bx = (int(v) for v in selected)
        if n not in pts:
            raise ValueError(f"selected level {n} not in points_by_level {sorted(pts)}")
        N = len(pts[n])
        nx = n if N == n * n else max(1, math.isqrt(N))
        k = by * nx + bx
        if not (0 <= by and 0 <= bx < nx and k < N):
            raise ValueError(f"selected bin {(by, bx)} out of range for level {n} ({N} points)")
        sel_pt = (n, pts[n][k])
    rf_box = None
    if sel_pt is not None and rf_size is not None:
        x, y = sel_pt[1]
        half = (float(rf_size) - 1) / 2
        rf_box = (x - half, y - half, x + half, y + half)
    extent = [win] + [np.r_[p, p] for n in levels for p in pts[n]] + ([rf_box] if rf_box else [])
    out, lay = _image_view(img, width, _resolve_crop(img, crop, extent))
    wrect = lay.unit_rect(*win)
    if dim_outside is not None and dim_outside < 1:
        _dim(out, wrect, dim_outside)
    _outline(out, *wrect, WINDOW_COLOR, 4, BLACK)
    rects = {"window": wrect}
    if rf_box is not None:
        rr = lay.unit_rect(*rf_box)
        _dashed_outline(out, *rr, level_color(sel_pt[0]), 4)
        rects["rf"] = rr
    for n in reversed(levels):  # coarsest (biggest) first
        for x, y in pts[n]:
            px, py = lay.to_px(x, y)
            _dot(out, px, py, radius[n], level_color(n))
    if sel_pt is not None:
        n = sel_pt[0]
        px, py = lay.to_px(*sel_pt[1])
        _dot(out, px, py, radius[n] + 6, level_color(n), ring=BLACK, ring_w=3)
        cv2.circle(out, (int(round(px * 16)), int(round(py * 16))), int((radius[n] + 11) * 16),
                   WHITE, 4, cv2.LINE_AA, 4)
        rects["selected"] = (int(px), int(py), int(px), int(py))
    if levels:
        entries = [("dot", level_color(n), f"n={n}") for n in sorted(levels)]
        out = vstack([out, _legend(entries, out.shape[1])], pad=0)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, 0, 0, lay.col0, lay.row0, out.shape[:2], rects)
    return out


# ----------------------------------------------------------------------------------------
# 11. the fixed-length vector


def vector_strip(vector, level_slices: Sequence[slice], levels: Sequence[int], channels: int, width=1100,
                 rows=None, highlight=None, cmap="viridis", vmin=None, vmax=None, return_layout=False):
    """The SPP vector [D = C·Σn²] as a heatmap strip, wrapped into rows.

    level_slices / levels: the slice of the vector holding each level (spp.level_slices), in
    order; inside a level the layout is c·n² + by·n + bx (release). A coloured band above the
    strip shows each element's level, black separators mark level boundaries, each row starts
    with its first index, and a legend reads "n=6 · 9216". One element is one pixel column (or
    several when D is small); when `rows` forces more elements per row than pixels, each column
    shows the max of k consecutive elements. highlight: an element index, boxed, with its
    level / channel / bin in the legend.
    """
    v = np.asarray(vector, dtype=np.float64).ravel()
    D = v.size
    if D == 0:
        raise ValueError("vector is empty")
    if len(level_slices) != len(levels):
        raise ValueError(f"level_slices and levels must match: {len(level_slices)} != {len(levels)}")
    level_of = np.full(D, -1, np.intp)
    for k, sl in enumerate(level_slices):
        a, b = sl.start or 0, sl.stop
        if not 0 <= a <= b <= D:
            raise ValueError(f"level slice {sl} does not fit a vector of length {D}")
        level_of[a:b] = k
    left = _tw(str(D), SMALL) + 14
    avail = max(16, int(width) - left - 10)
    if rows is None:
        if D <= avail:
            rows, k, epr = 1, 1, D
        else:  # a round number of elements per row, so row starts read 0, 1000, 2000, ...
            nice = next(q for q in (1000, 500, 200, 100, 50, 10, 1) if q <= avail)
            epr, k = (avail // nice) * nice, 1
            rows = -(-D // epr)
    else:
        rows = max(1, int(rows))
        epr = -(-D // rows)
        k = -(-epr // avail) if epr > avail else 1
    ncol = -(-epr // k)
    pe = max(1, avail // ncol)
    lo, hi = _value_range(v, vmin, vmax)
    vv = np.full(rows * ncol * k, np.nan)
    lv = np.full(rows * ncol * k, -1, np.intp)
    # element e sits in row e // epr at column (e % epr) // k
    e = np.arange(D)
    pos = (e // epr) * (ncol * k) + (e % epr)
    vv[pos], lv[pos] = v, level_of
    vv = vv.reshape(rows, ncol, k)
    with np.errstate(all="ignore"):
        agg = np.where(np.isnan(vv).all(2), np.nan, np.nanmax(np.where(np.isnan(vv), -np.inf, vv), axis=2))
    lvl = lv.reshape(rows, ncol, k)[:, :, 0]
    colored = colorize(agg, cmap, lo, hi)
    colored[np.isnan(agg)] = BG
    band_h, strip_h, gap = 10, 22, 12
    row_h = band_h + strip_h + gap
    Wp = left + ncol * pe + 10
    out = _blank(rows * row_h + 4, Wp)
    pal = np.array([level_color(n) for n in levels] + [BG], np.uint8)
    texts = []
    for r in range(rows):
        y = 4 + r * row_h
        band = pal[lvl[r]]  # -1 -> BG
        out[y:y + band_h, left:left + ncol * pe] = np.repeat(band, pe, axis=0)[None]
        out[y + band_h:y + band_h + strip_h, left:left + ncol * pe] = np.repeat(colored[r], pe, axis=0)[None]
        texts.append(_t(left - 8, y + band_h + strip_h / 2, str(r * epr), SMALL, FG, "rm"))
    for sl in level_slices[1:]:
        b0 = sl.start or 0
        if b0 >= D:
            continue
        r, c = b0 // epr, (b0 % epr) // k
        x, y = left + c * pe, 4 + r * row_h
        _fill(out, x - 2, y - 2, x, y + band_h + strip_h + 1, BLACK)
    entries = [("box", level_color(n), f"n={int(n)} · {(sl.stop - (sl.start or 0))}")
               for n, sl in zip(levels, level_slices, strict=True)]
    rects = {}
    if highlight is not None:
        i = int(highlight)
        if not 0 <= i < D:
            raise ValueError(f"highlight {i} out of range 0..{D - 1}")
        r, c = i // epr, (i % epr) // k
        x, y = left + c * pe, 4 + r * row_h
        rect = (x - 5, y - 4, x + pe + 4, y + band_h + strip_h + 3)
        _outline(out, *rect, WHITE, 3, BLACK)
        rects["highlight"] = rect
        kl = int(level_of[i])
        desc = f"#{i} = {_fmt2(v[i])}"
        if kl >= 0:
            n = int(levels[kl])
            j = i - (level_slices[kl].start or 0)
            if (level_slices[kl].stop - (level_slices[kl].start or 0)) == int(channels) * n * n:
                ch, rest = divmod(j, n * n)
                desc += f"  (n={n}, c={ch}, by={rest // n}, bx={rest % n})"
        entries.append(("box", WHITE, desc))
    out = _draw_texts(out, texts)
    out = vstack([out, _legend(entries, out.shape[1])], pad=0)
    if return_layout:
        return out, Layout(pe / k, row_h, left, 4 + band_h, 0, 0, out.shape[:2], rects,
                           {"rows": rows, "per_row": epr, "k": k, "px_per_col": pe, "row_h": row_h})
    return out


# ----------------------------------------------------------------------------------------
# 8. combining scales: one best scale per window vs the max over every scale


def scale_combination(best, combined, source, level_slices: Sequence[slice], levels: Sequence[int], channels: int,
                      scales: Sequence[int], best_index: int, width=1100) -> np.ndarray:
    """The two vectors of one window, one above the other on the same colour scale, then their
    difference and the scale each element of the combined vector comes from.

    best, combined: [D] (the SPP vector at the chosen scale s*, and the element-wise max over all
    scales, so combined ≥ best); source: [D] int, index into ``scales`` of the scale holding each
    maximum; level_slices / levels / channels: the vector layout (see :func:`vector_strip`). Rows of
    all four strips are aligned: element e sits at the same column in every strip. Captions are
    language-neutral ("v_best", "v_max = max_s v_s", "v_max − v_best", "argmax_s").
    """
    b = np.asarray(best, np.float64).ravel()
    c = np.asarray(combined, np.float64).ravel()
    src = np.asarray(source).ravel().astype(np.intp)
    if not b.size == c.size == src.size:
        raise ValueError(f"best, combined and source must have the same length, got {b.size}, {c.size}, {src.size}")
    if src.size and not (0 <= src.min() and src.max() < len(scales)):
        raise ValueError(f"source indices must lie in 0..{len(scales) - 1}")
    if not 0 <= int(best_index) < len(scales):
        raise ValueError(f"best_index must lie in 0..{len(scales) - 1}, got {best_index}")
    lo = float(min(b.min(), c.min()))
    hi = float(max(b.max(), c.max()))
    hi = hi if hi > lo else lo + 1.0
    s_best = int(scales[int(best_index)])
    strip_b, lay = vector_strip(b, level_slices, levels, channels, width=width, vmin=lo, vmax=hi, return_layout=True)
    info = lay.info
    epr, k, pe, row_h, rows = info["per_row"], info["k"], info["px_per_col"], info["row_h"], info["rows"]
    body = rows * row_h + 4  # the strips without their level legend (shown once, under the first)
    strip_c = vector_strip(c, level_slices, levels, channels, width=width, vmin=lo, vmax=hi)[:body]
    diff = c - b
    strip_d = vector_strip(diff, level_slices, levels, channels, width=width, cmap="magma", vmin=0.0,
                           vmax=max(float(diff.max()), 1e-12))[:body]
    # the source strip: the same rows and columns as vector_strip, one colour per scale
    left = lay.x0
    ncol = -(-epr // k)
    pal = np.array([scale_color(s) for s in scales], np.uint8)
    strip_h = 22
    src_img = _blank(rows * row_h + 4, strip_b.shape[1])
    e = np.arange(src.size)
    for r in range(rows):
        sel = (e // epr == r) & ((e % epr) % k == 0)  # the first element of each column
        cols = (e[sel] % epr) // k
        y = 4 + r * row_h + 10
        line = np.full((ncol, 3), BG, np.uint8)
        line[cols] = pal[src[sel]]
        src_img[y:y + strip_h, left:left + ncol * pe] = np.repeat(line, pe, axis=0)[None]
    share = np.bincount(src, minlength=len(scales)) / max(1, src.size)
    legend = _legend([("box", scale_color(s), f"s={int(s)} · {100 * share[i]:.0f}%" + (" · s*" if i == best_index
                                                                                        else ""))
                      for i, s in enumerate(scales)], src_img.shape[1])
    src_img = vstack([src_img, legend], pad=0)
    S = ", ".join(str(int(s)) for s in scales)
    parts = [caption(strip_b, f"v_best = SPP(F_s*, w) · s* = {s_best}", bold=True, position="top", align="left"),
             caption(strip_c, f"v_max = max_s SPP(F_s, w) · s ∈ {{{S}}}", bold=True, position="top", align="left"),
             caption(strip_d, f"v_max − v_best (≥ 0) · {100 * float(np.mean(diff > 0)):.1f}% > 0", bold=True,
                     position="top", align="left"),
             caption(src_img, "argmax_s SPP(F_s, w) → s", bold=True, position="top", align="left")]
    return vstack(parts, pad=18)
