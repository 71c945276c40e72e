"""The server-side session store: a small record per browser session, the heavy analyses shared by content.

A class of 40 follows the teacher: most students analyse the same bundled scene with the same settings,
a few their own photo. Each session used to hold a workspace of its own, 16 at most, so sixteen other
Analyze clicks (a few seconds of a class's traffic) dropped a student's analysis. Now:

- ``RECORDS`` (:class:`Records`): session id → :class:`Record`, what is the session's own: the key of its
  analysis, the image's file and content hash, the model and scales, its proposal windows (a reference to
  the shared [K, 4] tensor), the boxes it drew, its own notices / timings, the image's name and its last
  "why SPP" figures — 3.4 kB for a bundled scene, plus the references (the windows are ≤ 48 kB, one copy per
  distinct analysis). At most ``SESSION_ENTRIES`` (2,048) records, each dropped ``SESSION_TTL_S`` (30 min)
  after its last use; every ``find`` / ``workspace`` / ``store`` / ``touch`` restarts its clock. Only more
  than 2,048 sessions used within 30 minutes could push out a recently used one; that is counted
  (``STATS["evicted"]``, logged).
- ``ANALYSES``: analysis key → a shared :class:`~sppviz.analysis.workspace.Workspace` (the proposals'
  analysis, the one with the drawn boxes, an id). The key is the image's content hash, the model, the scales,
  a digest of the windows and of the drawn boxes: sessions that analysed the same image with the same settings
  share one analysis (conv5 per scale, windows, scores), not one copy each. Bounded by ``ANALYSIS_BYTES``
  (768 MB) and ``ANALYSIS_ENTRIES``, least recently used first, no time limit (the sessions using one keep
  it fresh).
- ``IMAGES``: content hash → image array, ``IMAGE_BYTES`` (256 MB), least recently used first, so that a
  rebuild does not depend on the upload still being in the temporary folder (uploads are pruned oldest first).

An analysis dropped under memory pressure is rebuilt on the next event of a session that refers to it,
from the record: the image (``IMAGES``, else its file, checked against the hash), conv5 per scale (the
pipeline's conv5 cache, else recomputed: 0.2–1 s), the same windows scored again (the same numbers); the
student sees the same panels a little later (``STATS["rebuilt"]``). Only a session idle for more than
30 minutes, a server restart, or an image gone from both the image cache and the temporary folder
(``STATS["lost"]``, logged) meets "Press Analyze first".

Each session sees the shared analysis through a :class:`~sppviz.analysis.workspace.Workspace` of its own
(``view``): the same image, conv5 maps, windows and score cache, with the session's own notices and timings.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sppviz import analysis  # the library, imported on first use (sppviz.lazy)
from sppviz.analysis.cache import LRUCache
from sppviz.analysis.images import load_image
from sppviz.app.limits import HEAVY_CONCURRENCY
from sppviz.app.settings import fail

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import Analysis
    from sppviz.analysis.workspace import Workspace

LOG = logging.getLogger("sppviz")

SESSION_ENTRIES = int(os.environ.get("SPPVIZ_SESSIONS", "2048"))
SESSION_TTL_S = float(os.environ.get("SPPVIZ_SESSION_TTL_S", "1800"))
# A bundled-model analysis of a 500 x 375 photo at three scales is ~3 MB (conv5 maps, windows, scores; the
# pooled vectors are dropped after scoring); ZF-5 at full width at 1200 px ~50 MB.
ANALYSIS_ENTRIES = int(os.environ.get("SPPVIZ_ANALYSES", "512"))
ANALYSIS_BYTES = int(float(os.environ.get("SPPVIZ_ANALYSIS_CACHE_MB", "768")) * 2**20)
IMAGE_BYTES = int(float(os.environ.get("SPPVIZ_IMAGE_CACHE_MB", "256")) * 2**20)

# Analysis fields that hold the heavy, shareable parts; every other field (notices, timings, …) is per session.
HEAVY_FIELDS = ("image", "iid", "detector", "scales", "windows", "feats", "_results")


@functools.cache
def own_fields() -> tuple[str, ...]:
    """The Analysis fields that are each session's own: every field but ``HEAVY_FIELDS``."""
    return tuple(f.name for f in dataclasses.fields(analysis.Analysis) if f.name not in HEAVY_FIELDS)


# evicted: records dropped by the entry cap while used within the TTL (stays 0); expired: records asked for
# after the TTL; lost: records whose image was gone when their analysis had to be rebuilt; rebuilt: analyses
# rebuilt from a record; shared: stores that found the analysis already there (another session's)
STATS = {"evicted": 0, "expired": 0, "lost": 0, "rebuilt": 0, "shared": 0}
_STATS_LOCK = threading.Lock()


def count(name: str, message: str = "", level: int = logging.INFO) -> None:
    """Add one to ``STATS[name]``; with a ``message``, log it with the counters (one line, JSON at the end:
    what the load test reads from a server it started)."""
    with _STATS_LOCK:
        STATS[name] += 1
        snapshot = dict(STATS)
    if message:
        LOG.log(level, "session store: %s %s", message, json.dumps(snapshot))


def stats() -> dict:
    """The counters plus what the store holds now: sessions, analyses and their MB, images and their MB."""
    with _STATS_LOCK:
        out = dict(STATS)
    out.update(sessions=len(RECORDS), analyses=len(ANALYSES), analyses_mb=ANALYSES.nbytes / 2**20,
               images=len(IMAGES), images_mb=IMAGES.nbytes / 2**20)
    return out


@dataclass(eq=False)
class Record:
    """What a session keeps of its own; enough to rebuild its analysis. ``windows``: the proposals' windows
    [K, 4] (original-image pixels, a reference to the shared analysis' tensor); ``boxes``: the drawn boxes
    (x1, y1, x2, y2 inclusive image pixels) appended after them; ``own``: the session's values of
    ``own_fields()`` (notices, timings, …)."""

    key: tuple
    iid: str
    path: str
    detector: Any
    scales: tuple[int, ...]
    windows: Any
    boxes: tuple[tuple[float, ...], ...]
    own: dict
    image_name: str | None = None
    why: dict | None = None
    view: Any = None  # weakref to the last Workspace handed out (the same object while it is in use)

    @property
    def base_key(self) -> tuple:
        return (*self.key[:-1], "")


class Records:
    """Session id → :class:`Record`: at most ``max_entries``, each dropped ``ttl`` seconds after its last use
    (``get`` and ``put`` restart the clock); least recently used first when full. Thread-safe. ``timer``:
    seconds (``time.monotonic``; tests pass their own)."""

    def __init__(self, max_entries: int = SESSION_ENTRIES, ttl: float = SESSION_TTL_S,
                 timer: Callable[[], float] = time.monotonic):
        self.max_entries, self.ttl, self.timer = int(max_entries), float(ttl), timer
        self._items: OrderedDict[str, tuple[Record, float]] = OrderedDict()  # oldest use first
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._items:
            sid, (_, used) = next(iter(self._items.items()))
            if now - used <= self.ttl:
                return
            del self._items[sid]

    def get(self, sid: str | None) -> Record | None:
        """The record of ``sid`` (its clock restarted), or None (unknown, or idle for more than ``ttl``)."""
        if not sid:
            return None
        with self._lock:
            now = self.timer()
            item = self._items.get(sid)
            if item is not None and now - item[1] > self.ttl:
                del self._items[sid]
                item = None
                expired = True
            else:
                expired = False
            if item is not None:
                self._items[sid] = (item[0], now)
                self._items.move_to_end(sid)
        if expired:
            count("expired", f"session idle for more than {self.ttl:.0f} s")
        return item[0] if item else None

    def put(self, sid: str, rec: Record) -> None:
        """Keep ``rec`` for ``sid``; beyond ``max_entries`` the least recently used go (counted as evicted
        when used within ``ttl``)."""
        dropped = []
        with self._lock:
            now = self.timer()
            self._expire(now)
            self._items[sid] = (rec, now)
            self._items.move_to_end(sid)
            while len(self._items) > self.max_entries:
                _, (_, used) = self._items.popitem(last=False)
                dropped.append(now - used)
        for idle in dropped:
            count("evicted", f"dropped a session used {idle:.0f} s ago (more than {self.max_entries} sessions "
                  f"within {self.ttl:.0f} s)", logging.WARNING)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self.timer())
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


RECORDS = Records()
ANALYSES = LRUCache(ANALYSIS_ENTRIES, ANALYSIS_BYTES, sizeof=lambda s: s.nbytes)
IMAGES = LRUCache(1024, IMAGE_BYTES, sizeof=lambda img: img.nbytes)
_REBUILDS = threading.BoundedSemaphore(HEAVY_CONCURRENCY)  # rebuilds at once (apart from the heavy slots)
_BUILDING: dict[tuple, threading.Lock] = {}  # one rebuild per analysis key at a time; the others wait for it
_BUILDING_LOCK = threading.Lock()


def _digest(*arrays: Any) -> str:
    h = hashlib.blake2b(digest_size=12)
    for x in arrays:
        arr = np.ascontiguousarray(np.asarray(x, np.float32))
        h.update(str(arr.shape).encode())
        h.update(arr.data)
    return h.hexdigest()


def analysis_key(base: Analysis, boxes: tuple = ()) -> tuple:
    """What makes two sessions' analyses the same: (image hash, model, scales, digest of the windows, digest
    of the drawn boxes or "" for none)."""
    drawn = _digest(np.asarray(boxes, np.float32).reshape(-1, 4)) if boxes else ""
    return (base.iid, analysis.pipeline.model_id(base.detector), tuple(base.scales), _digest(base.windows), drawn)


def view(sh: Workspace, rec: Record) -> Workspace:
    """The session's workspace on a shared analysis: the shared image, conv5 maps, windows and score cache
    with the session's own ``own_fields()``. The same object while the caller still holds it."""
    w = rec.view() if rec.view is not None else None
    if w is not None and w.aid == sh.aid:
        return w
    base = dataclasses.replace(sh.base, **rec.own)
    a = base if sh.a is sh.base else dataclasses.replace(sh.a, **rec.own)
    w = analysis.Workspace(base, a, sh.aid)
    rec.view = weakref.ref(w)
    return w


def store(sid: str, base: Analysis, a: Analysis, path: str | os.PathLike | None = None) -> Workspace:
    """Keep session ``sid``'s analysis: ``base`` (the proposal windows), ``a`` (``base`` plus drawn boxes, or
    ``base``); ``path``: the image's file (default: the one the session's record had for the same image).
    An equal analysis another session stored is shared instead of kept twice."""
    prev = RECORDS.get(sid)
    same_image = prev is not None and prev.iid == base.iid
    boxes = () if a is base else tuple(tuple(float(v) for v in b) for b in a.windows[len(base.windows):].tolist())
    key = analysis_key(base, boxes)
    sh = ANALYSES.get(key)
    if sh is None:
        sh = analysis.Workspace(base, a)
        ANALYSES.put(key, sh)
        if boxes and ANALYSES.get(key[:-1] + ("",)) is None:
            ANALYSES.put(key[:-1] + ("",), analysis.Workspace(base, base))
    else:
        count("shared")
    IMAGES.put(base.iid, sh.base.image)
    rec = Record(key=key, iid=base.iid, path=str(path) if path else (prev.path if same_image else ""),
                 detector=base.detector, scales=tuple(base.scales), windows=sh.base.windows, boxes=boxes,
                 own={f: getattr(base, f) for f in own_fields()},
                 image_name=prev.image_name if same_image else None, why=prev.why if prev is not None else None)
    RECORDS.put(sid, rec)
    return view(sh, rec)


def scored(a: Analysis) -> Analysis | None:
    """The proposals' analysis another session already stored for the same image, model, scales and windows
    (its scores are reused by Analyze: ``PendingAnalysis.finish(known=scored)``), or None."""
    sh = ANALYSES.get(analysis_key(a))
    return sh.base if sh is not None else None


def touch(sid: str, w: Workspace) -> None:
    """Re-account the analysis of session ``sid`` (it grew: new rules scored) and mark both used."""
    rec = RECORDS.get(sid)
    sh = ANALYSES.get(rec.key) if rec is not None else None
    if sh is not None and sh.aid == w.aid:
        ANALYSES.put(rec.key, sh)


def _image(rec: Record) -> np.ndarray | None:
    img = IMAGES.get(rec.iid)
    if img is None and rec.path:
        try:
            img, _ = load_image(rec.path)
        except Exception:  # the upload was pruned, or unreadable now: the image is lost
            return None
        if analysis.pipeline.image_id(img) != rec.iid:
            return None
        IMAGES.put(rec.iid, img)
    return img


def _rebuild(rec: Record) -> Workspace | None:
    """The analysis of ``rec`` again, from its image, model, scales, windows and drawn boxes; None (counted
    as lost) when the image can no longer be had."""
    sh = ANALYSES.get(rec.base_key) if rec.boxes else None
    if sh is not None:
        base = sh.base
    else:
        img = _image(rec)
        if img is None:
            count("lost", f"the image of a session's analysis is gone ({rec.path or 'no file'})", logging.WARNING)
            return None
        with _REBUILDS:
            feats = [analysis.pipeline.get_features(rec.detector, img, s, rec.iid) for s in rec.scales]
            base = analysis.Analysis(image=img, iid=rec.iid, detector=rec.detector, scales=rec.scales,
                                     windows=rec.windows, feats=feats, **rec.own)
            base.result()  # the scores Analyze computed
        ANALYSES.put(rec.base_key, analysis.Workspace(base, base))
    if rec.boxes:
        sh = analysis.Workspace(base, analysis.with_boxes(base, [list(b) for b in rec.boxes]))
    else:
        sh = ANALYSES.get(rec.key)
    if sh is None:  # the base entry was pushed out again at once: keep the one just built
        sh = analysis.Workspace(base, base)
    ANALYSES.put(rec.key, sh)
    count("rebuilt", f"rebuilt an analysis dropped under memory pressure ({len(rec.windows)} windows)")
    return sh


def _shared(rec: Record) -> Workspace | None:
    sh = ANALYSES.get(rec.key)
    if sh is not None:
        IMAGES.get(rec.iid)  # the images of sessions in use stay the most recently used
        return sh
    with _BUILDING_LOCK:
        lock = _BUILDING.setdefault(rec.key, threading.Lock())
    try:
        with lock:
            return ANALYSES.get(rec.key) or _rebuild(rec)
    finally:
        with _BUILDING_LOCK:
            _BUILDING.pop(rec.key, None)


def find(state: dict) -> Workspace | None:
    """The session's workspace (rebuilt when its analysis was dropped under memory pressure), or None: no
    analysis yet, idle for more than SESSION_TTL_S, or its image is gone."""
    rec = RECORDS.get((state or {}).get("sid"))
    if rec is None:
        return None
    sh = _shared(rec)
    return view(sh, rec) if sh is not None else None


def workspace(state: dict, lang: str) -> Workspace:
    """The session's workspace (``find``), or the user error "press Analyze first"."""
    w = find(state)
    if w is None:
        fail("err_no_analysis", lang)
    return w


class RecordField:
    """One per-session fact kept on the session's record (``get`` / ``put`` by session id, as a cache)."""

    def __init__(self, name: str):
        self.name = name

    def get(self, sid: str | None) -> Any:
        rec = RECORDS.get(sid)
        return getattr(rec, self.name) if rec is not None else None

    def put(self, sid: str, value: Any) -> None:
        rec = RECORDS.get(sid)
        if rec is not None:
            setattr(rec, self.name, value)


class Sessions:
    """The workspaces by session id (``get``: ``find`` for that id), for the tests and tools."""

    def get(self, sid: str | None) -> Workspace | None:
        return find({"sid": sid})

    def __len__(self) -> int:
        return len(RECORDS)


SESSIONS = Sessions()
# small per-session facts: the image's file name (for the lesson handout); the last "why SPP" measurement
# (re-worded, not re-measured, when the language changes)
IMAGE_NAMES = RecordField("image_name")
WHY_RESULTS = RecordField("why")


def clear() -> None:
    """Forget every session and shared analysis (tests)."""
    RECORDS.clear()
    ANALYSES.clear()
    IMAGES.clear()
