"""Small component builders shared by the tabs: translated labels, figure panels, narratives."""

from __future__ import annotations

import gradio as gr

from sppviz.i18n import LANGS, STRINGS, t
from sppviz.steps import TABS, tab_steps


def tab_label(tab: str, lang: str = "en") -> str:
    """A tab's label with the numbers of the steps it shows ("3–5 · Window → cells"): the step table
    numbers the tabs, lesson mode and the handout alike."""
    if tab not in TABS:
        return t(tab, lang)
    lo, hi = tab_steps(tab)
    return f"{lo} · {t(tab, lang)}" if lo == hi else f"{lo}–{hi} · {t(tab, lang)}"


# the tables' strings, plus the numbered tab labels ("label:tab_…") for the browser's translations
I18N = gr.I18n(**{lang: {**STRINGS[lang], **{f"label:{tab}": tab_label(tab, lang) for tab in TABS}}
                  for lang in LANGS})
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


def L(key: str):
    """A static, browser-translated string (labels, info, Markdown built with the page)."""
    return I18N(key)


def img(key: str, title: bool = True, **kw) -> gr.Image:
    """A figure panel: a title above it (Gradio's floating label would cover the figure's own tick
    labels) and the image with download / fullscreen buttons."""
    if title:
        gr.Markdown(L(key), elem_classes=["panel-title"])
    return gr.Image(label=L(key), show_label=False, type="filepath", interactive=False,
                    buttons=["download", "fullscreen"], **kw)


def panel(key: str, **kw) -> gr.Image:
    """A titled figure panel in its own column (for rows of panels)."""
    with gr.Column(min_width=kw.pop("min_width", 320), scale=kw.pop("scale", 1)):
        return img(key, **kw)


def md(key: str, **kw) -> gr.Markdown:
    """A step's narrative (Markdown with LaTeX)."""
    return gr.Markdown(L(key), latex_delimiters=LATEX, elem_classes=["narrative"], **kw)


def table_update(table: dict) -> dict:
    """A {"headers", "data"} table as a Dataframe value."""
    return table
