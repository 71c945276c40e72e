"""The SPP-net detector (paper §4) and the R-CNN crop-and-warp baseline, on the same weights.

Data flow for one image (every step a plain function or a method with no hidden state):

    image ─► image pyramid (min side = s)      pyramid.resize_image
          ─► conv5 once per scale              Detector.features      [C, h, w] per scale
    windows ─► one scale per window            pyramid.select_scales  (paper: area closest to 224²)
            ─► into that scale's image         scale_windows          (box-scaling rule)
            ─► conv5 cells of the window       geometry.project_windows
            ─► fixed-length vector             pooling.spatial_pyramid_pool  [K, C·Σn²]
            ─► fc6, fc7, fc8 (+ box deltas)    SPPHead
            ─► scores, boxes ─► NMS            postprocess

Boxes are (x1, y1, x2, y2) in original-image pixels (see ``sppviz/__init__``); scores are the
softmax over ``len(classes) + 1`` outputs with background last.

The per-window steps are ``pool_windows`` (no network needed), named by four rules — scale selection
(``pyramid.SCALE_RULES``), box scaling (``pyramid.BOX_SCALING_RULES``), projection
(``geometry.PROJECTION_RULES``) and bins (``bins.BIN_RULES``); ``sppviz.method.presets`` bundles them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from sppviz.method import bins, geometry, pooling, pyramid
from sppviz.model import backbones

# Fast R-CNN's box-delta normalisation (targets divided by these stds).
BBOX_STD = (0.1, 0.1, 0.2, 0.2)
NMS_IOU = 0.3  # paper §4: NMS at IoU 0.3
RCNN_SIZE = 224  # R-CNN warps every window to 224 × 224


class SPPHead(nn.Module):
    """fc6 → fc7 → (fc8 class scores, box deltas) on a pooled vector [K, in_dim]."""

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 256, dropout: float = 0.5):
        super().__init__()
        self.fc6 = nn.Linear(in_dim, hidden)
        self.fc7 = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)
        self.cls = nn.Linear(hidden, num_classes + 1)  # + background (last)
        self.bbox = nn.Linear(hidden, 4 * num_classes)  # class-specific deltas

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.drop(torch.relu(self.fc6(x)))
        x = self.drop(torch.relu(self.fc7(x)))
        return self.cls(x), self.bbox(x)


class SPPNet(nn.Module):
    """conv5 trunk + spatial pyramid pooling + head. ``forward`` classifies whole images / crops
    [B, 3, H, W] (any H, W), which is how the network is pre-trained (paper §2.3)."""

    def __init__(self, trunk: backbones.Trunk, classes: tuple[str, ...], levels: tuple[int, ...] = (1, 2, 3, 6),
                 hidden: int = 256, width: float = 1.0, meta: dict | None = None):
        super().__init__()
        self.trunk = trunk
        self.width = float(width)
        self.classes = tuple(classes)
        self.levels = tuple(int(n) for n in levels)
        self.spp = pooling.SpatialPyramidPooling(self.levels)
        self.head = SPPHead(bins.vector_length(trunk.out_channels, self.levels), len(classes), hidden)
        self.meta = dict(meta or {})

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.spp(self.trunk(x)))

    # ---- persistence: safetensors only (never unpickle weights) ----
    def config(self) -> dict:
        return {"backbone": self.trunk.name, "width": self.width, "classes": list(self.classes),
                "levels": list(self.levels), "hidden": self.head.fc6.out_features, **self.meta}

    def save(self, path: str) -> None:
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}
        save_file(tensors, path, metadata={"sppviz": json.dumps(self.config())})

    @classmethod
    def load(cls, path: str, device: str | torch.device = "cpu") -> SPPNet:
        from safetensors import safe_open

        with safe_open(path, framework="pt") as f:
            meta = f.metadata() or {}
        if "sppviz" not in meta:
            raise ValueError(f"{path}: not an sppviz model (no 'sppviz' metadata in the safetensors header)")
        cfg = json.loads(meta["sppviz"])
        trunk = backbones.build(cfg["backbone"], width=cfg.get("width", 1.0))
        extra = {k: v for k, v in cfg.items() if k not in ("backbone", "width", "classes", "levels", "hidden")}
        net = cls(trunk, tuple(cfg["classes"]), cfg["levels"], cfg["hidden"], cfg.get("width", 1.0), meta=extra)
        state = load_file(path)
        missing, unexpected = net.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"{path}: weights do not fit the model (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
        return net.to(device).eval()


# ------------------------------------------------------------------ box utilities

def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU [N, M] of inclusive pixel boxes (VOC convention: width = x2 - x1 + 1)."""
    import torchvision  # here, not at the top: importing it costs ~1 s (torch._dynamo), the app starts without it

    return torchvision.ops.box_iou(a + _INCL, b + _INCL)


_INCL = torch.tensor([0.0, 0.0, 1.0, 1.0])


def encode_boxes(windows: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Fast R-CNN box-regression targets [K, 4] (dx, dy, dw, dh) / BBOX_STD."""
    w = windows[:, 2] - windows[:, 0] + 1
    h = windows[:, 3] - windows[:, 1] + 1
    cx, cy = windows[:, 0] + 0.5 * w, windows[:, 1] + 0.5 * h
    tw = targets[:, 2] - targets[:, 0] + 1
    th = targets[:, 3] - targets[:, 1] + 1
    tx, ty = targets[:, 0] + 0.5 * tw, targets[:, 1] + 0.5 * th
    d = torch.stack([(tx - cx) / w, (ty - cy) / h, torch.log(tw / w), torch.log(th / h)], 1)
    return d / torch.tensor(BBOX_STD, dtype=d.dtype)


def decode_boxes(windows: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`encode_boxes`: windows [K, 4], deltas [K, 4] → boxes [K, 4]."""
    d = deltas * torch.tensor(BBOX_STD, dtype=deltas.dtype)
    w = windows[:, 2] - windows[:, 0] + 1
    h = windows[:, 3] - windows[:, 1] + 1
    cx, cy = windows[:, 0] + 0.5 * w, windows[:, 1] + 0.5 * h
    pcx, pcy = cx + d[:, 0] * w, cy + d[:, 1] * h
    pw, ph = w * torch.exp(d[:, 2].clamp(max=4.0)), h * torch.exp(d[:, 3].clamp(max=4.0))
    return torch.stack([pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw - 1, pcy + 0.5 * ph - 1], 1)


# ------------------------------------------------------------------ results

@dataclass
class ScaleFeatures:
    """conv5 of the whole image at one scale: ``fmap`` [C, h, w]; ``factor`` = s / min(W, H) of the
    original image (W, H) (the "fast-rcnn" box scale, ``pyramid.scale_factor``)."""

    scale: int
    image_wh: tuple[int, int]  # size of the resized image fed to the trunk
    factor: float
    fmap: torch.Tensor
    seconds: float = 0.0

    @property
    def min_side(self) -> int:
        """min(W, H) of the original image, recovered exactly from s and s / min(W, H)."""
        return int(round(self.scale / self.factor))


def scale_windows(windows: torch.Tensor | np.ndarray, feats: ScaleFeatures, box_scaling: str = "fast-rcnn"
                  ) -> torch.Tensor | np.ndarray:
    """Windows [K, 4] (original-image pixels) into the pixels of ``feats``' resized image, by the named
    box-scaling rule (``pyramid.BOX_SCALING_RULES``): "fast-rcnn" windows · factor (as before, a float32
    tensor stays float32), "release" (windows · (s − 1)) / (min_side − 1) in float64
    (``spp_features_convX_to_poolX.m``, written 0-based; ``pyramid`` module doc)."""
    pyramid.check_box_scaling(box_scaling)
    if box_scaling == "fast-rcnn":
        return pyramid.scale_boxes(windows, feats.factor)
    return pyramid.scale_boxes_release(windows, feats.min_side, feats.scale)


def pool_windows(feats: list[ScaleFeatures], windows: torch.Tensor, image_wh: tuple[int, int],
                 geom: geometry.Geometry, levels: tuple[int, ...] = bins.DETECTION_LEVELS,
                 scale_rule: str = "paper", projection: str = "paper", bin_rule: str = "adaptive",
                 box_scaling: str = "fast-rcnn", out: torch.Tensor | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SPP-net's per-window steps (paper §4.1) on precomputed conv5 maps, without the network: for K windows
    [K, 4] (original-image pixels of an image of size ``image_wh`` = (w, h)) pick one scale each
    (``scale_rule``), scale the window into it (``box_scaling``), project it onto that map (``projection``,
    clamped into the map) and pool it (``bin_rule``, ``levels``).

    Returns (scale index [K] into ``feats``, cells [K, 4] inclusive 0-based (cx0, cy0, cx1, cy1) at that
    scale, pooled [K, C·Σn²] on the maps' device, release layout). With the "release" preset
    (``presets.PRESETS["release"]``) this is the release's ``spp_features_convX_to_poolX.m`` + MEX, bit for
    bit (tests/method/test_release_parity.py). ``out``: a [K, C·Σn²] buffer to pool into (``pooling.OutputBuffers``),
    returned as ``pooled``; windows of one scale that are consecutive rows are pooled into it directly."""
    pyramid.check_box_scaling(box_scaling)
    windows = torch.as_tensor(windows).reshape(-1, 4)
    scales = tuple(f.scale for f in feats)
    sidx = pyramid.select_scales(windows, image_wh, scales, rule=scale_rule)
    cells = torch.zeros((len(windows), 4), dtype=torch.long)
    device = feats[0].fmap.device
    shape = (len(windows), bins.vector_length(feats[0].fmap.shape[0], levels))
    if out is not None:
        pooling.check_out(out, shape, feats[0].fmap)
    pooled = out if out is not None else torch.zeros(shape, device=device, dtype=feats[0].fmap.dtype)
    for i, f in enumerate(feats):  # a loop over scales (≤ 8), never over windows
        rows = torch.nonzero(sidx == i).flatten()
        if len(rows) == 0:
            continue
        h, w = f.fmap.shape[1:]
        c = geometry.project_windows(scale_windows(windows[rows], f, box_scaling), geom, projection, map_hw=(h, w))
        cells[rows] = c
        first, last = int(rows[0]), int(rows[-1])
        if last - first + 1 == len(rows):  # consecutive rows (one scale: all of them): no copy
            pooling.spatial_pyramid_pool(f.fmap, c.to(device), levels, bin_rule, out=pooled[first:last + 1])
        else:
            pooled[rows.to(device)] = pooling.spatial_pyramid_pool(f.fmap, c.to(device), levels, bin_rule)
    return sidx, cells, pooled


@dataclass
class Detections:
    """``boxes`` [N, 4] float, ``scores`` [N], ``labels`` [N] (0-based class index), ``window`` [N]
    (index of the proposal window each detection came from)."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    window: torch.Tensor

    def __len__(self) -> int:
        return len(self.scores)

    def to_list(self, classes: tuple[str, ...] | list[str]) -> list[dict]:
        return [{"box": [round(float(v), 1) for v in b], "label": classes[int(lab)],
                 "score": round(float(s), 4), "window": int(w)}
                for b, s, lab, w in zip(self.boxes, self.scores, self.labels, self.window, strict=True)]


@dataclass
class WindowResult:
    """Everything computed for K windows; the app shows any of it.

    ``scale_index`` [K] index into ``scales``; ``cells`` [K, 4] inclusive conv5 cells at that scale;
    ``pooled`` [K, D] the fixed-length vectors; ``probs`` [K, classes + 1]; ``boxes`` [K, classes, 4]
    (regressed, original-image pixels)."""

    windows: torch.Tensor
    scales: tuple[int, ...]
    scale_index: torch.Tensor
    cells: torch.Tensor
    pooled: torch.Tensor
    probs: torch.Tensor
    boxes: torch.Tensor
    timings: dict = field(default_factory=dict)


def postprocess(probs: torch.Tensor, boxes: torch.Tensor, score_thresh: float = 0.3,
                nms_iou: float = NMS_IOU, classes: list[int] | None = None) -> tuple[Detections, Detections]:
    """Per-class threshold then per-class NMS (paper §4: IoU 0.3).

    probs [K, C+1] (background last), boxes [K, C, 4] → (before_nms, after_nms), each sorted by score."""
    num_classes = probs.shape[1] - 1
    keep_cls = range(num_classes) if classes is None else classes
    k_idx, c_idx = torch.nonzero(probs[:, :num_classes] >= score_thresh, as_tuple=True)
    sel = torch.isin(c_idx, torch.as_tensor(list(keep_cls), dtype=c_idx.dtype))
    k_idx, c_idx = k_idx[sel], c_idx[sel]
    before = Detections(boxes[k_idx, c_idx].float(), probs[k_idx, c_idx].float(), c_idx, k_idx)
    order = torch.argsort(before.scores, descending=True)
    before = Detections(*(t[order] for t in (before.boxes, before.scores, before.labels, before.window)))
    import torchvision  # see box_iou

    keep = torchvision.ops.batched_nms(before.boxes + _INCL, before.scores, before.labels, nms_iou)
    after = Detections(*(t[keep] for t in (before.boxes, before.scores, before.labels, before.window)))
    return before, after


# ------------------------------------------------------------------ the detector

class Detector:
    """SPP-net detection with a trained :class:`SPPNet` (paper §4.1).

    ``features`` runs conv5 once per scale (the expensive part; callers cache it), ``windows`` does
    everything per window from those maps (cheap), ``detect`` is both plus NMS."""

    def __init__(self, net: SPPNet, device: str | torch.device | None = None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.net = net.to(self.device).eval()
        if self.device.type == "cpu":
            self.net.trunk.to(memory_format=torch.channels_last)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.net.classes

    @property
    def geometry(self) -> geometry.Geometry:
        return self.net.trunk.geometry

    @torch.inference_mode()
    def features(self, image: np.ndarray, scale: int) -> ScaleFeatures:
        """conv5 of ``image`` (uint8 H×W×3 RGB) resized so that min side = ``scale``."""
        h, w = image.shape[:2]
        t0 = time.perf_counter()
        resized = pyramid.resize_image(image, scale)
        x = self.net.trunk.preprocess(resized).to(self.device)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        fmap = self.net.trunk(x)[0].contiguous()
        return ScaleFeatures(scale, (resized.shape[1], resized.shape[0]), pyramid.scale_factor(w, h, scale),
                             fmap, time.perf_counter() - t0)

    @torch.inference_mode()
    def windows(self, feats: list[ScaleFeatures], windows: np.ndarray | torch.Tensor, image_wh: tuple[int, int],
                scale_rule: str = "paper", projection: str = "paper", bin_rule: str = "adaptive",
                box_scaling: str = "fast-rcnn", out: torch.Tensor | None = None) -> WindowResult:
        """Score K windows (original-image boxes [K, 4]) using the conv5 maps in ``feats`` (``pool_windows``
        with the model's levels, into ``out`` when given, then the head)."""
        t0 = time.perf_counter()
        windows = torch.as_tensor(np.asarray(windows, dtype=np.float32)).reshape(-1, 4)
        scales = tuple(f.scale for f in feats)
        sidx, cells, pooled = pool_windows(feats, windows, image_wh, self.geometry, self.net.levels, scale_rule,
                                           projection, bin_rule, box_scaling, out)
        pooled = pooled.to(self.device)
        t1 = time.perf_counter()
        probs, boxes = self.head(pooled, windows, image_wh)
        t2 = time.perf_counter()
        return WindowResult(windows, scales, sidx, cells, pooled, probs, boxes,
                            {"pool_s": t1 - t0, "head_s": t2 - t1})

    @torch.inference_mode()
    def head(self, pooled: torch.Tensor, windows: torch.Tensor,
             image_wh: tuple[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """fc layers on pooled vectors [K, D] → probs [K, C+1], regressed boxes [K, C, 4] (cpu), clipped
        to the image (inclusive pixels 0 … w − 1, 0 … h − 1, as Fast R-CNN clips) when ``image_wh`` is given."""
        logits, deltas = self.net.head(pooled.to(self.device))
        probs = torch.softmax(logits, 1).cpu()
        deltas = deltas.cpu().reshape(len(windows), -1, 4)
        n_cls = deltas.shape[1]
        boxes = decode_boxes(windows.repeat_interleave(n_cls, 0), deltas.reshape(-1, 4))
        if image_wh is not None:
            w, h = image_wh
            boxes[:, 0::2] = boxes[:, 0::2].clamp(0, w - 1)
            boxes[:, 1::2] = boxes[:, 1::2].clamp(0, h - 1)
        return probs, boxes.reshape(len(windows), n_cls, 4)

    def detect(self, image: np.ndarray, windows: np.ndarray | torch.Tensor,
               scales: tuple[int, ...] = (pyramid.SINGLE_SCALE,), score_thresh: float = 0.3,
               nms_iou: float = NMS_IOU, **rules: str) -> tuple[WindowResult, Detections, Detections]:
        """The whole SPP-net pipeline on one image → (per-window results, before NMS, after NMS). ``rules``:
        scale_rule, projection, bin_rule, box_scaling (``windows``; ``presets.Preset.rules()`` gives all four)."""
        feats = [self.features(image, s) for s in scales]
        res = self.windows(feats, windows, (image.shape[1], image.shape[0]), **rules)
        res.timings["conv_s"] = sum(f.seconds for f in feats)
        before, after = postprocess(res.probs, res.boxes, score_thresh, nms_iou)
        return res, before, after

    # ---- the R-CNN baseline: crop, warp to 224 × 224, whole network per window ----
    @torch.inference_mode()
    def rcnn_windows(self, image: np.ndarray, windows: np.ndarray | torch.Tensor,
                     batch: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
        """R-CNN (Girshick et al. 2014) on the same weights: every window is cropped from the image,
        warped to 224 × 224 and run through conv1..conv5, SPP (one 14×14 map → the same vector
        length) and the head. Returns probs [K, C+1], boxes [K, C, 4]."""
        windows = torch.as_tensor(np.asarray(windows, dtype=np.float32)).reshape(-1, 4)
        pooled = []
        for start in range(0, len(windows), batch):  # batches of windows: this path is the slow one
            crops = warp_crops(image, windows[start:start + batch], RCNN_SIZE)
            x = torch.cat([self.net.trunk.preprocess(c) for c in crops]).to(self.device)
            if self.device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            pooled.append(self.net.spp(self.net.trunk(x)))
        pooled = torch.cat(pooled) if pooled else torch.zeros((0, self.net.head.fc6.in_features))
        return self.head(pooled, windows, (image.shape[1], image.shape[0]))


def warp_crops(image: np.ndarray, windows: torch.Tensor, size: int = RCNN_SIZE) -> list[np.ndarray]:
    """R-CNN's warp: crop each window (inclusive pixels, clipped to the image) and resize it
    anisotropically to ``size`` × ``size``. Returns uint8 arrays [size, size, 3]."""
    import cv2

    h, w = image.shape[:2]
    out = []
    for x1, y1, x2, y2 in windows.round().long().tolist():
        x1, y1 = min(max(x1, 0), w - 1), min(max(y1, 0), h - 1)
        x2, y2 = min(max(x2, x1), w - 1), min(max(y2, y1), h - 1)
        out.append(cv2.resize(image[y1:y2 + 1, x1:x2 + 1], (size, size), interpolation=cv2.INTER_LINEAR))
    return out


# ------------------------------------------------------------------ ImageNet backbones

IMAGENET_LEVEL = {"alexnet": 6, "vgg16": 7}  # one SPP level = the size torchvision's fc6 expects


class ImageNetHead(nn.Module):
    """torchvision's pretrained classifier (fc6, fc7, fc8 → 1000 ImageNet classes) behind a one-level
    SPP. Returns (logits [K, 1001] with a constant −inf "background" column last, zero box deltas)
    so that it plugs into the same scoring and NMS as the bundled model: a window is labelled
    with its best ImageNet class and scored by its softmax probability; boxes stay the windows."""

    def __init__(self, classifier: nn.Sequential, num_classes: int = 1000):
        super().__init__()
        self.classifier = classifier
        self.fc6 = next(m for m in classifier if isinstance(m, nn.Linear))  # in_features for callers
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.classifier(x)
        bg = torch.full((len(x), 1), float("-inf"), dtype=logits.dtype, device=logits.device)
        return torch.cat([logits, bg], 1), torch.zeros((len(x), 4 * self.num_classes), device=logits.device)


def imagenet_net(name: str, state: dict | None = None) -> SPPNet:
    """An SPP-net with torchvision's ImageNet ``name`` ("alexnet" / "vgg16"): conv5 trunk, a single
    SPP level (6×6 / 7×7, exactly the map torchvision's avgpool feeds fc6) and the pretrained fc
    layers. ``state``: the full torchvision state dict; None looks it up on disk
    (``backbones.load_imagenet_classifier``: raises ``backbones.WeightsNotFound`` with where it looked)."""
    import torchvision  # see box_iou

    if name not in IMAGENET_LEVEL:
        raise ValueError(f"ImageNet SPP-nets exist for {', '.join(IMAGENET_LEVEL)}, not {name!r}")
    state = backbones.load_imagenet_classifier(name) if state is None else state
    tv = getattr(torchvision.models, name)(weights=None)
    tv.load_state_dict(state)
    trunk = backbones.build(name)
    backbones.load_trunk_state(trunk, backbones.torchvision_to_trunk_keys(trunk, state), source=name)
    categories = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta["categories"]
    net = SPPNet(trunk, tuple(categories), (IMAGENET_LEVEL[name],), hidden=1)
    net.head = ImageNetHead(tv.classifier, len(categories))
    return net.eval()
