"""Step 4: spatial pyramid pooling of one window — the bins of a level on the map, each bin's
maximum and where it came from, and the fixed-length vector with its level boundaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sppviz import figures
from sppviz.i18n import figure_words, t, t_count
from sppviz.method import bins
from sppviz.steps.features import IMAGE_WIDTH

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import WindowDetail
    from sppviz.analysis.workspace import Workspace

SPP_PARTS = frozenset({"argmax", "vector"})  # the parts that do not change with the level or the channel
MAP_SIZE = 640  # longest side of the bins-on-map panel


def bin_cell_px(shape: tuple[int, int]) -> int:
    """Side of one bin in the per-bin maxima panel: the grid is about 360 px wide."""
    return max(40, min(110, 360 // max(shape)))


def default_level(levels: tuple[int, ...]) -> int:
    """The level shown first: 3 when pooled, else the finest."""
    return 3 if 3 in levels else max(levels)


def level_index(d: WindowDetail, level: int) -> int:
    """Position of ``level`` among the window's levels (the last one when it is not there)."""
    ns = [lv.n for lv in d.levels]
    return ns.index(int(level)) if int(level) in ns else len(ns) - 1


def bins_table_html(d: WindowDetail, lang: str) -> str:
    """Every level's bins under every bin rule (inclusive cells relative to the window); rows carry
    ``data-level`` and ``data-rule``; a count other than n×n is marked ``bad``."""
    cx0, cy0, cx1, cy1 = d.chosen
    aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1

    def fmt(edges):
        return " ".join(f"{s}–{e}" for s, e in edges)

    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("bins_h_level", "bins_h_rule", "bins_h_x", "bins_h_y",
                                                       "bins_h_count"))
    rows = []
    for lv in d.levels:
        n = lv.n
        r, g, b = figures.level_color(n)
        for rule in bins.BIN_RULES:
            try:
                bx, by = bins.bin_edges(aw, n, rule), bins.bin_edges(ah, n, rule)
                ok = len(bx) == len(by) == n
                cells = (f"<td><code>{fmt(bx)}</code></td><td><code>{fmt(by)}</code></td>"
                         f"<td class=\"{'' if ok else 'bad'}\">{len(bx)}×{len(by)}</td>")
            except ValueError:
                cells = f"<td colspan=\"2\">{t('bins_undefined', lang)}</td><td class=\"bad\">—</td>"
            lvl = (f'<td rowspan="{len(bins.BIN_RULES)}"><span class="swatch" style="background:rgb({r},{g},{b})">'
                   f"</span><b>{n}</b></td>" if rule == bins.BIN_RULES[0] else "")
            rows.append(f'<tr data-level="{n}" data-rule="{rule}">{lvl}<td>{rule}</td>{cells}</tr>')
    return f'<table class="bins"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def vector_strip(w: Workspace, d: WindowDetail, level: int, sel_bin: tuple[int, int] | None, lang: str = "en"):
    """The C × Σn² vector with its level boundaries, under a title "256 channels × 50 bins = 12,800 values" in
    ``lang``; ``sel_bin`` (by, bx) at ``level`` highlights its element."""
    li = level_index(d, level)
    n = d.levels[li].n
    hl = None
    if sel_bin is not None:
        hl = (d.level_slices[li].start or 0) + d.channel * n * n + sel_bin[0] * n + sel_bin[1]
    levels = [x.n for x in d.levels]
    strip = figures.vector_strip(d.vector, d.level_slices, levels, w.channels, width=1100, highlight=hl,
                                 words=figure_words(lang))
    nb = sum(x * x for x in levels)
    title = t_count("fig_vec_title", nb, lang, c=w.channels, bins=nb, d=len(d.vector))
    return figures.caption(strip, title, bold=True, position="top", align="left")


def render_spp(w: Workspace, d: WindowDetail, level: int, sel_bin: tuple[int, int] | None, lang: str,
               parts: frozenset | set = SPP_PARTS) -> dict:
    """Pooling panels for one level; ``sel_bin`` = (by, bx) or None. The bins on the map ("spp_map"),
    their maxima ("spp_values"), the sliding rule's bins when they differ from n×n ("spp_alt", None
    otherwise), warnings ("spp_warn", "" when none), the text and the bins table are always drawn;
    ``parts`` adds "argmax" (the image with every level's maxima) and "vector" (the strip)."""
    a, g = w.a, w.a.geometry
    li = level_index(d, level)
    lv = d.levels[li]
    n = lv.n
    ny, nx = lv.values.shape
    if sel_bin is not None and not (0 <= sel_bin[0] < ny and 0 <= sel_bin[1] < nx):
        sel_bin = None
    ch = w.channel(d.scale_index, d.channel)
    argmax = lv.argmax_cells.reshape(-1, 2)
    words = figure_words(lang)
    bmap = figures.bins_on_map(ch, d.chosen, lv.bins_x, lv.bins_y, n, argmax_cells=argmax, selected_bin=sel_bin,
                               values=lv.values, max_size=MAP_SIZE, words=words)
    vals = figures.bin_values(lv.values, n, selected_bin=sel_bin, cell_px=bin_cell_px(lv.values.shape), words=words)
    out = {}
    if "argmax" in parts:
        pts = {x.n: x.argmax_points.reshape(-1, 2) for x in d.levels}
        sel = None if sel_bin is None else (n, sel_bin[0], sel_bin[1])
        out["spp_argmax"] = figures.argmax_on_image(a.image, pts, d.box, selected=sel, rf_size=g.size / d.factor,
                                                    width=IMAGE_WIDTH, words=words)
    if "vector" in parts:
        out["spp_vector"] = vector_strip(w, d, level, sel_bin, lang)
    cx0, cy0, cx1, cy1 = d.chosen
    aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1
    alt = None
    try:
        sx, sy = bins.bin_edges(aw, n, "sliding"), bins.bin_edges(ah, n, "sliding")
        if (len(sx), len(sy)) != (n, n):
            alt = figures.caption(figures.bins_on_map(ch, d.chosen, sx, sy, n, max_size=MAP_SIZE, words=words),
                                  t("fig_sliding", lang, sx=len(sx), sy=len(sy), n=n), bold=True, position="top")
    except ValueError:
        pass
    warn = []
    if d.error:
        warn.append(t("spp_warn_error", lang, error=d.error.rstrip(".")))
    for x in d.levels:
        if x.note and (d.bin_rule == "sliding" or d.error or x.n == n):
            warn.append(t("spp_warn_note", lang, n=x.n, note=x.note))
    levels = [x.n for x in d.levels]
    text = t_count("spp_ok", nx * ny, lang, n=n, nx=nx, ny=ny, aw=aw, ah=ah, rule=d.bin_rule, d=len(d.vector),
                   c=w.channels, bins=sum(x * x for x in levels))
    if sel_bin is not None and _all_zero(ch, d, lv, sel_bin):  # ReLU zeros everywhere: no cell is "the" maximum
        text += "  \n" + t("bin_picked_zero", lang, by=sel_bin[0], bx=sel_bin[1], n=n)
    elif sel_bin is not None:
        cx, cy = (int(v) for v in lv.argmax_cells[sel_bin[0], sel_bin[1]])
        px, py = lv.argmax_points[sel_bin[0], sel_bin[1]]
        text += "  \n" + t("bin_picked", lang, by=sel_bin[0], bx=sel_bin[1], n=n, v=float(lv.values[sel_bin]),
                           cx=cx, cy=cy, px=px, py=py)
    out.update({"spp_map": bmap, "spp_values": vals, "spp_alt": alt, "spp_warn": "\n\n".join(warn),
                "spp_info": text, "spp_bins": bins_table_html(d, lang)})
    return out


def _all_zero(ch, d: WindowDetail, lv, sel_bin: tuple[int, int]) -> bool:
    """Whether every cell of bin ``sel_bin`` (by, bx) of level ``lv`` is 0 on the channel map ``ch`` [H, W]
    (the level's bins are relative to the window's first cell, ``d.chosen``)."""
    cx0, cy0 = d.chosen[0], d.chosen[1]
    (y0, y1), (x0, x1) = lv.bins_y[sel_bin[0]], lv.bins_x[sel_bin[1]]
    return bool((ch[cy0 + y0:cy0 + y1 + 1, cx0 + x0:cx0 + x1 + 1] == 0).all())


def bin_layout(w: Workspace, d: WindowDetail, level: int, panel: str, lang: str = "en") -> figures.Layout:
    """The layout of the per-bin maxima (``panel="values"``) or bins-on-map (``"map"``) panel as drawn in
    ``lang`` (a title's width can move the grid), whose ``rects`` map "by,bx" to the bin's rectangle in
    figure pixels (for clicks)."""
    lv = d.levels[level_index(d, level)]
    words = figure_words(lang)
    if panel == "values":
        _, lay = figures.bin_values(lv.values, lv.n, cell_px=bin_cell_px(lv.values.shape), words=words,
                                    return_layout=True)
    else:
        _, lay = figures.bins_on_map(w.channel(d.scale_index, d.channel), d.chosen, lv.bins_x, lv.bins_y, lv.n,
                                     max_size=MAP_SIZE, words=words, return_layout=True)
    return lay


def bin_at(lay: figures.Layout, x: float, y: float) -> tuple[int, int] | None:
    """The bin (by, bx) under figure pixel (x, y), 3 px of slack; None outside every bin."""
    for key, (left, top, right, bottom) in lay.rects.items():
        if "," in key and left - 3 <= x <= right + 3 and top - 3 <= y <= bottom + 3:
            by, bx = (int(s) for s in key.split(","))
            return by, bx
    return None
