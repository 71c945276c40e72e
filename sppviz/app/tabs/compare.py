"""Tab · SPP vs RoIPool vs RoIAlign (step 10) for the selected window at one level, with the gotchas."""

from __future__ import annotations

import time

import gradio as gr

from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import Settings
from sppviz.app.widgets import L, md, panel
from sppviz.i18n import t
from sppviz.steps import rcnn

CMP_OUT = ("cmp_fig", "cmp_info", "cmp_table", "cmp_gotchas")


def create_ui(C: dict) -> None:
    md("nar_compare")
    with gr.Row(equal_height=True):
        C["cmp_info"] = gr.Markdown(L("cmp_idle"), elem_id="cmp-info")
        C["cmp_btn"] = gr.Button(L("btn_compare"), variant="primary", elem_id="cmp-btn", scale=0, min_width=160)
    with gr.Row(equal_height=False):
        C["cmp_fig"] = panel("cmp_fig", elem_id="cmp-fig", scale=3)
        with gr.Column(scale=2, min_width=320):
            # fixed shares and wrapping cells: the four columns fit the column at 1280 px (no sideways scroll)
            C["cmp_table"] = gr.Dataframe(label=L("cmp_table"), interactive=False, elem_id="cmp-table", wrap=True,
                                          column_widths=["24%", "34%", "21%", "21%"],
                                          headers=[t(k) for k in rcnn.COMPARE_HEADERS])
            C["cmp_gotchas"] = gr.Markdown(elem_id="cmp-gotchas", elem_classes=["narrative"])


@handler(reads=("state", "rules", "levels", "spp_level", "spp_channel"), outputs=CMP_OUT)
def compare_pooling(s: Settings) -> dict:
    """SPP vs RoIPool vs RoIAlign for the selected window at its chosen scale and one level (step 4's
    level, else 6): the figure of what each reads, the |Δ| table over all channels, the gotcha cards."""
    t0 = time.perf_counter()
    st = s.state
    w = session.workspace(st, s.lang)
    d = w.detail(st["k"], s.levels, s.spp_channel, s.rules)
    n = s.spp_level or rcnn.COMPARE_LEVEL
    out = rcnn.render_compare(w, d, n, s.levels, s.lang)
    rx0, ry0, rx1, ry1 = out.pop("cmp_region")
    out["cmp_info"] = t("cmp_info", s.lang, k=d.k, s=d.scale, n=n, c=d.channel, C=w.channels,
                        ms=1000 * (time.perf_counter() - t0), rx0=rx0, rx1=rx1, ry0=ry0, ry1=ry1) + "  \n" + \
        out.pop("cmp_tv")
    return encode_all(out)
