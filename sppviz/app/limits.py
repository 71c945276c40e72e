"""What one request may cost: memory (estimated before it runs), time (a budget checked between its
stages) and a share of the machine (one concurrency limit for all heavy work, page and API alike).

Heavy events (Analyze, "why SPP", the exports, ``/analyze``) share the Gradio
concurrency id :data:`HEAVY`, limited to :data:`HEAVY_CONCURRENCY` at once across the whole app, and
a process-wide semaphore of the same size (for calls that do not come through the queue). Light events run
outside the queue, at most :data:`LIGHT_CONCURRENCY` at once (:func:`light`). Each runs
under a :class:`Budget`: ``REQUEST_SECONDS`` of wall time, checked wherever the analysis reports
progress (before the proposals and before each scale's conv5); a request whose client went away (the
page was closed, the API client disconnected) stops at the same points instead of running for nobody.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sppviz.analysis.memory import estimate_bytes
from sppviz.app.schema import UserError
from sppviz.method import pyramid

LOG = logging.getLogger("sppviz")

HEAVY = "heavy"  # the Gradio concurrency id of every heavy event
# Heavy requests at once: two analyses keep two CPU cores busy (torch uses both); more only queue inside torch.
HEAVY_CONCURRENCY = int(os.environ.get("SPPVIZ_CONCURRENCY", "2"))
# Wall time of one heavy request. The slowest allowed analysis here (8 scales, VGG16 at 1.9 MP each on 2 cores)
# takes ~70 s; past this the request stops with a message at its next stage instead of holding a slot.
REQUEST_SECONDS = float(os.environ.get("SPPVIZ_REQUEST_S", "120"))
# Memory of one analysis, estimated before it runs (analysis.memory.estimate_bytes). Two at once
# (HEAVY_CONCURRENCY) plus the caches (1 GB conv5, 0.75 GB shared analyses, 0.25 GB images: app.session) and
# the process (~1.1 GB) stay well inside a 16 GB cpu-basic Space.
REQUEST_BYTES = int(float(os.environ.get("SPPVIZ_REQUEST_MB", "2048")) * 2**20)

SLOTS = threading.BoundedSemaphore(HEAVY_CONCURRENCY)  # heavy requests running now, page and API together
# Light events (a click, a slider: 10-100 ms) skip Gradio's queue (``events.QUIET``: its join, stream and
# scheduling added 50-65 ms to each); this many run at once, the others wait at most LIGHT_WAIT_S for a turn.
LIGHT_CONCURRENCY = int(os.environ.get("SPPVIZ_LIGHT_CONCURRENCY", "4"))
LIGHT_WAIT_S = 30.0
LIGHT_SLOTS = threading.BoundedSemaphore(LIGHT_CONCURRENCY)
_APPS: weakref.WeakSet = weakref.WeakSet()  # the apps built in this process, for the client-gone check
ABANDONED = {"count": 0}  # requests stopped because nobody was waiting for them (for tests and the load test)


def check_request(image_wh: tuple[int, int], trunk: Any, scales: Sequence[int], windows: int) -> None:
    """Refuse (UserError) an analysis whose scaled images exceed ``pyramid.MAX_SCALED_PIXELS`` or whose
    estimated memory (``analysis.memory.estimate_bytes``) exceeds REQUEST_BYTES, before anything runs.
    ``image_wh`` = (w, h) of the loaded image; ``trunk``: the detector's ``net.trunk``."""
    try:
        pyramid.check_scaled_size(image_wh, scales)
    except ValueError as e:
        raise UserError(str(e)) from None  # "scale 1600: this 2000×32 image would become …"
    need = estimate_bytes(trunk, image_wh, scales, windows)
    if need > REQUEST_BYTES:
        name = getattr(trunk, "name", "this model")
        raise UserError(f"scales: {name} at scale {max(scales)} on this {image_wh[0]}×{image_wh[1]} image would need "
                        f"about {need / 2**30:.1f} GB; the limit is {REQUEST_BYTES / 2**30:.1f} GB per request "
                        f"(choose smaller scales or another backbone)")


def attach(blocks: Any) -> None:
    """Remember an app (weakly), so that a Budget can tell whether its client is still waiting."""
    _APPS.add(blocks)


def client_waiting(session_hash: str | None) -> bool:
    """False when Gradio's queue has marked every running event of this session as abandoned (its client
    disconnected); True otherwise (and for calls that did not come through the queue)."""
    if not session_hash:
        return True
    events = []
    for blocks in list(_APPS):
        queue = getattr(blocks, "_queue", None)  # Gradio keeps the running events there (Event.alive)
        events += [e for job in list(getattr(queue, "active_jobs", None) or []) if job
                   for e in job if getattr(e, "session_hash", None) == session_hash]
    return not events or any(getattr(e, "alive", True) for e in events)


class OverBudget(UserError):
    """The request ran past REQUEST_SECONDS."""


class Abandoned(UserError):
    """Nobody is waiting for the request's result any more."""


class Budget:
    """A heavy request's time budget; also a progress callback (``progress(fraction, desc=…)``) that checks
    the budget and whether the client still waits before passing the call on to ``progress``."""

    def __init__(self, progress: Callable[..., object] | None = None, session_hash: str | None = None,
                 seconds: float | None = None, what: str = "request"):
        self.progress, self.session_hash, self.what = progress, session_hash, what
        self.seconds = REQUEST_SECONDS if seconds is None else float(seconds)
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.seconds

    def check(self, stage: str = "") -> None:
        """Raise OverBudget past the deadline, Abandoned when the client went away."""
        at = f" (at {stage})" if stage else ""
        if time.monotonic() > self.deadline:
            raise OverBudget(f"{self.what}: stopped after its time budget of {self.seconds:.0f} s{at}; choose "
                             "fewer or smaller scales, fewer windows or a lighter backbone")
        if not client_waiting(self.session_hash):
            ABANDONED["count"] += 1
            raise Abandoned(f"{self.what}: stopped{at}, nobody is waiting for its result")

    def __call__(self, fraction: float | None = None, desc: str | None = None, **kw: Any) -> None:
        self.check(desc or "")
        if self.progress is not None:
            self.progress(fraction, desc=desc, **kw)


@contextlib.contextmanager
def light(what: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold one of the LIGHT_CONCURRENCY slots for a light event (outside Gradio's queue nothing else bounds
    them); a UserError after ``wait_s`` (default LIGHT_WAIT_S) without one."""
    if not LIGHT_SLOTS.acquire(timeout=LIGHT_WAIT_S if wait_s is None else wait_s):
        raise UserError(f"{what}: the server is busy; try again in a minute")
    try:
        yield
    finally:
        LIGHT_SLOTS.release()


@contextlib.contextmanager
def heavy(what: str, session_hash: str | None = None, progress: Callable[..., object] | None = None,
          wait_s: float | None = None) -> Iterator[Budget]:
    """Hold one of the HEAVY_CONCURRENCY slots for a heavy request and give it a Budget (its clock starts once
    the slot is held). ``wait_s``: how long to wait for a slot (default REQUEST_SECONDS), then a UserError."""
    if not SLOTS.acquire(timeout=REQUEST_SECONDS if wait_s is None else wait_s):
        raise UserError(f"{what}: the server is busy; try again in a minute")
    try:
        yield Budget(progress, session_hash, what=what)
    finally:
        SLOTS.release()
