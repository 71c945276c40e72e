"""Step 5: the detections — every window's class scores, before and after NMS, drawn and tabulated; the
bundled model's class names in the page's language (``i18n.class_name``), labels that never overlap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sppviz import figures
from sppviz.i18n import class_name, figure_words, t
from sppviz.steps.features import IMAGE_WIDTH

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import Analysis
    from sppviz.analysis.workspace import Workspace

MAX_DRAWN_DETECTIONS = 150  # per panel: there can be thousands before NMS at a low threshold
DET_HEADERS = ("det_h_label", "det_h_score", "det_h_x1", "det_h_y1", "det_h_x2", "det_h_y2", "det_h_window")


def class_indices(a: Analysis, classes: list[str] | None) -> list[int]:
    """Indices of the named classes (all of them when ``classes`` is None)."""
    names = a.detector.classes
    return list(range(len(names))) if classes is None else [names.index(c) for c in classes if c in names]


def draw_detections(a: Analysis, det, cap: int = MAX_DRAWN_DETECTIONS, lang: str = "en") -> np.ndarray:
    """The top ``cap`` detections of ``det`` on the image, coloured by class, labelled in ``lang``; the best
    score's label always shows, a label that would overlap another is left out (and counted under the image)."""
    classes = a.detector.classes
    order = np.argsort(-det.scores.numpy(), kind="stable")[:min(len(det), cap)]
    labels = [class_name(classes[int(det.labels[i])], lang) for i in order]
    cols = [figures.class_color(int(det.labels[i])) for i in order]
    return figures.detections_on_image(a.image, det.boxes.numpy()[order], labels, det.scores.numpy()[order], cols,
                                       width=IMAGE_WIDTH, words=figure_words(lang))


def render_detections(w: Workspace, thresh: float, iou: float, classes: list[str] | None, rules: dict,
                      lang: str) -> dict:
    """Detections at score ≥ ``thresh`` before ("det_before") and after NMS at ``iou`` ("det_after"),
    their table (after NMS), a one-line summary, and on a bundled scene the detections against its ground
    truth ("det_truth", None elsewhere; "det_truth_info", "" elsewhere)."""
    a = w.a
    before, after = a.detections(thresh, iou, class_indices(a, classes), **rules)
    rows = [[class_name(d["label"], lang), d["score"], *d["box"], d["window"]]
            for d in after.to_list(a.detector.classes)]
    info = t("det_info", lang, after=len(after), before=len(before), thr=thresh, iou=iou)
    if len(before) > MAX_DRAWN_DETECTIONS:
        info += " " + t("det_capped", lang, n=MAX_DRAWN_DETECTIONS)
    truth, truth_info = truth_figure(w, after, lang)
    return {"det_after": draw_detections(a, after, lang=lang), "det_before": draw_detections(a, before, lang=lang),
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
    missed = ~np.asarray(found, dtype=bool)
    boxes = np.concatenate([after.boxes.numpy(), tr.boxes.numpy()[missed]]).astype(np.float64).reshape(-1, 4)
    labels = [t("fig_det_true" if ok else "fig_det_false", lang, name=class_name(names[int(c)], lang), score=float(sc))
              for ok, c, sc in zip(tp, after.labels, after.scores, strict=True)]
    labels += [t("fig_det_missed", lang, name=class_name(names[int(c)], lang)) for c in tr.labels.numpy()[missed]]
    colors = [TRUE_COLOR if ok else FALSE_COLOR for ok in tp] + [MISSED_COLOR] * int(missed.sum())
    # labels by importance: the detections by score, then the missed objects
    order = [*np.argsort(-after.scores.numpy(), kind="stable").tolist(), *range(len(tp), len(boxes))]
    img = figures.boxes_on_image(a.image, boxes, colors, labels, width=IMAGE_WIDTH, thickness=4, order=order,
                                 words=figure_words(lang))
    info = t("det_truth_info", lang, file=tr.file, tp=int(tp.sum()), fp=int((~tp).sum()), miss=int((~found).sum()),
             n=len(tr.boxes))
    return img, info


def model_notice(w: Workspace, lang: str) -> str:
    """What the model can know: for the bundled model, its few generated classes and that real photos get
    meaningless labels; "" for a model with ImageNet's classes."""
    names = w.a.detector.classes
    if len(names) > 50:
        return ""
    return t("det_notice", lang, n=len(names), classes=t("list_sep", lang).join(class_name(c, lang) for c in names))


def window_probs(w: Workspace, k: int, rules: dict, lang: str) -> dict:
    """The selected window's class probabilities (every class and background), highest first."""
    a = w.a
    p = a.result(**rules).probs[int(k)].float().numpy()
    names = [*(class_name(c, lang) for c in a.detector.classes), t("det_background", lang)]
    order = np.argsort(-p, kind="stable")
    return {"headers": [t("det_h_label", lang), t("det_h_prob", lang)],
            "data": [[names[i], round(float(p[i]), 4)] for i in order]}
