"""The Gradio app: a thin layer that arranges calls to the library and shows their pictures.

Layout: inputs on the left (image, examples, backbone, scales, levels, the three rules, the
proposal source), six tabs on the right, one per step of the method (docs/design.md): image pyramid
→ feature maps → window → cells → spatial pyramid pooling → detections, then "why SPP" (the R-CNN
path timed on N windows against SPP-net on all of them). The tabs are linked by the selected window.

State and speed. The :class:`~sppviz.analysis.Analysis` of a session lives server-side in an LRU
(``SESSIONS``) keyed by a per-session id; ``gr.State`` only holds a small dict (session id,
selected window, drawn boxes, selected bin). After the first analysis no handler recomputes conv5:
window / level / channel / rule / threshold changes only call ``analysis.window_detail`` (cached
here per window and settings), ``Analysis.detections`` (cached scores) and the figure functions.
Panels are encoded here as JPEG (quality 92, 4:4:4) because Gradio's own PNG / WebP encoding of a
1000-px photo panel costs 150–500 ms on 2 CPU cores; "Export" writes lossless PNGs for slides.

Handlers are plain functions ``handler(v: dict, lang) -> dict`` from named input values to named
outputs, so tests call them without a browser; ``build_app`` wires them to components by name.

Drawn boxes: with *Draw a box* on, two clicks on the window image give a box that is appended to
the session's windows as an extra window (conv5 is reused; the window scores are recomputed
lazily, only when the detections are looked at). With the proposal source "only boxes I draw",
the drawn boxes are the windows (the whole image until one is drawn).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import torch

from sppviz import analysis, figures, lesson
from sppviz.analysis import report
from sppviz.analysis.images import ImageError, load_image
from sppviz.i18n import STRINGS, pick_lang, t
from sppviz.method import bins, geometry, multiscale, pooling, proposals, pyramid
from sppviz.model import backbones
from sppviz.model.detector import RCNN_SIZE, warp_crops
from sppviz.model.weights import ASSETS, load_default_detector, load_detector, setup_threads

EXAMPLES_DIR = ASSETS / "examples"
SCALE_CHOICES = (480, 576, 688, 864, 874, 1200)
DEFAULT_SCALES = (pyramid.SINGLE_SCALE,)
LEVEL_PRESETS = {"1,2,3,6": (1, 2, 3, 6), "1,2,4": (1, 2, 4), "6,3,2,1": (6, 3, 2, 1)}
CUSTOM = "custom"
SOURCES = {"selective-search-fast": "src_ss_fast", "selective-search-quality": "src_ss_quality",
           "grid": "src_grid", "user": "src_user"}
VIEWS = {"channel": "view_channel", "mean": "view_mean", "max": "view_max"}
# Panel widths in pixels: wide enough to read on a projector, small enough to encode fast.
IMAGE_WIDTH = 1000
# Windows drawn on the selection image (all are clickable; drawing 2,000 hides the image).
MAX_DRAWN_WINDOWS = 80
# Detections drawn per panel (there can be thousands before NMS at a low threshold).
MAX_DRAWN_DETECTIONS = 150
# Sessions kept server-side: each holds conv5 maps and per-window scores (~100 MB for 2,000
# windows, dominated by the pooled vectors); the LRU drops the least recently used.
SESSION_ENTRIES = int(os.environ.get("SPPVIZ_SESSIONS", "16"))
SESSION_BYTES = int(os.environ.get("SPPVIZ_SESSION_CACHE_MB", "1536")) * 2**20
JPEG_QUALITY = 92
# Uploads above this are refused by Gradio before they reach us: a 50 MP photo is ~25 MB as JPEG,
# and images.MAX_DECODE_PIXELS refuses more pixels than that anyway.
MAX_UPLOAD_BYTES = 25 * 2**20
MIN_FIRST_SIDE = 0.15  # the first window shown is at least this fraction of the shorter image side
PYR_HEADERS = ("pyr_h_scale", "pyr_h_image", "pyr_h_factor", "pyr_h_conv5", "pyr_h_cells", "pyr_h_time")
DET_HEADERS = ("det_h_label", "det_h_score", "det_h_x1", "det_h_y1", "det_h_x2", "det_h_y2", "det_h_window")
DRAWN_COLOR = figures.RULE_COLORS["roialign"]  # boxes the user drew (green)
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]

I18N = gr.I18n(**STRINGS)


def L(key: str):
    """A static, browser-translated string (labels, info, Markdown built with the page)."""
    return I18N(key)


# ----------------------------------------------------------------------------------------
# errors: every handler turns ValueError / ImageError into gr.Error with the message


class _UserError(ValueError):
    """A message already in the user's language."""


def _fail(key: str, lang: str, **fmt):
    raise _UserError(t(key, lang, **fmt))


def _guard(fn):
    """Run a handler; bad input becomes a gr.Error with a clear message, never a traceback."""
    @functools.wraps(fn)
    def wrapped(v: dict, lang: str = "en", **kw):
        try:
            return fn(v, lang, **kw)
        except gr.Error:
            raise
        except _UserError as e:
            raise gr.Error(str(e)) from None
        except (ValueError, ImageError, FileNotFoundError) as e:
            raise gr.Error(t("err_prefix", lang, msg=str(e))) from None
    return wrapped


# ----------------------------------------------------------------------------------------
# the model and the per-session analyses


def _detector(lang: str = "en", backbone: str = "zf5"):
    try:
        return load_detector(backbone or "zf5")
    except (FileNotFoundError, ValueError, OSError) as e:
        _fail("err_model", lang, msg=str(e))


@dataclass
class _Entry:
    """One session's analysis: ``base`` (the proposal windows) and ``a`` (plus drawn boxes)."""

    base: analysis.Analysis
    a: analysis.Analysis
    aid: str  # changes whenever ``a`` does (keys the detail cache)
    nbytes: int


def _tensor_bytes(x) -> int:
    return x.numel() * x.element_size() if isinstance(x, torch.Tensor) else 0


def _analysis_bytes(a: analysis.Analysis) -> int:
    n = a.image.nbytes + sum(_tensor_bytes(f.fmap) for f in a.feats)
    for res in a._results.values():  # cached window scores, one per rules combination
        n += sum(_tensor_bytes(getattr(res, k)) for k in ("pooled", "probs", "boxes", "cells"))
    return n


# A session's analysis is dropped after this long unused (a visitor who left) or when the LRU is full.
SESSION_TTL_S = float(os.environ.get("SPPVIZ_SESSION_TTL_S", "1800"))
SESSIONS = analysis.LRUCache(SESSION_ENTRIES, SESSION_BYTES, sizeof=lambda e: e.nbytes, ttl=SESSION_TTL_S)
# window_detail results: (aid, k, levels, channel, rules) -> WindowDetail
DETAILS = analysis.LRUCache(256)
# per-image arrays: resized images (up to ~6 MB each at s = 1200), channel means / maxima
ARRAYS = analysis.LRUCache(64, 256 * 2**20, sizeof=lambda arr: arr.nbytes)
# small per-session facts: sid -> the image's file name (for the lesson handout); sid -> the last
# "why SPP" measurement (re-worded when the language changes); (aid, k, rules) -> multiscale.WindowScales
IMAGE_NAMES = analysis.LRUCache(256)
WHY_RESULTS = analysis.LRUCache(256)
WINDOW_SCALES = analysis.LRUCache(64)


def _store(sid: str, base, a) -> _Entry:
    e = _Entry(base, a, uuid.uuid4().hex, _analysis_bytes(base) + (0 if a is base else _analysis_bytes(a)))
    SESSIONS.put(sid, e)
    return e


def _touch(sid: str, e: _Entry) -> None:
    """Re-account an entry whose analysis grew (new rules scored)."""
    SESSIONS.put(sid, _Entry(e.base, e.a, e.aid, _analysis_bytes(e.base)
                             + (0 if e.a is e.base else _analysis_bytes(e.a))))


def _entry(state, lang: str) -> _Entry:
    sid = (state or {}).get("sid")
    e = SESSIONS.get(sid) if sid else None
    if e is None:
        _fail("err_no_analysis", lang)
    return e


def _with_boxes(base: analysis.Analysis, boxes) -> analysis.Analysis:
    """``base`` plus extra windows (drawn boxes); conv5 maps are shared, scores recomputed lazily."""
    if not boxes:
        return base
    extra = torch.as_tensor(np.asarray(boxes, np.float32)).reshape(-1, 4)
    return analysis.Analysis(base.image, base.iid, base.detector, base.scales, torch.cat([base.windows, extra]),
                             base.feats, list(base.notices), dict(base.timings))


# ----------------------------------------------------------------------------------------
# parsing the inputs


def _ints_from_text(text, key: str, lang: str) -> list[int]:
    text = (text or "").strip()
    if not text:
        return []
    out = []
    for tok in text.replace(",", " ").replace("，", " ").replace(";", " ").split():
        try:
            f = float(tok)
        except ValueError:
            _fail(key, lang, text=text)
        if not math.isfinite(f) or f != int(f):
            _fail(key, lang, text=text)
        out.append(int(f))
    return out


def parse_scales(checked, text, lang: str = "en") -> tuple[int, ...]:
    """Ticked scales plus typed ones, deduplicated and sorted; validated by pyramid.validate_scales."""
    if isinstance(checked, str):  # the API may send "480, 688"
        checked = _ints_from_text(checked, "err_scales_text", lang)
    vals = [*(checked or []), *_ints_from_text(text, "err_scales_text", lang)]
    unique = {pyramid.validate_scales([v])[0] for v in vals}  # a ticked and typed 688 is one scale
    return pyramid.validate_scales(sorted(unique))


def _whole(v):
    """2, 2.0 or "2" -> 2; anything else is returned as is for bins.check_levels to name."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str | float):
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if math.isfinite(f) and f == int(f) else v
    return v


def parse_levels(choice, text, lang: str = "en") -> tuple[int, ...]:
    """A preset ("1,2,3,6"), or the custom text; validated by bins.check_levels."""
    if isinstance(choice, list | tuple):
        return bins.check_levels([_whole(v) for v in choice])
    if choice in LEVEL_PRESETS:
        return LEVEL_PRESETS[choice]
    if choice not in (CUSTOM, None, ""):
        vals = _ints_from_text(choice, "err_levels_text", lang)  # "1, 2, 4" from the API
    else:
        vals = _ints_from_text(text, "err_levels_text", lang)
        if not vals:
            _fail("err_levels_custom", lang)
    return bins.check_levels(vals)


def _check_choice(value, choices, what: str, lang: str) -> str:
    if value not in choices:
        _fail("err_setting", lang, what=what, value=value, choices=", ".join(choices))
    return value


def _rules(v: dict, lang: str) -> dict:
    return {"scale_rule": _check_choice(v.get("scale_rule", "paper"), pyramid.SCALE_RULES, "scale rule", lang),
            "projection": _check_choice(v.get("projection", "paper"), geometry.PROJECTION_RULES,
                                        "projection rule", lang),
            "bin_rule": _check_choice(v.get("bin_rule", "adaptive"), bins.BIN_RULES, "bin rule", lang)}


def _levels(v: dict, lang: str) -> tuple[int, ...]:
    return parse_levels(v.get("levels", "1,2,3,6"), v.get("custom_levels", ""), lang)


def _default_level(levels) -> int:
    return 3 if 3 in levels else max(levels)


# ----------------------------------------------------------------------------------------
# encoding panels (Gradio gets a file path; see the module docstring for why)

_PANEL_DIR = Path(tempfile.gettempdir()) / "sppviz-panels"
_PRUNE = {"last": 0.0}
_PRUNE_LOCK = threading.Lock()
PANEL_MAX_AGE_S = 1800


def _prune_panels() -> None:
    now = time.time()
    with _PRUNE_LOCK:
        if now - _PRUNE["last"] < 120:
            return
        _PRUNE["last"] = now
    for p in _PANEL_DIR.glob("*"):
        try:
            if now - p.stat().st_mtime > PANEL_MAX_AGE_S:
                p.unlink()
        except OSError:
            pass


def encode_panel(arr: np.ndarray) -> str:
    """Write a uint8 RGB panel as JPEG (quality 92, no chroma subsampling: thin coloured lines and
    text stay crisp) and return its path. PNG costs 5-30 ms per panel here, JPEG 1-6 ms; the
    export button gives lossless PNGs for slides."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB array
        raise RuntimeError("could not encode a panel")
    data = buf.tobytes()
    _PANEL_DIR.mkdir(parents=True, exist_ok=True)
    path = _PANEL_DIR / f"{hashlib.blake2b(data, digest_size=12).hexdigest()}.jpg"
    try:  # the same panel again: mark it fresh, or the age-based pruning below may delete it right away
        os.utime(path)
    except FileNotFoundError:
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    _prune_panels()
    return str(path)


def _encode_all(out: dict) -> dict:
    return {k: (encode_panel(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}


# ----------------------------------------------------------------------------------------
# cached pieces


def _resized(e: _Entry, si: int) -> np.ndarray:
    key = ("img", e.base.iid, e.a.scales[si])
    img = ARRAYS.get(key)
    if img is None:
        img = pyramid.resize_image(e.a.image, e.a.scales[si])
        ARRAYS.put(key, img)
    return img


def _reduced(e: _Entry, si: int, how: str) -> np.ndarray:
    key = (how, e.base.iid, e.a.scales[si], analysis.model_id(e.a.detector))
    m = ARRAYS.get(key)
    if m is None:
        fm = e.a.feats[si].fmap
        m = (fm.mean(0) if how == "mean" else fm.amax(0)).float().cpu().numpy()
        ARRAYS.put(key, m)
    return m


def _channel(e: _Entry, si: int, c: int) -> np.ndarray:
    return e.a.feats[si].fmap[int(c)].float().cpu().numpy()


def _detail(e: _Entry, k: int, levels, channel, rules: dict, lang: str) -> analysis.WindowDetail:
    n = len(e.a.windows)
    if not 0 <= int(k) < n:
        _fail("err_window_index", lang, k=k, n=n, last=n - 1)
    key = (e.aid, int(k), tuple(levels), None if channel is None else int(channel),
           rules["scale_rule"], rules["projection"], rules["bin_rule"])
    d = DETAILS.get(key)
    if d is None:
        d = analysis.window_detail(e.a, int(k), levels, channel, **rules)
        DETAILS.put(key, d)
        DETAILS.put(key[:3] + (d.channel,) + key[4:], d)
    return d


def _channels_of(e: _Entry) -> int:
    return int(e.a.feats[0].fmap.shape[0])


def _initial_window(a: analysis.Analysis) -> int:
    """The window to show first (see ``Analysis.best_window``)."""
    return a.best_window(MIN_FIRST_SIDE) if len(a.windows) else 0


# ----------------------------------------------------------------------------------------
# renderers: (entry, detail, ...) -> dict of panel name -> uint8 array / Markdown / update


def render_pyramid(e: _Entry, lang: str) -> dict:
    a = e.a
    imgs = [_resized(e, i) for i in range(len(a.scales))]
    hw = [tuple(int(v) for v in f.fmap.shape[1:]) for f in a.feats]
    strip = figures.pyramid_strip(imgs, a.scales, hw, height=380, max_width=1500)
    rows = []
    for s, f, (h, w) in zip(a.scales, a.feats, hw, strict=True):
        rows.append([int(s), f"{f.image_wh[0]}×{f.image_wh[1]}", round(float(f.factor), 4), f"{w}×{h}", w * h,
                     round(1000 * float(f.seconds), 1)])
    headers = [t(k, lang) for k in PYR_HEADERS]
    return {"pyr_img": strip, "pyr_table": {"headers": headers, "data": rows}}


def render_features(e: _Entry, si: int, channel: int, view: str, lang: str) -> dict:
    a = e.a
    si = min(max(int(si), 0), len(a.scales) - 1)
    C = _channels_of(e)
    channel = min(max(int(channel), 0), C - 1)
    vals = _channel(e, si, channel) if view == "channel" else _reduced(e, si, "mean" if view == "mean" else "max")
    g = a.geometry
    hmap = figures.heatmap(vals, cell_px=max(6, min(40, 900 // max(vals.shape))))
    over = figures.overlay_on_image(_resized(e, si), vals, g.stride, g.offset, width=IMAGE_WIDTH)
    h, w = vals.shape
    info = t("fm_info", lang, scale=a.scales[si], c=C, h=h, w=w, stride=g.stride, offset=g.offset, rf=g.size)
    return {"fm_map": hmap, "fm_overlay": over, "fm_info": info}


def render_top_channels(e: _Entry, d: analysis.WindowDetail, lang: str, margin: int = 2) -> dict:
    """The window's strongest channels, each tile cropped to the window's cells plus ``margin`` cells."""
    fm = e.a.feats[d.scale_index].fmap
    H, W = fm.shape[1:]
    cx0, cy0, cx1, cy1 = d.chosen
    peak = fm[:, cy0:cy1 + 1, cx0:cx1 + 1].amax((1, 2))
    top = list(d.top_channels)
    crop = fm[:, max(cy0 - margin, 0):min(cy1 + margin, H - 1) + 1, max(cx0 - margin, 0):min(cx1 + margin, W - 1) + 1]
    tiles = figures.channel_tiles(crop.float().cpu().numpy(), top, labels=[f"max {float(peak[c]):.2g}" for c in top],
                                  tile=170, cols=8)
    return {"fm_top": tiles, "fm_top_info": t("fm_top_info", lang, k=d.k, scale=d.scale, m=margin)}


def render_window_image(e: _Entry, k: int | None, corner=None) -> tuple[np.ndarray, list[float]]:
    """The selection image: the first MAX_DRAWN_WINDOWS proposals, every drawn box (green) and the
    selected window (yellow, tagged with its number); ``corner``: the first corner of a box being drawn.
    Returns the image and its layout (sx, sy, x0, y0, col0, row0: image pixels → figure pixels), which
    the state keeps so that a click maps back to the image exactly as drawn."""
    a = e.a
    boxes = a.windows.numpy()
    n_base = len(e.base.windows)
    img, lay = figures.windows_on_image(a.image, boxes, selected=k, width=IMAGE_WIDTH,
                                        max_draw=min(n_base, MAX_DRAWN_WINDOWS), return_layout=True)
    drawn = [i for i in range(n_base, len(boxes)) if i != k]
    if drawn:  # drawn boxes come after the proposals, beyond max_draw: draw them on top, in figure pixels
        rects = np.array([lay.unit_rect(*boxes[i]) for i in drawn], np.float64)
        img = figures.boxes_on_image(img, rects, colors=[DRAWN_COLOR] * len(rects), thickness=3)
    if corner is not None:
        x, y = lay.to_px(float(corner[0]), float(corner[1]))
        p = (int(round(x)), int(round(y)))
        cv2.drawMarker(img, p, (0, 0, 0), cv2.MARKER_CROSS, 44, 9, cv2.LINE_AA)
        cv2.drawMarker(img, p, DRAWN_COLOR, cv2.MARKER_CROSS, 40, 4, cv2.LINE_AA)
    return img, [lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0]


def click_to_image(layout, x: float, y: float) -> tuple[float, float]:
    """A click on the selection image (figure pixels) → original-image pixels, through the layout
    the image was drawn with (``render_window_image``)."""
    sx, sy, x0, y0, col0, row0 = (float(v) for v in layout)
    return figures.Layout(sx, sy, int(x0), int(y0), col0, row0).from_px(float(x), float(y))


def rules_table_html(e: _Entry, d: analysis.WindowDetail, lang: str) -> str:
    """The three projection rules side by side. Each row carries ``data-rule`` and
    ``data-cells="cx0,cy0,cx1,cy1"`` (inclusive, exactly geometry.project_window's) for tests and
    copy-paste; the table carries ``data-window`` and ``data-scale``."""
    g = e.a.geometry
    H, W = d.map_hw
    formulas = {
        "paper": "⌊(x₁−o)/S⌋+1 · ⌈(x₂−o)/S⌉−1",
        "original": f"⌊(x₁−o+{geometry.RELEASE_MARGIN:g})/S+½⌋ · ⌈(x₂−o−{geometry.RELEASE_MARGIN:g})/S−½⌉",
        "fast-rcnn": "round(x₁/S) · round(x₂/S)",
    }
    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("rules_h_rule", "rules_h_formula", "rules_h_x", "rules_h_y",
                                                       "rules_h_count"))
    rows = []
    for rule in geometry.PROJECTION_RULES:
        cx0, cy0, cx1, cy1 = d.cells[rule]
        aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1
        r, g_, b = figures.rule_color(rule)
        used = rule == d.rule
        mark = f' <span class="used">{t("rules_used", lang)}</span>' if used else ""
        rows.append(
            f'<tr class="{"chosen" if used else ""}" data-rule="{rule}" data-cells="{cx0},{cy0},{cx1},{cy1}">'
            f'<td><span class="swatch" style="background:rgb({r},{g_},{b})"></span><b>{rule}</b>{mark}</td>'
            f"<td class=\"formula\">{formulas[rule]}</td><td><code>{cx0}..{cx1}</code></td>"
            f"<td><code>{cy0}..{cy1}</code></td><td>{aw}×{ah} = {aw * ah}</td></tr>")
    bx = d.box_on_map
    rows.append(f'<tr class="window-row"><td>{t("rules_window", lang)}</td><td class="formula">(x−o)/S</td>'
                f"<td><code>{bx[0]:.2f}..{bx[2]:.2f}</code></td><td><code>{bx[1]:.2f}..{bx[3]:.2f}</code></td>"
                f"<td></td></tr>")
    cap = t("rules_caption", lang, k=d.k, s=d.scale, w=W, h=H, stride=g.stride, offset=g.offset)
    return (f'<table class="rules" data-window="{d.k}" data-scale="{d.scale}"><caption>{cap}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_projection(e: _Entry, d: analysis.WindowDetail, lang: str) -> dict:
    a = e.a
    g = a.geometry
    x1, y1, x2, y2 = d.box
    cx0, cy0, cx1, cy1 = d.chosen
    sw, sh = pyramid.scaled_size(a.image_wh[0], a.image_wh[1], d.scale)
    info = t("win_info", lang, k=d.k, x1=round(x1, 1), y1=round(y1, 1), x2=round(x2, 1), y2=round(y2, 1),
             w=round(x2 - x1 + 1, 1), h=round(y2 - y1 + 1, 1), s=d.scale, f=d.factor, sw=sw, sh=sh,
             cx0=cx0, cx1=cx1, cy0=cy0, cy1=cy1, rule=d.rule, aw=cx1 - cx0 + 1, ah=cy1 - cy0 + 1)
    if d.k >= len(e.base.windows):
        info += f" *({t('win_user_tag', lang)})*"
    n = len(a.scales)
    chart = figures.scale_chart(a.scales, d.scaled_areas, target=pyramid.PAPER_TARGET_AREA,
                                chosen_paper=d.chosen_by_rule["paper"], chosen_release=d.chosen_by_rule["original"],
                                release_target=pyramid.RELEASE_TARGET_SIDE ** 2, size=(900, 90 + 62 * n))
    # zoom on the window: cells of 20-48 px (the whole map is shown when it fits at that size)
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in d.cells.values()) + 1
    cp = max(20, min(48, 860 // (span + 5)))
    grid = figures.projection_grid(_reduced(e, d.scale_index, "mean"), d.cells, d.box_on_map, cell_px=cp,
                                   max_size=900)
    # receptive-field centres of the chosen cells, in original-image pixels
    xs, ys = np.meshgrid(np.arange(cx0, cx1 + 1), np.arange(cy0, cy1 + 1))
    centres = (g.offset + g.stride * np.stack([xs.ravel(), ys.ravel()], 1)) / d.factor
    corners = {(cx0, cy0), (cx1, cy0), (cx0, cy1), (cx1, cy1)}
    rf = [[v / d.factor for v in geometry.cell_box(cx, cy, g)] for cx, cy in sorted(corners)]
    rf_img = figures.receptive_fields_on_image(a.image, d.box, centres, rf_boxes=rf, width=IMAGE_WIDTH)
    return {"win_info": info, "scale_chart": chart, "proj_grid": grid, "rf_img": rf_img,
            "rules_table": rules_table_html(e, d, lang)}


def bin_cell_px(shape) -> int:
    """Side of one bin in the per-bin maxima panel: the grid is about 360 px wide."""
    return max(40, min(110, 360 // max(shape)))


def _level_index(d: analysis.WindowDetail, level: int) -> int:
    ns = [lv.n for lv in d.levels]
    return ns.index(int(level)) if int(level) in ns else len(ns) - 1


def _bins_table_html(d: analysis.WindowDetail, lang: str) -> str:
    cx0, cy0, cx1, cy1 = d.chosen
    aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1

    def fmt(bins):
        return " ".join(f"{s}–{e}" for s, e in bins)

    head = "".join(f"<th>{t(k, lang)}</th>" for k in ("bins_h_level", "bins_h_rule", "bins_h_x", "bins_h_y",
                                                       "bins_h_count"))
    rows = []
    for lv in d.levels:
        n = lv.n
        r, g, b = figures.level_color(n)
        for rule in bins.BIN_RULES:
            try:
                bx, by = bins.bin_edges(aw, n, rule), bins.bin_edges(ah, n, rule)
                ok = len(bx) == len(by) == n
                cells = (f"<td><code>{fmt(bx)}</code></td><td><code>{fmt(by)}</code></td>"
                         f"<td class=\"{'' if ok else 'bad'}\">{len(bx)}×{len(by)}</td>")
            except ValueError:
                cells = f"<td colspan=\"2\">{t('bins_undefined', lang)}</td><td class=\"bad\">—</td>"
            lvl = (f'<td rowspan="2"><span class="swatch" style="background:rgb({r},{g},{b})"></span><b>{n}</b></td>'
                   if rule == bins.BIN_RULES[0] else "")
            rows.append(f'<tr data-level="{n}" data-rule="{rule}">{lvl}<td>{rule}</td>{cells}</tr>')
    return f'<table class="bins"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


SPP_PARTS = frozenset({"argmax", "vector"})


def render_spp(e: _Entry, d: analysis.WindowDetail, level: int, sel_bin, lang: str, parts=SPP_PARTS) -> dict:
    """Pooling panels for one level; ``sel_bin`` = (by, bx) or None. The bins, their maxima and the texts
    are always drawn; ``parts`` adds "argmax" (the image with every level's maxima) and "vector" (the
    strip), which do not change with the level or the channel unless a bin is selected."""
    a = e.a
    g = a.geometry
    li = _level_index(d, level)
    lv = d.levels[li]
    n = lv.n
    ny, nx = lv.values.shape
    if sel_bin is not None and not (0 <= sel_bin[0] < ny and 0 <= sel_bin[1] < nx):
        sel_bin = None
    ch = _channel(e, d.scale_index, d.channel)
    argmax = lv.argmax_cells.reshape(-1, 2)
    bmap = figures.bins_on_map(ch, d.chosen, lv.bins_x, lv.bins_y, n, argmax_cells=argmax, selected_bin=sel_bin,
                               values=lv.values, max_size=640)
    vals = figures.bin_values(lv.values, n, selected_bin=sel_bin, cell_px=bin_cell_px(lv.values.shape))
    out = {}
    if "argmax" in parts:
        pts = {x.n: x.argmax_points.reshape(-1, 2) for x in d.levels}
        sel = None if sel_bin is None else (n, sel_bin[0], sel_bin[1])
        out["spp_argmax"] = figures.argmax_on_image(a.image, pts, d.box, selected=sel, rf_size=g.size / d.factor,
                                                    width=IMAGE_WIDTH)
    C = _channels_of(e)
    if "vector" in parts:
        hl = None
        if sel_bin is not None:
            hl = (d.level_slices[li].start or 0) + d.channel * n * n + sel_bin[0] * n + sel_bin[1]
        out["spp_vector"] = figures.vector_strip(d.vector, d.level_slices, [x.n for x in d.levels], C, width=1100,
                                                 highlight=hl)
    # the sliding rule's bins when they differ from n x n
    cx0, cy0, cx1, cy1 = d.chosen
    aw, ah = cx1 - cx0 + 1, cy1 - cy0 + 1
    alt = None
    try:
        sx, sy = bins.bin_edges(aw, n, "sliding"), bins.bin_edges(ah, n, "sliding")
        if (len(sx), len(sy)) != (n, n):
            alt = figures.caption(figures.bins_on_map(ch, d.chosen, sx, sy, n, max_size=640),
                                  f"sliding: {len(sx)}×{len(sy)} ≠ {n}×{n}", bold=True, position="top")
    except ValueError:
        pass
    warn = []
    if d.error:
        warn.append(t("spp_warn_error", lang, error=d.error.rstrip(".")))
    for x in d.levels:
        if x.note and (d.bin_rule == "sliding" or d.error or x.n == n):
            warn.append(t("spp_warn_note", lang, n=x.n, note=x.note))
    levels = [x.n for x in d.levels]
    text = t("spp_ok", lang, n=n, nx=nx, ny=ny, aw=aw, ah=ah, rule=d.bin_rule, d=len(d.vector), c=C,
             bins=sum(x * x for x in levels))
    if sel_bin is not None:
        cx, cy = (int(v) for v in lv.argmax_cells[sel_bin[0], sel_bin[1]])
        px, py = lv.argmax_points[sel_bin[0], sel_bin[1]]
        text += "  \n" + t("bin_picked", lang, by=sel_bin[0], bx=sel_bin[1], n=n, v=float(lv.values[sel_bin]),
                           cx=cx, cy=cy, px=px, py=py)
    out.update({"spp_map": bmap, "spp_values": vals,
                "spp_alt": gr.update(value=encode_panel(alt) if alt is not None else None, visible=alt is not None),
                "spp_warn": gr.update(value="\n\n".join(warn), visible=bool(warn)),
                "spp_info": text, "spp_bins": _bins_table_html(d, lang)})
    return out


def _class_filter(a: analysis.Analysis, v: dict) -> list[int]:
    """Indices of the classes ticked in step 5 (all when none was sent)."""
    classes = a.detector.classes
    chosen = v.get("classes")
    return list(range(len(classes))) if chosen is None else [classes.index(c) for c in chosen if c in classes]


def _thresholds(v: dict) -> tuple[float, float]:
    """(score threshold, NMS IoU) of step 5, both in 0..1."""
    try:
        thr, iou = float(v.get("thresh", 0.5)), float(v.get("iou", 0.3))
    except (TypeError, ValueError):
        raise ValueError(f"the threshold and the IoU must be numbers, got {v.get('thresh')!r} and "
                         f"{v.get('iou')!r}") from None
    if not (0.0 <= thr <= 1.0 and 0.0 <= iou <= 1.0):
        raise ValueError(f"the threshold and the IoU must lie in 0..1, got {thr} and {iou}")
    return thr, iou


def _draw_detections(a: analysis.Analysis, det, cap: int = MAX_DRAWN_DETECTIONS) -> np.ndarray:
    """The top ``cap`` detections of ``det`` on the image, coloured by class."""
    classes = a.detector.classes
    m = min(len(det), cap)
    labels = [classes[int(c)] for c in det.labels[:m]]
    cols = [figures.class_color(int(c)) for c in det.labels[:m]]
    return figures.detections_on_image(a.image, det.boxes[:m].numpy(), labels, det.scores[:m].numpy(), cols,
                                       width=IMAGE_WIDTH)


def render_detections(e: _Entry, v: dict, rules: dict, lang: str) -> dict:
    a = e.a
    classes = a.detector.classes
    idx = _class_filter(a, v)
    thr, iou = _thresholds(v)
    before, after = a.detections(thr, iou, idx, **rules)

    def draw(det, cap):
        return _draw_detections(a, det, cap)

    rows = [[d["label"], d["score"], *d["box"], d["window"]] for d in after.to_list(classes)]
    headers = [t(k, lang) for k in DET_HEADERS]
    info = t("det_info", lang, after=len(after), before=len(before), thr=thr, iou=iou)
    if len(before) > MAX_DRAWN_DETECTIONS:
        info += " " + t("det_capped", lang, n=MAX_DRAWN_DETECTIONS)
    return {"det_after": draw(after, MAX_DRAWN_DETECTIONS), "det_before": draw(before, MAX_DRAWN_DETECTIONS),
            "det_table": {"headers": headers, "data": rows}, "det_info": info}


# ----------------------------------------------------------------------------------------
# handlers: v (named input values, "state" included) -> named outputs


DEFAULTS = {
    "image": None, "scales": list(DEFAULT_SCALES), "custom_scales": "", "levels": "1,2,3,6", "custom_levels": "",
    "bin_rule": "adaptive", "projection": "paper", "scale_rule": "paper", "source": "selective-search-fast",
    "count": 2000, "thresh": 0.5, "iou": 0.3, "classes": None, "fm_scale": 0, "fm_channel": 0,
    "fm_view": "mean", "spp_level": 3, "spp_channel": 0, "draw": False, "win_k": 0, "state": None,
    "lang": "en", "lesson_step": 1,
}


def _state(v: dict) -> dict:
    return dict(v.get("state") or {})


def _window_outputs(e: _Entry, st: dict, v: dict, lang: str) -> dict:
    """Step 3 panels for the selected window (the visible tab: rendered first)."""
    rules = _rules(v, lang)
    d = _detail(e, st["k"], _levels(v, lang), None, rules, lang)
    out = render_projection(e, d, lang)
    out["win_img"], st["win_layout"] = render_window_image(e, st["k"], st.get("corner"))
    out["win_k"] = gr.update(value=st["k"], maximum=len(e.a.windows) - 1)
    out["state"] = st
    return out


def _pooling_outputs(e: _Entry, st: dict, v: dict, lang: str, reset_channel: bool, parts=SPP_PARTS,
                     top: bool = True) -> dict:
    """Step 4 panels and (``top``) the top channels of step 2 (rendered right after the window panels)."""
    rules = _rules(v, lang)
    levels = _levels(v, lang)
    channel = None if reset_channel else v.get("spp_channel")
    d = _detail(e, st["k"], levels, channel, rules, lang)
    level = int(v.get("spp_level") or _default_level(levels))
    if level not in levels:
        level = _default_level(levels)
    sel = st.get("bin")
    sel = tuple(sel[1:]) if sel and sel[0] == level else None
    out = render_spp(e, d, level, sel, lang, parts)
    if top:
        out.update(render_top_channels(e, d, lang))
    out["spp_channel"] = gr.update(value=d.channel, maximum=_channels_of(e) - 1)
    out["spp_level"] = gr.update(choices=[(f"n = {n}", n) for n in levels], value=level)
    return out


@_guard
def analyze_image(v: dict, lang: str = "en", progress=None) -> dict:
    """Analyze: proposals, conv5 per scale (cached), scores; then every panel."""
    path = v.get("image")
    if not path:
        _fail("err_no_image", lang)
    scales = parse_scales(v.get("scales"), v.get("custom_scales"), lang)
    _levels(v, lang)  # fail early on bad levels, before the expensive part
    rules = _rules(v, lang)
    source = _check_choice(v.get("source", "selective-search-fast"), tuple(SOURCES), "proposal source", lang)
    count = int(v.get("count") or 2000)
    img, notices = load_image(path)
    det = _detector(lang, v.get("backbone") or "zf5")
    st = _state(v)
    iid = analysis.image_id(img)
    if st.get("iid") != iid:  # a new image: drawn boxes belong to the old one
        st.update(iid=iid, boxes=[], corner=None)
    boxes = st.get("boxes") or []
    user_boxes = None
    if source == "user":
        user_boxes = boxes or [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]
    base = analysis.analyze(img, det, scales, source, count, user_boxes=user_boxes, notices=notices,
                            progress=progress)
    a = base if source == "user" else _with_boxes(base, boxes)
    if progress:
        progress(0.95, desc="panels")
    st.setdefault("sid", uuid.uuid4().hex)
    e = _store(st["sid"], base, a)
    IMAGE_NAMES.put(st["sid"], Path(str(path)).name)
    st.update(k=_initial_window(a), bin=None, corner=None)
    out = {"status": _status(e, st, v, lang)}
    out.update(render_pyramid(e, lang))
    out.update(_window_outputs(e, st, v, lang))
    out.update(_pooling_outputs(e, st, v, lang, reset_channel=True))
    si = int(np.clip(int(v.get("fm_scale") or 0), 0, len(scales) - 1))
    out.update(render_features(e, si, 0, v.get("fm_view", "mean"), lang))
    out["fm_scale"] = gr.update(choices=[(f"s = {s}", i) for i, s in enumerate(scales)], value=si)
    out["fm_channel"] = gr.update(value=0, maximum=_channels_of(e) - 1)
    out["det_classes"] = gr.update(choices=list(det.classes), value=list(det.classes))
    out.update(render_detections(e, {**v, "classes": list(det.classes)}, rules, lang))
    _touch(st["sid"], e)
    return _encode_all(out)


def _status(e: _Entry, st: dict, v: dict, lang: str) -> str:
    """The status line of the session's analysis (windows, scales, model, timings, notices)."""
    a, tm, det = e.a, e.base.timings, e.a.detector
    status = t("status_done", lang, windows=len(a.windows), scales=", ".join(map(str, a.scales)),
               model=det.net.trunk.name, device=det.device.type, total=tm["total_s"], prop=tm["proposals_s"],
               conv=tm["conv_s"], score=tm["score_s"])
    notices = list(a.notices)
    if v.get("source") == "user" and not st.get("boxes"):
        notices.append(t("status_user_default", lang))
    return status + "".join("  \n" + t("status_notice", lang, text=n) for n in notices)


def _select(e: _Entry, st: dict, k: int, v: dict, lang: str) -> dict:
    n = len(e.a.windows)
    if not 0 <= int(k) < n:
        _fail("err_window_index", lang, k=k, n=n, last=n - 1)
    st.update(k=int(k), bin=None)
    return _window_outputs(e, st, v, lang)


@_guard
def select_window(v: dict, lang: str = "en") -> dict:
    """Window number typed in the box → step 3 panels."""
    st = _state(v)
    e = _entry(st, lang)
    try:
        k = int(v.get("win_k"))
    except (TypeError, ValueError):
        raise ValueError(f"the window number must be an integer, got {v.get('win_k')!r}") from None
    st["corner"] = None
    return _encode_all(_select(e, st, k, v, lang))


@_guard
def click_window(v: dict, lang: str = "en", point=None) -> dict:
    """A click on the window image (figure pixels ``point``): pick the smallest window under it,
    or, in draw mode, set corner 1 / add the box from corner 1 to here."""
    st = _state(v)
    e = _entry(st, lang)
    if not st.get("win_layout"):
        _fail("err_no_analysis", lang)
    x, y = click_to_image(st["win_layout"], *point)
    W, H = e.a.image_wh
    x, y = min(max(x, 0.0), W - 1.0), min(max(y, 0.0), H - 1.0)
    if v.get("draw"):
        corner = st.get("corner")
        if corner is None:
            st["corner"] = [round(x), round(y)]
            img, st["win_layout"] = render_window_image(e, st.get("k"), st["corner"])
            out = {"win_img": img, "state": st, "win_info": t("draw_first", lang, x=round(x), y=round(y))}
            return _encode_all(out)
        x1, x2 = sorted((float(corner[0]), float(round(x))))
        y1, y2 = sorted((float(corner[1]), float(round(y))))
        if x2 - x1 < 1 or y2 - y1 < 1:
            _fail("err_box_small", lang)
        box = proposals.validate_boxes([x1, y1, x2, y2], (W, H))[0].tolist()
        e = _with_drawn_boxes(st, e, [*st.get("boxes", []), box], v)
        k = len(e.a.windows) - 1
        out = _select(e, st, k, v, lang)
        out["win_info"] = t("draw_added", lang, k=k, x1=x1, y1=y1, x2=x2, y2=y2) + "  \n" + out["win_info"]
        return _encode_all(out)
    k = e.a.pick_window(x, y)
    if k is None:
        _fail("err_click_outside", lang, x=round(x), y=round(y))
    return _encode_all(_select(e, st, k, v, lang))


def _with_drawn_boxes(st: dict, e: _Entry, boxes: list, v: dict) -> _Entry:
    """The session's analysis with these drawn boxes: extra windows after the proposals, or, with
    the source "only boxes I draw", the windows themselves (the whole image when there are none)."""
    st.update(boxes=boxes, corner=None)
    if v.get("source") == "user":  # conv5 comes from the cache: only the boxes are scored
        a = e.a
        whole = [[0, 0, a.image_wh[0] - 1, a.image_wh[1] - 1]]
        base = analysis.analyze(a.image, a.detector, a.scales, "user", max(1, len(boxes)),
                                user_boxes=boxes or whole, notices=[])
        return _store(st["sid"], base, base)
    return _store(st["sid"], e.base, _with_boxes(e.base, boxes))


@_guard
def clear_boxes(v: dict, lang: str = "en") -> dict:
    """Remove the drawn boxes (the proposals stay)."""
    st = _state(v)
    e = _with_drawn_boxes(st, _entry(st, lang), [], v)
    k = st.get("k") or 0
    st.update(k=k if k < len(e.a.windows) else 0, bin=None)
    return _encode_all(_window_outputs(e, st, v, lang))


@_guard
def refresh_pooling(v: dict, lang: str = "en") -> dict:
    """After a window change: step 4 panels (channel reset to the window's strongest channel)."""
    st = _state(v)
    e = _entry(st, lang)
    return _encode_all(_pooling_outputs(e, st, v, lang, reset_channel=True))


@_guard
def change_pooling(v: dict, lang: str = "en", what: str = "levels") -> dict:
    """The level, the channel or the levels changed (``what``): step 4 panels, keeping the channel.
    Only what depends on the change is redrawn: the vector strip when the levels change (or a bin
    highlight goes away), the maxima on the image when the channel changes."""
    st = _state(v)
    e = _entry(st, lang)
    had_bin = bool(st.get("bin"))
    st["bin"] = None
    parts = {"levels": SPP_PARTS, "channel": {"argmax"}, "level": set()}[what]
    if had_bin:
        parts = SPP_PARTS
    out = _pooling_outputs(e, st, v, lang, reset_channel=False, parts=parts, top=False)
    out["state"] = st
    return _encode_all(out)


def _bin_at(rects: dict, x: float, y: float):
    for key, (l, t_, r, b) in rects.items():
        if "," in key and l - 3 <= x <= r + 3 and t_ - 3 <= y <= b + 3:
            by, bx = (int(s) for s in key.split(","))
            return by, bx
    return None


def _current_detail(v: dict, lang: str):
    """The session's state and entry, the rules and levels asked for, the selected window's detail
    and the level shown: what the pooling-panel handlers start from."""
    st = _state(v)
    e = _entry(st, lang)
    rules = _rules(v, lang)
    levels = _levels(v, lang)
    d = _detail(e, st["k"], levels, v.get("spp_channel"), rules, lang)
    return st, e, rules, levels, d, int(v.get("spp_level") or _default_level(levels))


@_guard
def click_bin(v: dict, lang: str = "en", point=None, panel: str = "values") -> dict:
    """A click on the per-bin maxima (``panel="values"``) or on the bins drawn on the map
    (``"map"``): select that bin and show where its maximum comes from."""
    st, e, rules, levels, d, level = _current_detail(v, lang)
    lv = d.levels[_level_index(d, level)]
    if panel == "values":
        _, lay = figures.bin_values(lv.values, lv.n, cell_px=bin_cell_px(lv.values.shape), return_layout=True)
    else:
        _, lay = figures.bins_on_map(_channel(e, d.scale_index, d.channel), d.chosen, lv.bins_x, lv.bins_y, lv.n,
                                     max_size=640, return_layout=True)
    hit = _bin_at(lay.rects, *point)
    if hit is None:
        return {}
    st["bin"] = [lv.n, *hit]
    out = render_spp(e, d, lv.n, hit, lang)  # the vector strip highlights the bin's element
    out["state"] = st
    return _encode_all(out)


@_guard
def change_features(v: dict, lang: str = "en") -> dict:
    st = _state(v)
    e = _entry(st, lang)
    view = _check_choice(v.get("fm_view", "mean"), tuple(VIEWS), "view", lang)
    return _encode_all(render_features(e, int(v.get("fm_scale") or 0), int(v.get("fm_channel") or 0), view, lang))


@_guard
def change_detections(v: dict, lang: str = "en") -> dict:
    st = _state(v)
    e = _entry(st, lang)
    out = render_detections(e, v, _rules(v, lang), lang)
    _touch(st["sid"], e)
    return _encode_all(out)


@_guard
def change_rules(v: dict, lang: str = "en") -> dict:
    """A rule or the levels changed: step 3 panels (step 4 and the detections follow)."""
    st = _state(v)
    e = _entry(st, lang)
    st["bin"] = None
    return _encode_all(_window_outputs(e, st, v, lang))


@_guard
def select_detection(v: dict, lang: str = "en", row=None) -> dict:
    """A click on a row of the detections table: select that row's window."""
    st = _state(v)
    e = _entry(st, lang)
    try:
        k = int(row[-1])
    except (TypeError, ValueError, IndexError):
        return {}
    return _encode_all(_select(e, st, k, v, lang))


@_guard
def export_panels(v: dict, lang: str = "en") -> str:
    """Every panel of the current view as lossless PNG, zipped (for slides)."""
    st, e, rules, levels, d, level = _current_detail(v, lang)
    sel = st.get("bin")
    sel = tuple(sel[1:]) if sel and sel[0] == level else None
    panels = {}
    panels.update(render_pyramid(e, lang))
    view = v.get("fm_view", "mean") if v.get("fm_view") in VIEWS else "mean"
    panels.update(render_features(e, int(v.get("fm_scale") or 0), int(v.get("fm_channel") or 0), view, lang))
    panels.update(render_top_channels(e, d, lang))
    panels["win_img"] = render_window_image(e, st["k"])[0]
    panels.update(render_projection(e, d, lang))
    panels.update(render_spp(e, d, level, sel, lang))
    panels.update(render_detections(e, v, rules, lang))
    order = ["pyr_img", "fm_map", "fm_overlay", "fm_top", "win_img", "scale_chart", "proj_grid", "rf_img",
             "spp_map", "spp_values", "spp_argmax", "spp_vector", "det_after", "det_before"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i, name in enumerate(order, 1):
            z.writestr(f"{i:02d}_{name}.png", figures.to_png_bytes(panels[name]))
    _PANEL_DIR.mkdir(parents=True, exist_ok=True)
    path = _PANEL_DIR / f"sppviz_window{st['k']}_{uuid.uuid4().hex[:6]}.zip"
    path.write_bytes(buf.getvalue())
    return str(path)


# ----------------------------------------------------------------------------------------
# step 6 · why SPP: the R-CNN path timed on N windows against SPP-net on all of them

WHY_N = (8, 128, 64)  # slider minimum, maximum, default
WHY_FIG_WINDOWS = 8
WHY_CROP_H = 160
WHY_CROP_MAX_W = 420


def _ranked_windows(a: analysis.Analysis) -> torch.Tensor:
    """Window indices, best score (any class but background) first."""
    probs = a.result().probs
    score = probs[:, :-1].amax(1) if probs.shape[1] > 1 else torch.zeros(len(a.windows))
    return torch.argsort(score, descending=True, stable=True)


def warp_figure(image: np.ndarray, windows: torch.Tensor, ids) -> np.ndarray:
    """Each window's crop as it is (aspect kept, ~WHY_CROP_H px high) next to R-CNN's 224×224 warp."""
    h, w = image.shape[:2]
    warps = warp_crops(image, windows, RCNN_SIZE)
    pairs = []
    for k, box, warp in zip(ids, windows.round().long().tolist(), warps, strict=True):
        x1, y1 = min(max(box[0], 0), w - 1), min(max(box[1], 0), h - 1)
        x2, y2 = min(max(box[2], x1), w - 1), min(max(box[3], y1), h - 1)
        crop = image[y1:y2 + 1, x1:x2 + 1]
        ch, cw = crop.shape[:2]
        f = min(WHY_CROP_H / ch, WHY_CROP_MAX_W / cw)
        shown = cv2.resize(crop, (max(1, round(cw * f)), max(1, round(ch * f))), interpolation=cv2.INTER_LINEAR)
        pairs.append(figures.hstack([figures.caption(shown, f"#{k}  {cw}×{ch} px"),
                                     figures.caption(warp, f"warp {warp.shape[1]}×{warp.shape[0]}")],
                                    pad=12, align="center"))
    rows = [figures.hstack(pairs[i:i + 2], pad=48) for i in range(0, len(pairs), 2)]
    return figures.vstack(rows, pad=24)


@_guard
def compare_rcnn(v: dict, lang: str = "en", progress=None) -> dict:
    """Time the R-CNN path (crop, warp, whole network per window) on the N best-scoring windows and
    SPP-net (conv5 once + pooling + head) on all K windows of the analysis; show a few warps."""
    st = _state(v)
    e = _entry(st, lang)
    a = e.a
    K = len(a.windows)
    if K == 0:
        raise ValueError("the image has no windows")
    try:
        n = int(v.get("why_n") or WHY_N[2])
    except (TypeError, ValueError):
        raise ValueError(f"N must be an integer, got {v.get('why_n')!r}") from None
    n = max(1, min(n, WHY_N[1], K))
    order = _ranked_windows(a)[:n]
    wins = a.windows[order]
    det = a.detector
    rcnn_s, step = 0.0, 16
    for start in range(0, n, step):  # in chunks, so that the progress bar moves
        if progress:
            progress(0.05 + 0.8 * start / n, desc=f"R-CNN path: window {start + 1}/{n}")
        t0 = time.perf_counter()
        det.rcnn_windows(a.image, wins[start:start + step])
        rcnn_s += time.perf_counter() - t0
    if progress:
        progress(0.88, desc="SPP-net: pooling and fc for all windows")
    t0 = time.perf_counter()
    det.windows(a.feats, a.windows, a.image_wh)
    pool_s = time.perf_counter() - t0
    conv_s = float(sum(f.seconds for f in a.feats))
    spp_s = conv_s + pool_s
    per = rcnn_s / n
    speedup = per * K / spp_s if spp_s > 0 else float("inf")
    numbers = {"device": det.device.type, "model": det.net.trunk.name, "rcnn_s": rcnn_s, "n": n,
               "per_ms": 1000 * per, "k": K, "rcnn_all": per * K, "conv": conv_s, "pool": pool_s, "spp": spp_s,
               "speedup": speedup}
    WHY_RESULTS.put(st["sid"], numbers)  # the summary shown: re-worded, not re-measured, when the language changes
    summary = t("why_summary", lang, **numbers)
    if progress:
        progress(0.95, desc="warped crops")
    wh = wins[:, 2:] - wins[:, :2] + 1
    skew = torch.log(wh[:, 0].clamp(min=1) / wh[:, 1].clamp(min=1)).abs()
    show = torch.argsort(skew, descending=True, stable=True)[:WHY_FIG_WINDOWS]  # the most distorted ones
    fig = warp_figure(a.image, wins[show], [int(order[i]) for i in show])
    return _encode_all({"why_summary": summary, "why_fig": fig})


# ----------------------------------------------------------------------------------------
# step 7 · SPP vs RoIPool vs RoIAlign for the selected window at one level

COMPARE_LEVEL = 6  # the level compared when step 4 has none selected
COMPARE_METHODS = (("SPP", "paper"), ("RoIPool", "fast-rcnn"), ("RoIAlign", "roialign"))
COMPARE_HEADERS = ("cmp_h_method", "cmp_h_region", "cmp_h_max", "cmp_h_mean")


def pooled_by_method(fmap: torch.Tensor, d: analysis.WindowDetail, n: int, stride: float) -> dict:
    """The window's n×n pooled values [C, n, n] by each method, all from the same conv5 map:
    SPP = spatial_pyramid_pool on the paper cells, RoIPool = the same on the fast-rcnn cells (round(x/S)),
    RoIAlign = torchvision's roi_align on the scaled box (spatial_scale 1/S, sampling_ratio 2, aligned)."""
    from torchvision.ops import roi_align

    fm = fmap.detach().float().cpu()
    C = fm.shape[0]
    out = {}
    for name, rule in COMPARE_METHODS[:2]:
        cells = torch.tensor([list(d.cells[rule])], dtype=torch.long)
        out[name] = pooling.spatial_pyramid_pool(fm, cells, (n,), "adaptive")[0].reshape(C, n, n)
    box = torch.tensor([[0.0, *(float(x) for x in d.scaled_box)]], dtype=torch.float32)
    out["RoIAlign"] = roi_align(fm[None], box, output_size=(n, n), spatial_scale=1.0 / stride, sampling_ratio=2,
                                aligned=True)[0]
    return out


def sliding_rows(a: int, levels, lang: str) -> str:
    """One Markdown line per level: the sliding rule's bin count on an a-cell axis against n."""
    rows = []
    for n in levels:
        try:
            count = len(bins.bin_edges(a, n, "sliding"))
            mark = "" if count == n else " ≠ n"
            rows.append(t("g_sliding_row", lang, n=n, count=count, win=-(-a // n), stride=a // n, mark=mark))
        except ValueError:
            rows.append(t("g_sliding_undef", lang, n=n, a=a))
    return "\n".join(rows)


def gotchas_markdown(d: analysis.WindowDetail, levels, offset: float, lang: str) -> str:
    """The four gotcha cards, with the selected window's own numbers."""
    cx0, _, cx1, _ = d.chosen
    a = cx1 - cx0 + 1
    ex = len(bins.bin_edges(10, 6, "sliding"))
    p, o = d.cells["paper"], d.cells["original"]
    parts = [t("g_title", lang),
             t("g_sliding", lang, k=d.k, a=a, rule=d.rule, rows=sliding_rows(a, levels, lang), ex=ex),
             t("g_scale", lang),
             t("g_proj", lang, k=d.k, s=d.scale, px0=p[0], px1=p[2], py0=p[1], py1=p[3], ox0=o[0], ox1=o[2],
               oy0=o[1], oy1=o[3], o=f"{offset:g}", dl=o[0] - p[0], dt=o[1] - p[1], dr=o[2] - p[2], db=o[3] - p[3]),
             t("g_yolo", lang)]
    return "\n\n".join(parts)


def compare_figure(chmap: np.ndarray, d: analysis.WindowDetail, samples: geometry.RoIAlignSamples) -> np.ndarray:
    """The cells SPP and RoIPool read, RoIAlign's bins and sample points, on one crop of the map."""
    b = samples.bins
    ra = (float(b[0, 0, 0]), float(b[0, 0, 1]), float(b[-1, -1, 2]), float(b[-1, -1, 3]))
    cells = {"paper": d.cells["paper"], "fast-rcnn": d.cells["fast-rcnn"], "roialign": ra}
    span = max(max(c[2] - c[0], c[3] - c[1]) for c in cells.values()) + 1
    cp = int(max(20, min(56, 860 // (span + 5))))
    img, lay = figures.projection_grid(chmap, cells, d.box_on_map, cell_px=cp, max_size=900, centres=False,
                                       return_layout=True)
    img = np.ascontiguousarray(img)
    color = figures.rule_color("roialign")
    n = b.shape[0]
    for i in range(1, n):  # inner bin edges of RoIAlign (continuous)
        x = b[0, i, 0]
        y = b[i, 0, 1]
        p0, p1 = lay.to_px(x, ra[1]), lay.to_px(x, ra[3])
        cv2.line(img, (int(round(p0[0])), int(round(p0[1]))), (int(round(p1[0])), int(round(p1[1]))), color, 1,
                 cv2.LINE_AA)
        q0, q1 = lay.to_px(ra[0], y), lay.to_px(ra[2], y)
        cv2.line(img, (int(round(q0[0])), int(round(q0[1]))), (int(round(q1[0])), int(round(q1[1]))), color, 1,
                 cv2.LINE_AA)
    r = max(2, cp // 12)
    for x, y in samples.points.reshape(-1, 2):
        px, py = lay.to_px(float(x), float(y))
        c = (int(round(px)), int(round(py)))
        cv2.circle(img, c, r + 1, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.circle(img, c, r, color, -1, cv2.LINE_AA)
    return figures.caption(img, f"n = {n} · lines: RoIAlign's bins · dots: its {samples.points[0, 0].shape[0]}×"
                                f"{samples.points[0, 0].shape[1]} bilinear samples per bin", position="top")


@_guard
def compare_pooling(v: dict, lang: str = "en") -> dict:
    """SPP vs RoIPool vs RoIAlign for the selected window at its chosen scale and one level (step 4's
    level, else 6): the figure of what each reads, the |Δ| table over all channels, the gotcha cards."""
    t0 = time.perf_counter()
    st, e, rules, levels, d, _ = _current_detail(v, lang)
    try:
        n = int(v.get("spp_level") or COMPARE_LEVEL)
    except (TypeError, ValueError):
        raise ValueError(f"the level must be an integer, got {v.get('spp_level')!r}") from None
    if not 1 <= n <= 64:
        raise ValueError(f"the level must lie in 1..64, got {n}")
    g = e.a.geometry
    fmap = e.a.feats[d.scale_index].fmap
    pooled = pooled_by_method(fmap, d, n, float(g.stride))
    ref = pooled["SPP"]
    samples = geometry.roialign_samples(list(d.scaled_box), float(g.stride), n, sampling_ratio=2, aligned=True)
    b = samples.bins
    ra = (float(b[0, 0, 0]), float(b[0, 0, 1]), float(b[-1, -1, 2]), float(b[-1, -1, 3]))
    rows = []
    for name, rule in COMPARE_METHODS:
        diff = (pooled[name] - ref).abs()
        if rule == "roialign":
            region = f"{ra[0]:.2f}..{ra[2]:.2f}; {ra[1]:.2f}..{ra[3]:.2f}"
        else:
            c = d.cells[rule]
            region = f"{c[0]}..{c[2]}; {c[1]}..{c[3]}"
        rows.append([name, region, round(float(diff.max()), 6), round(float(diff.mean()), 6)])
    fig = compare_figure(_channel(e, d.scale_index, d.channel), d, samples)
    ms = 1000 * (time.perf_counter() - t0)
    info = t("cmp_info", lang, k=d.k, s=d.scale, n=n, c=d.channel, C=_channels_of(e), ms=ms, rx0=ra[0], rx1=ra[2],
             ry0=ra[1], ry1=ra[3])
    return _encode_all({"cmp_fig": fig, "cmp_info": info,
                        "cmp_table": {"headers": [t(k, lang) for k in COMPARE_HEADERS], "data": rows},
                        "cmp_gotchas": gotchas_markdown(d, levels, g.offset, lang)})


# ----------------------------------------------------------------------------------------
# step 8 · combining scales: one best scale per window (paper) vs the max over every scale (multi-scale pooling)

CMB_HEADERS = ("cmb_h_scale", "cmb_h_cells", "cmb_h_size", "cmb_h_best", "cmb_h_share")
CMB_OUT = ("cmb_vec", "cmb_info", "cmb_table", "cmb_det_best", "cmb_det_max", "cmb_det_info")


def _window_scales(e: _Entry, k: int, rules: dict) -> multiscale.WindowScales:
    """The selected window pooled at every scale with the model's levels (cached per window and rules)."""
    key = (e.aid, int(k), rules["scale_rule"], rules["projection"], rules["bin_rule"])
    ws = WINDOW_SCALES.get(key)
    if ws is None:
        a = e.a
        ws = multiscale.window_scales(a.feats, a.windows[int(k)].tolist(), a.image_wh, a.geometry,
                                      a.detector.net.levels, **rules)
        WINDOW_SCALES.put(key, ws)
    return ws


def _matched(a_det, b_det, iou: float = 0.5) -> int:
    """How many detections of ``a_det`` have one in ``b_det`` of the same class with IoU ≥ ``iou``."""
    if len(a_det) == 0 or len(b_det) == 0:
        return 0
    from sppviz.model.detector import box_iou

    same = a_det.labels[:, None] == b_det.labels[None, :]
    return int(((box_iou(a_det.boxes, b_det.boxes) >= iou) & same).any(1).sum())


def combine_figure(e: _Entry, ws: multiscale.WindowScales) -> np.ndarray:
    """figures.scale_combination of one window (the model's levels and channels)."""
    levels = e.a.detector.net.levels
    C = _channels_of(e)
    return figures.scale_combination(ws.best_vector, ws.combined, ws.source, bins.level_slices(C, levels), levels, C,
                                     ws.scales, ws.best, width=1100)


@_guard
def combine_scales(v: dict, lang: str = "en", parts=("window", "detections")) -> dict:
    """Step 8 for the selected window: its vector at the best scale next to the max over all scales
    (figure, per-scale table, numbers) and (``parts``) the detections of both through the same head.
    The first call per analysis pools every window at every scale (then cached on the Analysis)."""
    t0 = time.perf_counter()
    st = _state(v)
    e = _entry(st, lang)
    rules = _rules(v, lang)
    a = e.a
    n = len(a.windows)
    k = int(st.get("k") or 0)
    if not 0 <= k < n:
        _fail("err_window_index", lang, k=k, n=n, last=n - 1)
    out = {}
    info = None
    if "window" in parts:
        ws = _window_scales(e, k, rules)
        rows = []
        for i, s in enumerate(ws.scales):
            cx0, cy0, cx1, cy1 = (int(c) for c in ws.cells[i])
            rows.append([int(s), f"{cx0}..{cx1}; {cy0}..{cy1}", (cx1 - cx0 + 1) * (cy1 - cy0 + 1),
                         "✓" if i == ws.best else "", round(100 * float(ws.share[i]), 1)])
        diff = ws.combined - ws.best_vector
        info = {"k": k, "s": ws.scales[ws.best], "rule": rules["scale_rule"], "S": len(ws.scales),
                "changed": 100 * ws.changed, "D": len(ws.combined), "mean": float(diff.mean()),
                "mx": float(diff.max()), "levels": "{" + ", ".join(map(str, a.detector.net.levels)) + "}"}
        out.update(cmb_vec=combine_figure(e, ws),
                   cmb_table={"headers": [t(h, lang) for h in CMB_HEADERS], "data": rows})
    if "detections" in parts:
        idx = _class_filter(a, v)
        thr, iou = _thresholds(v)
        _, best = a.detections(thr, iou, idx, **rules)
        _, comb = a.combined_detections(thr, iou, idx, rules["projection"], rules["bin_rule"])
        _touch(st["sid"], e)
        out.update(cmb_det_best=_draw_detections(a, best), cmb_det_max=_draw_detections(a, comb),
                   cmb_det_info=t("cmb_det_info", lang, nb=len(best), nm=len(comb), same=_matched(best, comb),
                                  thr=thr, iou=iou))
    if info is not None:  # the time of the whole handler, drawing included
        text = t("cmb_info", lang, ms=1000 * (time.perf_counter() - t0), **info)
        out["cmb_info"] = (t("cmb_one", lang, s=a.scales[0]) + "  \n" + text) if len(a.scales) == 1 else text
    return _encode_all(out)


# ----------------------------------------------------------------------------------------
# lesson mode: the analysed image one step at a time (one figure + its narrative per step)

# (title key, narrative key, panel): the panels are the app's own figures for the selected window
LESSON_STEPS = (
    ("ls_t_pyramid", "nar_pyramid", "pyramid"),
    ("ls_t_features", "nar_features", "features"),
    ("ls_t_scale", "nar_projection", "scale"),
    ("ls_t_cells", "nar_rules", "cells"),
    ("ls_t_rf", "nar_rf", "rf"),
    ("ls_t_bins", "nar_spp", "bins"),
    ("ls_t_vector", "nar_vector", "vector"),
    ("ls_t_det", "nar_det", "detections"),
    ("ls_t_why", "ls_why", "warps"),
    ("ls_t_compare", "ls_compare", "compare"),
    ("ls_t_combine", "nar_combine", "combine"),
)
LESSON_OUT = ("lesson_step", "lesson_counter", "lesson_text", "lesson_img", "lesson_back", "lesson_next")
# a tab narrative's own heading ("**Step 4 · Spatial pyramid pooling.**"): the lesson counter replaces it
_TAB_HEADING = re.compile(r"^\*\*(Step \d+|第 \d+ 步) · [^*]+\*\*\s*")


def lesson_panel(e: _Entry, d: analysis.WindowDetail, panel: str, v: dict, rules: dict, lang: str) -> np.ndarray:
    """One lesson step's figure (a uint8 RGB array), drawn by the same functions as the tabs."""
    a = e.a
    if panel == "pyramid":
        return render_pyramid(e, lang)["pyr_img"]
    if panel == "features":
        return render_features(e, d.scale_index, d.channel, "mean", lang)["fm_overlay"]
    if panel in ("scale", "cells", "rf"):
        return render_projection(e, d, lang)[{"scale": "scale_chart", "cells": "proj_grid", "rf": "rf_img"}[panel]]
    if panel in ("bins", "vector"):
        level = int(v.get("spp_level") or _default_level([lv.n for lv in d.levels]))
        out = render_spp(e, d, level, None, lang, parts={"vector"} if panel == "vector" else set())
        return out["spp_vector" if panel == "vector" else "spp_map"]
    if panel == "detections":
        thr, iou = _thresholds(v)
        return _draw_detections(a, a.detections(thr, iou, _class_filter(a, v), **rules)[1])
    if panel == "warps":  # the most distorted of the N best-scoring windows, as in step 6
        order = _ranked_windows(a)[:WHY_N[2]]
        wins, ids = a.windows[order], order.tolist()
        wh = wins[:, 2:] - wins[:, :2] + 1
        skew = torch.log(wh[:, 0].clamp(min=1) / wh[:, 1].clamp(min=1)).abs()
        show = torch.argsort(skew, descending=True, stable=True)[:WHY_FIG_WINDOWS]
        return warp_figure(a.image, wins[show], [ids[int(i)] for i in show])
    if panel == "compare":
        n = int(v.get("spp_level") or COMPARE_LEVEL)
        samples = geometry.roialign_samples(list(d.scaled_box), float(a.geometry.stride), n, sampling_ratio=2,
                                            aligned=True)
        return compare_figure(_channel(e, d.scale_index, d.channel), d, samples)
    if panel == "combine":
        return combine_figure(e, _window_scales(e, d.k, rules))
    raise ValueError(f"unknown lesson panel {panel!r}")


@_guard
def lesson_show(v: dict, lang: str = "en", delta: int = 0) -> dict:
    """Lesson mode: step ``lesson_step + delta`` (clamped to 1..n) of the session's analysis — its title,
    narrative (no click instructions) and figure, "step k / n", and Back / Next enabled at the ends.
    Without an analysis it says to press Analyze (no error: the tab may be opened first)."""
    n = len(LESSON_STEPS)
    try:
        k = int(v.get("lesson_step") or 1) + int(delta)
    except (TypeError, ValueError):
        raise ValueError(f"the lesson step must be an integer, got {v.get('lesson_step')!r}") from None
    k = min(max(k, 1), n)
    st = _state(v)
    e = SESSIONS.get(st["sid"]) if st.get("sid") else None
    if e is None:
        return {"lesson_step": k, "lesson_counter": t("lesson_idle", lang), "lesson_text": "",
                "lesson_img": None, "lesson_back": gr.update(interactive=False),
                "lesson_next": gr.update(interactive=False)}
    rules = _rules(v, lang)
    d = _detail(e, st["k"], _levels(v, lang), v.get("spp_channel"), rules, lang)
    title, narrative, panel = LESSON_STEPS[k - 1]
    img = lesson_panel(e, d, panel, v, rules, lang)
    return _encode_all({
        "lesson_step": k,
        "lesson_counter": f"### {t('lesson_step', lang, k=k, n=n)} · {t(title, lang)}",
        "lesson_text": _TAB_HEADING.sub("", lesson.without_clicks(t(narrative, lang))),
        "lesson_img": img,
        "lesson_back": gr.update(interactive=k > 1),
        "lesson_next": gr.update(interactive=k < n)})


# ----------------------------------------------------------------------------------------
# the lesson ZIP (lesson.write_lesson on the session's analysis: the CLI's export, conv5 reused)


@_guard
def export_lesson_zip(v: dict, lang: str = "en") -> tuple[str, str]:
    """The lesson of the current image, window, levels, rules and thresholds in ``lang``: every figure
    as PNG at projector width, analysis.json and handout.html, zipped (``lesson.write_lesson``).
    Returns (the ZIP's path, a one-line summary)."""
    t0 = time.perf_counter()
    st, e, rules, levels, _, _ = _current_detail(v, lang)
    thr, iou = _thresholds(v)
    tmp = Path(tempfile.mkdtemp(prefix="sppviz-lesson-"))
    try:
        res = lesson.write_lesson(e.a, tmp, lang, levels, st["k"], IMAGE_NAMES.get(st["sid"]) or "image",
                                  score_thresh=thr, nms_iou=iou, **rules)
        _PANEL_DIR.mkdir(parents=True, exist_ok=True)
        dest = _PANEL_DIR / f"sppviz_lesson_{lang}_window{res['window']}_{uuid.uuid4().hex[:6]}.zip"
        shutil.copyfile(tmp / res["zip"], dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pngs = sum(1 for f in res["files"] if f.endswith(".png"))
    info = t("lesson_done", lang, k=res["window"], lang_name=t("lang_name", lang), png=pngs,
             mb=dest.stat().st_size / 2**20, sec=time.perf_counter() - t0)
    return str(dest), info


# ----------------------------------------------------------------------------------------
# the language switch: every text a handler wrote, again in the chosen language (no conv, no R-CNN)


# The tabs (component name = string key). Gradio translates a tab's label when the tab is first drawn and
# not again when the page's locale changes, so the language switch sets the labels itself.
TAB_KEYS = ("tab_pyramid", "tab_features", "tab_projection", "tab_spp", "tab_detections", "tab_why", "tab_compare",
            "tab_combine", "tab_lesson")
# The tables' (empty) headers before any analysis
EMPTY_TABLES = {"pyr_table": PYR_HEADERS, "det_table": DET_HEADERS, "cmp_table": COMPARE_HEADERS,
                "cmb_table": CMB_HEADERS}


@_guard
def switch_language(v: dict, lang: str = "en") -> dict:
    """Re-render what the handlers wrote (status, tables, info lines, the last "why SPP" summary, step 7,
    step 8 and the lesson step) in ``lang`` from the session's cached analysis, and the tab labels; without
    an analysis the tab labels, the empty tables' headers and the lesson tab's message. Figures are
    language-neutral but come along (same renderers)."""
    st = _state(v)
    e = SESSIONS.get(st["sid"]) if st.get("sid") else None
    tabs = {k: gr.update(label=t(k, lang)) for k in TAB_KEYS}
    tabs["image"] = gr.update(placeholder=t("in_image_ph", lang))  # Gradio's own upload text is not re-translated
    if e is None:
        empty = {k: {"headers": [t(h, lang) for h in hs], "data": []} for k, hs in EMPTY_TABLES.items()}
        return {**tabs, **empty, **lesson_show.__wrapped__(v, lang)}
    rules = _rules(v, lang)
    out = {"status": _status(e, st, v, lang), **tabs}
    out.update(render_pyramid(e, lang))
    out.update(_window_outputs(e, st, v, lang))
    out.update(_pooling_outputs(e, st, v, lang, reset_channel=False))
    view = v.get("fm_view") if v.get("fm_view") in VIEWS else "mean"
    out.update(render_features(e, int(v.get("fm_scale") or 0), int(v.get("fm_channel") or 0), view, lang))
    out.update(render_detections(e, v, rules, lang))
    why = WHY_RESULTS.get(st["sid"])
    if why is not None:
        out["why_summary"] = t("why_summary", lang, **why)
    out = _encode_all(out)
    out.update(compare_pooling.__wrapped__(v, lang))
    out.update(combine_scales.__wrapped__({**v, "state": st}, lang))
    out.update(lesson_show.__wrapped__({**v, "state": st}, lang))
    return out


def initial_language(hint, request: gr.Request | None = None) -> str:
    """The page's language at load: ``?lang=`` or the last choice (sent by the page), else Accept-Language."""
    return pick_lang(hint, request)


# ----------------------------------------------------------------------------------------
# the API for programs (gradio_client): `analyze` and `project`


def _parse_json_list(value, what: str):
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            try:
                return json.loads(s)
            except json.JSONDecodeError:
                raise ValueError(f"{what} is not valid JSON: {value!r}") from None
    return value


def _file_path(f) -> str:
    if isinstance(f, dict):
        f = f.get("path")
    if not f:
        raise ValueError("no image file was given")
    return str(f)


def api_analyze(image, scales, levels) -> dict:
    """Analyze one image: image size, the pyramid (scaled image wh, conv5 hw per scale), the number of
    windows (selective search, fast, 2,000 at most) and the detections after NMS (score ≥ 0.5)."""
    try:
        img, notices = load_image(_file_path(image))
        scales = parse_scales(_parse_json_list(scales if scales not in (None, "") else list(DEFAULT_SCALES),
                                               "scales"), "")
        levels = parse_levels(_parse_json_list(levels if levels not in (None, "", []) else "1,2,3,6", "levels"), "")
        det = _detector()
        a = analysis.analyze(img, det, scales, "selective-search-fast", 2000, notices=notices)
        _, after = a.detections(DEFAULTS["thresh"], DEFAULTS["iou"])
        C = int(a.feats[0].fmap.shape[0])
        return {
            "image_wh": list(a.image_wh),
            "scales": list(scales),
            "pyramid": [{"scale": int(f.scale), "scaled_wh": list(f.image_wh),
                         "conv5_hw": [int(v) for v in f.fmap.shape[1:]]} for f in a.feats],
            "levels": list(levels),
            "vector_length": bins.vector_length(C, levels),
            "model_levels": list(det.net.levels),
            "windows": len(a.windows),
            "detections": [{"box": d["box"], "label": d["label"], "score": d["score"]}
                           for d in after.to_list(det.classes)],
            "notices": list(a.notices),
            "timings": {k: round(float(v), 4) for k, v in a.timings.items()},
        }
    except gr.Error:
        raise
    except (ValueError, ImageError, FileNotFoundError) as e:
        raise gr.Error(str(e)) from None


def api_project(image, box, scale_rule, projection) -> dict:
    """One window (x1, y1, x2, y2 in image pixels) through scale selection and projection:
    report.window_report (paper scales S) plus the cells of the chosen projection rule."""
    try:
        img, notices = load_image(_file_path(image))
        box = _parse_json_list(box, "box")
        if isinstance(box, str):
            try:
                box = [float(v) for v in box.replace(",", " ").split()]
            except ValueError:
                raise ValueError(f"the box must be 4 numbers x1, y1, x2, y2 (image pixels), got {box!r}") from None
        scale_rule = _check_choice(scale_rule or "paper", pyramid.SCALE_RULES, "scale rule", "en")
        projection = _check_choice(projection or "paper", geometry.PROJECTION_RULES, "projection rule", "en")
        wh = (img.shape[1], img.shape[0])
        box = proposals.validate_boxes(box, wh)
        if len(box) != 1:
            raise ValueError(f"give exactly one box (x1, y1, x2, y2), got {len(box)}")
        name = _detector().net.trunk.name
        rep = report.window_report(wh, box[0].tolist(), name, pyramid.PAPER_SCALES, bins.DETECTION_LEVELS,
                                   scale_rule)
        rep.update(projection=projection, chosen_cells=rep["cells"][projection], notices=notices)
        return rep
    except gr.Error:
        raise
    except (ValueError, ImageError, FileNotFoundError) as e:
        raise gr.Error(str(e)) from None


# ----------------------------------------------------------------------------------------
# layout

CSS = """
.gradio-container { max-width: 1800px !important; }
.narrative, .narrative p { font-size: 1.08rem; line-height: 1.55; }
#status { font-size: 1.05rem; }
.warn { background: #fff4d6; border-left: 6px solid #e69f00; padding: 8px 14px; border-radius: 6px; }
.warn p { font-size: 1.05rem; }
table.rules, table.bins { border-collapse: collapse; font-size: 1.1rem; width: 100%; margin: 6px 0 12px; }
table.rules caption { caption-side: top; text-align: left; padding: 4px 0; color: #444; }
table.rules th, table.rules td, table.bins th, table.bins td {
  border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: left; }
table.rules th, table.bins th { background: #f3f4f6; }
table.rules tr.chosen { background: #fff7e0; }
table.rules td.formula { font-family: ui-monospace, monospace; font-size: 0.95rem; color: #333; }
table.rules .used { color: #b35900; font-weight: 600; margin-left: 6px; }
table.rules tr.window-row td { color: #555; font-style: italic; }
table.bins td.bad { color: #c0392b; font-weight: 700; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; margin-right: 8px;
  vertical-align: -1px; border: 1px solid #333; }
#analyze-btn { font-size: 1.25rem; min-height: 52px; }
.note p { font-size: 0.95rem; color: #555; }
.panel-title p { font-weight: 600; font-size: 1.05rem; margin: 4px 0 0; }
#tabs [role="tab"] { padding: 0 9px; font-size: 15px; }
#lang { max-width: 320px; margin-left: auto; }
#lesson-counter h3 { margin: 0; text-align: center; }
.lesson-text p { font-size: 1.2rem; line-height: 1.6; }
"""


def _backbone_note_key() -> str:
    """Whether ImageNet weights exist for AlexNet / VGG16 (looked up only, never downloaded here)."""
    if os.environ.get(backbones.ALLOW_DOWNLOAD_ENV) == "1":
        return "bb_note_missing"
    for name in ("alexnet", "vgg16"):
        try:
            backbones.find_imagenet_checkpoint(name)
            return "bb_note_found"
        except Exception:  # WeightsNotFound / ValueError: not available
            continue
    return "bb_note_missing"


def _examples() -> list[list[str]]:
    try:
        meta = json.loads((EXAMPLES_DIR / "examples.json").read_text())
        files = [m["file"] for m in meta["examples"]]
    except (OSError, ValueError, KeyError):
        files = sorted(p.name for p in EXAMPLES_DIR.glob("*.jpg"))
    return [[str(EXAMPLES_DIR / f)] for f in files if (EXAMPLES_DIR / f).is_file()]


def _spaces_gpu(fn):
    """``spaces.GPU`` on a Hugging Face ZeroGPU Space; unchanged elsewhere."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return spaces.GPU(fn)


def _img(key: str, title: bool = True, **kw) -> gr.Image:
    """A figure panel: a title above it (Gradio's floating label would cover the figure's own
    tick labels) and the image with download / fullscreen buttons."""
    if title:
        gr.Markdown(L(key), elem_classes=["panel-title"])
    return gr.Image(label=L(key), show_label=False, type="filepath", interactive=False,
                    buttons=["download", "fullscreen"], **kw)


def _panel(key: str, **kw) -> gr.Image:
    """A titled figure panel in its own column (for rows of panels)."""
    with gr.Column(min_width=kw.pop("min_width", 320), scale=kw.pop("scale", 1)):
        return _img(key, **kw)


def _md(key: str, **kw) -> gr.Markdown:
    return gr.Markdown(L(key), latex_delimiters=LATEX, elem_classes=["narrative"], **kw)


def build_app() -> gr.Blocks:
    """The whole app (see the module docstring); ``launch(**launch_kwargs())`` serves it."""
    setup_threads()
    figures.warm_up()
    try:  # load the model now, so that the first analysis does not wait for it
        load_default_detector()
    except (FileNotFoundError, ValueError, OSError) as e:
        warnings.warn(f"sppviz: {e}; the app will say so when Analyze is pressed", stacklevel=2)
    C: dict[str, gr.components.Component] = {}
    with gr.Blocks(title="sppviz — SPP-net step by step", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        with gr.Row(equal_height=True):
            with gr.Column(scale=5):
                gr.Markdown(L("title"))
            C["lang"] = gr.Radio([("English", "en"), ("简体中文", "zh")], value="en", label=L("lang_label"),
                                 elem_id="lang", scale=1, min_width=240)
        gr.Markdown(L("intro"), elem_classes=["narrative"])
        C["state"] = gr.State({})
        C["lesson_step"] = gr.State(1)
        lang_hint = gr.Textbox(visible=False)  # ?lang= or the last choice, filled in by the page at load
        with gr.Accordion(L("in_settings"), open=True, elem_id="settings"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=300):
                    C["image"] = gr.Image(label=L("in_image"), type="filepath", sources=["upload", "clipboard"],
                                          height=260, elem_id="input-image", placeholder=L("in_image_ph"))
                    gr.Examples(_examples(), inputs=[C["image"]], label=L("in_examples"), examples_per_page=6,
                                elem_id="examples", cache_examples=False)  # loading one is instant
                with gr.Column(scale=4, min_width=320):
                    C["scales"] = gr.CheckboxGroup(list(SCALE_CHOICES), value=list(DEFAULT_SCALES),
                                                   label=L("in_scales"), info=L("in_scales_info"), elem_id="scales")
                    C["custom_scales"] = gr.Textbox(label=L("in_custom_scales"), max_lines=1,
                                                    placeholder=L("in_custom_scales_ph"))
                    with gr.Row():
                        C["levels"] = gr.Radio([*((k, k) for k in LEVEL_PRESETS), (L("lv_custom"), CUSTOM)],
                                               value="1,2,3,6", label=L("in_levels"), info=L("in_levels_info"),
                                               elem_id="levels", scale=3)
                        C["custom_levels"] = gr.Textbox(label=L("in_custom_levels"), max_lines=1, scale=1,
                                                        placeholder=L("in_custom_levels_ph"))
                    C["source"] = gr.Radio([(L(k), s) for s, k in SOURCES.items()], value="selective-search-fast",
                                           label=L("in_source"), elem_id="source")
                    C["count"] = gr.Slider(1, analysis.MAX_WINDOWS, value=2000, step=1, label=L("in_count"))
                with gr.Column(scale=4, min_width=320):
                    C["projection"] = gr.Radio(list(geometry.PROJECTION_RULES), value="paper",
                                               label=L("in_proj_rule"), info=L("in_proj_rule_info"))
                    C["scale_rule"] = gr.Radio(list(pyramid.SCALE_RULES), value="paper", label=L("in_scale_rule"),
                                               info=L("in_scale_rule_info"))
                    C["bin_rule"] = gr.Radio(list(bins.BIN_RULES), value="adaptive", label=L("in_bin_rule"),
                                             info=L("in_bin_rule_info"))
                    C["backbone"] = gr.Dropdown([(L("bb_zf5"), "zf5"), (L("bb_alexnet"), "alexnet"),
                                                 (L("bb_vgg16"), "vgg16")], value="zf5", label=L("in_backbone"),
                                                info=L(_backbone_note_key()), interactive=True)
                    C["analyze"] = gr.Button(L("btn_analyze"), variant="primary", size="lg", elem_id="analyze-btn")
                    gr.Markdown(L("levels_note"), elem_classes=["note"])
        C["status"] = gr.Markdown(L("status_idle"), elem_id="status")
        with gr.Tabs(elem_id="tabs", overflow_behavior="wrap"):
            with gr.Tab(L("tab_pyramid"), id="tab-pyramid", elem_id="tab-pyramid") as C["tab_pyramid"]:
                _md("nar_pyramid")
                C["pyr_img"] = _img("pyr_img", elem_id="pyr-img")
                C["pyr_table"] = gr.Dataframe(label=L("pyr_table"), interactive=False, elem_id="pyr-table",
                                              headers=[t(k) for k in PYR_HEADERS])
            with gr.Tab(L("tab_features"), id="tab-features", elem_id="tab-features") as C["tab_features"]:
                _md("nar_features")
                with gr.Row():
                    C["fm_scale"] = gr.Dropdown([("s = 688", 0)], value=0, label=L("fm_scale"), interactive=True,
                                                scale=1)
                    C["fm_view"] = gr.Radio([(L(k), s) for s, k in VIEWS.items()], value="mean", label=L("fm_view"),
                                            scale=2)
                    C["fm_channel"] = gr.Slider(0, 255, value=0, step=1, label=L("fm_channel"), scale=2,
                                                elem_id="fm-channel")
                C["fm_info"] = gr.Markdown(latex_delimiters=LATEX, elem_id="fm-info")
                with gr.Row(equal_height=False):
                    C["fm_map"] = _panel("fm_map", elem_id="fm-map")
                    C["fm_overlay"] = _panel("fm_overlay", elem_id="fm-overlay")
                C["fm_top_info"] = gr.Markdown()
                C["fm_top"] = _img("fm_top", title=False, elem_id="fm-top")
            with gr.Tab(L("tab_projection"), id="tab-projection", elem_id="tab-projection") as C["tab_projection"]:
                _md("nar_projection")
                with gr.Row(equal_height=True):
                    with gr.Column(scale=3):
                        _md("nar_pick")
                    C["win_k"] = gr.Number(value=0, precision=0, minimum=0, label=L("win_k"), elem_id="win-k",
                                           scale=1, min_width=120)
                    C["draw"] = gr.Checkbox(label=L("win_draw"), value=False, elem_id="draw", scale=1,
                                            min_width=160)
                    C["clear"] = gr.Button(L("win_clear"), size="sm", scale=1, min_width=160)
                C["win_info"] = gr.Markdown(elem_id="win-info")
                gr.Markdown(L("rules_title"))
                _md("nar_rules")
                C["rules_table"] = gr.HTML(elem_id="rules-table")
                with gr.Row(equal_height=False):
                    C["win_img"] = _panel("win_img", elem_id="win-img")
                    C["proj_grid"] = _panel("proj_grid", elem_id="proj-grid")
                with gr.Row(equal_height=False):
                    C["scale_chart"] = _panel("scale_chart", elem_id="scale-chart")
                    with gr.Column(min_width=320):
                        C["rf_img"] = _img("rf_img", elem_id="rf-img")
                        _md("nar_rf")
            with gr.Tab(L("tab_spp"), id="tab-spp", elem_id="tab-spp") as C["tab_spp"]:
                _md("nar_spp")
                with gr.Row():
                    C["spp_level"] = gr.Radio([(f"n = {n}", n) for n in (1, 2, 3, 6)], value=3,
                                              label=L("spp_level"), elem_id="spp-level", scale=1)
                    C["spp_channel"] = gr.Slider(0, 255, value=0, step=1, label=L("spp_channel"), scale=2,
                                                 elem_id="spp-channel")
                C["spp_warn"] = gr.Markdown(visible=False, elem_classes=["warn"], elem_id="spp-warn")
                C["spp_info"] = gr.Markdown(elem_id="spp-info")
                with gr.Row(equal_height=False):
                    C["spp_map"] = _panel("spp_map", elem_id="spp-map")
                    with gr.Column(min_width=320):
                        C["spp_values"] = _img("spp_values", elem_id="spp-values")
                        C["spp_alt"] = _img("spp_alt", title=False, elem_id="spp-alt", visible=False)
                    C["spp_argmax"] = _panel("spp_argmax", elem_id="spp-argmax")
                _md("nar_vector")
                C["spp_vector"] = _img("spp_vector", title=False, elem_id="spp-vector")
                gr.Markdown(L("spp_bins_title"))
                C["spp_bins"] = gr.HTML(elem_id="spp-bins")
            with gr.Tab(L("tab_detections"), id="tab-detections", elem_id="tab-detections") as C["tab_detections"]:
                _md("nar_det")
                with gr.Row():
                    C["thresh"] = gr.Slider(0.0, 1.0, value=DEFAULTS["thresh"], step=0.01, label=L("det_thresh"),
                                            elem_id="det-thresh")
                    C["iou"] = gr.Slider(0.05, 1.0, value=DEFAULTS["iou"], step=0.05, label=L("det_iou"),
                                         elem_id="det-iou")
                C["det_classes"] = gr.CheckboxGroup([], label=L("det_classes"), elem_id="det-classes")
                C["det_info"] = gr.Markdown(elem_id="det-info")
                with gr.Row(equal_height=False):
                    C["det_after"] = _panel("det_after", elem_id="det-after")
                    C["det_before"] = _panel("det_before", elem_id="det-before")
                C["det_table"] = gr.Dataframe(label=L("det_table"), interactive=False, elem_id="det-table",
                                              headers=[t(k) for k in DET_HEADERS], max_height=420)
            with gr.Tab(L("tab_why"), id="tab-why", elem_id="tab-why") as C["tab_why"]:
                _md("nar_why")
                with gr.Row(equal_height=True):
                    C["why_n"] = gr.Slider(WHY_N[0], WHY_N[1], value=WHY_N[2], step=1, label=L("why_n"),
                                           elem_id="why-n", scale=3)
                    C["why_btn"] = gr.Button(L("btn_why"), variant="primary", elem_id="why-btn", scale=1)
                C["why_summary"] = gr.Markdown(elem_id="why-summary")
                C["why_fig"] = _img("why_fig", elem_id="why-fig")
            with gr.Tab(L("tab_compare"), id="tab-compare", elem_id="tab-compare") as C["tab_compare"]:
                _md("nar_compare")
                with gr.Row(equal_height=True):
                    C["cmp_info"] = gr.Markdown(L("cmp_idle"), elem_id="cmp-info")
                    C["cmp_btn"] = gr.Button(L("btn_compare"), variant="primary", elem_id="cmp-btn", scale=0,
                                             min_width=160)
                with gr.Row(equal_height=False):
                    C["cmp_fig"] = _panel("cmp_fig", elem_id="cmp-fig", scale=3)
                    with gr.Column(scale=2, min_width=320):
                        C["cmp_table"] = gr.Dataframe(label=L("cmp_table"), interactive=False, elem_id="cmp-table",
                                                      headers=[t(k) for k in COMPARE_HEADERS])
                        C["cmp_gotchas"] = gr.Markdown(elem_id="cmp-gotchas", elem_classes=["narrative"])
            with gr.Tab(L("tab_combine"), id="tab-combine", elem_id="tab-combine") as C["tab_combine"]:
                _md("nar_combine")
                C["cmb_info"] = gr.Markdown(elem_id="cmb-info")
                with gr.Row(equal_height=False):
                    C["cmb_vec"] = _panel("cmb_vec", elem_id="cmb-vec", scale=3)
                    with gr.Column(scale=2, min_width=320):
                        C["cmb_table"] = gr.Dataframe(label=L("cmb_table"), interactive=False, elem_id="cmb-table",
                                                      headers=[t(k) for k in CMB_HEADERS])
                C["cmb_det_info"] = gr.Markdown(elem_id="cmb-det-info")
                with gr.Row(equal_height=False):
                    C["cmb_det_best"] = _panel("cmb_det_best", elem_id="cmb-det-best")
                    C["cmb_det_max"] = _panel("cmb_det_max", elem_id="cmb-det-max")
            with gr.Tab(L("tab_lesson"), id="tab-lesson", elem_id="tab-lesson") as C["tab_lesson"]:
                gr.Markdown(L("nar_lesson"), elem_classes=["note"])
                with gr.Row(equal_height=True):
                    C["lesson_back"] = gr.Button(L("btn_back"), elem_id="lesson-back", interactive=False, scale=0,
                                                 min_width=150)
                    C["lesson_counter"] = gr.Markdown(L("lesson_idle"), elem_id="lesson-counter")
                    C["lesson_next"] = gr.Button(L("btn_next"), variant="primary", elem_id="lesson-next", scale=0,
                                                 min_width=150)
                C["lesson_text"] = gr.Markdown(latex_delimiters=LATEX, elem_classes=["narrative", "lesson-text"],
                                               elem_id="lesson-text")
                C["lesson_img"] = gr.Image(label=L("lesson_img"), show_label=False, type="filepath",
                                           interactive=False, buttons=["download", "fullscreen"], elem_id="lesson-img")
        with gr.Row():
            C["export"] = gr.Button(L("btn_export"), variant="secondary", scale=1)
            C["export_file"] = gr.File(label=L("export_file"), visible=False, interactive=False, scale=2)
        with gr.Row():
            C["lesson_btn"] = gr.Button(L("btn_lesson"), variant="secondary", scale=1, elem_id="lesson-btn")
            with gr.Column(scale=2):
                C["lesson_info"] = gr.Markdown(elem_id="lesson-info")
                C["lesson_file"] = gr.File(label=L("lesson_file"), visible=False, interactive=False,
                                           elem_id="lesson-file")
        # hidden components for the API endpoints
        with gr.Row(visible=False):
            api_image = gr.File(label="image", type="filepath")
            api_scales = gr.JSON(label="scales")
            api_levels = gr.JSON(label="levels")
            api_box = gr.JSON(label="box")
            api_scale_rule = gr.Textbox(label="scale_rule", value="paper")
            api_projection = gr.Textbox(label="projection", value="paper")
            api_out = gr.JSON(label="result")
            api_btn = gr.Button("api", visible=False)
            api_btn2 = gr.Button("api2", visible=False)
        api_btn.click(api_analyze, [api_image, api_scales, api_levels], api_out, api_name="analyze")
        api_btn2.click(api_project, [api_image, api_box, api_scale_rule, api_projection], api_out,
                       api_name="project")
        _wire(C)
        demo.load(initial_language, lang_hint, C["lang"], js=LOAD_LANG_JS, api_visibility="private",
                  show_progress="hidden")
    return demo


# Inputs every handler may read, by name.
SETTINGS = ("state", "image", "scales", "custom_scales", "levels", "custom_levels", "bin_rule", "projection",
            "scale_rule", "source", "count", "thresh", "iou", "det_classes", "fm_scale", "fm_channel", "fm_view",
            "spp_level", "spp_channel", "draw", "win_k", "why_n", "lang", "lesson_step")
ANALYZE_ONLY = ("image", "scales", "custom_scales", "count")
WINDOW_OUT = ("state", "win_img", "win_k", "win_info", "scale_chart", "proj_grid", "rf_img", "rules_table")
POOL_OUT = ("state", "spp_level", "spp_channel", "spp_map", "spp_values", "spp_alt", "spp_argmax", "spp_vector",
            "spp_warn", "spp_info", "spp_bins", "fm_top", "fm_top_info")
FEAT_OUT = ("fm_map", "fm_overlay", "fm_info")
DET_OUT = ("det_after", "det_before", "det_table", "det_info")
WHY_OUT = ("why_summary", "why_fig")
CMP_OUT = ("cmp_fig", "cmp_info", "cmp_table", "cmp_gotchas")
ALL_OUT = tuple(dict.fromkeys(("status", "pyr_img", "pyr_table", "fm_scale", "fm_channel", "det_classes",
                               *WINDOW_OUT, *POOL_OUT, *FEAT_OUT, *DET_OUT)))
# what the language switch rewrites: every text a handler wrote
LANG_OUT = tuple(dict.fromkeys(("status", "pyr_img", "pyr_table", *WINDOW_OUT, *POOL_OUT, *FEAT_OUT, *DET_OUT,
                                "why_summary", *CMP_OUT, *CMB_OUT, *LESSON_OUT, *TAB_KEYS, "image")))

# The language switch also switches Gradio's own translations (the static labels): the page's i18n store
# is set through ``changeLocale`` of Gradio's frontend core module (what its settings panel calls), found
# among the loaded scripts; the choice is remembered in localStorage and ``?lang=en|zh`` sets it.
_APPLY_LOCALE_JS = r"""
const sppvizLocale = (lang) => {
  if (lang !== "en" && lang !== "zh") return;
  try { localStorage.setItem("sppviz-lang", lang); } catch (e) {}
  const url = performance.getEntriesByType("resource").map((r) => r.name)
    .find((n) => /\/assets\/core-[\w-]+\.js(\?.*)?$/.test(n));
  if (url) import(url).then((m) => m.changeLocale && m.changeLocale(lang === "zh" ? "zh-CN" : "en"))
    .catch(() => {});
};
"""
SET_LANG_JS = "(lang) => {" + _APPLY_LOCALE_JS + " sppvizLocale(lang); return lang; }"
LOAD_LANG_JS = ("(hint) => {" + _APPLY_LOCALE_JS + """
  hint = new URLSearchParams(window.location.search).get("lang");
  if (hint !== "en" && hint !== "zh") { try { hint = localStorage.getItem("sppviz-lang"); } catch (e) {} }
  if (hint === "en" || hint === "zh") { sppvizLocale(hint); return hint; }
  return "";
}""")


def _wire(C: dict) -> None:
    """Connect the handlers to the components (inputs and outputs by name)."""
    names = {id(C[n]): n for n in SETTINGS}
    everything = {C[n] for n in SETTINGS}
    # interactive events do not send the image (Gradio would preprocess the file on every click)
    ins = {C[n] for n in SETTINGS if n not in ANALYZE_ONLY}
    quiet = {"api_visibility": "private", "show_progress": "hidden", "trigger_mode": "always_last"}

    def values(data: dict) -> dict:
        v = {names[id(c)]: val for c, val in data.items() if id(c) in names}
        v["classes"] = v.pop("det_classes", None)
        return v

    def outs(out: dict, keys) -> dict:
        return {C[k]: out[k] for k in keys if k in out}

    def plain(handler, keys):
        def fn(data: dict, request: gr.Request):
            v = values(data)
            return outs(handler(v, pick_lang(v.get("lang"), request)), keys)
        return fn

    def run(handler, data, request, **kw):
        v = values(data)
        return handler(v, pick_lang(v.get("lang"), request), **kw)

    @_spaces_gpu
    def on_analyze(data: dict, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        return outs(run(analyze_image, data, request, progress=progress), ALL_OUT)

    def on_compare(data: dict, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
        return outs(run(compare_rcnn, data, request, progress=progress), WHY_OUT)

    def on_click_window(data: dict, evt: gr.SelectData, request: gr.Request):
        return outs(run(click_window, data, request, point=evt.index), WINDOW_OUT)

    def on_click_bin(panel):
        def fn(data: dict, evt: gr.SelectData, request: gr.Request):
            return outs(run(click_bin, data, request, point=evt.index, panel=panel), POOL_OUT)
        return fn

    def on_det_row(data: dict, evt: gr.SelectData, request: gr.Request):
        return outs(run(select_detection, data, request, row=evt.row_value), WINDOW_OUT)

    def on_export(data: dict, request: gr.Request):
        return {C["export_file"]: gr.update(value=run(export_panels, data, request), visible=True)}

    def on_lesson_zip(data: dict, request: gr.Request):
        path, info = run(export_lesson_zip, data, request)
        return {C["lesson_file"]: gr.update(value=path, visible=True), C["lesson_info"]: info}

    all_out = [C[k] for k in ALL_OUT]
    win_out, pool_out = [C[k] for k in WINDOW_OUT], [C[k] for k in POOL_OUT]
    feat_out, det_out = [C[k] for k in FEAT_OUT], [C[k] for k in DET_OUT]
    pool_after = {"fn": plain(refresh_pooling, POOL_OUT), "inputs": ins, "outputs": pool_out, **quiet}
    # step 7 follows the window, the levels, the level and the channel (10-20 ms: no conv, one roi_align)
    cmp_after = {"fn": plain(compare_pooling, CMP_OUT), "inputs": ins, "outputs": [C[k] for k in CMP_OUT], **quiet}

    # step 8 follows the window (its vector figure, cheap) and the analysis and the rules (also its detections)
    cmb_out = [C[k] for k in CMB_OUT]
    cmb_all = {"fn": plain(combine_scales, CMB_OUT), "inputs": ins, "outputs": cmb_out, **quiet}
    cmb_window = {**cmb_all, "fn": plain(functools.partial(combine_scales, parts=("window",)), CMB_OUT)}

    C["analyze"].click(on_analyze, everything, all_out, api_visibility="private",
                       concurrency_id="analyze").success(**cmp_after).success(**cmb_all)
    C["win_img"].select(on_click_window, ins, win_out, **quiet).success(**pool_after).success(**cmp_after).success(
        **cmb_window)
    C["win_k"].submit(plain(select_window, WINDOW_OUT), ins, win_out, **quiet).success(**pool_after).success(
        **cmp_after).success(**cmb_window)
    C["det_table"].select(on_det_row, ins, win_out, **quiet).success(**pool_after).success(**cmp_after).success(
        **cmb_window)
    C["clear"].click(plain(clear_boxes, WINDOW_OUT), ins, win_out, **quiet).success(**pool_after).success(
        **cmp_after).success(**cmb_window)
    for name in ("projection", "scale_rule", "bin_rule"):
        (C[name].input(plain(change_rules, WINDOW_OUT), ins, win_out, **quiet)
         .success(**pool_after)
         .success(plain(change_detections, DET_OUT), ins, det_out, **quiet)
         .success(**cmp_after)
         .success(**cmb_all))
    for name, what in (("levels", "levels"), ("custom_levels", "levels"), ("spp_level", "level"),
                       ("spp_channel", "channel")):
        fn = plain(functools.partial(change_pooling, what=what), POOL_OUT)
        (C[name].submit if name == "custom_levels" else C[name].input)(fn, ins, pool_out, **quiet).success(
            **cmp_after)
    C["spp_values"].select(on_click_bin("values"), ins, pool_out, **quiet)
    C["spp_map"].select(on_click_bin("map"), ins, pool_out, **quiet)
    for name in ("fm_scale", "fm_view", "fm_channel"):
        C[name].input(plain(change_features, FEAT_OUT), ins, feat_out, **quiet)
    for name in ("thresh", "iou", "det_classes"):
        C[name].input(plain(change_detections, DET_OUT), ins, det_out, **quiet)
    C["why_btn"].click(on_compare, ins, [C[k] for k in WHY_OUT], api_visibility="private",
                       concurrency_id="analyze")
    C["cmp_btn"].click(plain(compare_pooling, CMP_OUT), ins, [C[k] for k in CMP_OUT], **quiet)
    C["export"].click(on_export, ins, [C["export_file"]], api_visibility="private")
    C["lesson_btn"].click(on_lesson_zip, ins, [C["lesson_file"], C["lesson_info"]], api_visibility="private",
                          concurrency_id="analyze")
    C["tab_combine"].select(**cmb_all)
    for name in ("thresh", "iou", "det_classes"):  # step 8's detections use step 5's thresholds and classes
        C[name].input(plain(functools.partial(combine_scales, parts=("detections",)), CMB_OUT), ins, cmb_out,
                      **quiet)
    # lesson mode
    lesson_out = [C[k] for k in LESSON_OUT]
    C["tab_lesson"].select(plain(lesson_show, LESSON_OUT), ins, lesson_out, **quiet)
    C["lesson_back"].click(plain(functools.partial(lesson_show, delta=-1), LESSON_OUT), ins, lesson_out, **quiet)
    C["lesson_next"].click(plain(functools.partial(lesson_show, delta=1), LESSON_OUT), ins, lesson_out, **quiet)
    # the language switch: Gradio's labels in the browser (js), every handler-written text on the server
    C["lang"].change(None, C["lang"], None, js=SET_LANG_JS, api_visibility="private", show_progress="hidden")
    C["lang"].change(plain(switch_language, LANG_OUT), ins, [C[k] for k in LANG_OUT], **quiet)


def theme() -> gr.themes.Base:
    """Projector-friendly: large text, high-contrast amber accents."""
    return gr.themes.Soft(primary_hue="amber", secondary_hue="sky", text_size=gr.themes.sizes.text_lg,
                          radius_size=gr.themes.sizes.radius_md)


def launch_kwargs(**overrides) -> dict:
    """Host, port (a Space sets GRADIO_SERVER_NAME / PORT), the translations, theme and CSS (Gradio 6
    takes them in launch()) and the example folder."""
    kw = {"theme": theme(), "css": CSS, "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
          "server_port": int(os.environ.get("GRADIO_SERVER_PORT", os.environ.get("PORT", "7860"))),
          "share": False, "i18n": I18N, "allowed_paths": [str(EXAMPLES_DIR)], "max_file_size": MAX_UPLOAD_BYTES}
    kw.update(overrides)
    return kw
