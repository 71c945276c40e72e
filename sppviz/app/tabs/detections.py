"""Tab · detections (step 8): scores before and after NMS, threshold and IoU sliders, class filter, table."""

from __future__ import annotations

import gradio as gr

from sppviz.app import session
from sppviz.app.events import QUIET, handler, spec
from sppviz.app.panels import encode_all
from sppviz.app.settings import DEFAULTS, Settings
from sppviz.app.widgets import L, md, panel
from sppviz.i18n import t
from sppviz.steps import detections

DET_OUT = ("det_after", "det_before", "det_table", "det_info")
DET_READS = ("state", "thresh", "iou", "classes", "rules")


def create_ui(C: dict) -> None:
    md("nar_det")
    with gr.Row():
        C["thresh"] = gr.Slider(0.0, 1.0, value=DEFAULTS["thresh"], step=0.01, label=L("det_thresh"),
                                elem_id="det-thresh")
        C["iou"] = gr.Slider(0.05, 1.0, value=DEFAULTS["iou"], step=0.05, label=L("det_iou"), elem_id="det-iou")
    C["classes"] = gr.CheckboxGroup([], label=L("det_classes"), elem_id="det-classes")
    C["det_info"] = gr.Markdown(elem_id="det-info")
    with gr.Row(equal_height=False):
        C["det_after"] = panel("det_after", elem_id="det-after")
        C["det_before"] = panel("det_before", elem_id="det-before")
    C["det_table"] = gr.Dataframe(label=L("det_table"), interactive=False, elem_id="det-table",
                                  headers=[t(k) for k in detections.DET_HEADERS], max_height=420)


def detection_outputs(w, s: Settings, classes: list[str] | None = None) -> dict:
    return detections.render_detections(w, s.thresh, s.iou, s.classes if classes is None else classes, s.rules,
                                        s.lang)


@handler(reads=DET_READS, outputs=DET_OUT)
def change_detections(s: Settings) -> dict:
    """The threshold, the IoU, the classes or a rule changed."""
    w = session.workspace(s.state, s.lang)
    out = detection_outputs(w, s)
    session.touch(s.state["sid"], w)
    return encode_all(out)


def wire(C: dict) -> None:
    for name in ("thresh", "iou", "classes"):
        C[name].input(**spec(C, change_detections, **QUIET))
