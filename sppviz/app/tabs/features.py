"""Tabs · image pyramid (step 1) and feature maps (step 2): the scaled images with their conv5 sizes;
conv5 per scale as cells and over the image, one channel or the mean / max, and the window's top channels.
The channel slider is active only in the one-channel view (the mean and max views read every channel)."""

from __future__ import annotations

import gradio as gr

from sppviz.app import session
from sppviz.app.events import QUIET, handler, spec
from sppviz.app.panels import encode_all
from sppviz.app.settings import DEFAULTS, Settings
from sppviz.app.widgets import LATEX, L, img, md, panel
from sppviz.i18n import t
from sppviz.steps import features

FEAT_OUT = ("fm_map", "fm_overlay", "fm_info")
FEAT_READS = ("state", "fm_scale", "fm_channel", "fm_view", "levels", "rules")  # levels, rules: the window's cells
VIEW_OUT = (*FEAT_OUT, "fm_channel")


def create_pyramid_ui(C: dict) -> None:
    md("nar_pyramid")
    C["pyr_img"] = img("pyr_img", elem_id="pyr-img")
    C["pyr_table"] = gr.Dataframe(label=L("pyr_table"), interactive=False, elem_id="pyr-table",
                                  headers=[t(k) for k in features.PYR_HEADERS])


def create_ui(C: dict) -> None:
    md("nar_features")
    with gr.Row():
        C["fm_scale"] = gr.Dropdown([("s = 688", 0)], value=0, label=L("fm_scale"), interactive=True, scale=1)
        C["fm_view"] = gr.Radio([(L(k), v) for v, k in features.VIEWS.items()], value=DEFAULTS["fm_view"],
                                label=L("fm_view"), scale=2)
        C["fm_channel"] = gr.Slider(0, 255, value=0, step=1, label=L("fm_channel"), scale=2, elem_id="fm-channel",
                                    interactive=channel_active(DEFAULTS["fm_view"]))
    C["fm_info"] = gr.Markdown(latex_delimiters=LATEX, elem_id="fm-info")
    with gr.Row(equal_height=False):
        C["fm_map"] = panel("fm_map", elem_id="fm-map")
        C["fm_overlay"] = panel("fm_overlay", elem_id="fm-overlay")
    C["fm_top_info"] = gr.Markdown()
    C["fm_top"] = img("fm_top", title=False, elem_id="fm-top")


def feature_outputs(w, s: Settings) -> dict:
    """Step 2's panels, with the selected window (``state["k"]``, its cells under the page's rules) outlined."""
    k = (s.state or {}).get("k")
    d = w.detail(k, s.levels, None, s.rules) if k is not None and 0 <= int(k) < len(w.a.windows) else None
    return features.render_features(w, s.fm_scale, s.fm_channel, s.fm_view, s.lang, d)


def channel_active(view: str) -> bool:
    """Whether the channel slider means anything in ``view``: only the one-channel view shows one channel."""
    return view == "channel"


@handler(reads=FEAT_READS, outputs=FEAT_OUT)
def change_features(s: Settings) -> dict:
    """Step 2's maps again: a new scale or channel, or a new selected window (its cells); a new view goes
    through ``change_view``."""
    return encode_all(feature_outputs(session.workspace(s.state, s.lang), s))


@handler(reads=FEAT_READS, outputs=VIEW_OUT)
def change_view(s: Settings) -> dict:
    """The view of step 2 changed: the channel slider is active in the one-channel view only (also before
    an analysis), and the maps of an analysis are drawn in the new view."""
    out = {"fm_channel": gr.update(interactive=channel_active(s.fm_view))}
    w = session.find(s.state)
    if w is not None:
        out.update(encode_all(feature_outputs(w, s)))
    return out


def wire(C: dict) -> None:
    for name in ("fm_scale", "fm_channel"):
        C[name].input(**spec(C, change_features, **QUIET))
    C["fm_view"].input(**spec(C, change_view, **QUIET))
