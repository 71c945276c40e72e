"""Panels of the projection of a window onto conv5: the cells each rule keeps, drawn on the map,
and the receptive fields of those cells, drawn on the image.

The rules themselves live in sppviz.method.geometry (docs/rules.md); here they are plain
inclusive cells (cx0, cy0, cx1, cy1) or continuous map coordinates (docs/conventions.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import cv2
import numpy as np

from .palette import BLACK, RGB, SELECTED_COLOR, WHITE, WINDOW_COLOR, as_color, rule_color
from .primitives import (
    Layout,
    as_boxes,
    as_points,
    as_rgb,
    dashed_outline,
    dim,
    dot,
    legend,
    one_box,
    outline,
    vstack,
    with_shape,
)
from .text import fmt_coord, say
from .views import choose_view, frame_with_ticks, image_view, map_body, resolve_crop

# ----------------------------------------------------------------------------------------
# the projected window on the conv5 map


def _is_integral(vals) -> bool:
    return all(float(v) == int(v) for v in vals)


def projection_grid(fmap2d, cells_by_rule: dict, window_on_map=None, cell_px=None, max_size=900,
                    cmap="viridis", vmin=None, vmax=None, centres=True, words: Mapping[str, str] | None = None,
                    return_layout=False):
    """The projected window on the conv5 map, one rectangle per projection rule.

    fmap2d [h, w]: one channel (or the channel mean); colours are normalised over the whole map.
    cells_by_rule: {rule: (cx0, cy0, cx1, cy1)} inclusive cells, outlined in RULE_COLORS (4 px)
        just inside the cells and inset by 6 px more per rule (in dict order) so coinciding
        rectangles stay visible. A value with non-integer numbers is a continuous box in map
        coordinates (e.g. RoIAlign), drawn centred on exactly those coordinates, not inset.
    window_on_map: (x1, y1, x2, y2) = ((x1 - offset) / stride, ...): the window's extreme pixel
        centres in cell units, so cell i's centre is at i; drawn as a dashed white rectangle
        through those points. With centres=True (and cells >= 20 px) a small white dot marks
        each cell centre along the window's edges: the paper rule keeps the cells whose centre
        lies strictly inside the window (the legend says so when words has "pg_centres").
    The whole map is shown when it fits max_size px with cells >= 16 px; else the region
    around the window and the cells (plus 2 cells) is shown, zoomed. Cell indices are written
    along the top and left edges; a legend under the map reads "paper rule  x 7..18  y 3..9"
    (words: the templates "pg_window", "pg_rule", "pg_region" and "pg_centres" in the page's
    language; without them the legend has numbers and rule names only).
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
    region, cp = choose_view((h, w), focus, 2, cell_px, max_size)
    body, lay = map_body(fm, region, cp, cmap, vmin, vmax)
    c0, r0, c1, r1 = region
    dots = centres and win is not None and cp >= 20
    if dots:
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
                    dot(body, x, y, rad, WHITE, ring=BLACK, ring_w=1)
    rects = {}
    # the window first, so that every rule's colour stays visible where lines coincide
    if win is not None:
        (l, t), (r, b) = lay.to_px(win[0], win[1]), lay.to_px(win[2], win[3])
        rect = (int(round(l)) - 1, int(round(t)) - 1, int(round(r)) + 1, int(round(b)) + 1)
        dashed_outline(body, *rect, WINDOW_COLOR, 3, dash=14, gap=8)
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
        outline(body, *rect, color, th, BLACK)
        rects[rule] = rect
    lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, lay.shape, rects,
                 {"region": region, "cell_px": cp})
    canvas, lay = frame_with_ticks(body, lay, region)
    entries = []
    if win is not None:
        entries.append(("dash", WINDOW_COLOR, say(words, "pg_window", "x {x0}..{x1}  y {y0}..{y1}",
                                                  x0=fmt_coord(win[0]), x1=fmt_coord(win[2]),
                                                  y0=fmt_coord(win[1]), y1=fmt_coord(win[3]))))
    for rule, c in rules.items():
        integral = _is_integral(c)
        fmt = (lambda v: str(int(v))) if integral else fmt_coord
        entries.append(("line", rule_color(rule),
                        say(words, "pg_rule" if integral else "pg_region", "{rule}  x {x0}..{x1}  y {y0}..{y1}",
                            rule=rule, x0=fmt(c[0]), x1=fmt(c[2]), y0=fmt(c[1]), y1=fmt(c[3]))))
    centre_text = say(words, "pg_centres")
    if dots and centre_text:
        entries.append(("dot", WHITE, centre_text))
    out = vstack([canvas, legend(entries, canvas.shape[1])], pad=0) if entries else canvas
    if return_layout:
        return out, with_shape(lay, out)
    return out


# ----------------------------------------------------------------------------------------
# receptive fields


def receptive_fields_on_image(image, window, centres, rf_boxes=None, color: RGB = SELECTED_COLOR, width=1000,
                              inside=None, dim_outside=0.7, crop="auto", words: Mapping[str, str] | None = None,
                              return_layout=False):
    """The window, the receptive-field centres of the projected cells and a few RF boxes.

    window (x1, y1, x2, y2), centres [N, 2] (x, y) and rf_boxes [M, 4] are image pixels.
    A centre inside the window (x1 <= x <= x2 and y1 <= y <= y2, or as given by `inside` [N]
    bool) is a filled dot, others are hollow rings. RF boxes are thin, semi-transparent.
    crop="auto" zooms on everything drawn plus a margin (None: the whole image; or a box);
    the view fits width x 0.75*width px. With words ("window", "rf_inside", "rf_outside",
    "rf_field": the page's language) a legend under the view names what is drawn.
    Layout: image pixels -> figure pixels.
    """
    img = as_rgb(image)
    win = one_box(window)
    color = as_color(color)
    pts = as_points(centres, "centres")
    rfb = as_boxes(rf_boxes, "rf_boxes") if rf_boxes is not None else np.zeros((0, 4))
    extent = [win] + [np.r_[p, p] for p in pts] + list(rfb)
    out, lay = image_view(img, width, resolve_crop(img, crop, extent))
    wrect = lay.unit_rect(*win)
    if dim_outside is not None and dim_outside < 1:
        dim(out, wrect, dim_outside)
    if len(rfb):
        over = out.copy()
        for bx in rfb:
            outline(over, *lay.unit_rect(*bx), color, 3, None)
        cv2.addWeighted(over, 0.75, out, 0.25, 0.0, dst=out)
    outline(out, *wrect, WINDOW_COLOR, 4, BLACK)
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
        dot(out, px, py, r, color, hollow=not ins)
    entries = [e for e in (("line", WINDOW_COLOR, say(words, "window")),
                           ("dot", color, say(words, "rf_inside")) if inside.any() else None,
                           ("ring", color, say(words, "rf_outside")) if not inside.all() else None,
                           ("line", color, say(words, "rf_field")) if len(rfb) else None) if e and e[2]]
    if entries:
        out = vstack([out, legend(entries, out.shape[1])], pad=0)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, 0, 0, lay.col0, lay.row0, out.shape[:2], {"window": wrect})
    return out
