"""Plain-data reports of what SPP-net does with one window — the CLI's and the API's answer.

``window_report`` needs no network weights: only the trunk's geometry and map sizes."""

from __future__ import annotations

import functools

from sppviz.method import bins, geometry, pyramid
from sppviz.model import backbones


@functools.lru_cache(maxsize=8)
def trunk_for_geometry(name: str):
    """A trunk with random weights, used only for its geometry and map sizes."""
    return backbones.build(name)


def window_report(image_wh: tuple[int, int], box, backbone: str = "zf5", scales=pyramid.PAPER_SCALES,
                  levels=(1, 2, 3, 6), scale_rule: str = "paper") -> dict:
    """Everything about one window (original-image box (x1, y1, x2, y2)):

    - ``scale_selection``: for each rule, the chosen scale and the per-scale scores;
    - at the scale chosen by ``scale_rule``: the scaled box, the conv5 size and the cells of each
      projection rule (inclusive, 0-based, clamped into the map);
    - ``bins``: for the paper-rule cells, the bins of every level under each bin rule
      (or the reason the rule fails), and the vector length C·Σn²."""
    w, h = image_wh
    box = [float(v) for v in box]
    trunk = trunk_for_geometry(backbone)
    g = trunk.geometry
    sel = {}
    for rule in pyramid.SCALE_RULES:
        i = pyramid.select_scale(box, (w, h), scales, rule=rule)
        sel[rule] = {"scale": int(scales[i]),
                     "scores": [float(v) for v in pyramid.scale_scores(box, (w, h), scales, rule)]}
    s = sel[scale_rule]["scale"]
    factor = pyramid.scale_factor(w, h, s)
    sw, sh = pyramid.scaled_size(w, h, s)
    fh, fw = trunk.feature_size((sh, sw))
    sbox = [v * factor for v in box]
    cells = {r: list(geometry.project_window(sbox, g, r, map_hw=(fh, fw))) for r in geometry.PROJECTION_RULES}
    cx0, cy0, cx1, cy1 = cells["paper"]
    a_w, a_h = cx1 - cx0 + 1, cy1 - cy0 + 1
    by_rule = {}
    for rule in ("adaptive", "sliding"):
        per_level = {}
        for n in levels:
            try:
                xs, ys = bins.bin_edges(a_w, n, rule), bins.bin_edges(a_h, n, rule)
                per_level[str(n)] = {"x": xs, "y": ys, "count": [len(xs), len(ys)], "ok": len(xs) == len(ys) == n}
            except ValueError as e:
                per_level[str(n)] = {"error": str(e), "ok": False}
        by_rule[rule] = per_level
    return {
        "image_wh": [w, h], "box": box, "backbone": backbone,
        "geometry": {"stride": g.stride, "offset": g.offset, "receptive_field": g.size},
        "scales": [int(v) for v in scales], "scale_rule": scale_rule, "scale_selection": sel,
        "scale": s, "scaled_image_wh": [sw, sh], "scaled_box": sbox, "conv5_hw": [fh, fw],
        "cells": cells, "window_cells_wh": [a_w, a_h], "levels": [int(n) for n in levels],
        "bins": by_rule, "vector_length": bins.vector_length(trunk.out_channels, levels),
    }
