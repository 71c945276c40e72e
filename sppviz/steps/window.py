"""Step 3: one window — its image, its scale (area vs 224² over S), its projected cells under the
three rules, and the receptive fields of those cells back on the image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from sppviz import figures
from sppviz.i18n import figure_words, t
from sppviz.method import geometry, pyramid
from sppviz.steps.features import IMAGE_WIDTH

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import WindowDetail
    from sppviz.analysis.workspace import Workspace

MAX_DRAWN_WINDOWS = 80  # proposals drawn on the selection image (all are clickable; 2,000 would hide the image)
DRAWN_COLOR = figures.RULE_COLORS["roialign"]  # boxes the user drew (green)
# The projection rules as one-line formulas (o = receptive-field offset, S = stride); see docs/rules.md.
RULE_FORMULAS = {
    "paper": "⌊(x₁−o)/S⌋+1 · ⌈(x₂−o)/S⌉−1",
    "original": f"⌊(x₁−o+{geometry.RELEASE_MARGIN:g})/S+½⌋ · ⌈(x₂−o−{geometry.RELEASE_MARGIN:g})/S−½⌉",
    "fast-rcnn": "round(x₁/S) · round(x₂/S)",
}


def render_window_image(w: Workspace, k: int | None, corner: list | None = None) -> tuple[np.ndarray, list[float]]:
    """The selection image: the first MAX_DRAWN_WINDOWS proposals, every drawn box (green) and the
    selected window ``k`` (yellow, tagged with its number); ``corner``: the first corner (x, y image
    pixels) of a box being drawn. Returns the image and its layout [sx, sy, x0, y0, col0, row0] (image
    pixels → figure pixels), which the session keeps so that a click maps back exactly as drawn."""
    a = w.a
    boxes = a.windows.numpy()
    n_base = w.drawn_from
    img, lay = figures.windows_on_image(a.image, boxes, selected=k, width=IMAGE_WIDTH,
                                        max_draw=min(n_base, MAX_DRAWN_WINDOWS), return_layout=True)
    drawn = [i for i in range(n_base, len(boxes)) if i != k]
    if drawn:  # drawn boxes come after the proposals, beyond max_draw: draw them on top, in figure pixels
        rects = np.array([lay.unit_rect(*boxes[i]) for i in drawn], np.float64)
        img = figures.boxes_on_image(img, rects, colors=[DRAWN_COLOR] * len(rects), thickness=3)
    if corner is not None:
        x, y = lay.to_px(float(corner[0]), float(corner[1]))
        p = (int(round(x)), int(round(y)))
        cv2.drawMarker(img, p, (0, 0, 0), cv2.MARKER_CROSS, 44, 9, cv2.LINE_AA)
        cv2.drawMarker(img, p, DRAWN_COLOR, cv2.MARKER_CROSS, 40, 4, cv2.LINE_AA)
    return img, [lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0]


def click_to_image(layout: list[float], x: float, y: float) -> tuple[float, float]:
    """A click on the selection image (figure pixels) → original-image pixels, through the layout the
    image was drawn with (``render_window_image``)."""
    sx, sy, x0, y0, col0, row0 = (float(v) for v in layout)
    return figures.Layout(sx, sy, int(x0), int(y0), col0, row0).from_px(float(x), float(y))


def rules_table_html(w: Workspace, d: WindowDetail, lang: str) -> str:
    """The three projection rules side by side. Each row carries ``data-rule`` and
    ``data-cells="cx0,cy0,cx1,cy1"`` (inclusive, exactly geometry.project_window's) for tests and
    copy-paste; the table carries ``data-window`` and ``data-scale``."""
    g = w.a.geometry
    H, W = d.map_hw
    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("rules_h_rule", "rules_h_formula", "rules_h_x", "rules_h_y",
                                                       "rules_h_count"))
    rows = []
    for rule in geometry.PROJECTION_RULES:
        cx0, cy0, cx1, cy1 = d.cells[rule]
        aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1
        r, g_, b = figures.rule_color(rule)
        used = rule == d.rule
        mark = f' <span class="used">{t("rules_used", lang)}</span>' if used else ""
        rows.append(
            f'<tr class="{"chosen" if used else ""}" data-rule="{rule}" data-cells="{cx0},{cy0},{cx1},{cy1}">'
            f'<td><span class="swatch" style="background:rgb({r},{g_},{b})"></span><b>{rule}</b>{mark}</td>'
            f"<td class=\"formula\">{RULE_FORMULAS[rule]}</td><td><code>{cx0}..{cx1}</code></td>"
            f"<td><code>{cy0}..{cy1}</code></td><td>{aw}×{ah} = {aw * ah}</td></tr>")
    bx = d.box_on_map
    rows.append(f'<tr class="window-row"><td>{t("rules_window", lang)}</td><td class="formula">(x−o)/S</td>'
                f"<td><code>{bx[0]:.2f}..{bx[2]:.2f}</code></td><td><code>{bx[1]:.2f}..{bx[3]:.2f}</code></td>"
                f"<td></td></tr>")
    cap = t("rules_caption", lang, k=d.k, s=d.scale, w=W, h=H, stride=g.stride, offset=g.offset)
    return (f'<table class="rules" data-window="{d.k}" data-scale="{d.scale}"><caption>{cap}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def box_scaling_html(d: WindowDetail, lang: str) -> str:
    """The window's scaled box and its cells (the chosen projection rule) under both box-scaling rules:
    "fast-rcnn" box·s/min side, "release" (x − 1)(s − 1)/(min side − 1) + 1 in 1-based pixels
    (docs/rules.md). Rows carry ``data-box-scaling`` and ``data-cells="cx0,cy0,cx1,cy1"``."""
    head = "".join(f"<th>{t(k, lang, rule=d.rule)}</th>" for k in ("box_h_rule", "box_h_box", "box_h_cells"))
    rows = []
    for rule in pyramid.BOX_SCALING_RULES:
        if rule not in d.scaled_box_by_rule:
            continue
        x1, y1, x2, y2 = d.scaled_box_by_rule[rule]
        cx0, cy0, cx1, cy1 = d.cells_by_box_scaling[rule]
        used = rule == d.box_scaling
        mark = f' <span class="used">{t("rules_used", lang)}</span>' if used else ""
        rows.append(f'<tr class="{"chosen-box" if used else ""}" data-box-scaling="{rule}" '
                    f'data-cells="{cx0},{cy0},{cx1},{cy1}"><td><b>{rule}</b>{mark}</td>'
                    f"<td><code>{x1:.2f}, {y1:.2f}, {x2:.2f}, {y2:.2f}</code></td>"
                    f"<td><code>{cx0}..{cx1}; {cy0}..{cy1}</code></td></tr>")
    cap = t("box_caption", lang, k=d.k, s=d.scale)
    return (f'<table class="box-scaling"><caption>{cap}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def scale_chart(w: Workspace, d: WindowDetail, lang: str = "en") -> np.ndarray:
    """The window's scaled area at every scale against 224² (paper) and 208² (release), in ``lang``."""
    n = len(w.a.scales)
    return figures.scale_chart(w.a.scales, d.scaled_areas, target=pyramid.PAPER_TARGET_AREA,
                               chosen_paper=d.chosen_by_rule["paper"], chosen_release=d.chosen_by_rule["original"],
                               release_target=pyramid.RELEASE_TARGET_SIDE ** 2, size=(900, 90 + 62 * n),
                               words=figure_words(lang))


def projection_grid(w: Workspace, d: WindowDetail, lang: str = "en") -> np.ndarray:
    """The cells of every rule on the mean conv5 map, zoomed on the window (cells of 20-48 px); the white dots
    are the cell centres along the window's edges (the legend says so, in ``lang``)."""
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in d.cells.values()) + 1
    cp = max(20, min(48, 860 // (span + 5)))
    return figures.projection_grid(w.reduced(d.scale_index, "mean"), d.cells, d.box_on_map, cell_px=cp,
                                   max_size=900, words=figure_words(lang))


def receptive_fields(w: Workspace, d: WindowDetail, lang: str = "en") -> np.ndarray:
    """The receptive-field centres of the chosen cells and the fields of its corner cells, on the image, with
    a legend in ``lang``."""
    a, g = w.a, w.a.geometry
    cx0, cy0, cx1, cy1 = d.chosen
    xs, ys = np.meshgrid(np.arange(cx0, cx1 + 1), np.arange(cy0, cy1 + 1))
    centres = (g.offset + g.stride * np.stack([xs.ravel(), ys.ravel()], 1)) / d.factor
    corners = {(cx0, cy0), (cx1, cy0), (cx0, cy1), (cx1, cy1)}
    rf = [[v / d.factor for v in geometry.cell_box(cx, cy, g)] for cx, cy in sorted(corners)]
    return figures.receptive_fields_on_image(a.image, d.box, centres, rf_boxes=rf, width=IMAGE_WIDTH,
                                             words=figure_words(lang))


def window_info(w: Workspace, d: WindowDetail, lang: str) -> str:
    """One Markdown paragraph: the window, its size, its scale and its chosen cells."""
    x1, y1, x2, y2 = d.box
    cx0, cy0, cx1, cy1 = d.chosen
    sw, sh = pyramid.scaled_size(w.a.image_wh[0], w.a.image_wh[1], d.scale)
    info = t("win_info", lang, k=d.k, x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1),
             w=round(x2 - x1 + 1, 1), h=round(y2 - y1 + 1, 1), s=d.scale, f=d.factor, sw=sw, sh=sh,
             cx0=cx0, cx1=cx1, cy0=cy0, cy1=cy1, rule=d.rule, aw=cx1 - cx0 + 1, ah=cy1 - cy0 + 1)
    if d.k >= w.drawn_from:
        info += f" *({t('win_user_tag', lang)})*"
    return info


def render_projection(w: Workspace, d: WindowDetail, lang: str) -> dict:
    """Step 3's panels for window ``d``: info, scale chart, projection grid, receptive fields, rules table."""
    return {"win_info": window_info(w, d, lang), "scale_chart": scale_chart(w, d, lang),
            "proj_grid": projection_grid(w, d, lang), "rf_img": receptive_fields(w, d, lang),
            "rules_table": rules_table_html(w, d, lang) + box_scaling_html(d, lang)}
