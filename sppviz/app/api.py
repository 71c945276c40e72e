"""The API for programs (gradio_client): ``/analyze`` and ``/project``, as named endpoints of the app."""

from __future__ import annotations

import functools
import json
from typing import Any

import gradio as gr

from sppviz import analysis
from sppviz.analysis import report
from sppviz.analysis.images import ImageError, load_image
from sppviz.app.settings import DEFAULT_SCALES, DEFAULTS, check_choice, parse_levels, parse_scales
from sppviz.method import bins, geometry, proposals, pyramid
from sppviz.model.weights import load_detector


def _parse_json_list(value: Any, what: str) -> Any:
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            try:
                return json.loads(s)
            except json.JSONDecodeError:
                raise ValueError(f"{what} is not valid JSON: {value[:80]!r}") from None
    return value


def _file_path(f: Any) -> str:
    if isinstance(f, dict):
        f = f.get("path")
    if not f:
        raise ValueError("no image file was given")
    return str(f)


def _errors_as_messages(fn):
    @functools.wraps(fn)  # Gradio names the endpoint's parameters from the signature
    def wrapped(*args):
        try:
            return fn(*args)
        except gr.Error:
            raise
        except (ValueError, ImageError, FileNotFoundError) as e:
            raise gr.Error(str(e)) from None
    return wrapped


@_errors_as_messages
def api_analyze(image: Any, scales: Any, levels: Any) -> dict:
    """Analyze one image: image size, the pyramid (scaled image wh, conv5 hw per scale), the number of
    windows (selective search, fast, 2,000 at most) and the detections after NMS (score ≥ 0.5)."""
    img, notices = load_image(_file_path(image))
    scales = parse_scales(_parse_json_list(scales if scales not in (None, "") else list(DEFAULT_SCALES), "scales"),
                          "")
    levels = parse_levels(_parse_json_list(levels if levels not in (None, "", []) else "1,2,3,6", "levels"), "")
    det = load_detector("zf5")
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
        "detections": [{"box": d["box"], "label": d["label"], "score": d["score"]} for d in after.to_list(det.classes)],
        "notices": list(a.notices),
        "timings": {k: round(float(v), 4) for k, v in a.timings.items()},
    }


@_errors_as_messages
def api_project(image: Any, box: Any, scale_rule: Any, projection: Any) -> dict:
    """One window (x1, y1, x2, y2 in image pixels) through scale selection and projection:
    report.window_report (paper scales S) plus the cells of the chosen projection rule."""
    img, notices = load_image(_file_path(image))
    box = _parse_json_list(box, "box")
    if isinstance(box, str):
        try:
            box = [float(v) for v in box.replace(",", " ").split()]
        except ValueError:
            raise ValueError(f"the box must be 4 numbers x1, y1, x2, y2 (image pixels), got {box[:80]!r}") from None
    scale_rule = check_choice(scale_rule or "paper", pyramid.SCALE_RULES, "scale rule", "en")
    projection = check_choice(projection or "paper", geometry.PROJECTION_RULES, "projection rule", "en")
    wh = (img.shape[1], img.shape[0])
    box = proposals.validate_boxes(box, wh)
    if len(box) != 1:
        raise ValueError(f"give exactly one box (x1, y1, x2, y2), got {len(box)}")
    name = load_detector("zf5").net.trunk.name
    rep = report.window_report(wh, box[0].tolist(), name, pyramid.PAPER_SCALES, bins.DETECTION_LEVELS, scale_rule)
    rep.update(projection=projection, chosen_cells=rep["cells"][projection], notices=notices)
    return rep


def create_endpoints() -> None:
    """Hidden components and the two named endpoints (inside the app's Blocks)."""
    with gr.Row(visible=False):
        image = gr.File(label="image", type="filepath")
        scales, levels, box = gr.JSON(label="scales"), gr.JSON(label="levels"), gr.JSON(label="box")
        scale_rule = gr.Textbox(label="scale_rule", value="paper")
        projection = gr.Textbox(label="projection", value="paper")
        out = gr.JSON(label="result")
        btn, btn2 = gr.Button("api", visible=False), gr.Button("api2", visible=False)
    btn.click(api_analyze, [image, scales, levels], out, api_name="analyze")
    btn2.click(api_project, [image, box, scale_rule, projection], out, api_name="project")
