"""Text in figures: the bundled DejaVu Sans fonts, measuring a line, drawing many lines at once.

A figure's text is a list of text_item tuples drawn by draw_texts in one PIL round trip. The
FreeType faces are shared by every thread of the server, so text is measured and drawn under
one lock. Text in figures is language-neutral (numbers, symbols, short technical tokens)
because the UI translates its own labels; fonts are large (projector).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .palette import FG, as_color, lut

FONT = 22   # captions, legends
SMALL = 18  # tick labels


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


def text_width(text: str, size: int = FONT, bold: bool = False) -> int:
    """Width of a text line in pixels."""
    font = _font(size, bold)
    with _TEXT_LOCK:
        return int(math.ceil(font.getlength(text)))


@lru_cache(maxsize=64)
def text_height(size: int = FONT, bold: bool = False) -> int:
    """Height of a text line (ascent + descent) in pixels."""
    font = _font(size, bold)
    with _TEXT_LOCK:
        a, d = font.getmetrics()
    return a + d


def warm_up() -> None:
    """Load the colormaps and fonts now (the first figure otherwise pays ~0.3 s for them)."""
    for cmap in ("viridis", "inferno", "gray"):
        lut(cmap)
    for size in (SMALL, FONT):
        for bold in (False, True):
            text_height(size, bold)


def text_item(x: float, y: float, text: object, size: int = FONT, color: Sequence[int] = FG, anchor: str = "la",
              bold: bool = False, bg: Sequence[int] | None = None, pad: int = 4) -> tuple:
    """A text item for draw_texts: `text` at figure pixel (x, y), anchored as in PIL ('la', 'mm',
    'rm', 'ms', ...), on a filled rectangle of colour bg with `pad` px margin when bg is given."""
    return (float(x), float(y), str(text), int(size), as_color(color), anchor, bool(bold),
            None if bg is None else as_color(bg), int(pad))


def draw_texts(arr: np.ndarray, items: Sequence[tuple]) -> np.ndarray:
    """Draw text items (see text_item) on a copy of arr, in one PIL round trip."""
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


# ----------------------------------------------------------------------------------------
# numbers


def fmt2(v: float) -> str:
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


def fmt_coord(v: float) -> str:
    """A map coordinate: integer when integral, else 2 decimals."""
    v = float(v)
    return str(int(v)) if v == int(v) else f"{v:.2f}"
