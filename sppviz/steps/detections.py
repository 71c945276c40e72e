"""Step 5: the detections — every window's class scores, before and after NMS, drawn and tabulated."""

from __future__ import annotations

import numpy as np
import torch

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
    their table (after NMS), a one-line summary, and on a bundled scene the detections against its ground
    truth ("det_truth", None elsewhere; "det_truth_info", "" elsewhere)."""
    a = w.a
    before, after = a.detections(thresh, iou, class_indices(a, classes), **rules)
    rows = [[d["label"], d["score"], *d["box"], d["window"]] for d in after.to_list(a.detector.classes)]
    info = t("det_info", lang, after=len(after), before=len(before), thr=thresh, iou=iou)
    if len(before) > MAX_DRAWN_DETECTIONS:
        info += " " + t("det_capped", lang, n=MAX_DRAWN_DETECTIONS)
    truth, truth_info = truth_figure(w, after, lang)
    return {"det_after": draw_detections(a, after), "det_before": draw_detections(a, before),
            "det_table": {"headers": [t(k, lang) for k in DET_HEADERS], "data": rows}, "det_info": info,
            "det_truth": truth, "det_truth_info": truth_info}


# Okabe-Ito green, vermillion and sky blue: true positives, false positives, missed objects
TRUE_COLOR, FALSE_COLOR, MISSED_COLOR = (0, 158, 115), (213, 94, 0), (86, 180, 233)


def truth_figure(w: Workspace, after, lang: str) -> tuple[np.ndarray | None, str]:
    """On a bundled scene: the detections ``after`` NMS marked true (green) or false (vermillion) positives,
    and the objects nobody found (sky blue), with a one-line count; (None, "") on any other image."""
    from sppviz.analysis import truth as gt

    a = w.a
    tr = gt.truth_of(a.image, a.iid)
    if tr is None or tuple(a.detector.classes) != tr.classes:
        return None, ""
    tp, found = gt.match(after, tr)
    names = a.detector.classes
    missed = ~torch.from_numpy(found)
    boxes = np.concatenate([after.boxes.numpy(), tr.boxes[missed].numpy()]).astype(np.float64).reshape(-1, 4)
    labels = [f"{'✓' if ok else '✗'} {names[int(c)]} {float(sc):.2f}"
              for ok, c, sc in zip(tp, after.labels, after.scores, strict=True)]
    labels += [f"{t('det_missed', lang)}: {names[int(c)]}" for c in tr.labels[missed]]
    colors = [TRUE_COLOR if ok else FALSE_COLOR for ok in tp] + [MISSED_COLOR] * int(missed.sum())
    img = figures.boxes_on_image(a.image, boxes, colors, labels, width=IMAGE_WIDTH, thickness=4)
    info = t("det_truth_info", lang, file=tr.file, tp=int(tp.sum()), fp=int((~tp).sum()), miss=int((~found).sum()),
             n=len(tr.boxes))
    return img, info


def model_notice(w: Workspace, lang: str) -> str:
    """What the model can know: for the bundled model, its few generated classes and that real photos get
    meaningless labels; "" for a model with ImageNet's classes."""
    names = w.a.detector.classes
    if len(names) > 50:
        return ""
    return t("det_notice", lang, n=len(names), classes=", ".join(names))


def window_probs(w: Workspace, k: int, rules: dict, lang: str) -> dict:
    """The selected window's class probabilities (every class and background), highest first."""
    a = w.a
    p = a.result(**rules).probs[int(k)].float().numpy()
    names = [*a.detector.classes, t("det_background", lang)]
    order = np.argsort(-p, kind="stable")
    return {"headers": [t("det_h_label", lang), t("det_h_prob", lang)],
            "data": [[names[i], round(float(p[i]), 4)] for i in order]}
