"""The lesson's figures (``render_figures``): every step's panel as a uint8 RGB array at projector
resolution, drawn by :mod:`sppviz.figures` from an analysis and the selected window's detail."""

from __future__ import annotations

import math

import cv2
import numpy as np

from sppviz import analysis, figures
from sppviz.method import geometry, pyramid

PROJECTOR_WIDTH = 1600
MIN_WINDOW_SIDE = 0.15  # the default window's shorter side is at least this fraction of the image's


# ----------------------------------------------------------------------------------------
# choices and sizes


def pick_window(a: analysis.Analysis, min_side: float = MIN_WINDOW_SIDE) -> int:
    """The default window, as the app chooses it (``Analysis.best_window``)."""
    return a.best_window(min_side)


def projector(arr: np.ndarray, min_width: int = PROJECTOR_WIDTH) -> np.ndarray:
    """``arr`` scaled up to at least ``min_width`` px wide: nearest neighbour by an integer factor for
    a big enlargement (cells and text stay crisp), linear for a small one; wide figures are kept."""
    h, w = arr.shape[:2]
    if w >= min_width:
        return arr
    f = min_width / w
    if f >= 2:
        k = math.ceil(f)
        return np.ascontiguousarray(cv2.resize(arr, (w * k, h * k), interpolation=cv2.INTER_NEAREST))
    return np.ascontiguousarray(cv2.resize(arr, (min_width, max(1, round(h * f))), interpolation=cv2.INTER_LINEAR))


def _pyramid_figure(a: analysis.Analysis) -> np.ndarray:
    imgs = [pyramid.resize_image(a.image, s) for s in a.scales]
    hw = [tuple(int(v) for v in f.fmap.shape[1:]) for f in a.feats]
    # the strip's width is about proportional to its height: aim at PROJECTOR_WIDTH, at most 1400 px tall
    first = figures.pyramid_strip(imgs, a.scales, hw, height=400, max_width=4 * PROJECTOR_WIDTH)
    height = int(min(1400, 400 * PROJECTOR_WIDTH / max(1, first.shape[1]) * 1.02))
    return figures.pyramid_strip(imgs, a.scales, hw, height=max(height, 200), max_width=PROJECTOR_WIDTH + 200)


def _heatmap_size(hw, width) -> tuple[int, int]:
    h, w = hw
    return int(width), max(1, round(width * h / w))


# ----------------------------------------------------------------------------------------
# the figures


def render_figures(a: analysis.Analysis, d: analysis.WindowDetail, after, classes) -> dict[str, np.ndarray]:
    """Every lesson figure as uint8 RGB arrays, keyed by file name."""
    g = a.geometry
    out: dict[str, np.ndarray] = {"1_pyramid.png": _pyramid_figure(a)}

    si = d.scale_index
    fm = a.feats[si].fmap
    mean = fm.mean(0).float().cpu().numpy()
    half = PROJECTOR_WIDTH // 2
    hmap = figures.heatmap(mean, size=_heatmap_size(mean.shape, half))
    over = figures.overlay_on_image(pyramid.resize_image(a.image, a.scales[si]), mean, g.stride, g.offset,
                                    width=half)
    out["2_features.png"] = figures.hstack([hmap, over])
    H, W = fm.shape[1:]
    cx0, cy0, cx1, cy1 = d.chosen
    m = 2
    crop = fm[:, max(cy0 - m, 0):min(cy1 + m, H - 1) + 1, max(cx0 - m, 0):min(cx1 + m, W - 1) + 1]
    peak = fm[:, cy0:cy1 + 1, cx0:cx1 + 1].amax((1, 2))
    top = list(d.top_channels)
    out["2_top_channels.png"] = figures.channel_tiles(crop.float().cpu().numpy(), top, tile=PROJECTOR_WIDTH // 5,
                                                      labels=[f"max {float(peak[c]):.2g}" for c in top], cols=4)

    boxes = a.windows.numpy()
    out["3_window.png"] = figures.windows_on_image(a.image, boxes, selected=d.k, width=PROJECTOR_WIDTH,
                                                   max_draw=min(len(boxes), 80))
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in d.cells.values()) + 1
    cp = max(20, min(120, (PROJECTOR_WIDTH - 100) // (span + 5)))
    out["3_projection.png"] = figures.projection_grid(mean, d.cells, d.box_on_map, cell_px=cp,
                                                      max_size=PROJECTOR_WIDTH)
    n = len(a.scales)
    out["3_scale_chart.png"] = figures.scale_chart(
        a.scales, d.scaled_areas, target=pyramid.PAPER_TARGET_AREA, chosen_paper=d.chosen_by_rule["paper"],
        chosen_release=d.chosen_by_rule["original"], release_target=pyramid.RELEASE_TARGET_SIDE ** 2,
        size=(PROJECTOR_WIDTH, 90 + 62 * n))
    xs, ys = np.meshgrid(np.arange(cx0, cx1 + 1), np.arange(cy0, cy1 + 1))
    centres = (g.offset + g.stride * np.stack([xs.ravel(), ys.ravel()], 1)) / d.factor
    corners = {(cx0, cy0), (cx1, cy0), (cx0, cy1), (cx1, cy1)}
    rf = [[v / d.factor for v in geometry.cell_box(cx, cy, g)] for cx, cy in sorted(corners)]
    out["3_receptive_fields.png"] = figures.receptive_fields_on_image(a.image, d.box, centres, rf_boxes=rf,
                                                                      width=PROJECTOR_WIDTH)

    ch = fm[d.channel].float().cpu().numpy()
    for lv in d.levels:
        out[f"4_bins_level{lv.n}.png"] = figures.bins_on_map(
            ch, d.chosen, lv.bins_x, lv.bins_y, lv.n, argmax_cells=lv.argmax_cells.reshape(-1, 2),
            values=lv.values, max_size=PROJECTOR_WIDTH)
        cell = max(40, min(300, 1200 // max(lv.values.shape)))
        out[f"4_bin_values_level{lv.n}.png"] = figures.bin_values(lv.values, lv.n, cell_px=cell)
    pts = {x.n: x.argmax_points.reshape(-1, 2) for x in d.levels}
    out["4_argmax.png"] = figures.argmax_on_image(a.image, pts, d.box, rf_size=g.size / d.factor,
                                                  width=PROJECTOR_WIDTH)
    out["4_vector.png"] = figures.vector_strip(d.vector, d.level_slices, [x.n for x in d.levels],
                                               int(fm.shape[0]), width=PROJECTOR_WIDTH)

    labels = [classes[int(c)] for c in after.labels]
    cols = [figures.class_color(int(c)) for c in after.labels]
    out["5_detections.png"] = figures.detections_on_image(a.image, after.boxes.numpy(), labels,
                                                          after.scores.numpy(), cols, width=PROJECTOR_WIDTH)
    return {name: projector(arr) for name, arr in out.items()}
