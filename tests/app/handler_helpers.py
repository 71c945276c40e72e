"""Shared by the handler tests: one analysis of an example (``done``) and helpers that recompute what a
panel should show from the library."""

import re

import numpy as np

from sppviz import figures
from sppviz.app import session, settings
from sppviz.app.tabs import inputs
from sppviz.method import geometry, pyramid

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_2.jpg")
CELLS = re.compile(r'data-rule="([^"]+)" data-cells="(\d+),(\d+),(\d+),(\d+)"')


def analyzed(model):
    """One analysis of an example at two scales: (input values, outputs)."""
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[480, 688], state={})
    out = inputs.analyze_image(v)
    v["state"] = out["state"]
    return v, out


def entry(v):
    return session.SESSIONS.get(v["state"]["sid"])


def rules_cells(html: str) -> dict:
    return {m[0]: tuple(int(x) for x in m[1:]) for m in CELLS.findall(html)}


def expected_cells(a, k, rule_scale="paper"):
    """geometry.project_window of window k at the scale pyramid.select_scale picks."""
    box = a.windows[k].tolist()
    si = pyramid.select_scale(box, a.image_wh, a.scales, rule=rule_scale)
    f = pyramid.scale_factor(*a.image_wh, a.scales[si])
    sw, sh = pyramid.scaled_size(*a.image_wh, a.scales[si])
    map_hw = a.detector.net.trunk.feature_size((sh, sw))
    return {r: geometry.project_window([c * f for c in box], a.geometry, r, map_hw=map_hw)
            for r in geometry.PROJECTION_RULES}


def click_point(v, box):
    """Figure pixel of the centre of `box` on the selection image (through the drawn layout)."""
    sx, sy, x0, y0, col0, row0 = v["state"]["win_layout"]
    lay = figures.Layout(sx, sy, int(x0), int(y0), col0, row0)
    return lay.to_px((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def own_window(a, min_side=40):
    """A window whose centre's smallest enclosing window is itself (so a click there selects it)."""
    w = a.windows
    for k in np.argsort(-((w[:, 2] - w[:, 0]) * (w[:, 3] - w[:, 1])).numpy()):
        x1, y1, x2, y2 = w[k].tolist()
        if min(x2 - x1, y2 - y1) >= min_side and a.pick_window((x1 + x2) / 2, (y1 + y2) / 2) == k:
            return int(k)
    raise AssertionError("no window owns its centre")


