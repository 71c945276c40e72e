"""``handout.html``: the lesson on paper, in one self-contained file (inline CSS, figures inline as
``data:`` URIs, no scripts, no external URLs): one section per step of the step table
(:mod:`sppviz.steps`) with its title, narrative and figure; the selected window's cells under every
projection rule with the cells step; the detections table with the detections step.

Narratives come from :func:`sppviz.i18n.narrative` as records (title, body, hint): the handout prints
the body under the step's own title and drops the hint, so no translated sentence is ever parsed.
Their Markdown and LaTeX become HTML in :mod:`sppviz.lesson.markup`.
"""

from __future__ import annotations

import base64
import html

from sppviz import i18n, steps
from sppviz.i18n import t
from sppviz.lesson.markup import heading_text, inline_html
from sppviz.steps.detections import DET_HEADERS, model_notice
from sppviz.steps.window import rules_table_html

# the app's labels that ask for a click -> the same caption without it
PRINT_LABELS = {"win_img": "win_img_print", "spp_values": "spp_values_print"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.55;color:#222;background:#fff}
h1{font-size:1.9em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}
.meta{color:#555}figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #ccc}
figcaption{color:#555;font-size:.92em;margin-top:.3em}code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}tr.chosen{background:#fff8d0}caption{caption-side:top;text-align:left;color:#555;
padding-bottom:.3em}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:1px solid #333}
.formula,.math{font-family:serif}.math{font-style:italic;white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{flex:1 1 45%}.values img{max-width:min(100%,420px)}
.notice{background:#fff4d6;border-left:6px solid #e69f00;padding:.4em .8em}
@media print{figure{break-inside:avoid}h2{break-before:page}}
"""


def narrative_html(key: str, lang: str) -> str:
    """The narrative ``key`` as a handout paragraph: bold title and body, no hint."""
    return f"<p>{inline_html(i18n.compose(i18n.narrative(key, lang), lang, hint=False))}</p>"


def _label(key: str, lang: str) -> str:
    return html.escape(t(PRINT_LABELS.get(key, key), lang))


def _fig(png: bytes, caption: str) -> str:
    mime = "image/jpeg" if png[:3] == b"\xff\xd8\xff" else "image/png"  # the compact lesson's photos are JPEG
    uri = f"data:{mime};base64," + base64.b64encode(png).decode("ascii")
    return f'<figure><img src="{uri}" alt="{caption}"><figcaption>{caption}</figcaption></figure>'


def _det_table(dets: list[dict], lang: str) -> str:
    if not dets:
        return ""
    head = "".join(f"<th>{html.escape(t(k, lang))}</th>" for k in DET_HEADERS)
    rows = "".join(f"<tr><td>{html.escape(str(x['label']))}</td><td>{x['score']:.3f}</td>"
                   + "".join(f"<td>{v:g}</td>" for v in x["box"]) + f"<td>{x['window']}</td></tr>" for x in dets)
    return f'<table class="detections"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def step_html(number: int, step: steps.Step, view: steps.View, png: bytes, data: dict) -> str:
    """One step's section: "Step k / n · title", the narrative (body, no hint), the figure, and the
    step's table (the cells under every rule; the detections)."""
    lang, n = view.lang, len(steps.STEPS)
    head = html.escape(f"{t('lesson_step', lang, k=number, n=n)} · {t(step.title, lang)}")
    body = f"<p>{inline_html(i18n.narrative(step.narrative, lang).body)}</p>"
    extra = ""
    if step.key == "cells":
        extra = rules_table_html(view.w, view.d, lang)
    elif step.key == "detections":
        notice = model_notice(view.w, lang)
        extra = (f'<p class="notice">{inline_html(notice)}</p>' if notice else "") + \
            _det_table(data["detections"]["after_nms"], lang)
    return (f'<section id="step-{step.key}" data-step="{number}"><h2>{head}</h2>{body}'
            f"{_fig(png, _label(step.figure, lang))}{extra}</section>")


def handout_html(view: steps.View, data: dict, image_name: str, pngs: dict[str, bytes]) -> str:
    """The handout of ``view`` (the window, its analysis, the language) as one HTML document; ``data``:
    :func:`sppviz.lesson.export.lesson_data` (its detections fill the table); ``pngs``: each step's figure
    in step order (:func:`sppviz.lesson.render.render_figures` encoded); ``image_name``: in the header."""
    a, d, lang = view.w.a, view.d, view.lang
    title = html.escape(heading_text(t("title", lang)))
    levels = [lv.n for lv in d.levels]
    x1, y1, x2, y2 = d.box
    meta = (f"{html.escape(image_name)} · {a.image_wh[0]}×{a.image_wh[1]} px · S = {{{', '.join(map(str, a.scales))}}}"
            f" · {html.escape(t('in_count', lang))} {len(a.windows)}"
            f" · #{d.k} = ({x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}) · s = {d.scale}"
            f" · n ∈ {{{', '.join(map(str, levels))}}} · D = {len(d.vector)}")
    parts = [f'<h1>{title}</h1><p class="meta">{meta}</p>']
    for i, (step, png) in enumerate(zip(steps.STEPS, pngs.values(), strict=True), 1):
        parts.append(step_html(i, step, view, png, data))
    doc_lang = "zh-Hans" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{doc_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")
