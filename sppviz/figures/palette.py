"""Colours of every panel: the colour-blind friendly palette, the figure colours, colour maps.

A scale, a pyramid level, a projection rule or a class keeps its colour in every panel
(scale_color, level_color, rule_color, class_color, with stable fallbacks for values outside
the tables). colorize maps values through a matplotlib colormap table, loaded once per name.
A colour is an RGB tuple of three ints 0..255.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

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


def as_color(c: Sequence[int]) -> RGB:
    """The colour c as a tuple of 3 ints (R, G, B); ValueError when it has another length."""
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
# colour maps


@lru_cache(maxsize=16)
def lut(cmap: str) -> np.ndarray:
    """[256, 3] uint8 lookup table of a matplotlib colormap (computed once per name)."""
    import matplotlib

    try:
        cm = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f"unknown colormap {cmap!r}") from None
    return (cm(np.linspace(0.0, 1.0, 256))[:, :3] * 255.0 + 0.5).astype(np.uint8)


def value_range(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> tuple[float, float]:
    """(lo, hi) of a colour scale: vmin / vmax when given, else the finite min / max of values
    (any shape), else (0, 1) when no value is finite."""
    finite = values[np.isfinite(values)] if values.size else values
    lo = float(vmin) if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = float(vmax) if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    return lo, hi


def colorize(values, cmap="viridis", vmin=None, vmax=None) -> np.ndarray:
    """Map any-shaped values to uint8 RGB [..., 3] with a colormap; NaN -> grey.

    vmin / vmax default to the finite min / max; a constant map gets the colormap's low end."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = value_range(v, vmin, vmax)
    span = hi - lo if hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        idx = np.clip((v - lo) * (255.0 / span), 0, 255)
    nan = ~np.isfinite(idx)
    idx = np.where(nan, 0, idx).astype(np.intp)
    out = lut(cmap)[idx]
    if nan.any():
        out[nan] = (128, 128, 128)
    return out


# ----------------------------------------------------------------------------------------
# text colour on a background


def luma(c: Sequence[int]) -> float:
    """Relative luminance of colour c (R, G, B) on the 0..255 scale (Rec. 709 weights)."""
    r, g, b = (float(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink_on(c: Sequence[int]) -> RGB:
    """Black or white text, whichever reads better on background colour c."""
    return BLACK if luma(c) > 140 else WHITE
