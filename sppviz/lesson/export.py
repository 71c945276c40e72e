"""The lesson export: analysis.json (:func:`lesson_data`), every file of the lesson written into a folder
and zipped (:func:`write_lesson`, :func:`export_lesson`) and the CLI's arguments (:func:`add_arguments`,
:func:`main`)."""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sppviz import analysis, figures
from sppviz.analysis.images import load_image
from sppviz.lesson.handout import handout_html
from sppviz.lesson.render import lesson_view, pick_window, render_figures
from sppviz.method import bins, presets, pyramid
from sppviz.model.detector import Detections, Detector

SCORE_THRESH, NMS_IOU = 0.5, 0.3


# ----------------------------------------------------------------------------------------
# analysis.json


def lesson_data(a: analysis.Analysis, d: analysis.WindowDetail, before: Detections, after: Detections,
                classes: Sequence[str]) -> dict:
    """The numbers behind the figures, as analysis.json holds them: the pyramid, the geometry, the
    selected window ``d`` (box in image pixels, boxes (x1, y1, x2, y2) inclusive pixel centres; conv5
    cells 0-based inclusive (cx0, cy0, cx1, cy1) per projection rule), its bins per level and the
    detections (``before`` / ``after`` NMS, labels from ``classes``)."""
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
# the export


def export_lesson(image_path: str | Path, out_dir: str | Path, lang: str = "en",
                  scales: Sequence[int] = (pyramid.SINGLE_SCALE,), levels: Sequence[int] = (1, 2, 3, 6),
                  window: int | None = None, detector: Detector | None = None, rules: dict | None = None) -> dict:
    """Analyze ``image_path`` with the bundled detector (or ``detector``) and write the lesson into
    ``out_dir`` (:func:`write_lesson`) under ``rules`` (scale_rule, projection, bin_rule, box_scaling; a
    preset's ``rules()``). Returns {"out_dir", "window", "files": [names], "zip"}."""
    from sppviz.model.weights import load_default_detector

    _check_lang(lang)
    scales = pyramid.validate_scales(scales)
    levels = bins.check_levels(levels)
    img, notices = load_image(image_path)
    det = detector if detector is not None else load_default_detector()
    a = analysis.analyze(img, det, scales, notices=notices)
    return write_lesson(a, out_dir, lang, levels, window, Path(str(image_path)).name, **(rules or {}))


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise ValueError(f"unknown language {lang!r}; choose en or zh")


def write_lesson(a: analysis.Analysis, out_dir: str | Path, lang: str = "en", levels: Sequence[int] = (1, 2, 3, 6),
                 window: int | None = None, image_name: str = "image", scale_rule: str = "paper",
                 projection: str = "paper", bin_rule: str = "adaptive", box_scaling: str = "fast-rcnn",
                 score_thresh: float = SCORE_THRESH,
                 nms_iou: float = NMS_IOU, compact: bool = False) -> dict:
    """Write the lesson of an existing analysis ``a`` (conv5 reused: what the app's lesson button
    calls) into ``out_dir``: every figure as PNG, analysis.json, handout.html and lesson.zip holding
    them. ``window``: the selected window (default :func:`pick_window`). ``compact`` (the app's
    download): photo-like figures as JPEG, the others as PNG at the highest compression
    (:func:`figure_file`), about half the size. Returns {"out_dir", "window", "files": [names], "zip"}."""
    _check_lang(lang)
    levels = bins.check_levels(levels)
    if window is None:
        k = pick_window(a)
    else:
        k = int(window)
        if not 0 <= k < len(a.windows):
            raise ValueError(f"window {k} does not exist (this image has {len(a.windows)} windows)")
    rules = {"scale_rule": scale_rule, "projection": projection, "bin_rule": bin_rule, "box_scaling": box_scaling}
    view = lesson_view(a, k, levels, rules, score_thresh, nms_iou, lang)
    d = view.d
    before, after = a.detections(score_thresh, nms_iou, **rules)
    classes = a.detector.classes
    data = lesson_data(a, d, before, after, classes)
    data["detections"].update(score_thresh=float(score_thresh), nms_iou=float(nms_iou))
    data["rules"] = rules
    data["notices"] = list(a.notices)
    data["lang"] = lang

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = dict(figure_file(name, arr) for name, arr in render_figures(view).items()) if compact else \
        {name: figures.to_png_bytes(arr) for name, arr in render_figures(view).items()}
    for name, png in pngs.items():
        (out / name).write_bytes(png)
    files = list(pngs)
    (out / "analysis.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    files.append("analysis.json")
    (out / "handout.html").write_text(handout_html(view, data, image_name, pngs), encoding="utf-8")
    files.append("handout.html")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in files:  # PNG / JPEG are compressed already; deflating them again costs time for nothing
            z.write(out / name, name, zipfile.ZIP_STORED if name.endswith((".png", ".jpg")) else zipfile.ZIP_DEFLATED)
    (out / "lesson.zip").write_bytes(buf.getvalue())
    return {"out_dir": str(out), "window": k, "files": files, "zip": "lesson.zip"}


# A figure is "photo-like" when JPEG (quality COMPACT_JPEG_QUALITY, no chroma subsampling, so that thin
# coloured lines and text stay crisp) is under a COMPACT_JPEG_RATIO-th of its PNG: the image, feature-map
# overlays, detections, warped crops. Diagrams (bins, the vector, charts) stay lossless PNG.
COMPACT_JPEG_QUALITY = 90
COMPACT_JPEG_RATIO = 2.0


def figure_file(name: str, arr: np.ndarray) -> tuple[str, bytes]:
    """A lesson figure (uint8 RGB [H, W, 3], file ``name`` as ``render.figure_name`` gives it) for the
    compact lesson: (``name`` with ".jpg", JPEG bytes) when photo-like, else (``name``, PNG bytes at
    compression level 9)."""
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(arr))
    fast, jpg = io.BytesIO(), io.BytesIO()
    im.save(fast, "PNG", compress_level=1)  # to decide: level 9 takes seconds on a photo-like figure
    im.save(jpg, "JPEG", quality=COMPACT_JPEG_QUALITY, subsampling=0)
    if jpg.tell() * COMPACT_JPEG_RATIO < fast.tell():
        return name.rsplit(".", 1)[0] + ".jpg", jpg.getvalue()
    png = io.BytesIO()
    im.save(png, "PNG", compress_level=9)
    return name, png.getvalue()


def lesson_key(a: analysis.Analysis, lang: str, levels: Sequence[int], window: int, image_name: str,
               rules: dict, score_thresh: float, nms_iou: float) -> str:
    """A short hash of everything a lesson's files depend on (the image, model, scales, windows, selected
    window, levels, rules, thresholds, language, image name): the same key, the same ZIP, so the app can
    hand out the one it made before instead of making it again."""
    import hashlib

    h = hashlib.blake2b(digest_size=10)
    h.update(repr((a.iid, a.detector.net.trunk.name, id(a.detector), tuple(a.scales), int(window), tuple(levels),
                   sorted(rules.items()), float(score_thresh), float(nms_iou), lang, image_name)).encode())
    h.update(np.ascontiguousarray(a.windows.numpy()).tobytes())
    return h.hexdigest()


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``python -m sppviz lesson IMAGE --out DIR [--lang zh] [--scales …] [--levels …]
    [--window K]``."""
    p.add_argument("image")
    p.add_argument("--out", required=True, help="folder for the PNGs, analysis.json, handout.html, lesson.zip")
    p.add_argument("--lang", default="en", choices=("en", "zh"))
    p.add_argument("--scales", type=int, nargs="+", default=None, help=f"default {pyramid.DEFAULT_PYRAMID}")
    p.add_argument("--levels", type=int, nargs="+", default=None, help="default 1 2 3 6")
    p.add_argument("--preset", default=None, choices=presets.PRESET_NAMES,
                   help="paper / release / fast-rcnn: the preset's scales, levels and rules (flags override)")
    p.add_argument("--window", type=int, default=None, help="window index (default: the best-scoring large one)")


def main(args: argparse.Namespace) -> int:
    """Run ``python -m sppviz lesson`` (:func:`export_lesson`); prints its result as JSON."""
    p = presets.get_preset(args.preset) if args.preset else None
    scales = tuple(args.scales) if args.scales else (p.scales if p else pyramid.DEFAULT_PYRAMID)
    levels = tuple(args.levels) if args.levels else (p.levels if p else (1, 2, 3, 6))
    res = export_lesson(args.image, args.out, args.lang, scales, levels, args.window,
                        rules=p.rules() if p else None)
    print(json.dumps(res))
    return 0
