"""The status line: what the scales cost, a cached re-analysis said to be cached, the window count after
drawing boxes, and why there are fewer windows than asked for."""

import re

import numpy as np
from handler_helpers import EXAMPLE, click_point
from PIL import Image

from sppviz.analysis import pipeline
from sppviz.app import session, settings
from sppviz.app.tabs import inputs
from sppviz.app.tabs import window as window_tab
from sppviz.method import pyramid


def fresh_image(tmp_path, seed):
    """The example with a few changed pixels: a new image id, so nothing of it is cached."""
    img = np.asarray(Image.open(EXAMPLE).convert("RGB")).copy()
    img[:3, :3] = np.random.default_rng(seed).integers(0, 255, (3, 3, 3), dtype=np.uint8)
    path = tmp_path / f"fresh{seed}.png"
    Image.fromarray(img).save(path)
    return str(path)


def analyze(path, lang="en", **kw):
    v = dict(settings.DEFAULTS, image=path, state={}, lang=lang, **kw)
    out = inputs.analyze_image(v, lang)
    v["state"] = out["state"]
    return v, out


def test_the_default_is_a_pyramid_of_three_scales_of_s():
    assert list(settings.DEFAULTS["scales"]) == [480, 688, 864]
    assert set(settings.DEFAULTS["scales"]) <= set(pyramid.PAPER_SCALES)


def test_a_new_image_shows_what_each_scale_cost_and_the_same_image_again_says_cached(model, tmp_path):
    path = fresh_image(tmp_path, 1)
    _, out = analyze(path)
    first = out["status"]
    for s in (480, 688, 864):  # conv5 per scale, in seconds
        assert re.search(rf"\b{s}: \d+\.\d\d s", first), first
    assert "**from the cache**" not in first and "the proposals took" in first
    _, again = analyze(path)  # another visitor, the same image and scales
    assert "**from the cache**" in again["status"] and "480: " not in again["status"]
    pipeline.FEATURES.clear()  # conv5 dropped, proposals kept: each scale computed again, the windows cached
    _, part = analyze(path)
    assert "**from the cache**" not in part["status"] and "the proposals came from the cache" in part["status"]
    assert re.search(r"\b864: \d+\.\d\d s", part["status"])
    _, zh = analyze(path, lang="zh")
    assert "**取自缓存**" in zh["status"]


def test_fewer_windows_than_asked_for_are_explained(model, tmp_path):
    v, out = analyze(fresh_image(tmp_path, 2), count=2000)
    n = len(session.SESSIONS.get(v["state"]["sid"]).a.windows)
    assert n < 2000 and f"{n} windows, not 2000" in out["status"] and "upper limit" in out["status"]
    v, out = analyze(fresh_image(tmp_path, 2), count=10)  # asked for no more than there are: no notice
    assert "upper limit" not in out["status"] and "**10 windows**" in out["status"]


def test_drawing_and_clearing_boxes_update_the_window_count(model, tmp_path):
    v, out = analyze(fresh_image(tmp_path, 3), scales=[688])
    n = len(session.SESSIONS.get(v["state"]["sid"]).a.windows)
    assert f"**{n} windows**" in out["status"]
    st = dict(v["state"])
    o1 = window_tab.click_window({**v, "state": st, "draw": True}, point=click_point({"state": st}, (90, 90, 90, 90)))
    assert "status" not in o1  # the first corner adds no window
    o2 = window_tab.click_window({**v, "state": o1["state"], "draw": True},
                                 point=click_point({"state": o1["state"]}, (260, 240, 260, 240)))
    assert f"**{n + 1} windows** ({n} proposals + 1 drawn)" in o2["status"]
    cleared = window_tab.clear_boxes({**v, "state": o2["state"]})
    assert f"**{n} windows**" in cleared["status"] and "drawn" not in cleared["status"]


def test_a_scene_the_class_shares_is_scored_once(model, tmp_path, monkeypatch):
    path = fresh_image(tmp_path, 4)
    v1, _ = analyze(path)
    det = session.SESSIONS.get(v1["state"]["sid"]).a.detector
    calls = []
    real = type(det).windows
    monkeypatch.setattr(type(det), "windows", lambda self, *a, **k: calls.append(1) or real(self, *a, **k))
    v2, out2 = analyze(path)  # a second student, the same scene and settings
    assert calls == [] and "**from the cache**" in out2["status"]
    a1, a2 = (session.SESSIONS.get(v["state"]["sid"]).a for v in (v1, v2))
    assert a1.results is a2.results and v1["state"]["sid"] != v2["state"]["sid"]
    assert out2["det_table"] is not None
    analyze(path, scales=[688])  # other scales: scored anew
    assert len(calls) == 1


def test_one_window_is_singular(model, tmp_path):
    _, out = analyze(fresh_image(tmp_path, 5), source="user")  # no boxes drawn: the whole image
    assert "**1 window** ·" in out["status"]
    _, zh = analyze(fresh_image(tmp_path, 5), source="user", lang="zh")
    assert "**1 个窗口**" in zh["status"]
