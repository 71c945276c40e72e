"""Start-up: the page is served first, the heavy parts are made ready behind it.

``python app.py`` builds the page and starts serving it without torch (the page's modules reach the library
through ``sppviz.lazy``), then ``begin_warm_up`` loads in a background thread (once the first page has
loaded) what the first Analyze would otherwise wait for: torch and the library, the model, numba and its
compiled pooling kernel (from numba's disk cache; a few seconds to compile when the cache is
empty), torchvision (NMS), the first convolution and the figures' fonts. Until that is done the status
line says so (``page_status`` / ``poll_status``, wired in ``layout``), and Analyze waits for it
(``wait_ready``) instead of doing the same work a second time. Without ``begin_warm_up`` (tests, the API)
nothing waits and everything loads on first use.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import warnings

import gradio as gr

from sppviz.app.widgets import L

LOG = logging.getLogger("sppviz.startup")
STARTED = threading.Event()
READY = threading.Event()
PAGE_SEEN = threading.Event()  # a page has loaded (its load event ran)
PAGE_WAIT_S = 5.0  # the warm-up waits this long for a first page before it starts anyway
TIMINGS: dict[str, float] = {}  # seconds per warm-up step, for the log and the benchmarks
WAIT_S = 120.0  # Analyze waits at most this long for the warm-up (then it loads what it needs itself)
POLL_S = 0.5  # how often a page loaded during the warm-up asks whether it is done
SWITCH_INTERVAL_S = 0.001  # the GIL hand-over interval while warming up, so the page's requests are served promptly


def _step(name: str, fn) -> None:
    t0 = time.perf_counter()
    try:
        fn()
    except Exception as e:  # a missing model is said when Analyze is pressed; nothing here may stop the app
        warnings.warn(f"sppviz: warm-up step {name!r} failed: {e}", stacklevel=2)
    TIMINGS[name] = time.perf_counter() - t0


def _import_library() -> None:
    """torch, the pipeline and the rest of the library that the page's handlers reach lazily (sppviz.lazy)."""
    from sppviz import analysis, lesson
    from sppviz.model.weights import setup_threads

    setup_threads()
    for name in ("pipeline", "compare", "report", "truth"):
        getattr(analysis, name)
    lesson.export  # imported now, not at the first export  # noqa: B018


def _warm_up() -> None:
    from sppviz import figures
    from sppviz.model.weights import load_default_detector

    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        _step("torch and the library", _import_library)
        _step("model", load_default_detector)

        def kernels():
            from sppviz.analysis import pipeline

            try:
                det = load_default_detector()
            except (FileNotFoundError, ValueError, OSError):
                det = None  # said when Analyze is pressed
            TIMINGS.update(pipeline.warm_up(det))

        _step("kernels, torchvision, first convolution", kernels)
        _step("figures", figures.warm_up)
    finally:
        sys.setswitchinterval(previous)
        TIMINGS["total"] = sum(v for k, v in TIMINGS.items() if not k.endswith("_s") and k != "total")
        READY.set()
        LOG.info("warm-up done in %.2f s: %s", TIMINGS["total"],
                 ", ".join(f"{k} {v:.2f} s" for k, v in TIMINGS.items() if k != "total"))


def begin_warm_up(after_page_s: float = PAGE_WAIT_S) -> threading.Thread:
    """Start the warm-up in a daemon thread; returns the thread. It begins once a page has loaded (its load
    event, ``page_status``) or after ``after_page_s`` seconds without one: the warm-up holds Python's lock
    most of the time (imports), and the ~100 files of the first page would otherwise be served at half speed."""
    STARTED.set()

    def run() -> None:
        PAGE_SEEN.wait(after_page_s)
        _warm_up()

    th = threading.Thread(target=run, name="sppviz-warm-up", daemon=True)
    th.start()
    return th


def loading() -> bool:
    """True while a started warm-up is still running."""
    return STARTED.is_set() and not READY.is_set()


def wait_ready(timeout: float = WAIT_S) -> bool:
    """Wait for a started warm-up (True at once when none was started); False when it took longer than ``timeout``."""
    return READY.wait(timeout) if STARTED.is_set() else True


def page_status() -> tuple:
    """At page load: (the status line, the poll timer) — "loading …" and a running timer during the warm-up,
    else nothing changes."""
    PAGE_SEEN.set()
    if loading():
        return L("status_loading"), gr.Timer(active=True)
    return gr.update(), gr.Timer(active=False)


def poll_status(state: dict | None) -> tuple:
    """A tick of the poll timer: once the warm-up is done, the idle line (unless an analysis already wrote the
    status line) and the timer stops."""
    if loading():
        return gr.update(), gr.update()
    return (gr.update() if (state or {}).get("sid") else L("status_idle")), gr.Timer(active=False)
