"""Entry point: builds the sppviz Gradio app and launches it.

Host and port come from the environment (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT or PORT), so the
same command serves locally (127.0.0.1:7860) and on a Hugging Face Space (0.0.0.0:7860)."""

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry from a teaching tool
# Gradio's queue recomputed a summary of its last 10,000 events with pandas after every event (5-30 ms of CPU
# each, growing with the class) for a monitoring page this app does not enable: once per billion events instead.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(10**9))
# OpenMP's threads (torch's and numba's) spin for a while after each parallel region by default; on 2 cores that
# spinning holds the CPU the proposals' thread and the figures need. Asleep at once instead: a new 500x375 photo
# at 480, 688, 864 analysed in 0.62-0.73 s instead of 0.78-0.82 s (medians of 8, in process, 4 runs in turns).
# Read when torch and numba load, so it is set before them; a value in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _limit_malloc_arenas(n: int = 2) -> None:
    """glibc gives every request thread its own malloc arena; freed 100 MB pooling buffers then
    stay mapped per arena and RSS creeps up by hundreds of MB under concurrent load
    (``python -m sppviz loadtest``: +430 MB over 300 requests, +13 MB with 2 arenas)."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, n)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


_limit_malloc_arenas()

from sppviz.app import build_app, launch_kwargs, startup  # noqa: E402 - after the analytics switch
from sppviz.app.limits import HEAVY_CONCURRENCY  # noqa: E402

# Heavy work (Analyze, why SPP, the exports, /analyze) shares one limit across the whole app,
# limits.HEAVY_CONCURRENCY (SPPVIZ_CONCURRENCY, 2: two analyses keep two CPU cores busy), in Gradio's queue; it
# holds at most QUEUE_SIZE waiting events. The light events (a click, a slider) skip the queue (events.QUIET,
# limits.LIGHT_CONCURRENCY); the few other queued events (the page's load) may run this many at once.
LIGHT_CONCURRENCY = HEAVY_CONCURRENCY
QUEUE_SIZE = 64

if __name__ == "__main__":
    # one line per user error (logger "sppviz"), tracebacks only for bugs
    log = logging.getLogger("sppviz")
    log.setLevel(logging.INFO)
    log.addHandler(logging.StreamHandler())
    log.handlers[-1].setFormatter(logging.Formatter("%(asctime)s sppviz %(levelname)s %(message)s"))
    demo = build_app()
    demo.queue(default_concurrency_limit=LIGHT_CONCURRENCY, max_size=QUEUE_SIZE)
    # serve the page first; the model, numba's kernels and torchvision load behind it (the status line says so)
    demo.launch(**launch_kwargs(), prevent_thread_lock=True)
    startup.begin_warm_up()
    demo.block_thread()
