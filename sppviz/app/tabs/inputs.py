"""The input panel: image (upload, paste, examples), backbone, scales, levels, rules, proposals, and
Analyze — which runs the expensive part once (proposals, conv5 per scale, scores) and fills every tab."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import gradio as gr

from sppviz import analysis
from sppviz.analysis.images import load_image
from sppviz.app import limits, panels, progressive, session, startup
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
from sppviz.app.status import status
from sppviz.app.tabs.detections import DET_OUT, class_choices, detection_outputs
from sppviz.app.tabs.features import FEAT_OUT
from sppviz.app.tabs.pooling import POOL_OUT, pooling_outputs
from sppviz.app.tabs.window import WINDOW_OUT, window_outputs
from sppviz.app.widgets import L
from sppviz.i18n import t
from sppviz.method import bins, geometry, presets, pyramid
from sppviz.model import checkpoints
from sppviz.model.weights import ASSETS, load_detector
from sppviz.steps import features

EXAMPLES_DIR = ASSETS / "examples"
MAX_UPLOAD_BYTES = panels.MAX_UPLOAD_BYTES  # refused by Gradio before they reach us (panels: its reason)
ANALYZE_OUT = tuple(dict.fromkeys(("status", "pyr_img", "pyr_table", "fm_scale", "fm_channel", "classes",
                                   *WINDOW_OUT, *POOL_OUT, *FEAT_OUT, *DET_OUT)))
ANALYZE_READS = ("state", "image", "backbone", "scales", "levels", "rules", "source", "count", "fm_scale", "fm_view",
                 "spp_level", "thresh", "iou")
PRESET_OUT = ("scales", "custom_scales", "levels", "custom_levels", "projection", "scale_rule", "box_scaling",
              "bin_rule", "preset_info")


def examples() -> list[list[str]]:
    """The bundled scenes, in examples.json's order."""
    try:
        meta = json.loads((EXAMPLES_DIR / "examples.json").read_text())
        files = [m["file"] for m in meta["examples"]]
    except (OSError, ValueError, KeyError):
        files = sorted(p.name for p in EXAMPLES_DIR.glob("*.jpg"))
    return [[str(EXAMPLES_DIR / f)] for f in files if (EXAMPLES_DIR / f).is_file()]


def backbone_note_key() -> str:
    """What choosing AlexNet / VGG16 will do here: use weights found on disk, download torchvision's files on
    first use (a Space, or ``SPPVIZ_ALLOW_DOWNLOAD=1``), or explain where to put them (looked up only here)."""
    if any(checkpoints.checkpoint_on_disk(name) for name in ("alexnet", "vgg16")):
        return "bb_note_found"
    return "bb_note_download" if checkpoints.downloads_allowed() else "bb_note_missing"


def create_ui(C: dict) -> None:
    """The input panel in three columns, laid out for a projector's 1280×720: (1) the image, the examples
    and Analyze, visible without scrolling; (2) what Analyze computes (scales, windows, backbone); (3) what
    applies at once: the presets, the levels and the four rules (folded in an accordion of their own, a
    preset sets them)."""
    with gr.Row(equal_height=False, elem_id="inputs"):
        with gr.Column(scale=5, min_width=300, elem_id="inputs-image"):
            # image_mode=None and raw event values (events.spec): the upload reaches images.load_image untouched
            C["image"] = gr.Image(label=L("in_image"), type="filepath", image_mode=None,
                                  sources=["upload", "clipboard"], height=230, elem_id="input-image",
                                  placeholder=L("in_image_ph"))
            gr.Examples(examples(), inputs=[C["image"]], label=L("in_examples"), examples_per_page=6,
                        elem_id="examples", cache_examples=False)  # loading one is instant
            C["analyze"] = gr.Button(L("btn_analyze"), variant="primary", size="lg", elem_id="analyze-btn")
        with gr.Column(scale=4, min_width=300):  # what Analyze computes
            C["scales"] = gr.CheckboxGroup(list(SCALE_CHOICES), value=DEFAULTS["scales"], label=L("in_scales"),
                                           info=L("in_scales_info"), elem_id="scales")
            C["custom_scales"] = gr.Textbox(label=L("in_custom_scales"), max_lines=1,
                                            placeholder=L("in_custom_scales_ph"))
            C["source"] = gr.Radio([(L(k), s) for s, k in SOURCE_LABELS.items()], value=DEFAULTS["source"],
                                   label=L("in_source"), elem_id="source")
            C["count"] = gr.Slider(1, analysis.MAX_WINDOWS, value=DEFAULTS["count"], step=1, label=L("in_count"))
            C["backbone"] = gr.Dropdown([(L("bb_zf5"), "zf5"), (L("bb_alexnet"), "alexnet"), (L("bb_vgg16"), "vgg16")],
                                        value=DEFAULTS["backbone"], label=L("in_backbone"),
                                        info=L(backbone_note_key()), interactive=True, elem_id="backbone")
        with gr.Column(scale=4, min_width=300):  # what applies at once: presets, levels, rules
            gr.Markdown(L("in_presets"), elem_classes=["panel-title"])
            with gr.Row(elem_id="presets"):
                for name in presets.PRESET_NAMES:
                    C[f"preset_{name}"] = gr.Button(L(f"preset_{name}"), size="sm", elem_id=f"preset-{name}")
            C["preset_info"] = gr.Markdown(elem_id="preset-info", elem_classes=["note"])
            C["levels"] = gr.Radio([*((k, k) for k in LEVEL_PRESETS), (L("lv_custom"), CUSTOM)],
                                   value=DEFAULTS["levels"], label=L("in_levels"), info=L("in_levels_info"),
                                   elem_id="levels")
            C["custom_levels"] = gr.Textbox(label=L("in_custom_levels"), max_lines=1,
                                            placeholder=L("in_custom_levels_ph"))
            with gr.Accordion(L("in_rules"), open=False, elem_id="rules"):
                C["projection"] = gr.Radio(list(geometry.PROJECTION_RULES), value=DEFAULTS["projection"],
                                           label=L("in_proj_rule"), info=L("in_proj_rule_info"), elem_id="projection")
                C["scale_rule"] = gr.Radio(list(pyramid.SCALE_RULES), value=DEFAULTS["scale_rule"],
                                           label=L("in_scale_rule"), info=L("in_scale_rule_info"),
                                           elem_id="scale-rule")
                C["bin_rule"] = gr.Radio(list(bins.BIN_RULES), value=DEFAULTS["bin_rule"], label=L("in_bin_rule"),
                                         info=L("in_bin_rule_info"), elem_id="bin-rule")
                C["box_scaling"] = gr.Radio(list(pyramid.BOX_SCALING_RULES), value=DEFAULTS["box_scaling"],
                                            label=L("in_box_scaling"), info=L("in_box_scaling_info"),
                                            elem_id="box-scaling")
            gr.Markdown(L("levels_note"), elem_classes=["note"])


def detector(backbone: str, lang: str):
    """The detector of a backbone choice, or a user error that says why it cannot be had."""
    try:
        return load_detector(backbone)
    except (FileNotFoundError, ValueError, OSError) as e:
        fail("err_model", lang, msg=str(e))


def analyze_steps(s: Settings, progress=None) -> Iterator[dict]:
    """Analyze in two steps, each a dict of the page's outputs: (1) as soon as conv5 is done (the proposals
    are found meanwhile, ``analysis.pipeline.begin``), the pyramid and conv5 panels; (2) once the windows are scored,
    every other panel and the status line."""
    path = s.image
    if not path:
        fail("err_no_image", s.lang)
    startup.wait_ready()  # the start-up warm-up loads the model and kernels: wait for it, not do it twice
    img, notices = load_image(path)
    det = detector(s.backbone, s.lang)
    limits.check_request((img.shape[1], img.shape[0]), det.net.trunk, s.scales, s.count)  # before any work
    st = s.state
    iid = analysis.image_id(img)
    if st.get("iid") != iid:  # a new image: drawn boxes belong to the old one
        st.update(iid=iid, boxes=[], corner=None)
    boxes = st.get("boxes") or []
    user_boxes = None
    if s.source == "user":
        user_boxes = boxes or [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]
    pending = analysis.pipeline.begin(img, det, s.scales, s.source, s.count, user_boxes=user_boxes, notices=notices)
    pending.features(progress)
    preview = analysis.Workspace(pending.preview(), pending.preview())
    si = min(max(int(s.fm_scale), 0), len(s.scales) - 1)
    first = {"status": t("status_conv", s.lang, scales=", ".join(map(str, s.scales)), conv=pending.conv_s)}
    first.update(features.render_pyramid(preview, s.lang))
    first.update(features.render_features(preview, si, 0, s.fm_view, s.lang))
    first["fm_scale"] = gr.update(choices=[(f"s = {v}", i) for i, v in enumerate(s.scales)], value=si)
    first["fm_channel"] = gr.update(value=0, maximum=preview.channels - 1)
    first = encode_all(first)
    yield first
    base = pending.finish(progress, known=session.scored)  # a scene the class shares is scored once
    a = base if s.source == "user" else analysis.with_boxes(base, boxes)
    if progress:
        progress(0.95, desc="panels")
    st.setdefault("sid", uuid.uuid4().hex)
    w = session.store(st["sid"], base, a, path=path)  # the file: what a rebuild reloads the image from
    session.IMAGE_NAMES.put(st["sid"], Path(str(path)).name)
    st.update(k=w.initial_window(), bin=None, corner=None, drawn_lang=s.lang)  # language.catch_up_language
    out = {"status": status(w, st, s)}
    out.update(window_outputs(w, st, s))
    out.update(pooling_outputs(w, st, s, reset_channel=True))
    out["classes"] = gr.update(choices=class_choices(det.classes, s.lang), value=list(det.classes))
    out.update(detection_outputs(w, s, classes=list(det.classes)))
    session.touch(st["sid"], w)
    # the first step's panels again (the same files): a tab the page had not drawn yet when they came
    # (feature maps) takes them from the last message
    yield {**{k: v for k, v in first.items() if k != "status"}, **encode_all(out)}


# the page's Analyze: the two steps, each shown as it comes (progressive.spec)
analyze_stream = progressive.stream(reads=ANALYZE_READS, outputs=ANALYZE_OUT)(analyze_steps)


@handler(reads=ANALYZE_READS, outputs=ANALYZE_OUT)
def analyze_image(s: Settings, progress=None) -> dict:
    """Analyze: proposals alongside conv5 per scale (cached), scores; then every panel (``analyze_steps``'
    two steps in one dict: what the page gets in two)."""
    out: dict = {}
    for part in analyze_steps(s, progress):
        out.update(part)
    return out


def preset_values(name: str) -> dict:
    """The component values a preset sets: its scales (ticked where offered, typed otherwise), levels and rules."""
    p = presets.get_preset(name)
    ticked = [v for v in p.scales if v in SCALE_CHOICES]
    typed = [v for v in p.scales if v not in SCALE_CHOICES]
    preset_levels = next((k for k, v in LEVEL_PRESETS.items() if v == p.levels), None)
    return {"scales": ticked, "custom_scales": ", ".join(map(str, typed)),
            "levels": preset_levels or CUSTOM, "custom_levels": "" if preset_levels else ", ".join(map(str, p.levels)),
            **p.rules()}


@handler(reads=("state",), outputs=PRESET_OUT)
def apply_preset(s: Settings, name: str = "paper") -> dict:
    """One click on a preset: set its scales, levels and rules (the panels of an analysis follow); say what
    it set, and when its scales differ from the analysed ones, that Analyze uses them."""
    p = presets.get_preset(name)
    out = preset_values(name)
    info = t("preset_set", s.lang, name=t(f"preset_{name}", s.lang), scales=", ".join(map(str, p.scales)),
             levels=", ".join(map(str, p.levels)), **p.rules())
    w = session.find(s.state)
    if w is not None and tuple(w.a.scales) != tuple(p.scales):
        info += "  \n" + t("preset_rescan", s.lang, have=", ".join(map(str, w.a.scales)))
    out["preset_info"] = info
    return out
