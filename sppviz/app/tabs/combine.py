"""Tab · combining scales (step 11): the window's vector at its one best scale (paper §4.1) next to the
max over every scale, and the detections of both through the same head."""

from __future__ import annotations

import time

import gradio as gr

from sppviz import analysis
from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import Settings, fail
from sppviz.app.widgets import L, md, panel
from sppviz.i18n import t
from sppviz.steps import detections, rcnn

CMB_OUT = ("cmb_vec", "cmb_info", "cmb_table", "cmb_det_best", "cmb_det_max", "cmb_det_info")


def create_ui(C: dict) -> None:
    md("nar_combine")
    C["cmb_info"] = gr.Markdown(elem_id="cmb-info")
    with gr.Row(equal_height=False):
        C["cmb_vec"] = panel("cmb_vec", elem_id="cmb-vec", scale=3)
        with gr.Column(scale=2, min_width=320):
            C["cmb_table"] = gr.Dataframe(label=L("cmb_table"), interactive=False, elem_id="cmb-table",
                                          headers=[t(k) for k in rcnn.CMB_HEADERS])
    C["cmb_det_info"] = gr.Markdown(elem_id="cmb-det-info")
    with gr.Row(equal_height=False):
        C["cmb_det_best"] = panel("cmb_det_best", elem_id="cmb-det-best")
        C["cmb_det_max"] = panel("cmb_det_max", elem_id="cmb-det-max")


@handler(reads=("state", "rules", "thresh", "iou", "classes"), outputs=CMB_OUT)
def combine_scales(s: Settings, parts: tuple[str, ...] = ("window", "detections")) -> dict:
    """Step 8 for the selected window: its vector at the best scale next to the max over all scales
    (figure, per-scale table, numbers) and (``parts``) the detections of both through the same head.
    The first call per analysis pools every window at every scale (then cached on the Analysis)."""
    t0 = time.perf_counter()
    st = s.state
    w = session.workspace(st, s.lang)
    a = w.a
    n = len(a.windows)
    k = int(st.get("k") or 0)
    if not 0 <= k < n:
        fail("err_window_index", s.lang, k=k, n=n, last=n - 1)
    out = {}
    info = None
    if "window" in parts:
        out["cmb_table"], info = rcnn.combine_table(w, k, s.rules, s.lang)
        out["cmb_vec"] = rcnn.combine_figure(w, k, s.rules, s.lang)
    if "detections" in parts:
        idx = detections.class_indices(a, s.classes)
        _, best = a.detections(s.thresh, s.iou, idx, **s.rules)
        _, comb = a.combined_detections(s.thresh, s.iou, idx, s.rules["projection"], s.rules["bin_rule"],
                                        s.rules["box_scaling"])
        session.touch(st["sid"], w)
        out.update(cmb_det_best=detections.draw_detections(a, best, lang=s.lang),
                   cmb_det_max=detections.draw_detections(a, comb, lang=s.lang),
                   cmb_det_info=t("cmb_det_info", s.lang, nb=len(best), nm=len(comb),
                                  same=analysis.compare.matched(best, comb), thr=s.thresh, iou=s.iou))
    if info is not None:  # the time of the whole handler, drawing included
        text = t("cmb_info", s.lang, ms=1000 * (time.perf_counter() - t0), **info)
        out["cmb_info"] = (t("cmb_one", s.lang, s=a.scales[0]) + "  \n" + text) if len(a.scales) == 1 else text
    return encode_all(out)
