"""The lesson's figures: every step of the step table (:mod:`sppviz.steps`) drawn by the same builder
the app's tabs use, then scaled up for a projector (``projector``)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from sppviz import analysis, steps
from sppviz.analysis.workspace import Workspace

PROJECTOR_WIDTH = 1600
MIN_WINDOW_SIDE = 0.15  # the default window's shorter side is at least this fraction of the image's


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


def lesson_view(a: analysis.Analysis, k: int, levels: tuple[int, ...], rules: dict, thresh: float, iou: float,
                lang: str, level: int | None = None) -> steps.View:
    """The step table's view of window ``k`` of ``a`` (a workspace without drawn boxes); ``level``: the
    pyramid level the bins and RoI figures show (default: 3 when pooled, else the finest)."""
    w = Workspace(a, a)
    d = w.detail(k, tuple(levels), None, rules)
    if level is None:
        level = 3 if 3 in levels else max(levels)
    return steps.View(w, d, int(level), float(thresh), float(iou), None, dict(rules), lang)


def figure_name(number: int, step: steps.Step) -> str:
    """The file name of a step's figure in the lesson folder ("06_bins.png")."""
    return f"{number:02d}_{step.key}.png"


def render_figures(view: steps.View) -> dict[str, np.ndarray]:
    """Every step's figure at projector width, as uint8 RGB arrays keyed by file name, in step order."""
    return {figure_name(i, s): projector(s.build(view)) for i, s in enumerate(steps.STEPS, 1)}
