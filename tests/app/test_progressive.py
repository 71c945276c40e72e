"""Analyze in two steps: the pyramid and conv5 panels first, while the windows are found and scored; errors
at any step reach the user as the same messages as a plain handler's."""

import inspect

import gradio as gr
import pytest
from handler_helpers import EXAMPLE

from sppviz.analysis import pipeline
from sppviz.app import build_app, events, progressive, settings
from sppviz.app.tabs import inputs

WINDOW_PANELS = {"win_img", "proj_grid", "spp_map", "det_after", "state"}


def test_the_first_step_shows_conv5_before_any_window(model):
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[480, 688], state={})
    steps = list(inputs.analyze_stream(v))
    assert len(steps) == 2
    first, second = steps
    assert {"pyr_img", "pyr_table", "fm_map", "fm_overlay", "fm_scale", "fm_channel", "status"} <= first.keys()
    assert not WINDOW_PANELS & first.keys()  # nothing that needs the windows
    assert "conv5 at scales 480, 688 is ready" in first["status"]
    # the second carries the windows' panels and the first step's again (the same files): a tab the page had
    # not drawn when the first came (feature maps) takes its panels from the last message (seen in Chromium)
    assert WINDOW_PANELS <= second.keys() and second["fm_map"] == first["fm_map"]
    assert "windows" in second["status"] and second["state"]["sid"]
    merged = inputs.analyze_image(dict(v, state={}))  # the same outputs in one dict
    assert set(merged) == first.keys() | second.keys()
    assert merged["pyr_img"] == first["pyr_img"]  # the same panel file (named by its content)


def test_errors_at_either_step_are_user_messages(model, monkeypatch):
    with pytest.raises(gr.Error, match="image"):
        next(inputs.analyze_stream(dict(settings.DEFAULTS, image=None, state={})))
    with pytest.raises(gr.Error, match="scales"):  # a bad setting: refused before anything runs
        next(inputs.analyze_stream(dict(settings.DEFAULTS, image=EXAMPLE, scales=[], custom_scales="abc")))

    def none_found(*args, **kw):
        raise ValueError("no proposal windows were found in this image; try the grid or draw boxes")

    monkeypatch.setattr(pipeline, "get_windows", none_found)
    pipeline.PROPOSALS.clear()
    it = inputs.analyze_stream(dict(settings.DEFAULTS, image=EXAMPLE, state={}, count=1234))
    assert "pyr_img" in next(it)  # conv5 is shown …
    with pytest.raises(gr.Error, match="no proposal windows"):  # … then the search's error, as a message
        next(it)


def test_the_page_event_streams_the_steps(model):
    demo = build_app()
    C = demo.sppviz_components
    fn = next(bf.fn for bf in demo.fns.values() if getattr(bf.fn, "sppviz_handler", None) is inputs.analyze_image)
    assert inspect.isgeneratorfunction(fn)
    bf = next(bf for bf in demo.fns.values() if bf.fn is fn)
    data = {c: dict(settings.DEFAULTS, image=EXAMPLE, state={}).get(n) for n, c in C.items() if c in bf.inputs}
    parts = list(fn(data, None, progress=None))
    assert len(parts) == 2 and C["pyr_img"] in parts[0] and C["det_after"] in parts[1]
    assert parts[1][C["fm_map"]] == parts[0][C["fm_map"]]


def test_stream_declares_like_a_handler():
    @progressive.stream(reads=("state",), outputs=("status",))
    def two(s, n=2):
        for i in range(n):
            yield {"status": f"{i} {s.state}"}

    assert two.reads == ("lang", "state") and two.outputs == ("status", events.NOTICE)  # as every handler
    assert [o["status"] for o in two({"state": {"a": 1}}, n=3)] == ["0 {'a': 1}", "1 {'a': 1}", "2 {'a': 1}"]
    with pytest.raises(TypeError):
        progressive.spec({}, two, "select")
