"""Tab · spatial pyramid pooling (steps 6-7): the bins of a level on the window, each bin's maximum
and where it comes from, the fixed-length vector, and every level's bins under every rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all, encode_panel
from sppviz.app.settings import Settings
from sppviz.app.widgets import L, img, md, panel
from sppviz.steps import features, pooling

if TYPE_CHECKING:
    from sppviz.analysis.workspace import Workspace

POOL_OUT = ("state", "spp_level", "spp_channel", "spp_map", "spp_values", "spp_alt", "spp_argmax", "spp_vector",
            "spp_warn", "spp_info", "spp_bins", "fm_top", "fm_top_info")
POOL_READS = ("state", "rules", "levels", "spp_level", "spp_channel")


def create_ui(C: dict) -> None:
    md("nar_spp")
    with gr.Row():
        C["spp_level"] = gr.Radio([(f"n = {n}", n) for n in (1, 2, 3, 6)], value=3, label=L("spp_level"),
                                  elem_id="spp-level", scale=1)
        C["spp_channel"] = gr.Slider(0, 255, value=0, step=1, label=L("spp_channel"), scale=2, elem_id="spp-channel")
    C["spp_warn"] = gr.Markdown(visible=False, elem_classes=["warn"], elem_id="spp-warn")
    C["spp_info"] = gr.Markdown(elem_id="spp-info")
    with gr.Row(equal_height=False):
        C["spp_map"] = panel("spp_map", elem_id="spp-map")
        with gr.Column(min_width=320):
            C["spp_values"] = img("spp_values", elem_id="spp-values")
            C["spp_alt"] = img("spp_alt", title=False, elem_id="spp-alt", visible=False)
        C["spp_argmax"] = panel("spp_argmax", elem_id="spp-argmax")
    md("nar_vector")
    C["spp_vector"] = img("spp_vector", title=False, elem_id="spp-vector")
    gr.Markdown(L("spp_bins_title"))
    C["spp_bins"] = gr.HTML(elem_id="spp-bins")


def shown_level(s: Settings) -> int:
    """The level step 4 shows: the chosen one when it is pooled, else the default."""
    level = s.spp_level or pooling.default_level(s.levels)
    return level if level in s.levels else pooling.default_level(s.levels)


def selected_bin(st: dict, level: int) -> tuple[int, int] | None:
    """The bin (by, bx) selected at ``level``, if any."""
    sel = st.get("bin")
    return tuple(sel[1:]) if sel and sel[0] == level else None


def to_page(out: dict) -> dict:
    """Step 4's outputs for the page: the optional panels become visibility updates."""
    if "spp_alt" in out:
        alt = out["spp_alt"]
        out["spp_alt"] = gr.update(value=encode_panel(alt) if alt is not None else None, visible=alt is not None)
    if "spp_warn" in out:
        out["spp_warn"] = gr.update(value=out["spp_warn"], visible=bool(out["spp_warn"]))
    return out


def pooling_outputs(w: Workspace, st: dict, s: Settings, reset_channel: bool, parts=pooling.SPP_PARTS,
                    top: bool = True) -> dict:
    """Step 4 panels and (``top``) the top channels of step 2 (unencoded, page form). Drawn for a window
    selected since they were last drawn (``st["pool_stale"]``), they start at its strongest channel."""
    if top:  # every panel: drawn for the window selected now
        reset_channel = bool(st.pop("pool_stale", False)) or reset_channel
    channel = None if reset_channel else s.spp_channel
    d = w.detail(st["k"], s.levels, channel, s.rules)
    level = shown_level(s)
    out = to_page(pooling.render_spp(w, d, level, selected_bin(st, level), s.lang, parts))
    if top:
        out.update(features.render_top_channels(w, d, s.lang))
    out["spp_channel"] = gr.update(value=d.channel, maximum=w.channels - 1)
    out["spp_level"] = gr.update(choices=[(f"n = {n}", n) for n in s.levels], value=level)
    return out


@handler(reads=POOL_READS, outputs=POOL_OUT)
def refresh_pooling(s: Settings) -> dict:
    """After a new window, rule or preset, where step 4 or step 2 is shown (``follow``): step 4 panels
    (channel reset to the window's strongest channel)."""
    st = s.state
    out = pooling_outputs(session.workspace(st, s.lang), st, s, reset_channel=True)
    out["state"] = st  # no longer stale
    return encode_all(out)


@handler(reads=POOL_READS, outputs=POOL_OUT)
def refresh_stale(s: Settings) -> dict:
    """Step 4's or step 2's tab opened: their panels again when another window or rule was chosen since they
    were drawn, else nothing (the channel, level and bin the visitor chose stay)."""
    if not s.state.get("pool_stale"):
        return {}
    return refresh_pooling(s)


@handler(reads=POOL_READS, outputs=POOL_OUT)
def change_pooling(s: Settings, what: str = "levels") -> dict:
    """The level, the channel or the levels changed (``what``): step 4 panels, keeping the channel.
    Only what depends on the change is redrawn: the vector strip when the levels change (or a bin
    highlight goes away), the maxima on the image when the channel changes."""
    st = s.state
    w = session.workspace(st, s.lang)
    had_bin = bool(st.get("bin"))
    st["bin"] = None
    parts = {"levels": pooling.SPP_PARTS, "channel": {"argmax"}, "level": set()}[what]
    stale = bool(st.get("pool_stale"))  # drawn for another window: everything again
    if had_bin or stale:
        parts = pooling.SPP_PARTS
    out = pooling_outputs(w, st, s, reset_channel=False, parts=parts, top=stale)
    out["state"] = st
    return encode_all(out)


@handler(reads=POOL_READS, outputs=POOL_OUT)
def click_bin(s: Settings, point=None, panel: str = "values") -> dict:
    """A click on the per-bin maxima (``panel="values"``) or on the bins drawn on the map (``"map"``):
    select that bin and show where its maximum comes from (a click outside every bin changes nothing)."""
    st = s.state
    w = session.workspace(st, s.lang)
    d = w.detail(st["k"], s.levels, s.spp_channel, s.rules)
    level = s.spp_level or pooling.default_level(s.levels)
    hit = pooling.bin_at(pooling.bin_layout(w, d, level, panel, s.lang), *point)
    if hit is None:
        return {"state": st}
    n = d.levels[pooling.level_index(d, level)].n
    st["bin"] = [n, *hit]
    out = to_page(pooling.render_spp(w, d, n, hit, s.lang))  # the vector strip highlights the bin's element
    out["state"] = st
    return encode_all(out)
