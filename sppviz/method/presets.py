"""Presets: one named choice of every rule, as plain data the app, the CLI and the API can offer.

Each preset fixes the pyramid scales, the four per-window rules — scale selection (``pyramid.SCALE_RULES``),
box scaling (``pyramid.BOX_SCALING_RULES``), projection (``geometry.PROJECTION_RULES``) and bins
(``bins.BIN_RULES``) — the pyramid levels and the trunk whose geometry its source uses, and names its
sources (docs/rules.md has every rule with its formula and source).

- "paper": what the paper writes (He et al. 2014).
- "release": what the authors' release computes (ShaoqingRen/SPP_net), bit for bit in the window → cells →
  vector steps (``detector.pool_windows``; tests/method/test_release_parity.py).
- "fast-rcnn": Fast R-CNN's conventions (Girshick 2015) on the same SPP pipeline.

Use: ``Detector.windows(feats, windows, image_wh, **PRESETS["release"].rules())``, likewise
``Analysis.result`` / ``detections`` / ``window_detail`` and ``report.window_report``; ``scales``
for ``analysis.analyze``. A preset's ``backbone`` is for geometry-only reports (``report.window_report``):
the app keeps whatever model it has loaded, whose head expects its own levels.
"""

from __future__ import annotations

from dataclasses import dataclass

from sppviz.method import bins, geometry, pyramid


@dataclass(frozen=True)
class Preset:
    """One named set of rules. ``scales``: min sides of the image pyramid; ``levels``: n of each n × n level,
    in vector order; ``backbone``: the trunk (``backbones.NAMES``) whose geometry the source uses;
    ``sources``: where each choice comes from."""

    name: str
    scales: tuple[int, ...]
    scale_rule: str
    box_scaling: str
    projection: str
    bin_rule: str
    levels: tuple[int, ...]
    backbone: str
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        pyramid.validate_scales(self.scales)
        if self.scale_rule not in pyramid.SCALE_RULES:
            raise ValueError(f"unknown scale rule {self.scale_rule!r}")
        pyramid.check_box_scaling(self.box_scaling)
        if self.projection not in geometry.PROJECTION_RULES:
            raise ValueError(f"unknown projection rule {self.projection!r}")
        bins.check_rule(self.bin_rule)
        bins.check_levels(self.levels)

    def rules(self) -> dict[str, str]:
        """The four per-window rules as keyword arguments (scale_rule, projection, bin_rule, box_scaling)."""
        return {"scale_rule": self.scale_rule, "projection": self.projection, "bin_rule": self.bin_rule,
                "box_scaling": self.box_scaling}


PAPER = Preset(
    name="paper", scales=pyramid.PAPER_SCALES, scale_rule="paper", box_scaling="fast-rcnn", projection="paper",
    bin_rule="adaptive", levels=bins.DETECTION_LEVELS, backbone="zf5",
    sources=(
        "paper §4.1: scales S = {480, 576, 688, 864, 1200}; each window pooled at the one scale whose scaled "
        "window is closest to 224 × 224 pixels; levels {1, 2, 3, 6} (50 bins, 12,800-d for 256 channels)",
        "paper Appendix A: a window's corner x maps to cell floor(x/S) + 1 (left/top) and ceil(x/S) − 1 "
        "(right/bottom), S = 16; bin i of n covers floor(i·a/n) .. ceil((i+1)·a/n) − 1",
        "the paper states no box-scaling formula: box · s/min_side, as Fast R-CNN (lib/fast_rcnn/test.py, "
        "_project_im_rois: rois = im_rois * scales[levels])",
    ),
)

RELEASE = Preset(
    name="release", scales=pyramid.RELEASE_SCALES, scale_rule="original", box_scaling="release",
    projection="original", bin_rule="release", levels=bins.DETECTION_LEVELS, backbone="zf5-release",
    sources=(
        "experiments/Script_spp_voc.m: opts.spm_im_size = [480 576 688 874 1200]",
        "utils/spm_pool/spm_expected_scale.m: expected_scale = round(sz_conv_standard * step_standard * "
        "min_img_sz ./ sqrt(area)), then the closest scale (spp_features_convX_to_poolX.m)",
        "spp_features_convX_to_poolX.m: scaled_boxes = bsxfun(@times, (boxes - 1), (boxes_scales(:) - 1)) / "
        "(min_img_sz - 1) + 1",
        "utils/spm_pool/spm_pool_caffe_mex.cpp: x0_norm = floor((x0 - offset0 + offset) / min_times + 0.5) + 1, "
        "x1_norm = ceil((x1 - offset0 - offset) / min_times - 0.5) + 1, midpoint when empty, clamped into the map",
        "utils/spm_pool/spm_pool_caffe_mex.cpp: float bin edges floor(xx / bin_divs * boxwidth) .. "
        "ceil((xx + 1) / bin_divs * boxwidth), maxima from 0 (memset), output d * bin_divs * bin_divs + bin",
        "model-defs/Zeiler_conv5.prototxt: ZF-5 paddings and ceil-mode pools (conv5 cell i centred at pixel "
        "20 + 16 i), norm_region: WITHIN_CHANNEL; pool5_spm1, spm2, spm3, spm6 concatenated in that order",
    ),
)

FAST_RCNN = Preset(
    name="fast-rcnn", scales=pyramid.PAPER_SCALES, scale_rule="paper", box_scaling="fast-rcnn",
    projection="fast-rcnn", bin_rule="adaptive", levels=bins.DETECTION_LEVELS, backbone="zf5",
    sources=(
        "Fast R-CNN §5.2: multi-scale testing with SPP-net's five scales {480, 576, 688, 864, 1200}",
        "Fast R-CNN lib/fast_rcnn/test.py, _project_im_rois: the scale whose scaled RoI area is closest to "
        "224 * 224, and rois = im_rois * scales[levels] (box · s/min_side)",
        "Fast R-CNN §2.1 and its roi_pooling_layer (torchvision.ops.roi_pool): the RoI's corners round(x · "
        "spatial_scale), bins floor(i·a/n) .. ceil((i+1)·a/n) − 1 (computed in float32 there: "
        "sppviz.method.roipool shows where that differs)",
        "levels: Fast R-CNN pools one 7 × 7 level (VGG16) or 6 × 6 (CaffeNet); this preset keeps {1, 2, 3, 6} "
        "because the app's detector head was trained on that 12,800-d vector — a single-level model can pass "
        "levels=(7,) to window_detail to see Fast R-CNN's grid",
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (PAPER, RELEASE, FAST_RCNN)}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (one of PRESET_NAMES); ValueError listing them otherwise."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return PRESETS[name]


def matching_preset(scale_rule: str, projection: str, bin_rule: str, box_scaling: str = "fast-rcnn") -> str | None:
    """The name of the preset whose four per-window rules are exactly these, or None (a custom mix)."""
    given = {"scale_rule": scale_rule, "projection": projection, "bin_rule": bin_rule, "box_scaling": box_scaling}
    return next((p.name for p in PRESETS.values() if p.rules() == given), None)
