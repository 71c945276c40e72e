"""``handout.html``: the lesson on paper. Self-contained (inline CSS, no scripts, no external URLs): the
app's narratives in the chosen language without their click hints, each step's figures by relative path,
the selected window's cells under every projection rule and the detections.

Narratives come from :func:`sppviz.i18n.narrative` as records (title, body, hint): the handout uses the
title and body and drops the hint, so no translated sentence is ever parsed. Their Markdown and LaTeX
become HTML in :mod:`sppviz.lesson.markup`.
"""

from __future__ import annotations

import html

from sppviz import analysis, figures, i18n
from sppviz.i18n import t
from sppviz.lesson.markup import heading_text, inline_html
from sppviz.method import geometry

# each projection rule's left / right cell, as the rules table shows it (docs/rules.md): paper App. A, the
# authors' release (utils/spm_pool/spm_response_boxes.m, 1-based there) and Fast R-CNN's roi_pool
RULE_FORMULAS = {
    "paper": "⌊(x₁−o)/S⌋+1 · ⌈(x₂−o)/S⌉−1",
    "original": f"⌊(x₁−o+{geometry.RELEASE_MARGIN:g})/S+½⌋ · ⌈(x₂−o−{geometry.RELEASE_MARGIN:g})/S−½⌉",
    "fast-rcnn": "round(x₁/S) · round(x₂/S)",
}
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
@media print{figure{break-inside:avoid}h2{break-before:page}}
"""


def without_clicks(text: str) -> str:
    """The narrative whose app text (``t(key, lang)``) is ``text``, without its click hint (the title and
    body: :func:`sppviz.i18n.compose` with ``hint=False``); any other text unchanged.

    Kept for the app's lesson mode until the app switches to :func:`sppviz.i18n.narrative`: it matches the
    whole text against the narratives, it does not parse sentences."""
    for lang, table in i18n.NARRATIVES.items():
        for key, n in table.items():
            if text == t(key, lang):
                return i18n.compose(n, lang, hint=False)
    return text


def narrative_html(key: str, lang: str) -> str:
    """The narrative ``key`` as a handout paragraph: bold title and body, no hint."""
    return f"<p>{inline_html(i18n.compose(i18n.narrative(key, lang), lang, hint=False))}</p>"


def _label(key: str, lang: str) -> str:
    return html.escape(t(PRINT_LABELS.get(key, key), lang))


def _fig(name: str, caption: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (f'<figure{klass}><img src="{html.escape(name)}" alt="{caption}" loading="lazy">'
            f"<figcaption>{caption}</figcaption></figure>")


def _rules_table(a: analysis.Analysis, d: analysis.WindowDetail, lang: str) -> str:
    g = a.geometry
    H, W = d.map_hw
    head = "".join(f"<th>{html.escape(t(k, lang))}</th>"
                   for k in ("rules_h_rule", "rules_h_formula", "rules_h_x", "rules_h_y", "rules_h_count"))
    rows = []
    for rule in geometry.PROJECTION_RULES:
        cx0, cy0, cx1, cy1 = d.cells[rule]
        aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1
        r, g_, b = figures.rule_color(rule)
        mark = " ✓" if rule == d.rule else ""
        rows.append(f'<tr class="{"chosen" if mark else ""}" data-rule="{rule}" data-cells="{cx0},{cy0},{cx1},{cy1}">'
                    f'<td><span class="swatch" style="background:rgb({r},{g_},{b})"></span><b>{rule}</b>{mark}</td>'
                    f'<td class="formula">{RULE_FORMULAS.get(rule, "")}</td><td><code>{cx0}..{cx1}</code></td>'
                    f"<td><code>{cy0}..{cy1}</code></td><td>{aw}×{ah} = {aw * ah}</td></tr>")
    bx = d.box_on_map
    rows.append(f'<tr><td>{html.escape(t("rules_window", lang))}</td><td class="formula">(x−o)/S</td>'
                f"<td><code>{bx[0]:.2f}..{bx[2]:.2f}</code></td><td><code>{bx[1]:.2f}..{bx[3]:.2f}</code></td>"
                f"<td></td></tr>")
    cap = html.escape(t("rules_caption", lang, k=d.k, s=d.scale, w=W, h=H, stride=g.stride, offset=g.offset))
    return (f'<table class="rules" data-window="{d.k}" data-scale="{d.scale}"><caption>{cap}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _det_table(dets: list[dict], lang: str) -> str:
    if not dets:
        return ""
    keys = ("det_h_label", "det_h_score", "det_h_x1", "det_h_y1", "det_h_x2", "det_h_y2", "det_h_window")
    head = "".join(f"<th>{html.escape(t(k, lang))}</th>" for k in keys)
    rows = "".join(f"<tr><td>{html.escape(str(x['label']))}</td><td>{x['score']:.3f}</td>"
                   + "".join(f"<td>{v:g}</td>" for v in x["box"]) + f"<td>{x['window']}</td></tr>" for x in dets)
    return f'<table class="detections"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def handout_html(a: analysis.Analysis, d: analysis.WindowDetail, data: dict, image_name: str, lang: str) -> str:
    """The handout of window ``d`` of ``a`` in ``lang`` ("en" / "zh") as one HTML document; ``data``:
    :func:`sppviz.lesson.export.lesson_data` (its detections fill the table), ``image_name``: shown in
    the header."""
    title = html.escape(heading_text(t("title", lang)))
    levels = [lv.n for lv in d.levels]
    x1, y1, x2, y2 = d.box
    meta = (f"{html.escape(image_name)} · {a.image_wh[0]}×{a.image_wh[1]} px · S = {{{', '.join(map(str, a.scales))}}}"
            f" · {html.escape(t('in_count', lang))} {len(a.windows)}"
            f" · #{d.k} = ({x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}) · s = {d.scale}"
            f" · n ∈ {{{', '.join(map(str, levels))}}} · D = {len(d.vector)}")
    parts = [f'<h1>{title}</h1><p class="meta">{meta}</p>']

    parts.append(f"<section id=\"step1\"><h2>{html.escape(t('tab_pyramid', lang))}</h2>"
                 f"{narrative_html('nar_pyramid', lang)}{_fig('1_pyramid.png', _label('pyr_img', lang))}</section>")
    parts.append(f"<section id=\"step2\"><h2>{html.escape(t('tab_features', lang))}</h2>"
                 f"{narrative_html('nar_features', lang)}"
                 f"{_fig('2_features.png', _label('fm_map', lang) + ' · ' + _label('fm_overlay', lang))}"
                 f"{_fig('2_top_channels.png', _label('fm_top', lang))}</section>")
    parts.append(f"<section id=\"step3\"><h2>{html.escape(t('tab_projection', lang))}</h2>"
                 f"{narrative_html('nar_projection', lang)}"
                 f"{_fig('3_window.png', _label('win_img', lang) + f' · #{d.k}')}"
                 f"{_fig('3_scale_chart.png', _label('scale_chart', lang))}"
                 f"{_fig('3_projection.png', _label('proj_grid', lang))}"
                 f"<h3>{inline_html(heading_text(t('rules_title', lang)))}</h3>{narrative_html('nar_rules', lang)}"
                 f"{_rules_table(a, d, lang)}{narrative_html('nar_rf', lang)}"
                 f"{_fig('3_receptive_fields.png', _label('rf_img', lang))}</section>")
    channel = f"{_label('fm_channel', lang)} {d.channel}"
    figs = "".join(_fig(f"4_bins_level{n}.png", f"n = {n} · {_label('spp_map', lang)} · {channel}")
                   + _fig(f"4_bin_values_level{n}.png", f"n = {n} · {_label('spp_values', lang)}", "values")
                   for n in levels)
    parts.append(f"<section id=\"step4\"><h2>{html.escape(t('tab_spp', lang))}</h2>{narrative_html('nar_spp', lang)}"
                 f"<div class=\"grid\">{figs}</div>{_fig('4_argmax.png', _label('spp_argmax', lang))}"
                 f"{narrative_html('nar_vector', lang)}{_fig('4_vector.png', _label('spp_vector', lang))}</section>")
    parts.append(f"<section id=\"step5\"><h2>{html.escape(t('tab_detections', lang))}</h2>"
                 f"{narrative_html('nar_det', lang)}{_fig('5_detections.png', _label('det_after', lang))}"
                 f"{_det_table(data['detections']['after_nms'], lang)}</section>")
    doc_lang = "zh-Hans" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{doc_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")
