"""Tab · why SPP (step 9): the R-CNN path (crop, warp, whole network per window) timed on N windows
against SPP-net on all of them, with the warped crops."""

from __future__ import annotations

import gradio as gr

from sppviz import analysis
from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import Settings
from sppviz.app.widgets import L, img, md
from sppviz.i18n import t
from sppviz.steps import rcnn

WHY_OUT = ("why_summary", "why_fig")


def create_ui(C: dict) -> None:
    md("nar_why")
    with gr.Row(equal_height=True):
        C["why_n"] = gr.Slider(rcnn.WHY_N[0], rcnn.WHY_N[1], value=rcnn.WHY_N[2], step=1, label=L("why_n"),
                               elem_id="why-n", scale=3)
        C["why_btn"] = gr.Button(L("btn_why"), variant="primary", elem_id="why-btn", scale=1)
    C["why_summary"] = gr.Markdown(elem_id="why-summary")
    C["why_fig"] = img("why_fig", elem_id="why-fig")


@handler(reads=("state", "why_n"), outputs=WHY_OUT)
def compare_rcnn(s: Settings, progress=None) -> dict:
    """Time the R-CNN path on the N best-scoring windows and SPP-net on all K windows; show a few warps."""
    w = session.workspace(s.state, s.lang)
    n = max(1, min(int(s.why_n), rcnn.WHY_N[1]))
    numbers, order = analysis.compare.time_rcnn_vs_spp(w.a, n, progress)
    # re-worded, not re-measured, when the language changes (the same windows' crops, captioned anew)
    session.WHY_RESULTS.put(s.state["sid"], {**numbers, "order": [int(i) for i in order]})
    if progress:
        progress(0.95, desc="warped crops")
    return encode_all({"why_summary": t("why_summary", s.lang, **numbers),
                       "why_fig": rcnn.warps_of(w.a, order, s.lang)})
