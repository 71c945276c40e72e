"""Panel of combining scales: a window's SPP vector at its one best scale vs the element-wise
max over every scale, their difference, and the scale each maximum comes from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .palette import BG, scale_color
from .pooling import vector_strip
from .primitives import blank, caption, legend, vstack
from .text import say

# ----------------------------------------------------------------------------------------
# combining scales: one best scale per window vs the max over every scale


def scale_combination(best, combined, source, level_slices: Sequence[slice], levels: Sequence[int], channels: int,
                      scales: Sequence[int], best_index: int, width=1100,
                      words: Mapping[str, str] | None = None) -> np.ndarray:
    """The two vectors of one window, one above the other on the same colour scale, then their
    difference and the scale each element of the combined vector comes from.

    best, combined: [D] (the SPP vector at the chosen scale s*, and the element-wise max over all
    scales, so combined ≥ best); source: [D] int, index into ``scales`` of the scale holding each
    maximum; level_slices / levels / channels: the vector layout (see :func:`vector_strip`). Rows of
    all four strips are aligned: element e sits at the same column in every strip. The captions are
    formulas ("v_best = SPP(F_s*, w)", "v_max = max_s SPP(F_s, w)", "v_max − v_best", "argmax_s …") and,
    with words ("cmb_best", "cmb_max", "cmb_diff", "cmb_src"), what they mean in the page's language.
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
    src_img = blank(rows * row_h + 4, strip_b.shape[1])
    e = np.arange(src.size)
    for r in range(rows):
        sel = (e // epr == r) & ((e % epr) % k == 0)  # the first element of each column
        cols = (e[sel] % epr) // k
        y = 4 + r * row_h + 10
        line = np.full((ncol, 3), BG, np.uint8)
        line[cols] = pal[src[sel]]
        src_img[y:y + strip_h, left:left + ncol * pe] = np.repeat(line, pe, axis=0)[None]
    share = np.bincount(src, minlength=len(scales)) / max(1, src.size)
    entries = [("box", scale_color(s), f"s={int(s)} · {100 * share[i]:.0f}%" + (" · s*" if i == best_index else ""))
               for i, s in enumerate(scales)]
    src_img = vstack([src_img, legend(entries, src_img.shape[1])], pad=0)
    S = ", ".join(str(int(s)) for s in scales)
    p = 100 * float(np.mean(diff > 0))
    titles = [(strip_b, say(words, "cmb_best", "v_best = SPP(F_s*, w) · s* = {s}", s=s_best)),
              (strip_c, say(words, "cmb_max", "v_max = max_s SPP(F_s, w) · s ∈ {{{S}}}", S=S)),
              (strip_d, say(words, "cmb_diff", "v_max − v_best (≥ 0) · {p:.1f}% > 0", p=p)),
              (src_img, say(words, "cmb_src", "argmax_s SPP(F_s, w) → s"))]
    parts = [caption(img, title, bold=True, position="top", align="left") for img, title in titles]
    return vstack(parts, pad=18)
