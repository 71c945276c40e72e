"""Tab · window projection (steps 3-5): pick a window (click, number, table row, or draw a box), its
scale, its cells under the three rules, and where they look."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from sppviz import analysis
from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import Settings, fail
from sppviz.app.status import status
from sppviz.app.widgets import L, img, md, panel
from sppviz.i18n import t
from sppviz.method import proposals
from sppviz.steps import detections, window

if TYPE_CHECKING:
    from sppviz.analysis.workspace import Workspace

WINDOW_OUT = ("state", "win_img", "win_k", "win_info", "scale_chart", "proj_grid", "rf_img", "rules_table", "win_probs")
WINDOW_READS = ("state", "rules", "levels")
# drawing or clearing boxes changes the number of windows: the status line follows
DRAW_OUT = (*WINDOW_OUT, "status")


def create_ui(C: dict) -> None:
    md("nar_projection")
    with gr.Row(equal_height=True):
        with gr.Column(scale=3):
            md("nar_pick")
        C["win_k"] = gr.Number(value=0, precision=0, minimum=0, label=L("win_k"), elem_id="win-k", scale=1,
                               min_width=120)
        C["draw"] = gr.Checkbox(label=L("win_draw"), value=False, elem_id="draw", scale=1, min_width=160)
        C["clear"] = gr.Button(L("win_clear"), size="sm", scale=1, min_width=160)
    C["win_info"] = gr.Markdown(elem_id="win-info")
    with gr.Accordion(L("win_probs"), open=False, elem_id="win-probs-box"):
        C["win_probs"] = gr.Dataframe(interactive=False, elem_id="win-probs", max_height=300)
    gr.Markdown(L("rules_title"))
    md("nar_rules")
    C["rules_table"] = gr.HTML(elem_id="rules-table")
    with gr.Row(equal_height=False):
        C["win_img"] = panel("win_img", elem_id="win-img")
        C["proj_grid"] = panel("proj_grid", elem_id="proj-grid")
    with gr.Row(equal_height=False):
        C["scale_chart"] = panel("scale_chart", elem_id="scale-chart")
        with gr.Column(min_width=320):
            C["rf_img"] = img("rf_img", elem_id="rf-img")
            md("nar_rf")


def window_outputs(w: Workspace, st: dict, s: Settings) -> dict:
    """Step 3 panels for the selected window ``st["k"]`` (unencoded)."""
    d = w.detail(st["k"], s.levels, None, s.rules)
    out = window.render_projection(w, d, s.lang)
    out["win_img"], st["win_layout"] = window.render_window_image(w, st["k"], st.get("corner"))
    out["win_k"] = gr.update(value=st["k"], maximum=len(w.a.windows) - 1)
    out["win_probs"] = detections.window_probs(w, st["k"], s.rules, s.lang)
    out["state"] = st
    return out


def select(w: Workspace, st: dict, k: int, s: Settings) -> dict:
    """Select window ``k`` (a user error when there is no such window)."""
    n = len(w.a.windows)
    if not 0 <= int(k) < n:
        fail("err_window_index", s.lang, k=k, n=n, last=n - 1)
    st.update(k=int(k), bin=None, pool_stale=True)  # step 4 follows where it is shown (app.follow)
    return window_outputs(w, st, s)


def with_drawn_boxes(st: dict, w: Workspace, boxes: list, source: str) -> Workspace:
    """The session's workspace with these drawn boxes: extra windows after the proposals, or, with the
    source "only boxes I draw", the windows themselves (the whole image when there are none)."""
    st.update(boxes=boxes, corner=None)
    if source == "user":  # conv5 comes from the cache: only the boxes are scored
        a = w.a
        whole = [[0, 0, a.image_wh[0] - 1, a.image_wh[1] - 1]]
        base = analysis.analyze(a.image, a.detector, a.scales, "user", max(1, len(boxes)),
                                user_boxes=boxes or whole, notices=[])
        return session.store(st["sid"], base, base)
    return session.store(st["sid"], w.base, analysis.with_boxes(w.base, boxes))


@handler(reads=(*WINDOW_READS, "win_k"), outputs=WINDOW_OUT)
def select_window(s: Settings) -> dict:
    """Window number typed in the box → step 3 panels."""
    st = s.state
    w = session.workspace(st, s.lang)
    st["corner"] = None
    return encode_all(select(w, st, s.win_k, s))


@handler(reads=(*WINDOW_READS, "draw", "source"), outputs=DRAW_OUT)
def click_window(s: Settings, point=None) -> dict:
    """A click on the window image (figure pixels ``point``): pick the smallest window under it, or, in
    draw mode, set corner 1 / add the box from corner 1 to here."""
    st = s.state
    w = session.workspace(st, s.lang)
    if not st.get("win_layout"):
        fail("err_no_analysis", s.lang)
    x, y = window.click_to_image(st["win_layout"], *point)
    W, H = w.a.image_wh
    x, y = min(max(x, 0.0), W - 1.0), min(max(y, 0.0), H - 1.0)
    if s.draw:
        corner = st.get("corner")
        if corner is None:
            st["corner"] = [round(x), round(y)]
            img, st["win_layout"] = window.render_window_image(w, st.get("k"), st["corner"])
            info = t("draw_first", s.lang, x=round(x), y=round(y))
            return encode_all({"win_img": img, "state": st, "win_info": info})
        x1, x2 = sorted((float(corner[0]), float(round(x))))
        y1, y2 = sorted((float(corner[1]), float(round(y))))
        if x2 - x1 < 1 or y2 - y1 < 1:
            fail("err_box_small", s.lang)
        box = proposals.validate_boxes([x1, y1, x2, y2], (W, H))[0].tolist()
        w = with_drawn_boxes(st, w, [*st.get("boxes", []), box], s.source)
        k = len(w.a.windows) - 1
        out = select(w, st, k, s)
        out["win_info"] = t("draw_added", s.lang, k=k, x1=x1, y1=y1, x2=x2, y2=y2) + "  \n" + out["win_info"]
        out["status"] = status(w, st, s)
        return encode_all(out)
    k = w.a.pick_window(x, y)
    if k is None:
        fail("err_click_outside", s.lang, x=round(x), y=round(y))
    return encode_all(select(w, st, k, s))


@handler(reads=(*WINDOW_READS, "source"), outputs=DRAW_OUT)
def clear_boxes(s: Settings) -> dict:
    """Remove the drawn boxes (the proposals stay)."""
    st = s.state
    w = with_drawn_boxes(st, session.workspace(st, s.lang), [], s.source)
    k = st.get("k") or 0
    st.update(k=k if k < len(w.a.windows) else 0, bin=None, pool_stale=True)
    return encode_all({**window_outputs(w, st, s), "status": status(w, st, s)})


@handler(reads=WINDOW_READS, outputs=WINDOW_OUT)
def change_rules(s: Settings) -> dict:
    """A rule or the levels changed: step 3 panels (step 4 and the detections follow)."""
    st = s.state
    w = session.workspace(st, s.lang)
    st.update(bin=None, pool_stale=True)
    return encode_all(window_outputs(w, st, s))


@handler(reads=WINDOW_READS, outputs=WINDOW_OUT)
def select_detection(s: Settings, row=None) -> dict:
    """A click on a row of the detections table: select that row's window."""
    st = s.state
    w = session.workspace(st, s.lang)
    try:
        k = int(row[-1])
    except (TypeError, ValueError, IndexError):
        return {"state": st}
    return encode_all(select(w, st, k, s))
