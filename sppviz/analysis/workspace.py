"""A workspace: one image's analysis plus the user's drawn boxes, with the cheap caches around it.

The app keeps one :class:`Workspace` per browser session; the CLI's lesson export builds one too. It
holds two analyses that share their conv5 maps: ``base`` (the proposal windows) and ``a`` (``base``
plus the boxes the user drew, appended after the proposals). Everything the figures of one window
need and that is worth keeping is cached here, keyed by the workspace's id ``aid`` (which changes
whenever ``a`` does): resized pyramid images, channel means / maxima, ``window_detail`` results and
each window's vectors at every scale.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import torch

from sppviz.analysis.cache import LRUCache
from sppviz.analysis.pipeline import Analysis, WindowDetail, model_id, window_detail
from sppviz.method import multiscale, pyramid

# The first window shown is at least this fraction of the image's shorter side (a window big enough to show bins).
MIN_FIRST_SIDE = 0.15
# window_detail results: (aid, k, levels, channel, rules) -> WindowDetail (~50 kB each)
DETAILS = LRUCache(256)
# per-image arrays: resized images (up to ~6 MB each at s = 1200), channel means / maxima
ARRAYS = LRUCache(64, 256 * 2**20, sizeof=lambda arr: arr.nbytes)
# (aid, k, rules) -> multiscale.WindowScales (one window pooled at every scale)
WINDOW_SCALES = LRUCache(64)


def tensor_bytes(x: object) -> int:
    """Bytes of a tensor (0 for anything else)."""
    return x.numel() * x.element_size() if isinstance(x, torch.Tensor) else 0


def analysis_bytes(a: Analysis) -> int:
    """Memory an analysis holds: the image, its conv5 maps and its cached window scores."""
    n = a.image.nbytes + sum(tensor_bytes(f.fmap) for f in a.feats)
    for res in a.results.values():  # cached window scores, one per rules combination
        n += sum(tensor_bytes(getattr(res, k)) for k in ("pooled", "probs", "boxes", "cells"))
    return n


def with_boxes(base: Analysis, boxes: list) -> Analysis:
    """``base`` plus extra windows (drawn boxes, [N, 4] x1, y1, x2, y2 inclusive image pixels); the conv5
    maps are shared, the window scores are recomputed lazily."""
    if not boxes:
        return base
    extra = torch.as_tensor(np.asarray(boxes, np.float32)).reshape(-1, 4)
    return Analysis(base.image, base.iid, base.detector, base.scales, torch.cat([base.windows, extra]), base.feats,
                    list(base.notices), dict(base.timings), dict(base.work))


@dataclass
class Workspace:
    """One session's analysis: ``base`` (the proposal windows) and ``a`` (plus drawn boxes)."""

    base: Analysis
    a: Analysis
    aid: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def nbytes(self) -> int:
        return analysis_bytes(self.base) + (0 if self.a is self.base else analysis_bytes(self.a))

    @property
    def channels(self) -> int:
        """C, the number of conv5 channels."""
        return int(self.a.feats[0].fmap.shape[0])

    @property
    def drawn_from(self) -> int:
        """Index of the first drawn box among ``a.windows`` (= the number of proposals)."""
        return len(self.base.windows)

    def resized(self, si: int) -> np.ndarray:
        """The image at scale index ``si`` (min side = s), uint8 [h, w, 3], cached per image and scale."""
        key = ("img", self.base.iid, self.a.scales[si])
        img = ARRAYS.get(key)
        if img is None:
            img = pyramid.resize_image(self.a.image, self.a.scales[si])
            ARRAYS.put(key, img)
        return img

    def reduced(self, si: int, how: str) -> np.ndarray:
        """The mean ("mean") or max ("max") over channels of conv5 at scale index ``si``: float32 [H, W]."""
        key = (how, self.base.iid, self.a.scales[si], model_id(self.a.detector))
        m = ARRAYS.get(key)
        if m is None:
            fm = self.a.feats[si].fmap
            m = (fm.mean(0) if how == "mean" else fm.amax(0)).float().cpu().numpy()
            ARRAYS.put(key, m)
        return m

    def channel(self, si: int, c: int) -> np.ndarray:
        """Channel ``c`` of conv5 at scale index ``si``: float32 [H, W]."""
        return self.a.feats[si].fmap[int(c)].float().cpu().numpy()

    def detail(self, k: int, levels: tuple[int, ...], channel: int | None, rules: dict) -> WindowDetail:
        """``window_detail`` of window ``k`` (cached); ``channel`` None picks the window's strongest."""
        key = (self.aid, int(k), tuple(levels), None if channel is None else int(channel), *sorted(rules.items()))
        d = DETAILS.get(key)
        if d is None:
            d = window_detail(self.a, int(k), levels, channel, **rules)
            DETAILS.put(key, d)
            DETAILS.put((self.aid, int(k), tuple(levels), d.channel, *sorted(rules.items())), d)
        return d

    def window_scales(self, k: int, rules: dict) -> multiscale.WindowScales:
        """Window ``k`` pooled at every scale with the model's levels (cached per window and rules)."""
        key = (self.aid, int(k), *sorted(rules.items()))
        ws = WINDOW_SCALES.get(key)
        if ws is None:
            a = self.a
            ws = multiscale.window_scales(a.feats, a.windows[int(k)].tolist(), a.image_wh, a.geometry,
                                          a.detector.net.levels, **rules)
            WINDOW_SCALES.put(key, ws)
        return ws

    def initial_window(self) -> int:
        """The window to show first (see ``Analysis.best_window``)."""
        return self.a.best_window(MIN_FIRST_SIDE) if len(self.a.windows) else 0
