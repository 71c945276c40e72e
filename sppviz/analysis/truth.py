"""Ground truth of the bundled scenes and how detections meet it (VOC's rule: IoU ≥ 0.5, same class,
each true object claimed once, highest score first).

The six example scenes in ``assets/examples`` come with their objects (``examples.json``: boxes (x1, y1,
x2, y2) inclusive pixel centres, class indices into the bundled model's classes). An image is a bundled
scene when its pixels hash to one of them (``analysis.image_id``), however it reached the app.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
import torch

from sppviz.analysis.images import load_image
from sppviz.analysis.pipeline import image_id
from sppviz.model.detector import Detections, box_iou
from sppviz.model.weights import ASSETS

EXAMPLES = ASSETS / "examples"
MATCH_IOU = 0.5  # VOC's criterion (the paper's evaluation, §4)


@dataclass(frozen=True)
class Truth:
    """A bundled scene's objects: ``boxes`` float32 [G, 4] (x1, y1, x2, y2 inclusive pixels), ``labels``
    int64 [G] (indices into ``classes``), ``classes`` the names, ``file`` the example's name."""

    file: str
    boxes: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _bundled() -> dict[str, Truth]:
    """image_id -> Truth of every bundled example (decoded once, as the app's loader decodes it)."""
    try:
        meta = json.loads((EXAMPLES / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    classes = tuple(meta["classes"])
    out = {}
    for ex in meta["examples"]:
        path = EXAMPLES / ex["file"]
        if not path.is_file():
            continue
        img, _ = load_image(path)
        out[image_id(img)] = Truth(ex["file"], torch.tensor(ex["boxes"], dtype=torch.float32).reshape(-1, 4),
                                   torch.tensor(ex["labels"], dtype=torch.int64), classes)
    return out


def truth_of(image: np.ndarray, iid: str | None = None) -> Truth | None:
    """The ground truth of ``image`` (uint8 RGB [H, W, 3]) when it is a bundled scene, else None; ``iid``:
    its ``image_id`` when already known (an Analysis has it), so the pixels are not hashed again."""
    return _bundled().get(iid or image_id(image))


def match(det: Detections, truth: Truth, iou: float = MATCH_IOU) -> tuple[np.ndarray, np.ndarray]:
    """(true_positive bool [N] per detection, found bool [G] per true object): detections in score order,
    each claiming the unclaimed true object of its class it overlaps most, if that IoU ≥ ``iou``."""
    n, g = len(det), len(truth.boxes)
    tp, found = np.zeros(n, bool), np.zeros(g, bool)
    if n == 0 or g == 0:
        return tp, found
    ious = box_iou(det.boxes.float(), truth.boxes).numpy()
    same = det.labels.numpy()[:, None] == truth.labels.numpy()[None, :]
    for i in np.argsort(-det.scores.numpy(), kind="stable"):
        cand = np.where(same[i] & ~found & (ious[i] >= iou))[0]
        if len(cand):
            j = cand[np.argmax(ious[i, cand])]
            tp[i], found[j] = True, True
    return tp, found
