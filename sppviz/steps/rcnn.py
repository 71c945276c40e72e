"""Steps 6-8: why SPP (the R-CNN path's warped crops), SPP vs RoIPool vs RoIAlign on one window, and
one best scale per window against the max over every scale."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from sppviz import analysis, figures, model
from sppviz.i18n import figure_words, t, t_count
from sppviz.method import bins, geometry

if TYPE_CHECKING:
    import torch

    from sppviz.analysis.pipeline import Analysis, WindowDetail
    from sppviz.analysis.workspace import Workspace
    from sppviz.method import roipool

WHY_N = (8, 128, 64)  # R-CNN windows timed: slider minimum, maximum, default
WHY_FIG_WINDOWS = 8  # warped crops shown
WHY_CROP_H = 160
WHY_CROP_MAX_W = 420
COMPARE_LEVEL = 6  # the level compared when step 4 has none selected
COMPARE_HEADERS = ("cmp_h_method", "cmp_h_region", "cmp_h_max", "cmp_h_mean")
CMB_HEADERS = ("cmb_h_scale", "cmb_h_cells", "cmb_h_size", "cmb_h_best", "cmb_h_share")


def warp_figure(image: np.ndarray, windows: torch.Tensor, ids: list[int], lang: str = "en") -> np.ndarray:
    """Each window's crop as it is (aspect kept, ~WHY_CROP_H px high) next to R-CNN's 224×224 warp, captioned
    in ``lang``."""
    h, w = image.shape[:2]
    warps = model.detector.warp_crops(image, windows, model.detector.RCNN_SIZE)
    pairs = []
    for k, box, warp in zip(ids, windows.round().long().tolist(), warps, strict=True):
        x1, y1 = min(max(box[0], 0), w - 1), min(max(box[1], 0), h - 1)
        x2, y2 = min(max(box[2], x1), w - 1), min(max(box[3], y1), h - 1)
        crop = image[y1:y2 + 1, x1:x2 + 1]
        ch, cw = crop.shape[:2]
        f = min(WHY_CROP_H / ch, WHY_CROP_MAX_W / cw)
        shown = cv2.resize(crop, (max(1, round(cw * f)), max(1, round(ch * f))), interpolation=cv2.INTER_LINEAR)
        pairs.append(figures.hstack([figures.caption(shown, t("fig_crop", lang, k=k, w=cw, h=ch)),
                                     figures.caption(warp, t("fig_warp", lang, w=warp.shape[1], h=warp.shape[0]))],
                                    pad=12, align="center"))
    rows = [figures.hstack(pairs[i:i + 2], pad=48) for i in range(0, len(pairs), 2)]
    return figures.vstack(rows, pad=24)


def warps_of(a: Analysis, order: torch.Tensor, lang: str = "en") -> np.ndarray:
    """The warp figure of the most distorted among the windows ``order`` (indices into a.windows)."""
    wins = a.windows[order]
    show = analysis.compare.most_distorted(wins, WHY_FIG_WINDOWS)
    return warp_figure(a.image, wins[show], [int(order[i]) for i in show], lang)


def default_warps(a: Analysis, lang: str = "en") -> np.ndarray:
    """The warp figure of the WHY_N default best-scoring windows (what step 6 shows after a measurement)."""
    return warps_of(a, analysis.compare.ranked_windows(a)[:WHY_N[2]], lang)


def compare_figure(chmap: np.ndarray, d: WindowDetail, samples: geometry.RoIAlignSamples,
                   tv: roipool.RoIPoolCells | None = None, lang: str = "en") -> np.ndarray:
    """The cells SPP and RoIPool read, RoIAlign's bins and sample points, on one crop of the map [H, W];
    with ``tv``, the bins where torchvision's roi_pool reads other cells than the exact rule, in red. The
    caption and legend are in ``lang``."""
    b = samples.bins
    ra = analysis.compare.roialign_region(samples)
    cells = {"paper": d.cells["paper"], "fast-rcnn": d.cells["fast-rcnn"], "roialign": ra}
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in cells.values()) + 1
    cp = int(max(20, min(56, 860 // (span + 5))))
    img, lay = figures.projection_grid(chmap, cells, d.box_on_map, cell_px=cp, max_size=900, centres=False,
                                       words=figure_words(lang), return_layout=True)
    img = np.ascontiguousarray(img)
    color = figures.rule_color("roialign")
    n = b.shape[0]

    def line(p0, p1):
        cv2.line(img, (int(round(p0[0])), int(round(p0[1]))), (int(round(p1[0])), int(round(p1[1]))), color, 1,
                 cv2.LINE_AA)

    for i in range(1, n):  # inner bin edges of RoIAlign (continuous)
        x, y = b[0, i, 0], b[i, 0, 1]
        line(lay.to_px(x, ra[1]), lay.to_px(x, ra[3]))
        line(lay.to_px(ra[0], y), lay.to_px(ra[2], y))
    red = False
    if tv is not None:  # torchvision's float32 bins that read other cells: their cells, outlined in red
        ex0, ey0, ex1, ey1 = tv.exact_cells
        for axis, _, read, _ in tv.differs:
            if read is None:
                continue
            box = (read[0], ey0, read[1], ey1) if axis == "x" else (ex0, read[0], ex1, read[1])
            l, t_, r_, b_ = lay.unit_rect(*box)
            cv2.rectangle(img, (l, t_), (r_, b_), (213, 94, 0), 3, cv2.LINE_AA)
            red = True
    r = max(2, cp // 12)
    for x, y in samples.points.reshape(-1, 2):
        px, py = lay.to_px(float(x), float(y))
        c = (int(round(px)), int(round(py)))
        cv2.circle(img, c, r + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(img, c, r, color, -1, cv2.LINE_AA)
    text = t("fig_cmp", lang, n=n, sx=samples.points[0, 0].shape[1], sy=samples.points[0, 0].shape[0])
    if red:
        text += "\n" + t("fig_cmp_tv", lang)
    return figures.caption(img, text, position="top")


def sliding_rows(a: int, levels: tuple[int, ...], lang: str) -> str:
    """One Markdown line per level: the sliding rule's bin count on an a-cell axis against n."""
    rows = []
    for n in levels:
        try:
            count = len(bins.bin_edges(a, n, "sliding"))
            mark = "" if count == n else " ≠ n"
            rows.append(t_count("g_sliding_row", count, lang, n=n, count=count, win=-(-a // n), stride=a // n,
                                mark=mark))
        except ValueError:
            rows.append(t("g_sliding_undef", lang, n=n, a=a))
    return "\n".join(rows)


def release_rows(d: WindowDetail, levels: tuple[int, ...], lang: str) -> str:
    """Markdown lines: where the release's float32 bins differ from the exact ones on this window at the
    pooled levels (``bins.release_differences``), or, when they agree there, the first other level
    (5 … 16) at which they would differ on this window."""
    cx0, cy0, cx1, cy1 = d.chosen
    sides = (("axis_x", cx1 - cx0 + 1), ("axis_y", cy1 - cy0 + 1))
    rows = [t("g_release_row", lang, n=n, a=a, axis=t(ax, lang), i=i, rs=r[0], re=r[1], es=e[0], ee=e[1])
            for ax, a in sides for n, i, r, e in bins.release_differences(a, levels)]
    if rows:
        return "\n".join(rows)
    rows = [t("g_release_same", lang, levels=", ".join(map(str, levels)))]
    others = [m for m in range(5, bins.MAX_LEVEL + 1) if m not in levels]
    for ax, a in sides:
        hit = bins.release_differences(a, others)
        if hit:
            n, i, r, e = hit[0]
            rows.append(t("g_release_would", lang, n=n, i=i, rs=r[0], re=r[1], es=e[0], ee=e[1]) + f" ({t(ax, lang)})")
            break
    return "\n".join(rows)


def gotchas_markdown(d: WindowDetail, levels: tuple[int, ...], offset: float, lang: str) -> str:
    """The gotcha cards, with the selected window's own numbers."""
    cx0, cy0, cx1, cy1 = d.chosen
    a = cx1 - cx0 + 1
    ex = len(bins.bin_edges(10, 6, "sliding"))
    p, o = d.cells["paper"], d.cells["original"]
    parts = [t("g_title", lang),
             t("g_sliding", lang, k=d.k, a=a, rule=d.rule, rows=sliding_rows(a, levels, lang), ex=ex),
             t("g_scale", lang),
             t("g_proj", lang, k=d.k, s=d.scale, px0=p[0], px1=p[2], py0=p[1], py1=p[3], ox0=o[0], ox1=o[2],
               oy0=o[1], oy1=o[3], o=f"{offset:g}", dl=o[0] - p[0], dt=o[1] - p[1], dr=o[2] - p[2], db=o[3] - p[3]),
             t("g_yolo", lang),
             t("g_release", lang, k=d.k, a=a, b=cy1 - cy0 + 1, rows=release_rows(d, levels, lang))]
    return "\n\n".join(parts)


def torchvision_text(tv: roipool.RoIPoolCells, lang: str) -> str:
    """One line on torchvision's roi_pool for this window: its RoI cells and where its bins differ."""
    parts = ", ".join(f"{axis} bin {i}: {'∅' if r is None else f'{r[0]}..{r[1]}'} ≠ {e[0]}..{e[1]}"
                      for axis, i, r, e in tv.differs)
    diffs = t("cmp_tv_diff", lang, parts=parts) if parts else t("cmp_tv_same", lang)
    return t("cmp_tv", lang, x0=tv.roi[0], x1=tv.roi[2], y0=tv.roi[1], y1=tv.roi[3], diffs=diffs)


def render_compare(w: Workspace, d: WindowDetail, n: int, levels: tuple[int, ...], lang: str) -> dict:
    """Step 10 for window ``d`` at level ``n``: the figure, the |Δ| table, the gotcha cards, and the line on
    torchvision's roi_pool ("cmp_tv"; no info line)."""
    g = w.a.geometry
    rows, samples, tv = analysis.compare.compare_pooling(w.a.feats[d.scale_index].fmap, d, n, float(g.stride))
    return {"cmp_fig": compare_figure(w.channel(d.scale_index, d.channel), d, samples, tv, lang),
            "cmp_tv": torchvision_text(tv, lang),
            "cmp_table": {"headers": [t(k, lang) for k in COMPARE_HEADERS], "data": rows},
            "cmp_gotchas": gotchas_markdown(d, levels, g.offset, lang),
            "cmp_region": analysis.compare.roialign_region(samples)}


def combine_figure(w: Workspace, k: int, rules: dict, lang: str = "en") -> np.ndarray:
    """figures.scale_combination of window ``k``: its vector at the best scale next to the max over scales,
    captioned in ``lang``."""
    ws = w.window_scales(k, rules)
    levels = w.a.detector.net.levels
    return figures.scale_combination(ws.best_vector, ws.combined, ws.source, bins.level_slices(w.channels, levels),
                                     levels, w.channels, ws.scales, ws.best, width=1100, words=figure_words(lang))


def combine_table(w: Workspace, k: int, rules: dict, lang: str) -> tuple[dict, dict]:
    """Step 8's per-scale table of window ``k`` and the numbers its text needs."""
    ws = w.window_scales(k, rules)
    rows = []
    for i, s in enumerate(ws.scales):
        cx0, cy0, cx1, cy1 = (int(c) for c in ws.cells[i])
        rows.append([int(s), f"{cx0}..{cx1}; {cy0}..{cy1}", (cx1 - cx0 + 1) * (cy1 - cy0 + 1),
                     "✓" if i == ws.best else "", round(100 * float(ws.share[i]), 1)])
    diff = ws.combined - ws.best_vector
    info = {"k": k, "s": ws.scales[ws.best], "rule": rules["scale_rule"], "S": len(ws.scales),
            "changed": 100 * ws.changed, "D": len(ws.combined), "mean": float(diff.mean()), "mx": float(diff.max()),
            "levels": "{" + ", ".join(map(str, w.a.detector.net.levels)) + "}"}
    return {"headers": [t(h, lang) for h in CMB_HEADERS], "data": rows}, info
