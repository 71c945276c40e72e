"""``python -m sppviz lesson IMAGE --out DIR [--lang zh]``: one image through SPP-net as an offline lesson.

Writes into DIR one PNG per step at projector resolution (figures at least ``PROJECTOR_WIDTH`` px wide
where the figure allows, small figures scaled up), ``analysis.json`` (the numbers behind the figures),
``handout.html`` (self-contained: inline CSS, no scripts, no external URLs; the app's narrative texts in
the chosen language, each step's figures by relative path, the selected window's cells per projection
rule) and ``lesson.zip`` holding all of them.

Only the library is used (:mod:`sppviz.analysis`, :mod:`sppviz.figures`), never the Gradio app.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import math
import re
import zipfile
from pathlib import Path

import cv2
import numpy as np

from sppviz import analysis, figures
from sppviz.analysis.images import load_image
from sppviz.i18n import t
from sppviz.method import bins, geometry, pyramid

PROJECTOR_WIDTH = 1600
MIN_WINDOW_SIDE = 0.15  # the default window's shorter side is at least this fraction of the image's
SCORE_THRESH, NMS_IOU = 0.5, 0.3
RULE_FORMULAS = {
    "paper": "⌊(x₁−o)/S⌋+1 · ⌈(x₂−o)/S⌉−1",
    "original": f"⌊(x₁−o+{geometry.RELEASE_MARGIN:g})/S+½⌋ · ⌈(x₂−o−{geometry.RELEASE_MARGIN:g})/S−½⌉",
    "fast-rcnn": "round(x₁/S) · round(x₂/S)",
}


# ----------------------------------------------------------------------------------------
# choices and sizes


def pick_window(a: analysis.Analysis, min_side: float = MIN_WINDOW_SIDE) -> int:
    """The default window, as the app chooses it (``Analysis.best_window``)."""
    return a.best_window(min_side)


def projector(arr: np.ndarray, min_width: int = PROJECTOR_WIDTH) -> np.ndarray:
    """``arr`` scaled up to at least ``min_width`` px wide: nearest neighbour by an integer factor for
    a big enlargement (cells and text stay crisp), linear for a small one; wide figures are kept."""
    h, w = arr.shape[:2]
    if w >= min_width:
        return arr
    f = min_width / w
    if f >= 2:
        k = math.ceil(f)
        return np.ascontiguousarray(cv2.resize(arr, (w * k, h * k), interpolation=cv2.INTER_NEAREST))
    return np.ascontiguousarray(cv2.resize(arr, (min_width, max(1, round(h * f))), interpolation=cv2.INTER_LINEAR))


def _pyramid_figure(a: analysis.Analysis) -> np.ndarray:
    imgs = [pyramid.resize_image(a.image, s) for s in a.scales]
    hw = [tuple(int(v) for v in f.fmap.shape[1:]) for f in a.feats]
    # the strip's width is about proportional to its height: aim at PROJECTOR_WIDTH, at most 1400 px tall
    first = figures.pyramid_strip(imgs, a.scales, hw, height=400, max_width=4 * PROJECTOR_WIDTH)
    height = int(min(1400, 400 * PROJECTOR_WIDTH / max(1, first.shape[1]) * 1.02))
    return figures.pyramid_strip(imgs, a.scales, hw, height=max(height, 200), max_width=PROJECTOR_WIDTH + 200)


def _heatmap_size(hw, width) -> tuple[int, int]:
    h, w = hw
    return int(width), max(1, round(width * h / w))


# ----------------------------------------------------------------------------------------
# the figures


def render_figures(a: analysis.Analysis, d: analysis.WindowDetail, after, classes) -> dict[str, np.ndarray]:
    """Every lesson figure as uint8 RGB arrays, keyed by file name."""
    g = a.geometry
    out: dict[str, np.ndarray] = {"1_pyramid.png": _pyramid_figure(a)}

    si = d.scale_index
    fm = a.feats[si].fmap
    mean = fm.mean(0).float().cpu().numpy()
    half = PROJECTOR_WIDTH // 2
    hmap = figures.heatmap(mean, size=_heatmap_size(mean.shape, half))
    over = figures.overlay_on_image(pyramid.resize_image(a.image, a.scales[si]), mean, g.stride, g.offset,
                                    width=half)
    out["2_features.png"] = figures.hstack([hmap, over])
    H, W = fm.shape[1:]
    cx0, cy0, cx1, cy1 = d.chosen
    m = 2
    crop = fm[:, max(cy0 - m, 0):min(cy1 + m, H - 1) + 1, max(cx0 - m, 0):min(cx1 + m, W - 1) + 1]
    peak = fm[:, cy0:cy1 + 1, cx0:cx1 + 1].amax((1, 2))
    top = list(d.top_channels)
    out["2_top_channels.png"] = figures.channel_tiles(crop.float().cpu().numpy(), top, tile=PROJECTOR_WIDTH // 5,
                                                      labels=[f"max {float(peak[c]):.2g}" for c in top], cols=4)

    boxes = a.windows.numpy()
    out["3_window.png"] = figures.windows_on_image(a.image, boxes, selected=d.k, width=PROJECTOR_WIDTH,
                                                   max_draw=min(len(boxes), 80))
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in d.cells.values()) + 1
    cp = max(20, min(120, (PROJECTOR_WIDTH - 100) // (span + 5)))
    out["3_projection.png"] = figures.projection_grid(mean, d.cells, d.box_on_map, cell_px=cp,
                                                      max_size=PROJECTOR_WIDTH)
    n = len(a.scales)
    out["3_scale_chart.png"] = figures.scale_chart(
        a.scales, d.scaled_areas, target=pyramid.PAPER_TARGET_AREA, chosen_paper=d.chosen_by_rule["paper"],
        chosen_release=d.chosen_by_rule["original"], release_target=pyramid.RELEASE_TARGET_SIDE ** 2,
        size=(PROJECTOR_WIDTH, 90 + 62 * n))
    xs, ys = np.meshgrid(np.arange(cx0, cx1 + 1), np.arange(cy0, cy1 + 1))
    centres = (g.offset + g.stride * np.stack([xs.ravel(), ys.ravel()], 1)) / d.factor
    corners = {(cx0, cy0), (cx1, cy0), (cx0, cy1), (cx1, cy1)}
    rf = [[v / d.factor for v in geometry.cell_box(cx, cy, g)] for cx, cy in sorted(corners)]
    out["3_receptive_fields.png"] = figures.receptive_fields_on_image(a.image, d.box, centres, rf_boxes=rf,
                                                                      width=PROJECTOR_WIDTH)

    ch = fm[d.channel].float().cpu().numpy()
    for lv in d.levels:
        out[f"4_bins_level{lv.n}.png"] = figures.bins_on_map(
            ch, d.chosen, lv.bins_x, lv.bins_y, lv.n, argmax_cells=lv.argmax_cells.reshape(-1, 2),
            values=lv.values, max_size=PROJECTOR_WIDTH)
        cell = max(40, min(300, 1200 // max(lv.values.shape)))
        out[f"4_bin_values_level{lv.n}.png"] = figures.bin_values(lv.values, lv.n, cell_px=cell)
    pts = {x.n: x.argmax_points.reshape(-1, 2) for x in d.levels}
    out["4_argmax.png"] = figures.argmax_on_image(a.image, pts, d.box, rf_size=g.size / d.factor,
                                                  width=PROJECTOR_WIDTH)
    out["4_vector.png"] = figures.vector_strip(d.vector, d.level_slices, [x.n for x in d.levels],
                                               int(fm.shape[0]), width=PROJECTOR_WIDTH)

    labels = [classes[int(c)] for c in after.labels]
    cols = [figures.class_color(int(c)) for c in after.labels]
    out["5_detections.png"] = figures.detections_on_image(a.image, after.boxes.numpy(), labels,
                                                          after.scores.numpy(), cols, width=PROJECTOR_WIDTH)
    return {name: projector(arr) for name, arr in out.items()}


# ----------------------------------------------------------------------------------------
# analysis.json


def lesson_data(a: analysis.Analysis, d: analysis.WindowDetail, before, after, classes) -> dict:
    x1, y1, x2, y2 = d.box
    return {
        "image_wh": list(a.image_wh),
        "scales": list(a.scales),
        "pyramid": [{"scale": int(s), "image_wh": list(f.image_wh), "factor": float(f.factor),
                     "conv5_hw": [int(v) for v in f.fmap.shape[1:]]} for s, f in zip(a.scales, a.feats, strict=True)],
        "geometry": {"stride": float(a.geometry.stride), "offset": float(a.geometry.offset),
                     "receptive_field": float(a.geometry.size)},
        "channels": int(a.feats[0].fmap.shape[0]),
        "windows": int(len(a.windows)),
        "selected_window": {
            "index": d.k, "box": [float(v) for v in d.box], "wh": [x2 - x1 + 1, y2 - y1 + 1],
            "scale_index": d.scale_index, "scale": int(d.scale), "factor": float(d.factor),
            "scaled_box": [float(v) for v in d.scaled_box], "conv5_hw": list(d.map_hw),
            "box_on_map": [float(v) for v in d.box_on_map],
            "cells": {r: [int(v) for v in c] for r, c in d.cells.items()},
            "projection_rule": d.rule, "chosen_cells": [int(v) for v in d.chosen],
            "scale_scores": d.scale_scores, "chosen_scale_by_rule": d.chosen_by_rule,
            "scaled_areas": d.scaled_areas, "channel": d.channel, "top_channels": d.top_channels,
        },
        "bin_rule": d.bin_rule,
        "levels": [{"n": lv.n, "bins_x": [list(b) for b in lv.bins_x], "bins_y": [list(b) for b in lv.bins_y],
                    "values": np.asarray(lv.values, np.float64).round(6).tolist(),
                    "argmax_cells": np.asarray(lv.argmax_cells).astype(int).tolist(), "note": lv.note}
                   for lv in d.levels],
        "vector_length": int(len(d.vector)),
        "detections": {"score_thresh": SCORE_THRESH, "nms_iou": NMS_IOU, "before_nms": int(len(before)),
                       "after_nms": after.to_list(classes)},
    }


# ----------------------------------------------------------------------------------------
# handout.html

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

_CLICK = re.compile(r"\s*(\*\*)?(Click|点击)[^.。]*[.。]\s*$")
_CLICK_LABEL = re.compile(r"\s*(—+|——)\s*(click|点击).*$|\s*[(（](click|点击)[^)）]*[)）]", re.IGNORECASE)


# The LaTeX of the narratives as plain text: the handout has no scripts (no KaTeX), and raw source such as
# "\\lfloor i\\,a/n \\rfloor" reads badly on paper. Only what the narratives use is covered.
_TEX_SYMBOLS = {r"\arg\min": "argmin", r"\lfloor": "⌊", r"\rfloor": "⌋", r"\lceil": "⌈", r"\rceil": "⌉",
                r"\ldots": "…", r"\times": "×", r"\cdot": "·", r"\approx": "≈", r"\sum": "Σ", r"\in": "∈",
                r"\min": "min", r"\max": "max", r"\{": "{", r"\}": "}", r"\,": "\u2009"}
_STAR = "\x00"  # stands for a formula's "*" (s^*) while the Markdown emphasis is converted
_TEX_SCRIPT = re.compile(r"([\^_])(\{([^{}]*)\}|[^\s{}\\])")


def _tex_html(tex: str) -> str:
    """One $...$ formula (already HTML-escaped) as HTML text: symbols, \\mathrm{}, ^ and _ as sup / sub."""
    for k in sorted(_TEX_SYMBOLS, key=len, reverse=True):
        tex = tex.replace(k, _TEX_SYMBOLS[k])
    tex = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", tex).replace(" - ", " − ")
    for _ in range(2):  # nested once at most: F_{s^*}
        tex = _TEX_SCRIPT.sub(lambda m: f"<{'sup' if m[1] == '^' else 'sub'}>{m[3] if m[3] is not None else m[2]}"
                                        f"</{'sup' if m[1] == '^' else 'sub'}>", tex)
    return f'<span class="math">{tex}</span>'


def _md(text: str) -> str:
    """The narratives' little Markdown (bold, italic, code) as HTML; $...$ LaTeX as plain text (``_tex_html``)."""
    s = html.escape(text, quote=False)
    s = re.sub(r"\$([^$]+)\$", lambda m: _tex_html(m[1]).replace("*", _STAR), s)  # a formula's * is no <em>
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)", r"<em>\1</em>", s)
    return s.replace(_STAR, "*")


def without_clicks(text: str) -> str:
    """A narrative without its last sentence when that one asks for a click (no clicks on paper or in
    the app's lesson mode)."""
    return _CLICK.sub("", text)


def _narrative(key: str, lang: str) -> str:
    return f"<p>{_md(without_clicks(t(key, lang)))}</p>"


def _label(key: str, lang: str) -> str:
    return html.escape(_CLICK_LABEL.sub("", t(key, lang)))


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
    title = html.escape(t("title", lang).lstrip("# ").strip())
    levels = [lv.n for lv in d.levels]
    x1, y1, x2, y2 = d.box
    meta = (f"{html.escape(image_name)} · {a.image_wh[0]}×{a.image_wh[1]} px · S = {{{', '.join(map(str, a.scales))}}}"
            f" · {html.escape(t('in_count', lang))} {len(a.windows)}"
            f" · #{d.k} = ({x1:.0f}, {y1:.0f}, {x2:.0f}, {y2:.0f}) · s = {d.scale}"
            f" · n ∈ {{{', '.join(map(str, levels))}}} · D = {len(d.vector)}")
    parts = [f'<h1>{title}</h1><p class="meta">{meta}</p>']

    parts.append(f"<section id=\"step1\"><h2>{html.escape(t('tab_pyramid', lang))}</h2>"
                 f"{_narrative('nar_pyramid', lang)}{_fig('1_pyramid.png', _label('pyr_img', lang))}</section>")
    parts.append(f"<section id=\"step2\"><h2>{html.escape(t('tab_features', lang))}</h2>"
                 f"{_narrative('nar_features', lang)}"
                 f"{_fig('2_features.png', _label('fm_map', lang) + ' · ' + _label('fm_overlay', lang))}"
                 f"{_fig('2_top_channels.png', _label('fm_top', lang))}</section>")
    parts.append(f"<section id=\"step3\"><h2>{html.escape(t('tab_projection', lang))}</h2>"
                 f"{_narrative('nar_projection', lang)}{_fig('3_window.png', _label('win_img', lang) + f' · #{d.k}')}"
                 f"{_fig('3_scale_chart.png', _label('scale_chart', lang))}"
                 f"{_fig('3_projection.png', _label('proj_grid', lang))}"
                 f"<h3>{_md(t('rules_title', lang).lstrip('# ').strip())}</h3>{_narrative('nar_rules', lang)}"
                 f"{_rules_table(a, d, lang)}{_narrative('nar_rf', lang)}"
                 f"{_fig('3_receptive_fields.png', _label('rf_img', lang))}</section>")
    channel = f"{_label('fm_channel', lang)} {d.channel}"
    figs = "".join(_fig(f"4_bins_level{n}.png", f"n = {n} · {_label('spp_map', lang)} · {channel}")
                   + _fig(f"4_bin_values_level{n}.png", f"n = {n} · {_label('spp_values', lang)}", "values")
                   for n in levels)
    parts.append(f"<section id=\"step4\"><h2>{html.escape(t('tab_spp', lang))}</h2>{_narrative('nar_spp', lang)}"
                 f"<div class=\"grid\">{figs}</div>{_fig('4_argmax.png', _label('spp_argmax', lang))}"
                 f"{_narrative('nar_vector', lang)}{_fig('4_vector.png', _label('spp_vector', lang))}</section>")
    parts.append(f"<section id=\"step5\"><h2>{html.escape(t('tab_detections', lang))}</h2>"
                 f"{_narrative('nar_det', lang)}{_fig('5_detections.png', _label('det_after', lang))}"
                 f"{_det_table(data['detections']['after_nms'], lang)}</section>")
    doc_lang = "zh-Hans" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{doc_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")


# ----------------------------------------------------------------------------------------
# the export


def export_lesson(image_path, out_dir, lang: str = "en", scales=(pyramid.SINGLE_SCALE,), levels=(1, 2, 3, 6),
                  window: int | None = None, detector=None) -> dict:
    """Analyze ``image_path`` with the bundled detector (or ``detector``) and write the lesson into
    ``out_dir`` (:func:`write_lesson`). Returns {"out_dir", "window", "files": [names], "zip"}."""
    from sppviz.model.weights import load_default_detector

    _check_lang(lang)
    scales = pyramid.validate_scales(scales)
    levels = bins.check_levels(levels)
    img, notices = load_image(image_path)
    det = detector if detector is not None else load_default_detector()
    a = analysis.analyze(img, det, scales, notices=notices)
    return write_lesson(a, out_dir, lang, levels, window, Path(str(image_path)).name)


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise ValueError(f"unknown language {lang!r}; choose en or zh")


def write_lesson(a: analysis.Analysis, out_dir, lang: str = "en", levels=(1, 2, 3, 6), window: int | None = None,
                 image_name: str = "image", scale_rule: str = "paper", projection: str = "paper",
                 bin_rule: str = "adaptive", score_thresh: float = SCORE_THRESH, nms_iou: float = NMS_IOU) -> dict:
    """Write the lesson of an existing analysis ``a`` (conv5 reused: what the app's lesson button
    calls) into ``out_dir``: every figure as PNG, analysis.json, handout.html and lesson.zip holding
    them. ``window``: the selected window (default :func:`pick_window`). Returns {"out_dir", "window",
    "files": [names], "zip"}."""
    _check_lang(lang)
    levels = bins.check_levels(levels)
    if window is None:
        k = pick_window(a)
    else:
        k = int(window)
        if not 0 <= k < len(a.windows):
            raise ValueError(f"window {k} does not exist (this image has {len(a.windows)} windows)")
    rules = {"scale_rule": scale_rule, "projection": projection, "bin_rule": bin_rule}
    d = analysis.window_detail(a, k, levels, **rules)
    before, after = a.detections(score_thresh, nms_iou, **rules)
    classes = a.detector.classes
    data = lesson_data(a, d, before, after, classes)
    data["detections"].update(score_thresh=float(score_thresh), nms_iou=float(nms_iou))
    data["rules"] = rules
    data["notices"] = list(a.notices)
    data["lang"] = lang

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    for name, arr in render_figures(a, d, after, classes).items():
        (out / name).write_bytes(figures.to_png_bytes(arr))
        files.append(name)
    (out / "analysis.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    files.append("analysis.json")
    (out / "handout.html").write_text(handout_html(a, d, data, image_name, lang), encoding="utf-8")
    files.append("handout.html")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in files:  # PNGs are compressed already; deflating them again costs time for nothing
            z.write(out / name, name, zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED)
    (out / "lesson.zip").write_bytes(buf.getvalue())
    return {"out_dir": str(out), "window": k, "files": files, "zip": "lesson.zip"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("image")
    p.add_argument("--out", required=True, help="folder for the PNGs, analysis.json, handout.html, lesson.zip")
    p.add_argument("--lang", default="en", choices=("en", "zh"))
    p.add_argument("--scales", type=int, nargs="+", default=[pyramid.SINGLE_SCALE])
    p.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3, 6])
    p.add_argument("--window", type=int, default=None, help="window index (default: the best-scoring large one)")


def main(args: argparse.Namespace) -> int:
    res = export_lesson(args.image, args.out, args.lang, tuple(args.scales), tuple(args.levels), args.window)
    print(json.dumps(res))
    return 0
