"""The session store (``app.session``): small records that other visitors' traffic does not push out, heavy
analyses shared by content, and an analysis dropped under memory pressure rebuilt with the same numbers."""

import logging
import shutil

import gradio as gr
import pytest
import torch
from handler_helpers import EXAMPLE, click_point

from sppviz.analysis import pipeline
from sppviz.analysis.workspace import with_boxes
from sppviz.app import session, settings
from sppviz.app.tabs import detections as detections_tab
from sppviz.app.tabs import inputs
from sppviz.app.tabs import window as window_tab

SCENE_2 = str(inputs.EXAMPLES_DIR / "example_5.jpg")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A fresh record table on a clock of the test's own (the real caps and TTL)."""
    c = Clock()
    monkeypatch.setattr(session, "RECORDS", session.Records(session.SESSION_ENTRIES, session.SESSION_TTL_S, timer=c))
    return c


def analyze(image=EXAMPLE, **kw):
    v = dict(settings.DEFAULTS, image=image, scales=[480, 688], state={}, **kw)
    out = inputs.analyze_image(v)
    v["state"] = out["state"]
    return v, out


def drop_heavy_parts():
    """What memory pressure can take: the shared analyses, the image arrays, the conv5 and proposals caches."""
    session.ANALYSES.clear()
    session.IMAGES.clear()
    pipeline.FEATURES.clear()
    pipeline.PROPOSALS.clear()


def test_64_students_keep_their_analyses_through_1000_other_visitors(model, clock):
    _, out = analyze()
    w = session.find(out["state"])
    evicted = session.STATS["evicted"]
    students = [f"student{i}" for i in range(64)]
    for sid in students:
        session.store(sid, w.base, w.a, path=EXAMPLE)
    for j in range(1000):  # one put every 1.5 s: 25 minutes of passers-by, while the class keeps working
        clock.now += 1.5
        session.store(f"visitor{j}", w.base, w.base, path=SCENE_2)
        if j % 50 == 0:
            for sid in students:
                assert session.find({"sid": sid}) is not None, (sid, j)
    assert session.STATS["evicted"] == evicted
    assert len(session.RECORDS) == 1 + 64 + 1000  # the first analysis, the class, the passers-by
    for sid in students:  # a student's next click works: a real handler on the student's record
        st = {**out["state"], "sid": sid}
        res = window_tab.select_window(dict(settings.DEFAULTS, state=st, win_k=2))
        assert res["state"]["k"] == 2 and "data-rule" in res["rules_table"]


def test_a_session_idle_over_its_ttl_is_dropped_and_says_press_analyze(model, clock):
    v, out = analyze()
    other, _ = analyze(SCENE_2)
    expired = session.STATS["expired"]
    clock.now += session.SESSION_TTL_S - 60
    assert session.find(other["state"]) is not None  # used: its clock restarts
    clock.now += 120  # v idle for TTL + 60 s, the other for 120 s
    with pytest.raises(gr.Error, match="Press Analyze first"):
        window_tab.select_window({**v, "win_k": 1})
    assert session.STATS["expired"] == expired + 1
    assert session.find(other["state"]) is not None


def test_more_sessions_than_the_cap_within_the_ttl_are_counted_as_evicted(model, monkeypatch, caplog):
    _, out = analyze()
    w = session.find(out["state"])
    clock = Clock()
    monkeypatch.setattr(session, "RECORDS", session.Records(8, session.SESSION_TTL_S, timer=clock))
    evicted = session.STATS["evicted"]
    with caplog.at_level(logging.WARNING, logger="sppviz"):
        for i in range(9):
            clock.now += 1
            session.store(f"s{i}", w.base, w.a)
    assert session.STATS["evicted"] == evicted + 1
    assert session.find({"sid": "s0"}) is None and session.find({"sid": "s8"}) is not None
    assert any("dropped a session used 8 s ago" in r.getMessage() for r in caplog.records)


def test_students_with_the_same_image_and_settings_share_one_analysis(model, clock):
    va, oa = analyze()
    vb, ob = analyze()
    vc, _ = analyze(SCENE_2)
    wa, wb, wc = (session.find(v["state"]) for v in (va, vb, vc))
    assert va["state"]["sid"] != vb["state"]["sid"]
    assert wa.aid == wb.aid and wa.a.feats[0].fmap is wb.a.feats[0].fmap and wa.a.windows is wb.a.windows
    assert wa.a.results is wb.a.results  # one score cache: a rule scored for one is scored for both
    assert wa.a.timings is not wb.a.timings  # each keeps its own timings (its own status line)
    assert wc.aid != wa.aid and wc.a.iid != wa.a.iid
    # one student's selection does not move the other's
    ra = window_tab.select_window({**va, "win_k": 3})
    rb = window_tab.select_window({**vb, "win_k": 5})
    assert ra["state"]["k"] == 3 and rb["state"]["k"] == 5
    assert session.find(va["state"]) is not None and ob["status"] and oa["status"]


def test_a_dropped_analysis_is_rebuilt_with_the_same_scores(model, clock):
    v, out = analyze()
    st = out["state"]
    w = session.find(st)
    before = w.a.result()
    probs, boxes, windows = before.probs.clone(), before.boxes.clone(), w.a.windows.clone()
    table = window_tab.select_window({**v, "win_k": 4})["rules_table"]
    dets = detections_tab.change_detections(dict(v, thresh=0.2))["det_table"]
    rebuilt = session.STATS["rebuilt"]
    del w, before
    drop_heavy_parts()
    assert len(session.ANALYSES) == 0
    # the student's next events: the same panels, no "Press Analyze first"
    assert window_tab.select_window({**v, "win_k": 4})["rules_table"] == table
    assert detections_tab.change_detections(dict(v, thresh=0.2))["det_table"] == dets
    assert session.STATS["rebuilt"] == rebuilt + 1
    a = session.find(st).a
    assert torch.equal(a.windows, windows)
    assert torch.equal(a.result().probs, probs) and torch.equal(a.result().boxes, boxes)


def test_a_rebuild_keeps_the_drawn_boxes(model, clock):
    v, out = analyze()
    st = dict(out["state"])
    n = len(session.find(st).a.windows)
    p1 = click_point({"state": st}, (60, 70, 60, 70))
    o1 = window_tab.click_window({**v, "state": st, "draw": True}, point=p1)
    p2 = click_point({"state": o1["state"]}, (200, 220, 200, 220))
    o2 = window_tab.click_window({**v, "state": o1["state"], "draw": True}, point=p2)
    a = session.find(o2["state"]).a
    probs = a.result().probs.clone()
    drop_heavy_parts()
    a2 = session.find(o2["state"]).a
    assert len(a2.windows) == n + 1 and a2.windows[n].tolist() == [60.0, 70.0, 200.0, 220.0]
    assert torch.equal(a2.result().probs, probs)


def test_a_session_whose_image_is_gone_says_press_analyze(model, clock, tmp_path):
    path = tmp_path / "own_photo.jpg"
    shutil.copyfile(EXAMPLE, path)
    v, out = analyze(str(path))
    lost = session.STATS["lost"]
    path.unlink()  # the upload pruned from the temporary folder
    drop_heavy_parts()
    with pytest.raises(gr.Error, match="Press Analyze first"):
        window_tab.select_window({**v, "win_k": 1})
    assert session.STATS["lost"] == lost + 1


def test_a_record_is_small(model, clock):
    """What a session keeps beside the shared parts: references, a path, a hash and a few numbers."""
    _, out = analyze()
    w = session.find(out["state"])
    session.store("extra", w.base, with_boxes(w.base, [[1, 2, 30, 40]]), path=EXAMPLE)
    rec = session.RECORDS.get("extra")
    assert rec.windows is w.base.windows and rec.detector is w.base.detector  # references, not copies
    assert rec.boxes == ((1.0, 2.0, 30.0, 40.0),) and rec.path == EXAMPLE
    assert set(rec.own) == set(session.own_fields()) and "image" not in rec.own and "feats" not in rec.own
