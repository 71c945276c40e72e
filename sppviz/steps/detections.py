"""Step 5: the detections — every window's class scores, before and after NMS, drawn and tabulated."""

from __future__ import annotations

import numpy as np

from sppviz import figures
from sppviz.analysis.pipeline import Analysis
from sppviz.analysis.workspace import Workspace
from sppviz.i18n import t
from sppviz.steps.features import IMAGE_WIDTH

MAX_DRAWN_DETECTIONS = 150  # per panel: there can be thousands before NMS at a low threshold
DET_HEADERS = ("det_h_label", "det_h_score", "det_h_x1", "det_h_y1", "det_h_x2", "det_h_y2", "det_h_window")


def class_indices(a: Analysis, classes: list[str] | None) -> list[int]:
    """Indices of the named classes (all of them when ``classes`` is None)."""
    names = a.detector.classes
    return list(range(len(names))) if classes is None else [names.index(c) for c in classes if c in names]


def draw_detections(a: Analysis, det, cap: int = MAX_DRAWN_DETECTIONS) -> np.ndarray:
    """The top ``cap`` detections of ``det`` on the image, coloured by class."""
    classes = a.detector.classes
    m = min(len(det), cap)
    labels = [classes[int(c)] for c in det.labels[:m]]
    cols = [figures.class_color(int(c)) for c in det.labels[:m]]
    return figures.detections_on_image(a.image, det.boxes[:m].numpy(), labels, det.scores[:m].numpy(), cols,
                                       width=IMAGE_WIDTH)


def render_detections(w: Workspace, thresh: float, iou: float, classes: list[str] | None, rules: dict,
                      lang: str) -> dict:
    """Detections at score ≥ ``thresh`` before ("det_before") and after NMS at ``iou`` ("det_after"),
    their table (after NMS) and a one-line summary."""
    a = w.a
    before, after = a.detections(thresh, iou, class_indices(a, classes), **rules)
    rows = [[d["label"], d["score"], *d["box"], d["window"]] for d in after.to_list(a.detector.classes)]
    info = t("det_info", lang, after=len(after), before=len(before), thr=thresh, iou=iou)
    if len(before) > MAX_DRAWN_DETECTIONS:
        info += " " + t("det_capped", lang, n=MAX_DRAWN_DETECTIONS)
    return {"det_after": draw_detections(a, after), "det_before": draw_detections(a, before),
            "det_table": {"headers": [t(k, lang) for k in DET_HEADERS], "data": rows}, "det_info": info}
