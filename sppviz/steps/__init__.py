"""The steps of the method, in one table that the app's tabs, lesson mode, the lesson export and
its handout all read: one numbering, one title and narrative per step, one figure builder each.

A step is one idea of SPP-net with one figure: the image pyramid (paper §4.1), conv5 once per scale,
one scale per window, window → cells (paper Appendix A), where the cells look, the pyramid bins
(paper §2.3), the fixed-length vector, the detections, why not warp (R-CNN), SPP vs RoIPool vs
RoIAlign, and one scale or all. Tabs group consecutive steps (``Step.tab``).

A builder takes a :class:`View` (the workspace, the selected window's detail, the settings that
shape the figure and the language) and returns the step's figure as a uint8 RGB array, every word in
it in ``View.lang`` (so a Chinese lesson handout gets Chinese figures); the app's tabs draw the same
figure with the same function, next to their other panels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sppviz.steps import detections, features, pooling, rcnn, window

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import WindowDetail
    from sppviz.analysis.workspace import Workspace


@dataclass(frozen=True)
class View:
    """What a step's figure depends on: the workspace ``w``, the selected window's detail ``d`` and the
    settings of the figures (the level shown, the detection threshold / NMS IoU / classes, the rules)."""

    w: Workspace
    d: WindowDetail
    level: int
    thresh: float = 0.5
    iou: float = 0.3
    classes: list[str] | None = None
    rules: dict = field(default_factory=dict)
    lang: str = "en"


def _pyramid(v: View) -> np.ndarray:
    return features.render_pyramid(v.w, v.lang)["pyr_img"]


def _features(v: View) -> np.ndarray:
    return features.render_features(v.w, v.d.scale_index, v.d.channel, "mean", v.lang, v.d)["fm_overlay"]


def _bins(v: View) -> np.ndarray:
    return pooling.render_spp(v.w, v.d, v.level, None, v.lang, parts=set())["spp_map"]


def _detections(v: View) -> np.ndarray:
    a = v.w.a
    _, after = a.detections(v.thresh, v.iou, detections.class_indices(a, v.classes), **v.rules)
    return detections.draw_detections(a, after, lang=v.lang)


def _compare(v: View) -> np.ndarray:
    return rcnn.render_compare(v.w, v.d, v.level, tuple(x.n for x in v.d.levels), v.lang)["cmp_fig"]


@dataclass(frozen=True)
class Step:
    """One step: ``key``; the tab that shows it; i18n keys of its title and narrative; the name of its
    figure among the tab's outputs; and the builder of that figure."""

    key: str
    tab: str
    title: str
    narrative: str
    figure: str
    build: Callable[[View], np.ndarray]


STEPS: tuple[Step, ...] = (
    Step("pyramid", "tab_pyramid", "ls_t_pyramid", "nar_pyramid", "pyr_img", _pyramid),
    Step("features", "tab_features", "ls_t_features", "nar_features", "fm_overlay", _features),
    Step("scale", "tab_projection", "ls_t_scale", "nar_projection", "scale_chart",
         lambda v: window.scale_chart(v.w, v.d, v.lang)),
    Step("cells", "tab_projection", "ls_t_cells", "nar_rules", "proj_grid",
         lambda v: window.projection_grid(v.w, v.d, v.lang)),
    Step("rf", "tab_projection", "ls_t_rf", "nar_rf", "rf_img", lambda v: window.receptive_fields(v.w, v.d, v.lang)),
    Step("bins", "tab_spp", "ls_t_bins", "nar_spp", "spp_map", _bins),
    Step("vector", "tab_spp", "ls_t_vector", "nar_vector", "spp_vector",
         lambda v: pooling.vector_strip(v.w, v.d, v.level, None, v.lang)),
    Step("detections", "tab_detections", "ls_t_det", "nar_det", "det_after", _detections),
    Step("why", "tab_why", "ls_t_why", "ls_why", "why_fig", lambda v: rcnn.default_warps(v.w.a, v.lang)),
    Step("compare", "tab_compare", "ls_t_compare", "ls_compare", "cmp_fig", _compare),
    Step("combine", "tab_combine", "ls_t_combine", "nar_combine", "cmb_vec",
         lambda v: rcnn.combine_figure(v.w, v.d.k, v.rules, v.lang)),
)
TABS: tuple[str, ...] = tuple(dict.fromkeys(s.tab for s in STEPS))


def step_number(key: str) -> int:
    """The 1-based number of step ``key``."""
    return next(i for i, s in enumerate(STEPS, 1) if s.key == key)


def tab_steps(tab: str) -> tuple[int, int]:
    """The first and last step number a tab shows."""
    nums = [i for i, s in enumerate(STEPS, 1) if s.tab == tab]
    return nums[0], nums[-1]
