"""The language switch: Gradio's static labels switch in the browser (``static/locale.js``); every
text a handler wrote is written again on the server in the chosen language (no conv5, no R-CNN)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import Settings
from sppviz.app.status import status
from sppviz.app.tabs import combine, compare, detections, features, lesson, pooling, window
from sppviz.app.widgets import tab_label
from sppviz.i18n import pick_lang, t
from sppviz.steps import TABS, rcnn
from sppviz.steps import detections as det_step
from sppviz.steps import features as feat_step

LOCALE_JS = (Path(__file__).parent / "static" / "locale.js").read_text()
SET_LANG_JS = "(lang) => {" + LOCALE_JS + " sppvizLocale(lang); return lang; }"
# At load: remember a language the visitor picks (a trusted click) before the server's answer to the load arrives
# (KEEP_PICK_JS), then use ?lang= or the last choice.
LOAD_LANG_JS = ("(hint) => {" + LOCALE_JS + """
  const radio = document.querySelector("#lang");
  if (radio && !window.__sppvizLangListening) {
    window.__sppvizLangListening = true;
    radio.addEventListener("change", (e) => { if (e.isTrusted) window.__sppvizLangPicked = e.target.value; }, true);
  }
  hint = new URLSearchParams(window.location.search).get("lang");
  if (hint !== "en" && hint !== "zh") { try { hint = localStorage.getItem("sppviz-lang"); } catch (e) {} }
  if (hint === "en" || hint === "zh") { sppvizLocale(hint); return hint; }
  return "";
}""")
# The load's answer (the server's pick: the hint, else Accept-Language) goes to the radio unless the visitor has
# picked a language meanwhile: the answer used to arrive after that click and switch the page back.
KEEP_PICK_JS = "(answer) => window.__sppvizLangPicked || answer"
# Gradio translates a tab's label when the tab is first drawn and not again when the page's locale
# changes, so the language switch sets the labels itself.
TAB_KEYS = (*TABS, "tab_lesson")
EMPTY_TABLES = {"pyr_table": feat_step.PYR_HEADERS, "det_table": det_step.DET_HEADERS,
                "cmp_table": rcnn.COMPARE_HEADERS, "cmb_table": rcnn.CMB_HEADERS}
LANG_OUT = tuple(dict.fromkeys(("status", "pyr_img", "pyr_table", *window.WINDOW_OUT, *pooling.POOL_OUT,
                                *features.FEAT_OUT, *detections.DET_OUT, "why_summary", "why_fig", *compare.CMP_OUT,
                                *combine.CMB_OUT, *lesson.LESSON_OUT, *TAB_KEYS, "image", "classes")))
# everything a handler's text depends on, except the image and what only Analyze reads (the page would
# upload and convert the image again on every switch)
LANG_READS = tuple(dict.fromkeys((*lesson.LESSON_READS, "source", "fm_scale", "fm_channel", "fm_view")))


@handler(reads=LANG_READS, outputs=LANG_OUT)
def switch_language(s: Settings) -> dict:
    """Re-render what the handlers wrote (status, tables, info lines, the last "why SPP" summary, steps
    10-11 and the lesson step) in the chosen language from the session's cached analysis, and the tab
    labels; without an analysis the tab labels, the empty tables' headers and the lesson tab's message."""
    lang, st = s.lang, s.state
    w = session.find(st)
    out = {k: gr.update(label=tab_label(k, lang)) for k in TAB_KEYS}
    out["image"] = gr.update(placeholder=t("in_image_ph", lang))  # Gradio's own upload text is not re-translated
    if w is None:
        out.update({k: {"headers": [t(h, lang) for h in hs], "data": []} for k, hs in EMPTY_TABLES.items()})
        out.update(lesson.lesson_show(s))
        return out
    st["drawn_lang"] = lang
    out["status"] = status(w, st, s)
    out.update(feat_step.render_pyramid(w, lang))
    out.update(window.window_outputs(w, st, s))
    out.update(pooling.pooling_outputs(w, st, s, reset_channel=False))
    out.update(features.feature_outputs(w, s))
    out.update(detections.detection_outputs(w, s))
    out["classes"] = gr.update(choices=detections.class_choices(w.a.detector.classes, lang))  # the values stay
    why = session.WHY_RESULTS.get(st["sid"])
    if why is not None:
        out["why_summary"] = t("why_summary", lang, **why)
        if why.get("order"):  # the warped crops of the same windows, captioned in the new language
            out["why_fig"] = rcnn.warps_of(w.a, why["order"], lang)
    out = encode_all(out)
    out.update(compare.compare_pooling(s))
    out.update(combine.combine_scales(s))
    out.update(lesson.lesson_show(s))
    return out


@handler(reads=LANG_READS, outputs=LANG_OUT)
def catch_up_language(s: Settings) -> dict:
    """After Analyze: its panels are in the language of the click (``state["drawn_lang"]``); a language picked
    while it ran (or the page's own, when its load answered late) found no analysis to redraw, so redraw now,
    as ``switch_language``. Nothing when the languages match."""
    st = s.state
    if st.get("drawn_lang", s.lang) == s.lang or session.find(st) is None:
        return {}
    return switch_language(s)


def initial_language(hint: str, request: gr.Request | None = None) -> str:
    """The page's language at load: ``?lang=`` or the last choice (sent by the page), else Accept-Language."""
    return pick_lang(hint, request)
