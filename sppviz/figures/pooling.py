"""Panels of spatial pyramid pooling (paper §2.2): the bins of one level on the window's cells,
each bin's maximum, the maxima back-projected to the image, and the fixed-length vector.

Bins follow sppviz.method.bins (docs/rules.md); conv5 cells are 0-based inclusive
(cx0, cy0, cx1, cy1) and points are (x, y) image pixels (docs/conventions.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from .palette import BG, BLACK, FG, WHITE, WINDOW_COLOR, colorize, ink_on, level_color, value_range
from .primitives import (
    Layout,
    as_points,
    as_rgb,
    blank,
    dashed_outline,
    dim,
    dot,
    fill,
    legend,
    one_box,
    outline,
    vstack,
    with_shape,
)
from .text import FONT, SMALL, draw_texts, fmt2, say, text_height, text_item, text_width
from .views import choose_view, focus_region, frame_with_ticks, image_view, map_body, resolve_crop

# ----------------------------------------------------------------------------------------
# bins


def bins_on_map(fmap2d, cells, bins_x, bins_y, level: int, argmax_cells=None, selected_bin=None, values=None,
                cell_px=None, max_size=700, cmap="viridis", vmin=None, vmax=None,
                words: Mapping[str, str] | None = None, return_layout=False):
    """The bins of one pyramid level on the projected window of one channel's conv5 map.

    fmap2d [h, w]; cells (cx0, cy0, cx1, cy1) the projected window (inclusive);
    bins_x / bins_y: inclusive (start, end) cells RELATIVE to cx0 / cy0, as bins.bin_edges
        returns them; every bin (by, bx) is outlined in level_color(level), inset by a few px
        so that overlapping adaptive bins (which share a cell) stay distinguishable;
    argmax_cells: [(x, y)] absolute map cells of each bin's maximum, row-major (by * n_x + bx),
        drawn as dots; values [n_y, n_x] (optional): each bin's max, printed in the bin's corner
        farthest from its dot when it fits (only the selected bin's when bins overlap);
        selected_bin (by, bx): thicker outline and a translucent fill.
    The view is the window plus one cell of context, zoomed to fit max_size px; cell indices
    along the top and left; a legend "level n=3: 3×3 bins on cells x 7..18, y 3..9" (words["bins"] /
    words["bins_one"] for a single bin, and words["bins_max"] for the dots, in the page's language).
    Layout: cells -> figure; rects["by,bx"] per bin as drawn.
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
        region = focus_region((h, w), [(cx0, cy0, cx1, cy1)], 1)
        rw, rh = region[2] - region[0] + 1, region[3] - region[1] + 1
        cp = max(6, min(80, max_size // max(rw, rh)))
    else:
        region, cp = choose_view((h, w), [(cx0, cy0, cx1, cy1)], 1, cell_px, max_size)
    body, lay = map_body(fm, region, cp, cmap, vmin, vmax)
    sel = None if selected_bin is None else (int(selected_bin[0]), int(selected_bin[1]))
    if sel is not None and not (0 <= sel[0] < ny and 0 <= sel[1] < nx):
        raise ValueError(f"selected_bin {sel} out of range for {ny}x{nx} bins")
    # the window itself, white, outside the bins
    wrect = lay.unit_rect(cx0, cy0, cx1, cy1)
    outline(body, wrect[0] - 4, wrect[1] - 4, wrect[2] + 4, wrect[3] + 4, WINDOW_COLOR, 3, BLACK)
    ins = max(2, min(6, cp // 6))
    rects = {"window": wrect}
    pts = None
    if argmax_cells is not None:
        pts = as_points(argmax_cells, "argmax_cells")
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
                fill(body, *rect, color, 0.25)
            outline(body, *rect, color, 6, BLACK)
            outline(body, rect[0] - 2, rect[1] - 2, rect[2] + 2, rect[3] + 2, WHITE, 1, None)
        else:
            outline(body, *rect, color, 3, BLACK)
        rects[f"{i},{j}"] = rect
    texts = []
    if values is not None:
        vals = np.asarray(values, dtype=np.float64)
        if vals.shape != (ny, nx):
            raise ValueError(f"values must have shape {(ny, nx)}, got {vals.shape}")
        tw_h = text_height(SMALL, True)
        for i in range(ny):
            for j in range(nx):
                if overlap and (i, j) != sel:  # tags would be ambiguous: only the selected bin's
                    continue
                l, t, r, b = rects[f"{i},{j}"]
                s = fmt2(vals[i, j])
                tw = text_width(s, SMALL, True)
                if tw + 20 > r - l or tw_h + 16 > b - t:
                    continue
                # the inner corner farthest from the bin's argmax dot
                corners = [(l + 9, t + 9, "la"), (r - 9, t + 9, "ra"),
                           (l + 9, b - 9, "ld"), (r - 9, b - 9, "rd")]
                if pts is not None:
                    dx, dy = lay.to_px(*pts[i * nx + j])
                    corners.sort(key=lambda q: -((q[0] - dx) ** 2 + (q[1] - dy) ** 2))
                x, y, anchor = corners[0]
                texts.append(text_item(x, y, s, SMALL, WHITE, anchor, True, bg=(0, 0, 0), pad=2))
    if pts is not None:
        r = max(3.0, cp * 0.22)
        for k, (x, y) in enumerate(pts):
            big = sel is not None and k == sel[0] * nx + sel[1]
            px, py = lay.to_px(x, y)
            dot(body, px, py, r * (1.5 if big else 1.0), color,
                ring=WHITE if big else BLACK, ring_w=3 if big else 2)
    if texts:
        body = draw_texts(body, texts)
    lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, lay.shape, rects,
                 {"region": region, "cell_px": cp, "inset": ins})
    canvas, lay = frame_with_ticks(body, lay, region)
    entries = [("line", color, say(words, "bins_one" if nx * ny == 1 else "bins",
                                   "n={n}  {ny}×{nx}  x {cx0}..{cx1}  y {cy0}..{cy1}", n=int(level), ny=ny, nx=nx,
                                   cx0=cx0, cx1=cx1, cy0=cy0, cy1=cy1))]
    if pts is not None and say(words, "bins_max"):
        entries.append(("dot", color, say(words, "bins_max")))
    leg = legend(entries, canvas.shape[1])
    out = vstack([canvas, leg], pad=0)
    if return_layout:
        return out, with_shape(lay, out)
    return out


def bin_values(values, level: int, selected_bin=None, cell_px=90, cmap="viridis", vmin=None, vmax=None,
               words: Mapping[str, str] | None = None, return_layout=False):
    """The n_y x n_x grid of per-bin maxima as coloured cells, each value printed (2 significant
    digits, font sized to fit, black or white by luminance); title "n=3  3×3" in the level
    colour (words["bv_title"] / words["bv_title_one"]: "level n=3: 3×3 bins" in the page's
    language); the selected bin (by, bx) outlined in white. Layout: bins -> figure; rects["by,bx"]."""
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
    labels = [[fmt2(v[i, j]) for j in range(nx)] for i in range(ny)]
    widest = max(text_width(s, 100, True) for row in labels for s in row)
    size = int(max(10, min(cp * 0.36, 0.8 * cp * 100 / max(widest, 1))))
    title = say(words, "bv_title_one" if nx * ny == 1 else "bv_title", "n={n}  {ny}×{nx}", n=int(level), ny=ny,
                nx=nx)
    lcol = level_color(level)
    top = text_height(FONT, True) + 16
    gw, gh = nx * cp + (nx + 1) * gap, ny * cp + (ny + 1) * gap
    W = max(gw, 30 + text_width(title, FONT, True) + 10)
    out = blank(top + gh, W)
    x0 = (W - gw) // 2
    fill(out, x0, top, x0 + gw - 1, top + gh - 1, (255, 255, 255))
    fill(out, 4, top // 2 - 9, 22, top // 2 + 9, lcol)
    texts = [text_item(30, top / 2, title, FONT, FG, "lm", True)]
    rects = {}
    for i in range(ny):
        for j in range(nx):
            l, t = x0 + gap + j * (cp + gap), top + gap + i * (cp + gap)
            c = tuple(int(q) for q in colors[i, j])
            fill(out, l, t, l + cp - 1, t + cp - 1, c)
            rects[f"{i},{j}"] = (l, t, l + cp - 1, t + cp - 1)
            texts.append(text_item(l + cp / 2, t + cp / 2, labels[i][j], size, ink_on(c), "mm", True))
    if sel is not None:
        l, t, r, b = rects[f"{sel[0]},{sel[1]}"]
        outline(out, l - gap + 1, t - gap + 1, r + gap - 1, b + gap - 1, WHITE, 5, BLACK)
    out = draw_texts(out, texts)
    if return_layout:
        return out, Layout(cp + gap, cp + gap, x0 + gap, top + gap, 0, 0, out.shape[:2], rects)
    return out


# ----------------------------------------------------------------------------------------
# argmax back-projected to the image


def argmax_on_image(image, points_by_level: dict, window, selected=None, rf_size=None, width=1000,
                    dim_outside=0.6, crop="auto", words: Mapping[str, str] | None = None, return_layout=False):
    """Each level's per-bin argmax receptive-field centres as dots on the image.

    points_by_level {n: [N, 2] (x, y) image pixels}, row-major over bins (by * n_x + bx with
    n_x = n, or sqrt(N) when N != n², e.g. the sliding rule). Coarser levels get bigger dots
    drawn first, so a maximum shared by several levels shows as concentric dots. selected =
    (level, by, bx): that dot big with a white ring and, with rf_size (px), its receptive field
    (a dashed square of side rf_size centred on the dot). The window is outlined in white and
    the image outside it darkened. crop="auto" zooms on the window, the dots and the selected
    receptive field (None: the whole image). A legend row "n=1 n=2 ..." is added below
    (words["am_level"]: "maxima at n=1"; words["am_rf"] names the dashed receptive field).
    """
    img = as_rgb(image)
    win = one_box(window)
    pts = {int(n): as_points(p, f"points_by_level[{n}]") for n, p in points_by_level.items()}
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
    out, lay = image_view(img, width, resolve_crop(img, crop, extent))
    wrect = lay.unit_rect(*win)
    if dim_outside is not None and dim_outside < 1:
        dim(out, wrect, dim_outside)
    outline(out, *wrect, WINDOW_COLOR, 4, BLACK)
    rects = {"window": wrect}
    if rf_box is not None:
        rr = lay.unit_rect(*rf_box)
        dashed_outline(out, *rr, level_color(sel_pt[0]), 4)
        rects["rf"] = rr
    for n in reversed(levels):  # coarsest (biggest) first
        for x, y in pts[n]:
            px, py = lay.to_px(x, y)
            dot(out, px, py, radius[n], level_color(n))
    if sel_pt is not None:
        n = sel_pt[0]
        px, py = lay.to_px(*sel_pt[1])
        dot(out, px, py, radius[n] + 6, level_color(n), ring=BLACK, ring_w=3)
        cv2.circle(out, (int(round(px * 16)), int(round(py * 16))), int((radius[n] + 11) * 16),
                   WHITE, 4, cv2.LINE_AA, 4)
        rects["selected"] = (int(px), int(py), int(px), int(py))
    if levels:
        entries = [("dot", level_color(n), say(words, "am_level", "n={n}", n=n)) for n in sorted(levels)]
        if rf_box is not None and say(words, "am_rf"):
            entries.append(("dash", level_color(sel_pt[0]), say(words, "am_rf")))
        out = vstack([out, legend(entries, out.shape[1])], pad=0)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, 0, 0, lay.col0, lay.row0, out.shape[:2], rects)
    return out


# ----------------------------------------------------------------------------------------
# the fixed-length vector


def vector_strip(vector, level_slices: Sequence[slice], levels: Sequence[int], channels: int, width=1100,
                 rows=None, highlight=None, cmap="viridis", vmin=None, vmax=None,
                 words: Mapping[str, str] | None = None, return_layout=False):
    """The SPP vector [D = C·Σn²] as a heatmap strip, wrapped into rows.

    level_slices / levels: the slice of the vector holding each level (bins.level_slices), in
    order; inside a level the layout is c·n² + by·n + bx (release). A coloured band above the
    strip shows each element's level, black separators mark level boundaries, each row starts
    with its first index, and a legend reads "n=6 · 9216". One element is one pixel column (or
    several when D is small); when `rows` forces more elements per row than pixels, each column
    shows the max of k consecutive elements. highlight: an element index, boxed, with its
    level / channel / bin in the legend. words ("vec_level", "vec_pick", "vec_where"): the legend's
    templates in the page's language ("n=6: 9,216 values").
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
    left = text_width(str(D), SMALL) + 14
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
    lo, hi = value_range(v, vmin, vmax)
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
    out = blank(rows * row_h + 4, Wp)
    pal = np.array([level_color(n) for n in levels] + [BG], np.uint8)
    texts = []
    for r in range(rows):
        y = 4 + r * row_h
        band = pal[lvl[r]]  # -1 -> BG
        out[y:y + band_h, left:left + ncol * pe] = np.repeat(band, pe, axis=0)[None]
        out[y + band_h:y + band_h + strip_h, left:left + ncol * pe] = np.repeat(colored[r], pe, axis=0)[None]
        texts.append(text_item(left - 8, y + band_h + strip_h / 2, str(r * epr), SMALL, FG, "rm"))
    for sl in level_slices[1:]:
        b0 = sl.start or 0
        if b0 >= D:
            continue
        r, c = b0 // epr, (b0 % epr) // k
        x, y = left + c * pe, 4 + r * row_h
        fill(out, x - 2, y - 2, x, y + band_h + strip_h + 1, BLACK)
    entries = [("box", level_color(n), say(words, "vec_level", "n={n} · {count}", n=int(n),
                                           count=sl.stop - (sl.start or 0)))
               for n, sl in zip(levels, level_slices, strict=True)]
    rects = {}
    if highlight is not None:
        i = int(highlight)
        if not 0 <= i < D:
            raise ValueError(f"highlight {i} out of range 0..{D - 1}")
        r, c = i // epr, (i % epr) // k
        x, y = left + c * pe, 4 + r * row_h
        rect = (x - 5, y - 4, x + pe + 4, y + band_h + strip_h + 3)
        outline(out, *rect, WHITE, 3, BLACK)
        rects["highlight"] = rect
        kl = int(level_of[i])
        desc = say(words, "vec_pick", "#{i} = {v}", i=i, v=fmt2(v[i]))
        if kl >= 0:
            n = int(levels[kl])
            j = i - (level_slices[kl].start or 0)
            if (level_slices[kl].stop - (level_slices[kl].start or 0)) == int(channels) * n * n:
                ch, rest = divmod(j, n * n)
                desc = say(words, "vec_where", "#{i} = {v}  (n={n}, c={c}, by={by}, bx={bx})", i=i, v=fmt2(v[i]),
                           n=n, c=ch, by=rest // n, bx=rest % n)
        entries.append(("box", WHITE, desc))
    out = draw_texts(out, texts)
    out = vstack([out, legend(entries, out.shape[1])], pad=0)
    if return_layout:
        return out, Layout(pe / k, row_h, left, 4 + band_h, 0, 0, out.shape[:2], rects,
                           {"rows": rows, "per_row": epr, "k": k, "px_per_col": pe, "row_h": row_h})
    return out
