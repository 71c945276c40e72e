"""Start-up: the page is served before the warm-up; the status line says it is loading until the warm-up is
done, and the warm-up waits for the first page (or a few seconds)."""

import threading
import time

import gradio as gr
import pytest

from sppviz.app import startup


@pytest.fixture
def fresh(monkeypatch):
    """Start-up state of a new process; the warm-up itself replaced by one that waits for ``release``."""
    for name in ("STARTED", "READY", "PAGE_SEEN"):
        monkeypatch.setattr(startup, name, threading.Event())
    release, began = threading.Event(), threading.Event()

    def fake_warm_up():
        began.set()
        release.wait(10)
        startup.READY.set()

    monkeypatch.setattr(startup, "_warm_up", fake_warm_up)
    return release, began


def test_without_a_warm_up_nothing_waits(fresh):
    assert not startup.loading() and startup.wait_ready(0.01)
    status, timer = startup.page_status()
    assert isinstance(status, dict) and timer.active is False  # the status line is left as it is


def test_the_status_line_says_loading_until_the_warm_up_is_done(fresh):
    release, began = fresh
    th = startup.begin_warm_up(after_page_s=10)
    assert not began.wait(0.3)  # no page yet: the warm-up has not begun
    status, timer = startup.page_status()  # a page loads …
    assert began.wait(5)  # … and the warm-up begins
    assert str(status).startswith("__i18n__") and "status_loading" in str(status) and timer.active is True
    assert startup.poll_status({}) == (gr.update(), gr.update())  # still loading: nothing changes
    assert not startup.wait_ready(0.05)
    release.set()
    th.join(5)
    assert startup.wait_ready(0.01) and not startup.loading()
    status, timer = startup.poll_status({})
    assert "status_idle" in str(status) and timer.active is False
    status, _ = startup.poll_status({"sid": "abc"})  # an analysis wrote the status line: keep it
    assert status == gr.update()


def test_the_warm_up_begins_anyway_without_a_page(fresh):
    release, began = fresh
    t0 = time.monotonic()
    startup.begin_warm_up(after_page_s=0.2)
    assert began.wait(5) and time.monotonic() - t0 >= 0.19
    release.set()


PAGE_WITHOUT_TORCH = r"""
import sys, urllib.request
import app  # what `python app.py` imports before it serves (the analytics switch, the malloc arenas, the app)
from sppviz.app import build_app, launch_kwargs, startup
demo = build_app()
demo.queue()
demo.launch(**launch_kwargs(), prevent_thread_lock=True)
page = urllib.request.urlopen(demo.local_url, timeout=60).read().decode()
heavy = sorted(m for m in ("torch", "torchvision", "numba", "sppviz.analysis.pipeline", "sppviz.model.detector")
               if m in sys.modules)
print("HEAVY", heavy, "PAGE", "sppviz" in page)
startup._import_library()
print("AFTER", all(m in sys.modules for m in ("torch", "sppviz.analysis.pipeline", "sppviz.lesson.export")))
demo.close()
"""


def test_the_page_is_built_and_served_before_torch_is_loaded(tmp_path):
    """``python app.py`` serves its first page without torch, numba or the pipeline (they load behind it,
    ``startup._import_library``): importing torch took 1.2-2.9 s of the page's start-up."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "PYTHONPATH": str(root)}
    env.pop("PORT", None)
    out = subprocess.run([sys.executable, "-c", PAGE_WITHOUT_TORCH], cwd=root, env=env, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY [] PAGE True" in out.stdout, out.stdout + out.stderr[-2000:]
    assert "AFTER True" in out.stdout


@pytest.mark.parametrize("given, want", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_sleep_between_parallel_regions_unless_the_environment_says(given, want):
    """``python app.py`` and ``python -m sppviz`` set OMP_WAIT_POLICY=PASSIVE before torch and numba load
    (their OpenMP threads otherwise spin after each parallel region, on the cores the proposals and the figures
    need); a value the user gave wins. libgomp reads the variable when it is loaded, after both entry points'
    first lines."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | {"PYTHONPATH": str(root)}
    if given:
        env["OMP_WAIT_POLICY"] = given
    for entry in ("import app", "import sppviz.__main__"):
        out = subprocess.run([sys.executable, "-c", f"{entry}; import os; print('ENV', os.environ['OMP_WAIT_POLICY'])"],
                             cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        assert f"ENV {want}" in out.stdout, (entry, out.stdout)
