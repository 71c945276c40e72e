"""Panels of the image pyramid: the image at every scale, and which scale a window uses.

pyramid_strip shows the scaled images at sizes proportional to their true sizes; scale_chart
shows a window's scaled area (or side) at each scale against the paper's target (paper §4.1)
and the release's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .palette import BG, FG, luma, scale_color
from .primitives import Layout, as_rgb, blank, fill, outline, placeholder, resize
from .text import FONT, draw_texts, say, text_height, text_item, text_width

# ----------------------------------------------------------------------------------------
# image pyramid


def pyramid_strip(images: Sequence[np.ndarray], scales: Sequence[int], conv5_hw: Sequence[tuple[int, int]],
                  height=360, max_width=None, words: Mapping[str, str] | None = None, return_layout=False):
    """Every scaled image side by side at sizes PROPORTIONAL to their true sizes.

    images[i] is the image resized to scale scales[i] (min side = s), uint8 [h_i, w_i, 3];
    conv5_hw[i] = (rows, cols) of its conv5 map. One factor k = height / max(h_i) (or smaller
    if the strip would exceed max_width) shrinks every image, so the largest one is `height`
    px tall. Each image is framed in its scale colour and captioned with three lines:
    "s=688", "918×688 px" and "conv5 58×43" (width × height for both; words["px"] and
    words["conv5"] are their templates in the page's language, placeholders w and h). Images are bottom
    aligned, like the levels of a pyramid seen from the side. Layout: rects["s=688"] is
    where each image landed (inside its frame); info["k"] the common shrink factor.
    """
    if not (len(images) == len(scales) == len(conv5_hw)):
        raise ValueError(f"images, scales and conv5_hw must have the same length, got "
                         f"{len(images)}, {len(scales)}, {len(conv5_hw)}")
    if not images:
        out = placeholder(600, int(height))
        return (out, Layout(1.0, 1.0, shape=out.shape[:2])) if return_layout else out
    imgs = [as_rgb(im, f"images[{i}]") for i, im in enumerate(images)]
    pad, frame = 24, 5
    k = height / max(im.shape[0] for im in imgs)
    if max_width is not None:
        total = sum(im.shape[1] for im in imgs) * k + (pad + 2 * frame) * len(imgs)
        if total > max_width:
            k *= (max_width - (pad + 2 * frame) * len(imgs)) / (total - (pad + 2 * frame) * len(imgs))
    cols = []
    for im, s, (ch, cw) in zip(imgs, scales, conv5_hw, strict=True):
        h, w = im.shape[:2]
        small = resize(im, max(1, int(round(w * k))), max(1, int(round(h * k))))
        color = scale_color(s)
        lines = [(f"s={int(s)}", True, color), (say(words, "px", "{w}×{h}", w=w, h=h), False, FG),
                 (say(words, "conv5", "conv5 {w}×{h}", w=int(cw), h=int(ch)), False, FG)]
        cw_px = max(small.shape[1] + 2 * frame, max(text_width(t, FONT, b) for t, b, _ in lines) + 8)
        framed = blank(small.shape[0] + 2 * frame, small.shape[1] + 2 * frame, color)
        framed[frame:-frame, frame:-frame] = small
        cols.append((framed, lines, cw_px))
    H = max(c[0].shape[0] for c in cols)
    lh = text_height(FONT) + 6
    total_w = sum(c[2] for c in cols) + pad * (len(cols) - 1)
    out = blank(H + 10 + 3 * lh + 6, total_w)
    texts, x, rects = [], 0, {}
    for (framed, lines, cw_px), s in zip(cols, scales, strict=True):
        fh, fw = framed.shape[:2]
        fx = x + (cw_px - fw) // 2
        out[H - fh:H, fx:fx + fw] = framed
        rects[f"s={int(s)}"] = (fx + frame, H - fh + frame, fx + fw - frame - 1, H - frame - 1)
        for j, (text, bold, color) in enumerate(lines):
            texts.append(text_item(x + cw_px / 2, H + 10 + lh * (j + 0.5), text, FONT,
                                   color if luma(color) < 200 else FG, "mm", bold))
        x += cw_px + pad
    out = draw_texts(out, texts)
    if return_layout:
        return out, Layout(k, k, shape=out.shape[:2], rects=rects, info={"k": k})
    return out


# ----------------------------------------------------------------------------------------
# scale chart


def scale_chart(scales, scaled_sides_or_areas, target=224 * 224, chosen_paper: int | None = None,
                chosen_release: int | None = None, release_target=None, size=(900, 380), kind=None,
                words: Mapping[str, str] | None = None):
    """Horizontal bars: the window's scaled area (or side) at each scale in S.

    scaled_sides_or_areas[i]: the window's area (or side) in pixels after resizing the image
        to scales[i]; target / release_target in the same unit (224² for the paper rule
        (paper §4.1); 208² for the release, which picks the scale whose scaled window side is
        closest to 208). kind = 'area' | 'side' (default: 'area' when target > 4096).
    chosen_paper / chosen_release: indices into scales (pyramid.select_scale), marked
        "paper ✓" / "release ✓". Bars are labelled "212²" (√area) or "212" (side). The solid target
        line is the paper's, the dashed one the release's, each labelled with its name and value.
    words: "sc_paper" / "sc_release", the two names in the page's language (default: the rule names
        "paper" / "original").
    """
    scales = [int(s) for s in scales]
    vals = np.asarray(scaled_sides_or_areas, dtype=np.float64).ravel()
    if len(scales) != len(vals):
        raise ValueError(f"scales and values must have the same length: {len(scales)} != {len(vals)}")
    W, H = (int(v) for v in size)
    if not scales:
        return placeholder(W, H)
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
    paper, release = say(words, "sc_paper", "paper"), say(words, "sc_release", "original")
    bottom = 8
    left = max(text_width(f"s={s}", FONT, True) for s in scales) + 20
    marks = []
    for i in range(n):
        m = []
        if chosen_paper is not None and i == int(chosen_paper):
            m.append(f"{paper} ✓")
        if chosen_release is not None and i == int(chosen_release):
            m.append(f"{release} ✓")
        marks.append("  ".join(m))
    right = max(text_width(fmt(v), FONT) + (text_width("  " + mk, FONT, True) if mk else 0)
                for v, mk in zip(vals, marks, strict=True)) + 24
    lines = [(float(target), paper, False)]
    if release_target is not None:
        lines.append((float(release_target), release, True))
    xmax = max(float(vals.max()), *(v for v, _, _ in lines)) * 1.02 or 1.0
    plot_w = max(50, W - left - right)
    k = plot_w / xmax
    # target-line labels above the plot, centred on their line, on a second row if they collide
    lh = text_height(FONT) + 6
    placed = []
    for j, (v, name, dashed) in enumerate(sorted(lines, key=lambda z: z[0])):
        x = int(round(left + v * k))
        label = f"{name} {fmt(v)}"
        w = text_width(label, FONT)
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
    out = blank(H, W)
    texts = []
    fill(out, left - 2, top - 4, left - 1, H - bottom, (60, 60, 60))  # the zero line
    for i, (s, v) in enumerate(zip(scales, vals, strict=True)):
        cy = top + row_h * (i + 0.5)
        t = int(round(cy - bar_h / 2))
        x1 = left + max(2, int(round(v * k)))
        color = scale_color(s)
        fill(out, left, t, x1 - 1, t + bar_h - 1, color)
        if marks[i]:
            outline(out, left, t, x1 - 1, t + bar_h - 1, FG, 3, None)
        texts.append(text_item(left - 12, cy, f"s={s}", FONT, FG, "rm", True))
        # value labels on a background tag: the target lines pass behind them
        texts.append(text_item(x1 + 10, cy, fmt(v), FONT, FG, "lm", bg=BG, pad=3))
        if marks[i]:
            texts.append(text_item(x1 + 10 + text_width(fmt(v) + "  ", FONT), cy, marks[i], FONT, FG, "lm", True,
                                   bg=BG, pad=3))
    for lx, _w, row, x, label, dashed in placed:
        ly = 6 + row * lh + lh / 2
        y0 = int(ly - lh / 2)  # the line rises beside its label
        if dashed:
            for y in range(y0, H - bottom, 14):
                fill(out, x - 1, y, x + 1, min(y + 8, H - bottom), (40, 40, 40))
        else:
            fill(out, x - 1, y0, x + 1, H - bottom, (40, 40, 40))
        texts.append(text_item(lx, ly, label, FONT, FG, "lm", bg=BG, pad=2))
    return draw_texts(out, texts)
