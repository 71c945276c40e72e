"""One image through SPP-net, with the expensive parts cached: what the app and the API call.

``analyze`` runs the pyramid, conv5 per scale (cached per image × model × scale), the proposals
(cached per image × source × count) and scores every window once. Everything the app shows for a
selected window, level, channel or rule is then cheap (``window_detail``, ``detections``): conv5 is
never recomputed for those.

The proposals and conv5 need nothing from each other, so they run at the same time: ``begin`` starts
the proposals in a worker thread (OpenCV's selective search releases the GIL) and returns a
:class:`PendingAnalysis`, whose ``features`` runs conv5 in the calling thread (torch releases the GIL
too) and whose ``finish`` waits for the windows and scores them; the app shows the pyramid and conv5
panels between the two. Scoring pools into a reused output buffer (``POOL_BUFFERS``): the ~100 MB of
2,000 pooled vectors are written into memory already in use instead of fresh pages.

Coordinates: see ``sppviz/__init__``. Windows and detections are in original-image pixels.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from sppviz.analysis.cache import LRUCache
from sppviz.analysis.options import MAX_WINDOWS, PROPOSAL_SOURCES  # noqa: F401 - re-exported
from sppviz.method import bins, geometry, multiscale, pooling, proposals, pyramid
from sppviz.model.detector import Detections, Detector, ScaleFeatures, WindowResult, postprocess, scale_windows

# conv5 maps kept across requests; one 256-channel map of a 1200-px image is ~10 MB.
FEATURE_CACHE_BYTES = int(os.environ.get("SPPVIZ_FEATURE_CACHE_MB", "1024")) * 2**20


def _feature_bytes(f: ScaleFeatures) -> int:
    return f.fmap.numel() * f.fmap.element_size()


FEATURES = LRUCache(256, FEATURE_CACHE_BYTES, _feature_bytes)
PROPOSALS = LRUCache(64)
# Output buffers of the scoring passes (one per analysis being scored at a time; the app scores two at once).
POOL_BUFFERS = pooling.OutputBuffers(keep=int(os.environ.get("SPPVIZ_POOL_BUFFERS", "2")))
# Proposal searches run here while conv5 runs in the caller's thread; a search already under way for the
# same image, source and count is joined rather than repeated. Their threads run PROPOSAL_NICE steps below the
# process's CPU priority: on 2 cores, a search beside conv5 made torch's two threads wait for the core it held
# (a 500×375 photo at 480, 688, 864: conv5 218 ms alone, 582 ms beside the search, 222 ms beside it lowered),
# and the search ends as soon (1.30 → 1.24 s): the first panels come ~0.35 s sooner for nothing.
PROPOSAL_NICE = int(os.environ.get("SPPVIZ_PROPOSAL_NICE", "10"))


def lower_priority(steps: int = PROPOSAL_NICE) -> int | None:
    """Lower the calling thread's CPU priority by ``steps`` nice levels (Linux: per thread; at most 19);
    returns the new nice value, or None where the system does not allow it (a thread's priority can always
    be lowered, never raised back without privileges)."""
    try:
        tid = threading.get_native_id()
        nice = min(19, os.getpriority(os.PRIO_PROCESS, tid) + max(0, int(steps)))
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        return nice
    except (AttributeError, OSError):  # not Linux / not allowed: the search runs at the usual priority
        return None


_SEARCHES = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sppviz-proposals", initializer=lower_priority)
_IN_FLIGHT: dict[tuple, Future] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def image_id(image: np.ndarray) -> str:
    """Content hash of a uint8 image (shape included): the cache key of everything per image."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(image.shape).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.hexdigest()


def model_id(detector: Detector) -> str:
    return f"{detector.net.trunk.name}:{id(detector)}"


def get_features(detector: Detector, image: np.ndarray, scale: int, iid: str | None = None) -> ScaleFeatures:
    """conv5 of ``image`` at ``scale``, from the cache when this image, model and scale were seen."""
    return cached_features(detector, image, scale, iid)[0]


def cached_features(detector: Detector, image: np.ndarray, scale: int, iid: str | None = None
                    ) -> tuple[ScaleFeatures, bool]:
    """``get_features`` and whether the map came from the cache (True) or was computed now (False)."""
    key = (model_id(detector), iid or image_id(image), int(scale))
    f = FEATURES.get(key)
    if f is not None:
        return f, True
    f = detector.features(image, int(scale))
    FEATURES.put(key, f)
    return f, False


def check_windows_request(source: str, count: int) -> int:
    """``count`` as an int when ``source`` is a proposal source and 1 ≤ count ≤ MAX_WINDOWS; a ValueError
    naming the problem otherwise."""
    if source not in PROPOSAL_SOURCES:
        raise ValueError(f"unknown proposal source {source!r}; choose one of {', '.join(PROPOSAL_SOURCES)}")
    count = int(count)
    if not 1 <= count <= MAX_WINDOWS:
        raise ValueError(f"the number of windows must be between 1 and {MAX_WINDOWS}, got {count}")
    return count


def get_windows(image: np.ndarray, source: str, count: int, iid: str | None = None,
                user_boxes: np.ndarray | Sequence[Sequence[float]] | None = None) -> tuple[np.ndarray, float]:
    """Proposal windows [K, 4] (original pixels) and the seconds they took (0 when cached)."""
    count = check_windows_request(source, count)
    wh = (image.shape[1], image.shape[0])
    if source == "user":
        if user_boxes is None or len(user_boxes) == 0:
            raise ValueError("draw at least one box (two clicks on the image) or pick another proposal source")
        return proposals.validate_boxes(user_boxes, wh)[:count], 0.0
    key = (iid or image_id(image), source, count)
    hit = PROPOSALS.get(key)
    if hit is not None:
        return hit, 0.0
    t0 = time.perf_counter()
    if source == "grid":
        win = proposals.grid_windows(wh, max_windows=count)
    else:
        win = proposals.selective_search(image, mode=source.rsplit("-", 1)[1], max_windows=count)
    if len(win) == 0:
        raise ValueError("no proposal windows were found in this image; try the grid or draw boxes")
    PROPOSALS.put(key, win)
    return win, time.perf_counter() - t0


def windows_later(image: np.ndarray, source: str, count: int, iid: str | None = None,
                  user_boxes: np.ndarray | Sequence[Sequence[float]] | None = None) -> Future:
    """``get_windows`` as a Future: a selective search not in the cache runs in a worker thread (joined when
    one for the same image, source and count is under way); user boxes, the grid and cached windows are
    answered at once (their errors raised here). A search's error (no windows found) is the Future's."""
    count = check_windows_request(source, count)
    iid = iid or image_id(image)
    key = (iid, source, count)
    if source.startswith("selective-search") and PROPOSALS.get(key) is None:
        with _IN_FLIGHT_LOCK:
            fut = _IN_FLIGHT.get(key)
            if fut is None:
                fut = _SEARCHES.submit(get_windows, image, source, count, iid)
                _IN_FLIGHT[key] = fut
                fut.add_done_callback(lambda _f, key=key: _drop_in_flight(key))
        return fut
    fut = Future()
    fut.set_result(get_windows(image, source, count, iid, user_boxes))
    return fut


def _drop_in_flight(key: tuple) -> None:
    with _IN_FLIGHT_LOCK:
        _IN_FLIGHT.pop(key, None)


@dataclass
class Analysis:
    """One image at a set of scales with one model and one set of windows."""

    image: np.ndarray
    iid: str
    detector: Detector
    scales: tuple[int, ...]
    windows: torch.Tensor  # [K, 4] original-image pixels
    feats: list[ScaleFeatures]
    notices: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # seconds (PendingAnalysis.finish)
    work: dict = field(default_factory=dict)  # what the analysis did: cache hits, windows asked for and found
    _results: dict = field(default_factory=dict, repr=False)

    @property
    def image_wh(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def geometry(self) -> geometry.Geometry:
        return self.detector.geometry

    @property
    def results(self) -> dict:
        """The window scores computed so far, one ``WindowResult`` per rules combination (read-only use)."""
        return self._results

    def result(self, scale_rule: str = "paper", projection: str = "paper",
               bin_rule: str = "adaptive", box_scaling: str = "fast-rcnn") -> WindowResult:
        """Scores of every window under these rules (the model's own levels); cached per rules
        (scale selection, projection, bins, box scaling: ``Detector.windows``)."""
        key = (scale_rule, projection, bin_rule, box_scaling)
        if key not in self._results:
            det, K = self.detector, len(self.windows)
            shape = (K, bins.vector_length(self.feats[0].fmap.shape[0], det.net.levels))
            with POOL_BUFFERS.take(shape, self.feats[0].fmap.dtype, self.feats[0].fmap.device) as buf:
                res = det.windows(self.feats, self.windows, self.image_wh, scale_rule, projection, bin_rule,
                                  box_scaling, out=buf)
                # ~100 MB for 2,000 windows, in the reused buffer; window_detail re-pools one window
                res.pooled = res.pooled.new_empty((0, shape[1]))
            self._results[key] = res
        return self._results[key]

    def detections(self, score_thresh: float = 0.5, nms_iou: float = 0.3, classes: list[int] | None = None,
                   **rules: str) -> tuple[Detections, Detections]:
        """(before NMS, after NMS) from the cached window scores: no conv, no pooling. ``rules``: scale_rule,
        projection, bin_rule, box_scaling (``result``)."""
        res = self.result(**rules)
        return postprocess(res.probs, res.boxes, score_thresh, nms_iou, classes)

    def combined_result(self, projection: str = "paper", bin_rule: str = "adaptive",
                        box_scaling: str = "fast-rcnn") -> WindowResult:
        """Scores of every window from its vectors combined over **all** scales (element-wise max,
        ``multiscale.max_over_scales_vectors``) instead of one best scale, through the same head (the
        model's own levels). ``scale_index`` and ``cells`` are -1: no single scale is used. Cached per rules."""
        key = ("max-over-scales", projection, bin_rule, box_scaling)
        if key not in self._results:
            t0 = time.perf_counter()
            pooled = multiscale.max_over_scales_vectors(self.feats, self.windows, self.geometry,
                                                        self.detector.net.levels, projection, bin_rule, box_scaling)
            t1 = time.perf_counter()
            probs, boxes = self.detector.head(pooled, self.windows, self.image_wh)
            K = len(self.windows)
            self._results[key] = WindowResult(self.windows, self.scales, torch.full((K,), -1, dtype=torch.long),
                                              torch.full((K, 4), -1, dtype=torch.long), pooled[:0], probs, boxes,
                                              {"pool_s": t1 - t0, "head_s": time.perf_counter() - t1})
        return self._results[key]

    def combined_detections(self, score_thresh: float = 0.5, nms_iou: float = 0.3, classes: list[int] | None = None,
                            projection: str = "paper", bin_rule: str = "adaptive",
                            box_scaling: str = "fast-rcnn") -> tuple[Detections, Detections]:
        """(before NMS, after NMS) from the max-over-scales vectors (``combined_result``)."""
        res = self.combined_result(projection, bin_rule, box_scaling)
        return postprocess(res.probs, res.boxes, score_thresh, nms_iou, classes)

    def best_window(self, min_side: float = 0.15) -> int:
        """The window to show first: the best-scoring non-background window among those whose
        shorter side is at least ``min_side`` of the image's (an object, usually, and big enough to
        show bins); smaller windows only when there is no such window."""
        w = self.windows
        if len(w) == 0:
            raise ValueError("the image has no proposal windows")
        side = torch.minimum(w[:, 2] - w[:, 0] + 1, w[:, 3] - w[:, 1] + 1)
        big = side >= min_side * min(self.image_wh)
        probs = self.result().probs
        score = probs[:, :-1].amax(1) if probs.shape[1] > 1 else torch.zeros(len(w))
        return int(torch.argmax(torch.where(big, score, score - 2.0)))

    def pick_window(self, x: float, y: float) -> int | None:
        """Index of the smallest window containing the pixel (x, y), or None."""
        w = self.windows
        inside = (w[:, 0] <= x) & (x <= w[:, 2]) & (w[:, 1] <= y) & (y <= w[:, 3])
        if not bool(inside.any()):
            return None
        area = (w[:, 2] - w[:, 0] + 1) * (w[:, 3] - w[:, 1] + 1)
        area = torch.where(inside, area, torch.full_like(area, float("inf")))
        return int(torch.argmin(area))


class PendingAnalysis:
    """An analysis under way (``begin``): the proposals search in a worker thread while ``features`` runs
    conv5 here; ``finish`` waits for the windows and scores them. Call ``features`` then ``finish``, once each."""

    def __init__(self, image: np.ndarray, detector: Detector, scales: Sequence[int], source: str, count: int,
                 user_boxes: np.ndarray | Sequence[Sequence[float]] | None, notices: list[str] | None):
        self.scales = pyramid.validate_scales(scales)
        self.image, self.detector, self.notices = image, detector, list(notices or [])
        self.iid = image_id(image)
        self.t0 = time.perf_counter()
        self.source, self.count = source, check_windows_request(source, count)
        self.windows_cached = source != "user" and PROPOSALS.get((self.iid, source, self.count)) is not None
        self._windows = windows_later(image, source, count, self.iid, user_boxes)
        self.feats: list[ScaleFeatures] = []
        self.conv_s = 0.0
        self.conv_scales: list[tuple[int, float, bool]] = []  # (scale, seconds, from the cache)

    def features(self, progress: Callable[..., object] | None = None) -> list[ScaleFeatures]:
        """conv5 at every scale (cached per image, model and scale), in the calling thread."""
        t0 = time.perf_counter()
        if progress:
            progress(0.05, desc="proposal windows and conv5")
        for i, s in enumerate(self.scales):
            if progress:
                progress(0.1 + 0.5 * i / len(self.scales), desc=f"conv5 at scale {s}")
            t1 = time.perf_counter()
            f, hit = cached_features(self.detector, self.image, s, self.iid)
            self.feats.append(f)
            self.conv_scales.append((s, time.perf_counter() - t1, hit))
        self.conv_s = time.perf_counter() - t0
        return self.feats

    def preview(self) -> Analysis:
        """The analysis without windows yet: enough for the pyramid and conv5 panels."""
        return Analysis(self.image, self.iid, self.detector, self.scales, torch.zeros((0, 4)), self.feats,
                        list(self.notices))

    def finish(self, progress: Callable[..., object] | None = None,
               known: Callable[[Analysis], Analysis | None] | None = None) -> Analysis:
        """Wait for the windows (re-raising the search's error), score every window once; timings in seconds:
        proposals_s (the search itself, 0 when cached), conv_s, wait_s (waiting for the windows after conv5),
        score_s, total_s (from ``begin``); and in ``work`` what they did: conv_scales ((scale, seconds, cached)
        per scale), windows_cached (the proposals came from the cache), source, asked (windows asked for), found.
        ``known(a)``: an equal analysis already scored elsewhere (the app's shared analyses), whose scores are
        then reused instead of computed again (its image, conv5 maps and score cache; our notices and times)."""
        if progress:
            progress(0.65, desc="proposal windows")
        t1 = time.perf_counter()
        windows, prop_s = self._windows.result()
        t2 = time.perf_counter()
        if progress:
            progress(0.8, desc="scoring the windows")
        a = Analysis(self.image, self.iid, self.detector, self.scales,
                     torch.as_tensor(np.asarray(windows, np.float32)).reshape(-1, 4), self.feats, self.notices)
        prior = known(a) if known else None
        if prior is not None:
            a = dataclasses.replace(prior, notices=self.notices)
        a.result()  # computed now, or already in the shared score cache
        t3 = time.perf_counter()
        a.timings = {"proposals_s": prop_s, "conv_s": self.conv_s, "wait_s": t2 - t1, "score_s": t3 - t2,
                     "total_s": t3 - self.t0}
        a.work = {"conv_scales": tuple(self.conv_scales), "windows_cached": self.windows_cached,
                  "source": self.source, "asked": self.count, "found": len(a.windows)}
        return a


def begin(image: np.ndarray, detector: Detector, scales: Sequence[int] = (pyramid.SINGLE_SCALE,),
          source: str = "selective-search-fast", count: int = 2000,
          user_boxes: np.ndarray | Sequence[Sequence[float]] | None = None,
          notices: list[str] | None = None) -> PendingAnalysis:
    """Start an analysis: validate, start the proposals (worker thread); conv5 and scoring follow
    (:class:`PendingAnalysis`)."""
    return PendingAnalysis(image, detector, scales, source, count, user_boxes, notices)


def analyze(image: np.ndarray, detector: Detector, scales: Sequence[int] = (pyramid.SINGLE_SCALE,),
            source: str = "selective-search-fast", count: int = 2000,
            user_boxes: np.ndarray | Sequence[Sequence[float]] | None = None,
            notices: list[str] | None = None, progress: Callable[..., object] | None = None) -> Analysis:
    """Pyramid → conv5 per scale (cached), with the windows (cached) found meanwhile → one scoring pass."""
    p = begin(image, detector, scales, source, count, user_boxes, notices)
    p.features(progress)
    return p.finish(progress)


def warm_up(detector: Detector | None = None) -> dict[str, float]:
    """Do once what the first analysis of a process would otherwise pay for: load numba's compiled pooling
    kernel (from its disk cache, or compile it), torchvision (NMS) and, with a ``detector``, its first
    convolution. Returns the seconds of each step."""
    out = {}
    t0 = time.perf_counter()
    fmap, cells = torch.rand(8, 6, 6), torch.tensor([[0, 0, 5, 5], [1, 1, 3, 4]])
    pooling.spatial_pyramid_pool(fmap, cells)
    pooling.spatial_pyramid_pool(fmap, cells, return_argmax=True)
    t1 = time.perf_counter()
    postprocess(torch.tensor([[0.9, 0.1]]), torch.zeros((1, 1, 4)))
    t2 = time.perf_counter()
    out.update(pooling_kernels_s=t1 - t0, torchvision_s=t2 - t1)
    if detector is not None:
        detector.features(np.zeros((64, 64, 3), np.uint8), 64)
        out["first_conv_s"] = time.perf_counter() - t2
    return out


# ------------------------------------------------------------------ one window, in detail

@dataclass
class LevelDetail:
    """One pyramid level n of the selected window. Bins are inclusive cell ranges *relative to
    the window's first cell*; ``values`` [ny, nx] are the per-bin maxima of the chosen channel and
    ``argmax_cells`` [ny, nx, 2] the absolute (cx, cy) conv5 cell each came from — (−1, −1), with NaN
    ``argmax_points``, where the "release" bin rule's floor of 0 gave the value (all cells negative)."""

    n: int
    bins_x: list[tuple[int, int]]
    bins_y: list[tuple[int, int]]
    values: np.ndarray
    argmax_cells: np.ndarray
    argmax_points: np.ndarray  # [ny, nx, 2] receptive-field centres in original-image pixels
    sliding_bins: tuple[int, int] | None  # (count x, count y) under the sliding rule, None if undefined
    note: str = ""


@dataclass
class WindowDetail:
    """Everything the projection and pooling panels show for window ``k``."""

    k: int
    box: list[float]  # original-image pixels
    scale_index: int
    scale: int
    factor: float
    scaled_box: list[float]  # pixels of the scaled image
    map_hw: tuple[int, int]
    box_on_map: list[float]  # the continuous window in conv5 coordinates: (x − offset) / stride
    cells: dict[str, tuple[int, int, int, int]]  # projection rule → inclusive cells
    rule: str
    chosen: tuple[int, int, int, int]
    scale_scores: dict[str, list[float]]  # scale rule → score per scale (lower is better)
    scaled_areas: list[float]
    chosen_by_rule: dict[str, int]  # scale rule → chosen index
    levels: list[LevelDetail]
    vector: np.ndarray  # [C·Σn²] for the chosen levels and bin rule
    level_slices: list[slice]
    channel: int
    top_channels: list[int]  # channels with the largest global max inside the window
    bin_rule: str
    error: str = ""
    box_scaling: str = "fast-rcnn"  # the rule that gave scaled_box and factor (pyramid.BOX_SCALING_RULES)
    # at the chosen scale, per box-scaling rule: the scaled box, its factor x'/x, and the cells of the chosen
    # projection rule (so both rules can be shown with their numbers)
    scaled_box_by_rule: dict[str, list[float]] = field(default_factory=dict)
    factor_by_rule: dict[str, float] = field(default_factory=dict)
    cells_by_box_scaling: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


def _points(cells_xy: np.ndarray, g: geometry.Geometry, factor: float) -> np.ndarray:
    """conv5 cells (cx, cy) → receptive-field centres in original-image pixels (NaN for cell −1)."""
    pts = (g.offset + g.stride * cells_xy.astype(np.float64)) / factor
    return np.where(cells_xy < 0, np.nan, pts)


def window_detail(a: Analysis, k: int, levels: tuple[int, ...] = (1, 2, 3, 6), channel: int | None = None,
                  scale_rule: str = "paper", projection: str = "paper", bin_rule: str = "adaptive",
                  box_scaling: str = "fast-rcnn") -> WindowDetail:
    """The selected window through every step, for any levels / channel / rules (no conv). ``box_scaling``
    (``pyramid.BOX_SCALING_RULES``) scales the window into the chosen scale; the detail also carries the scaled
    box, factor and cells under every box-scaling rule."""
    if not 0 <= int(k) < len(a.windows):
        raise ValueError(f"window {k} does not exist (this image has {len(a.windows)} windows)")
    levels = bins.check_levels(levels)
    g = a.geometry
    box = a.windows[k].tolist()
    scores = {r: [float(v) for v in pyramid.scale_scores(box, a.image_wh, a.scales, r)] for r in pyramid.SCALE_RULES}
    chosen_by_rule = {r: int(np.argmin(scores[r])) for r in pyramid.SCALE_RULES}
    si = chosen_by_rule[scale_rule]
    f = a.feats[si]
    fmap = f.fmap
    C, H, W = fmap.shape
    pyramid.check_box_scaling(box_scaling)
    by_rule = {r: [float(v) for v in scale_windows(np.array(box, np.float64), f, r)] for r in pyramid.BOX_SCALING_RULES}
    factor_by_rule = {r: pyramid.box_factor(a.image_wh, f.scale, r) for r in pyramid.BOX_SCALING_RULES}
    sbox = by_rule[box_scaling]
    cells = {r: tuple(geometry.project_window(sbox, g, r, map_hw=(H, W))) for r in geometry.PROJECTION_RULES}
    chosen = cells[projection]
    cells_by_scaling = {r: tuple(geometry.project_window(b, g, projection, map_hw=(H, W))) for r, b in by_rule.items()}
    cx0, cy0, cx1, cy1 = chosen
    region = fmap[:, cy0:cy1 + 1, cx0:cx1 + 1]
    top = torch.argsort(region.reshape(C, -1).amax(1), descending=True)[:8].tolist()
    channel = top[0] if channel is None else int(channel)
    if not 0 <= channel < C:
        raise ValueError(f"channel {channel} does not exist (conv5 has {C} channels)")
    # pool the window's own cells (a crop of the map): same values, argmax shifted back below
    cell_t = torch.tensor([[0, 0, cx1 - cx0, cy1 - cy0]], dtype=torch.long, device=fmap.device)
    error = ""
    rule_used = bin_rule
    try:
        vec, arg = pooling.spatial_pyramid_pool(region, cell_t, levels, bin_rule, return_argmax=True)
    except ValueError as e:  # the sliding rule gives != n bins: say so, show adaptive values
        error = str(e)
        rule_used = "adaptive"
        vec, arg = pooling.spatial_pyramid_pool(region, cell_t, levels, "adaptive", return_argmax=True)
    vec, arg = vec[0].cpu().numpy(), arg[0].cpu().numpy()
    rw = cx1 - cx0 + 1
    arg = np.where(arg >= 0, (arg // rw + cy0) * W + (arg % rw + cx0), -1)  # flat index into the whole map
    slices = bins.level_slices(C, levels)
    a_w, a_h = cx1 - cx0 + 1, cy1 - cy0 + 1
    details = []
    for n, sl in zip(levels, slices, strict=True):
        vals = vec[sl].reshape(C, n, n)[channel]
        flat = arg[sl].reshape(C, n, n)[channel]
        xy = np.where(flat[..., None] >= 0, np.stack([flat % W, flat // W], -1), -1)
        try:
            sx, sy = len(bins.bin_edges(a_w, n, "sliding")), len(bins.bin_edges(a_h, n, "sliding"))
            sliding = (sx, sy)
            note = "" if sx == sy == n else f"sliding rule: {sx}×{sy} bins instead of {n}×{n}"
        except ValueError:
            sliding, note = None, f"sliding rule undefined: the window has fewer than {n} cells"
        details.append(LevelDetail(n, bins.bin_edges(a_w, n, rule_used), bins.bin_edges(a_h, n, rule_used), vals, xy,
                                   _points(xy, g, factor_by_rule[box_scaling]), sliding, note))
    return WindowDetail(
        k=int(k), box=box, scale_index=si, scale=a.scales[si], factor=factor_by_rule[box_scaling], scaled_box=sbox,
        map_hw=(H, W),
        box_on_map=[(sbox[0] - g.offset) / g.stride, (sbox[1] - g.offset) / g.stride,
                    (sbox[2] - g.offset) / g.stride, (sbox[3] - g.offset) / g.stride],
        cells=cells, rule=projection, chosen=chosen, scale_scores=scores,
        scaled_areas=[float(v) for v in pyramid.scaled_areas(box, a.image_wh, a.scales)],
        chosen_by_rule=chosen_by_rule, levels=details, vector=vec, level_slices=slices, channel=channel,
        top_channels=top, bin_rule=rule_used, error=error, box_scaling=box_scaling, scaled_box_by_rule=by_rule,
        factor_by_rule=factor_by_rule, cells_by_box_scaling=cells_by_scaling)
