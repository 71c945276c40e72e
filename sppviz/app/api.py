"""The API for programs (gradio_client): ``/analyze`` and ``/project``, as named endpoints of the app.

Each endpoint takes its values raw (``preprocess=False``) and checks them itself, one schema each
(types and ranges: ``schema``, ``settings.parse_scales`` / ``parse_levels``); a refusal is a short
message naming the parameter. ``/analyze`` is heavy work (``limits.HEAVY``): it shares the app's heavy
slots with the page and runs under a time budget and the memory estimate; ``/project`` (a decode and
arithmetic) has its own queue.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import gradio as gr

from sppviz import analysis
from sppviz.analysis.images import ImageError, load_image
from sppviz.app import limits, schema
from sppviz.app.gate import user_error
from sppviz.app.settings import DEFAULT_SCALES, DEFAULTS, UserError, check_choice, parse_levels, parse_scales
from sppviz.method import bins, geometry, proposals, pyramid
from sppviz.model.weights import load_detector

MAX_COORDINATE = 1e9  # |x| of a box corner, in image pixels (the image is at most 2,000 px; clipped later)


def _parse_json_list(value: Any, what: str) -> Any:
    """A JSON list given as text ("[480, 688]") as the list; anything else as it is."""
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            if len(s) > schema.MAX_TEXT_CHARS:
                schema.refuse(what, f"at most {schema.MAX_TEXT_CHARS} characters (got {len(s)})")
            try:
                return json.loads(s)
            except ValueError:
                schema.refuse(what, "is not valid JSON", value)
    return value


def _image(image: Any) -> str:
    path = schema.file_path(image, "image")
    if path is None:
        schema.refuse("image", "no image file was given")
    return path


def _box(box: Any) -> Any:
    """The box as a list of numbers (the library checks its shape and values and says what is wrong)."""
    box = _parse_json_list(box, "box")
    if isinstance(box, str):
        text = schema.text(box, "box")
        try:
            return [float(v) for v in text.replace(",", " ").split()]
        except ValueError:
            schema.refuse("box", "must be 4 numbers x1, y1, x2, y2 (image pixels)", text)
    flat = box if isinstance(box, list | tuple) else [box]
    flat = [v for b in flat for v in (b if isinstance(b, list | tuple) else [b])]
    if len(flat) > 64:
        schema.refuse("box", f"give exactly one box (x1, y1, x2, y2), got {len(flat)} numbers")
    for v in flat:
        if isinstance(v, list | tuple | dict):
            schema.refuse("box", "must be 4 numbers x1, y1, x2, y2 (image pixels)", box)
        if isinstance(v, bool) or (isinstance(v, int) and abs(v) > MAX_COORDINATE):  # a 400-digit int overflows
            schema.refuse("box", f"coordinates must be numbers of image pixels (|x| ≤ {MAX_COORDINATE:g})", v)
    return box


def _session(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def _errors_as_messages(fn):
    @functools.wraps(fn)  # Gradio names the endpoint's parameters from the signature
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (UserError, ValueError, ImageError) as e:
            raise user_error(schema.short(str(e))) from None
    return wrapped


@_errors_as_messages
def api_analyze(image: Any, scales: Any, levels: Any, request: gr.Request = None) -> dict:
    """Analyze one image: image size, the pyramid (scaled image wh, conv5 hw per scale), the number of
    windows (selective search, fast, 2,000 at most) and the detections after NMS (score ≥ 0.5)."""
    scales = parse_scales(_parse_json_list(scales if scales not in (None, "") else list(DEFAULT_SCALES), "scales"),
                          "")
    levels = parse_levels(_parse_json_list(levels if levels not in (None, "", []) else "1,2,3,6", "levels"), "")
    path = _image(image)
    with limits.heavy("/analyze", _session(request)) as budget:
        img, notices = load_image(path)
        det = load_detector("zf5")
        limits.check_request((img.shape[1], img.shape[0]), det.net.trunk, scales, 2000)
        a = analysis.analyze(img, det, scales, "selective-search-fast", 2000, notices=notices, progress=budget)
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
    box = _box(box)
    scale_rule = "paper" if scale_rule in (None, "") else check_choice(scale_rule, pyramid.SCALE_RULES, "scale rule",
                                                                       "en")
    projection = "paper" if projection in (None, "") else check_choice(projection, geometry.PROJECTION_RULES,
                                                                       "projection rule", "en")
    img, notices = load_image(_image(image))
    wh = (img.shape[1], img.shape[0])
    try:
        box = proposals.validate_boxes(box, wh)
    except (ValueError, OverflowError, TypeError) as e:
        raise UserError(f"box: {schema.short(str(e)) if isinstance(e, ValueError) else 'must be 4 numbers'}") from None
    if len(box) != 1:
        schema.refuse("box", f"give exactly one box (x1, y1, x2, y2), got {len(box)}")
    name = load_detector("zf5").net.trunk.name
    rep = analysis.report.window_report(wh, box[0].tolist(), name, pyramid.PAPER_SCALES, bins.DETECTION_LEVELS,
                                        scale_rule)
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
    heavy = {"concurrency_id": limits.HEAVY, "concurrency_limit": limits.HEAVY_CONCURRENCY}
    btn.click(api_analyze, [image, scales, levels], out, api_name="analyze", preprocess=False, **heavy)
    # light (a decode and arithmetic): its own queue, so that it does not wait behind analyses
    btn2.click(api_project, [image, box, scale_rule, projection], out, api_name="project", preprocess=False)
