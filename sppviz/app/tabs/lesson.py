"""Tab · lesson mode: the analysed image one step at a time (the step table's figure, title and
narrative per step, Back / Next), and the two exports: the current panels as PNGs, and the lesson
(every step's figure, analysis.json and a handout) as a ZIP."""

from __future__ import annotations

import io
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import gradio as gr

from sppviz import figures, lesson, steps
from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all, reuse, store_as, store_bytes
from sppviz.app.settings import Settings
from sppviz.app.widgets import LATEX, L
from sppviz.i18n import narrative, t
from sppviz.steps import detections, features, pooling, window

LESSON_OUT = ("lesson_step", "lesson_counter", "lesson_text", "lesson_img", "lesson_back", "lesson_next")
LESSON_READS = ("state", "lesson_step", "rules", "levels", "spp_level", "spp_channel", "thresh", "iou", "classes")
EXPORT_ORDER = ("pyr_img", "fm_map", "fm_overlay", "fm_top", "win_img", "scale_chart", "proj_grid", "rf_img",
                "spp_map", "spp_values", "spp_argmax", "spp_vector", "det_after", "det_before")


def create_ui(C: dict) -> None:
    gr.Markdown(L("nar_lesson"), elem_classes=["note"])
    with gr.Column(elem_id="lesson-stage"):  # what presentation mode shows full screen (static/present.js)
        with gr.Row(equal_height=True):
            C["lesson_back"] = gr.Button(L("btn_back"), elem_id="lesson-back", interactive=False, scale=0,
                                         min_width=150)
            C["lesson_counter"] = gr.Markdown(L("lesson_idle"), elem_id="lesson-counter")
            C["lesson_next"] = gr.Button(L("btn_next"), variant="primary", elem_id="lesson-next", scale=0,
                                         min_width=150)
            C["lesson_present"] = gr.Button(L("btn_present"), elem_id="lesson-present", scale=0, min_width=120)
        C["lesson_img"] = gr.Image(label=L("lesson_img"), show_label=False, type="filepath", interactive=False,
                                   buttons=["download"], elem_id="lesson-img")
        C["lesson_text"] = gr.Markdown(latex_delimiters=LATEX, elem_classes=["narrative", "lesson-text"],
                                       elem_id="lesson-text")


def create_export_ui(C: dict) -> None:
    with gr.Row():
        C["export"] = gr.Button(L("btn_export"), variant="secondary", scale=1)
        C["export_file"] = gr.File(label=L("export_file"), visible=False, interactive=False, scale=2)
    with gr.Row():
        C["lesson_btn"] = gr.Button(L("btn_lesson"), variant="secondary", scale=1, elem_id="lesson-btn")
        with gr.Column(scale=2):
            C["lesson_info"] = gr.Markdown(elem_id="lesson-info")
            C["lesson_file"] = gr.File(label=L("lesson_file"), visible=False, interactive=False, elem_id="lesson-file")


def view_of(w, s: Settings) -> steps.View:
    """The step table's view of the session's selected window under the page's settings."""
    d = w.detail(s.state["k"], s.levels, s.spp_channel, s.rules)
    level = s.spp_level or pooling.default_level(tuple(lv.n for lv in d.levels))
    return steps.View(w, d, level, s.thresh, s.iou, s.classes, s.rules, s.lang)


@handler(reads=LESSON_READS, outputs=LESSON_OUT)
def lesson_show(s: Settings, delta: int = 0) -> dict:
    """Lesson mode: step ``lesson_step + delta`` (clamped to 1..n) of the session's analysis — its title,
    narrative (no click instructions) and figure, "step k / n", and Back / Next enabled at the ends.
    Without an analysis it says to press Analyze (no error: the tab may be opened first)."""
    n = len(steps.STEPS)
    k = min(max(int(s.lesson_step) + int(delta), 1), n)
    w = session.find(s.state)
    if w is None:
        return {"lesson_step": k, "lesson_counter": t("lesson_idle", s.lang), "lesson_text": "",
                "lesson_img": None, "lesson_back": gr.update(interactive=False),
                "lesson_next": gr.update(interactive=False)}
    step = steps.STEPS[k - 1]
    text = narrative(step.narrative, s.lang).body
    if step.key == "detections":  # what the model can know, wherever detections are shown
        notice = detections.model_notice(w, s.lang)
        text += f"\n\n{notice}" if notice else ""
    return encode_all({
        "lesson_step": k,
        "lesson_counter": f"### {t('lesson_step', s.lang, k=k, n=n)} · {t(step.title, s.lang)}",
        "lesson_text": text,
        "lesson_img": step.build(view_of(w, s)),
        "lesson_back": gr.update(interactive=k > 1),
        "lesson_next": gr.update(interactive=k < n)})


@handler(reads=(*LESSON_READS, "fm_scale", "fm_channel", "fm_view"), outputs=("export_file",))
def export_panels(s: Settings) -> str:
    """Every panel of the current view as lossless PNG, zipped (for slides). Returns the ZIP's path."""
    st = s.state
    w = session.workspace(st, s.lang)
    v = view_of(w, s)
    panels = {**features.render_pyramid(w, s.lang), **features.render_features(w, s.fm_scale, s.fm_channel,
                                                                               s.fm_view, s.lang, v.d)}
    panels.update(features.render_top_channels(w, v.d, s.lang))
    panels["win_img"] = window.render_window_image(w, st["k"])[0]
    panels.update(window.render_projection(w, v.d, s.lang))
    sel = st.get("bin")
    sel = tuple(sel[1:]) if sel and sel[0] == v.level else None
    panels.update(pooling.render_spp(w, v.d, v.level, sel, s.lang))
    panels.update(detections.render_detections(w, s.thresh, s.iou, s.classes, s.rules, s.lang))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i, name in enumerate(EXPORT_ORDER, 1):
            z.writestr(f"{i:02d}_{name}.png", figures.to_png_bytes(panels[name]))
    return store_bytes(buf.getvalue(), f"sppviz_window{st['k']}.zip")  # counted against panels.PANEL_BYTES


@handler(reads=LESSON_READS, outputs=("lesson_file", "lesson_info"))
def export_lesson_zip(s: Settings) -> tuple[str, str]:
    """The lesson of the current image, window, levels, rules and thresholds in the page's language:
    every figure at projector width (compact: photo-like ones as JPEG, the others as PNG), analysis.json and
    handout.html, zipped (``lesson.write_lesson``; the same ZIP again while nothing changed).
    Returns (the ZIP's path, a one-line summary)."""
    t0 = time.perf_counter()
    st = s.state
    w = session.workspace(st, s.lang)
    image_name = session.IMAGE_NAMES.get(st["sid"]) or "image"
    key = lesson.export.lesson_key(w.a, s.lang, s.levels, st["k"], image_name, s.rules, s.thresh, s.iou)
    name = f"sppviz_lesson_{s.lang}_window{st['k']}_{key}.zip"
    dest = reuse(name)  # nothing changed since the last click: the same ZIP, not another copy
    if dest is None:
        tmp = Path(tempfile.mkdtemp(prefix="sppviz-lesson-"))
        try:  # compact: photo-like figures as JPEG (lesson.figure_file)
            res = lesson.write_lesson(w.a, tmp, s.lang, s.levels, st["k"], image_name, score_thresh=s.thresh,
                                      nms_iou=s.iou, compact=True, **s.rules)
            dest = store_as((tmp / res["zip"]).read_bytes(), name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(dest) as z:
        figs = sum(1 for f in z.namelist() if f.endswith((".png", ".jpg")))
    info = t("lesson_done", s.lang, k=st["k"], lang_name=t("lang_name", s.lang), png=figs,
             mb=Path(dest).stat().st_size / 2**20, sec=time.perf_counter() - t0)
    return dest, info
