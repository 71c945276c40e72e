"""Plain-data reports of what SPP-net does with one window — the CLI's and the API's answer.

``window_report`` needs no network weights: only the trunk's geometry and map sizes. Every rule is named
(docs/rules.md): scale selection ``scale_rule``, box scaling ``box_scaling``, projection (all three rules are
reported; ``projection`` picks the cells the bins are laid on) and bins (every rule of ``bins.BIN_RULES``).
``presets.Preset.rules()`` gives the first three as keyword arguments."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sppviz.method import bins, geometry, pyramid
from sppviz.model import backbones


@functools.lru_cache(maxsize=8)
def trunk_for_geometry(name: str) -> backbones.Trunk:
    """A trunk with random weights, used only for its geometry and map sizes."""
    return backbones.build(name)


def window_report(image_wh: tuple[int, int], box: Sequence[float], backbone: str = "zf5",
                  scales: Sequence[int] = pyramid.PAPER_SCALES, levels: Sequence[int] = (1, 2, 3, 6),
                  scale_rule: str = "paper", box_scaling: str = "fast-rcnn", projection: str = "paper") -> dict:
    """Everything about one window (original-image box (x1, y1, x2, y2)):

    - ``scale_selection``: for each rule, the chosen scale and the per-scale scores;
    - at the scale chosen by ``scale_rule``: the scaled box (``box_scaling``; ``scaled_box_by_rule`` has both
      rules), the conv5 size and the cells of each projection rule (inclusive, 0-based, clamped into the
      map); ``cells_by_box_scaling``: the ``projection`` rule's cells under each box-scaling rule;
    - ``bins``: for the ``projection`` rule's cells (``bins_on``), the bins of every level under each bin
      rule (or the reason the rule fails), and the vector length C·Σn²; ``release_differences``: where the
      release's float32 bins differ from the exact adaptive ones on those cells (``bins.release_differences``)."""
    w, h = image_wh
    box = [float(v) for v in box]
    pyramid.check_box_scaling(box_scaling)
    if projection not in geometry.PROJECTION_RULES:
        raise ValueError(f"unknown projection rule {projection!r}; valid rules: {', '.join(geometry.PROJECTION_RULES)}")
    trunk = trunk_for_geometry(backbone)
    g = trunk.geometry
    sel = {}
    for rule in pyramid.SCALE_RULES:
        i = pyramid.select_scale(box, (w, h), scales, rule=rule)
        sel[rule] = {"scale": int(scales[i]),
                     "scores": [float(v) for v in pyramid.scale_scores(box, (w, h), scales, rule)]}
    s = sel[scale_rule]["scale"]
    factor = pyramid.box_factor((w, h), s, box_scaling)
    sw, sh = pyramid.scaled_size(w, h, s)
    fh, fw = trunk.feature_size((sh, sw))
    by_rule = {r: [float(v) for v in pyramid.scale_boxes_by_rule(box, (w, h), s, r)] for r in pyramid.BOX_SCALING_RULES}
    sbox = by_rule[box_scaling]
    cells = {r: list(geometry.project_window(sbox, g, r, map_hw=(fh, fw))) for r in geometry.PROJECTION_RULES}
    cells_by_scaling = {r: list(geometry.project_window(b, g, projection, map_hw=(fh, fw))) for r, b in by_rule.items()}
    cx0, cy0, cx1, cy1 = cells[projection]
    a_w, a_h = cx1 - cx0 + 1, cy1 - cy0 + 1
    by_bin_rule = {}
    for rule in bins.BIN_RULES:
        per_level = {}
        for n in levels:
            try:
                xs, ys = bins.bin_edges(a_w, n, rule), bins.bin_edges(a_h, n, rule)
                per_level[str(n)] = {"x": xs, "y": ys, "count": [len(xs), len(ys)], "ok": len(xs) == len(ys) == n}
            except ValueError as e:
                per_level[str(n)] = {"error": str(e), "ok": False}
        by_bin_rule[rule] = per_level
    differences = {axis: [{"level": n, "bin": i, "release": list(r), "adaptive": list(e)}
                          for n, i, r, e in bins.release_differences(a, levels)]
                   for axis, a in (("x", a_w), ("y", a_h))}
    return {
        "image_wh": [w, h], "box": box, "backbone": backbone,
        "geometry": {"stride": g.stride, "offset": g.offset, "receptive_field": g.size},
        "scales": [int(v) for v in scales], "scale_rule": scale_rule, "scale_selection": sel,
        "scale": s, "scaled_image_wh": [sw, sh], "box_scaling": box_scaling, "factor": factor, "scaled_box": sbox,
        "scaled_box_by_rule": by_rule, "conv5_hw": [fh, fw], "cells": cells, "projection": projection,
        "cells_by_box_scaling": cells_by_scaling, "bins_on": projection, "window_cells_wh": [a_w, a_h],
        "levels": [int(n) for n in levels], "bins": by_bin_rule, "release_differences": differences,
        "vector_length": bins.vector_length(trunk.out_channels, levels),
    }
