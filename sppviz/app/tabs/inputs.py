"""The input panel: image (upload, paste, examples), backbone, scales, levels, rules, proposals, and
Analyze — which runs the expensive part once (proposals, conv5 per scale, scores) and fills every tab."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import gradio as gr

from sppviz import analysis
from sppviz.analysis.images import load_image
from sppviz.analysis.workspace import with_boxes
from sppviz.app import session
from sppviz.app.events import handler
from sppviz.app.panels import encode_all
from sppviz.app.settings import (
    CUSTOM,
    DEFAULTS,
    LEVEL_PRESETS,
    SCALE_CHOICES,
    SOURCE_LABELS,
    Settings,
    fail,
)
from sppviz.app.tabs.detections import DET_OUT, detection_outputs
from sppviz.app.tabs.features import FEAT_OUT
from sppviz.app.tabs.pooling import POOL_OUT, pooling_outputs
from sppviz.app.tabs.window import WINDOW_OUT, window_outputs
from sppviz.app.widgets import L
from sppviz.i18n import t
from sppviz.method import bins, geometry, pyramid
from sppviz.model import backbones
from sppviz.model.weights import ASSETS, load_detector
from sppviz.steps import features

EXAMPLES_DIR = ASSETS / "examples"
# Uploads above this are refused by Gradio before they reach us: a 50 MP photo is ~25 MB as JPEG,
# and images.MAX_DECODE_PIXELS refuses more pixels than that anyway.
MAX_UPLOAD_BYTES = 25 * 2**20
ANALYZE_OUT = tuple(dict.fromkeys(("status", "pyr_img", "pyr_table", "fm_scale", "fm_channel", "classes",
                                   *WINDOW_OUT, *POOL_OUT, *FEAT_OUT, *DET_OUT)))
ANALYZE_READS = ("state", "image", "backbone", "scales", "levels", "rules", "source", "count", "fm_scale", "fm_view",
                 "spp_level", "thresh", "iou")


def examples() -> list[list[str]]:
    """The bundled scenes, in examples.json's order."""
    try:
        meta = json.loads((EXAMPLES_DIR / "examples.json").read_text())
        files = [m["file"] for m in meta["examples"]]
    except (OSError, ValueError, KeyError):
        files = sorted(p.name for p in EXAMPLES_DIR.glob("*.jpg"))
    return [[str(EXAMPLES_DIR / f)] for f in files if (EXAMPLES_DIR / f).is_file()]


def backbone_note_key() -> str:
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


def create_ui(C: dict) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            C["image"] = gr.Image(label=L("in_image"), type="filepath", sources=["upload", "clipboard"], height=260,
                                  elem_id="input-image", placeholder=L("in_image_ph"))
            gr.Examples(examples(), inputs=[C["image"]], label=L("in_examples"), examples_per_page=6,
                        elem_id="examples", cache_examples=False)  # loading one is instant
        with gr.Column(scale=4, min_width=320):
            C["scales"] = gr.CheckboxGroup(list(SCALE_CHOICES), value=DEFAULTS["scales"], label=L("in_scales"),
                                           info=L("in_scales_info"), elem_id="scales")
            C["custom_scales"] = gr.Textbox(label=L("in_custom_scales"), max_lines=1,
                                            placeholder=L("in_custom_scales_ph"))
            with gr.Row():
                C["levels"] = gr.Radio([*((k, k) for k in LEVEL_PRESETS), (L("lv_custom"), CUSTOM)],
                                       value=DEFAULTS["levels"], label=L("in_levels"), info=L("in_levels_info"),
                                       elem_id="levels", scale=3)
                C["custom_levels"] = gr.Textbox(label=L("in_custom_levels"), max_lines=1, scale=1,
                                                placeholder=L("in_custom_levels_ph"))
            C["source"] = gr.Radio([(L(k), s) for s, k in SOURCE_LABELS.items()], value=DEFAULTS["source"],
                                   label=L("in_source"), elem_id="source")
            C["count"] = gr.Slider(1, analysis.MAX_WINDOWS, value=DEFAULTS["count"], step=1, label=L("in_count"))
        with gr.Column(scale=4, min_width=320):
            C["projection"] = gr.Radio(list(geometry.PROJECTION_RULES), value=DEFAULTS["projection"],
                                       label=L("in_proj_rule"), info=L("in_proj_rule_info"))
            C["scale_rule"] = gr.Radio(list(pyramid.SCALE_RULES), value=DEFAULTS["scale_rule"],
                                       label=L("in_scale_rule"), info=L("in_scale_rule_info"))
            C["bin_rule"] = gr.Radio(list(bins.BIN_RULES), value=DEFAULTS["bin_rule"], label=L("in_bin_rule"),
                                     info=L("in_bin_rule_info"))
            C["backbone"] = gr.Dropdown([(L("bb_zf5"), "zf5"), (L("bb_alexnet"), "alexnet"), (L("bb_vgg16"), "vgg16")],
                                        value=DEFAULTS["backbone"], label=L("in_backbone"),
                                        info=L(backbone_note_key()), interactive=True, elem_id="backbone")
            C["analyze"] = gr.Button(L("btn_analyze"), variant="primary", size="lg", elem_id="analyze-btn")
            gr.Markdown(L("levels_note"), elem_classes=["note"])


def detector(backbone: str, lang: str):
    """The detector of a backbone choice, or a user error that says why it cannot be had."""
    try:
        return load_detector(backbone)
    except (FileNotFoundError, ValueError, OSError) as e:
        fail("err_model", lang, msg=str(e))


def status(w, st: dict, s: Settings) -> str:
    """The status line of the session's analysis (windows, scales, model, timings, notices)."""
    a, tm, det = w.a, w.base.timings, w.a.detector
    text = t("status_done", s.lang, windows=len(a.windows), scales=", ".join(map(str, a.scales)),
             model=det.net.trunk.name, device=det.device.type, total=tm["total_s"], prop=tm["proposals_s"],
             conv=tm["conv_s"], score=tm["score_s"])
    notices = list(a.notices)
    if s.source == "user" and not st.get("boxes"):
        notices.append(t("status_user_default", s.lang))
    return text + "".join("  \n" + t("status_notice", s.lang, text=n) for n in notices)


@handler(reads=ANALYZE_READS, outputs=ANALYZE_OUT)
def analyze_image(s: Settings, progress=None) -> dict:
    """Analyze: proposals, conv5 per scale (cached), scores; then every panel."""
    path = s.image
    if not path:
        fail("err_no_image", s.lang)
    img, notices = load_image(path)
    det = detector(s.backbone, s.lang)
    st = s.state
    iid = analysis.image_id(img)
    if st.get("iid") != iid:  # a new image: drawn boxes belong to the old one
        st.update(iid=iid, boxes=[], corner=None)
    boxes = st.get("boxes") or []
    user_boxes = None
    if s.source == "user":
        user_boxes = boxes or [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]
    base = analysis.analyze(img, det, s.scales, s.source, s.count, user_boxes=user_boxes, notices=notices,
                            progress=progress)
    a = base if s.source == "user" else with_boxes(base, boxes)
    if progress:
        progress(0.95, desc="panels")
    st.setdefault("sid", uuid.uuid4().hex)
    w = session.store(st["sid"], base, a)
    session.IMAGE_NAMES.put(st["sid"], Path(str(path)).name)
    st.update(k=w.initial_window(), bin=None, corner=None)
    out = {"status": status(w, st, s)}
    out.update(features.render_pyramid(w, s.lang))
    out.update(window_outputs(w, st, s))
    out.update(pooling_outputs(w, st, s, reset_channel=True))
    si = min(max(int(s.fm_scale), 0), len(s.scales) - 1)
    out.update(features.render_features(w, si, 0, s.fm_view, s.lang))
    out["fm_scale"] = gr.update(choices=[(f"s = {v}", i) for i, v in enumerate(s.scales)], value=si)
    out["fm_channel"] = gr.update(value=0, maximum=w.channels - 1)
    out["classes"] = gr.update(choices=list(det.classes), value=list(det.classes))
    out.update(detection_outputs(w, s, classes=list(det.classes)))
    session.touch(st["sid"], w)
    return encode_all(out)

