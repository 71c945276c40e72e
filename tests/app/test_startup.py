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
