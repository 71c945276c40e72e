"""Tab · detections (step 8): scores before and after NMS, threshold and IoU sliders, class filter, table."""

from __future__ import annotations

import gradio as gr

from sppviz.app import session
from sppviz.app.events import QUIET, handler, spec
from sppviz.app.panels import encode_all, encode_panel
from sppviz.app.settings import DEFAULTS, Settings
from sppviz.app.widgets import L, img, md, panel
from sppviz.i18n import class_name, t
from sppviz.model.weights import ASSETS
from sppviz.steps import detections

DET_OUT = ("det_after", "det_before", "det_table", "det_info", "det_notice", "det_scene", "det_truth",
           "det_truth_info")
DET_READS = ("state", "thresh", "iou", "classes", "rules")
SCENE = ASSETS / "examples" / "example_2.jpg"  # the bundled scene one click away from a real photo


def create_ui(C: dict) -> None:
    md("nar_det")
    with gr.Row(equal_height=True):
        C["det_notice"] = gr.Markdown(visible=False, elem_classes=["warn"], elem_id="det-notice")
        C["det_scene"] = gr.Button(L("btn_scene"), visible=False, size="sm", scale=0, min_width=200,
                                   elem_id="det-scene")
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
    C["det_truth_info"] = gr.Markdown(visible=False, elem_id="det-truth-info")
    C["det_truth"] = img("det_truth", title=False, visible=False, elem_id="det-truth")


def class_choices(classes, lang: str) -> list[tuple[str, str]]:
    """The class filter's choices: (the class's name in ``lang``, the model's class name)."""
    return [(class_name(c, lang), c) for c in classes]


def detection_outputs(w, s: Settings, classes: list[str] | None = None) -> dict:
    """Step 8's panels, the model's notice and, on a bundled scene, the detections against its ground truth."""
    classes = s.classes if classes is None else classes
    out = detections.render_detections(w, s.thresh, s.iou, classes, s.rules, s.lang)
    notice = detections.model_notice(w, s.lang)
    truth, info = out["det_truth"], out["det_truth_info"]
    out["det_notice"] = gr.update(value=notice, visible=bool(notice))
    out["det_scene"] = gr.update(visible=bool(notice))
    out["det_truth"] = gr.update(value=encode_panel(truth) if truth is not None else None, visible=truth is not None)
    out["det_truth_info"] = gr.update(value=info, visible=bool(info))
    return out


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
    # one click to a bundled scene (the model's own world); Analyze runs it
    C["det_scene"].click(lambda: str(SCENE), None, C["image"], api_visibility="private", show_progress="hidden")
