"""The light events outside Gradio's queue (``events.QUIET``, issue 18), against the app served in-process:
the page posts them to ``/gradio_api/run/predict`` and has the answer in one round trip. That route meets
the same limits as the queue's: the body limit, the checks of ``gate.install`` (too few values, a malformed
click) with one clear message, and the light slots; the heavy work stays in the queue, with its one
concurrency limit, and cannot be called round it."""

import threading

import httpx
import pytest

from sppviz.app import build_app, limits
from sppviz.app.tabs import inputs
from sppviz.tools import rawclient

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_3.jpg")


@pytest.fixture(scope="module")
def page(app_url):
    return rawclient.Page(app_url)


@pytest.fixture(scope="module")
def analyzed(app_url, page):
    """A session with an analysis (through the queue, as the page sends Analyze)."""
    sh = "light-events"
    fd = rawclient.upload(app_url, EXAMPLE)
    r = page.call("analyze-btn", "click", {"input-image": fd, "scales": [480], "source": "grid", "in_count": 60},
                  session_hash=sh)
    assert r["success"], r
    return sh


def test_light_events_skip_the_queue_and_heavy_ones_stay_in_it(page):
    deps = [d for d in page.config["dependencies"] if d.get("backend_fn")]
    demo = build_app()
    by_id = dict(demo.fns)
    heavy = {i for i, fn in by_id.items() if fn.concurrency_id == limits.HEAVY}
    light = {i for i, fn in by_id.items() if getattr(fn.fn, "sppviz_handler", None) is not None and i not in heavy}
    assert len(heavy) >= 4 and len(light) >= 30
    assert all(d["queue"] is False for d in deps if d["id"] in light)
    assert all(d["queue"] is not False for d in deps if d["id"] in heavy)
    assert all(by_id[i].concurrency_limit == limits.HEAVY_CONCURRENCY for i in heavy)
    for elem_id, name in (("win-img", "select"), ("win-k", "submit"), ("spp-channel", "input"),
                          ("det-thresh", "input")):
        assert page.event(elem_id, name)["queue"] is False, elem_id


def test_a_window_click_is_answered_in_one_request(app_url, page, analyzed):
    dep = page.event("win-img", "select")
    data = [page.values.get(i) for i in dep["inputs"]]
    with httpx.Client(timeout=60) as c:
        r = c.post(f"{app_url.rstrip('/')}/gradio_api/run/predict",
                   json={"data": data, "event_data": {"index": [120, 90], "value": None}, "fn_index": dep["id"],
                         "trigger_id": page.by_name["win-img"], "session_hash": analyzed})
    assert r.status_code == 200, r.text[:300]
    out = rawclient.output(page, dep, r.json()["data"], "win-k")  # the clicked window's number
    assert isinstance(out, int | float) and out >= 0


@pytest.mark.parametrize("trigger, event, values, event_data, message", [
    ("win-img", "select", {}, {"index": "abc", "value": None}, r"click: expected a point"),
    ("win-k", "submit", {"win-k": "abc"}, None, r"win_k.*integer"),
    ("det-thresh", "input", {"det-thresh": float("nan")}, None, r"thresh"),
    ("spp-values", "select", {}, {}, r"click: expected a point"),
])
def test_bad_input_outside_the_queue_is_one_clear_message(page, analyzed, trigger, event, values, event_data,
                                                          message):
    import re

    assert page.event(trigger, event)["queue"] is False
    r = page.call(trigger, event, values, event_data, session_hash=analyzed)
    assert r["status"] == 200 and r["success"] is False, r
    assert re.search(message, r["error"]) and "Traceback" not in r["error"] and len(r["error"]) < 200, r


def test_too_few_values_and_a_big_body_are_refused_on_the_direct_route(app_url, page):
    dep = page.event("win-k", "submit")
    r = rawclient.predict(app_url, dep["id"], [None])
    assert r["status"] == 200 and r["success"] is False
    assert f"sent 1 of the {len(dep['inputs'])} values it needs" in r["error"], r
    big = b'{"data": ["' + b"x" * (300 * 2**10) + b'"], "fn_index": 1, "session_hash": "x"}'
    resp = httpx.post(f"{app_url.rstrip('/')}/gradio_api/run/predict", content=big,
                      headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "limit" in resp.text and len(resp.text) < 300


def test_heavy_events_cannot_be_called_round_the_queue(app_url, page):
    dep = page.event("analyze-btn")
    r = rawclient.predict(app_url, dep["id"], [page.values.get(i) for i in dep["inputs"]])
    assert r["status"] == 404 and "join the queue" in r["text"], r
    api = next(d for d in page.config["dependencies"] if d.get("api_name") == "analyze")
    with httpx.Client(timeout=60) as c:
        resp = c.post(f"{app_url.rstrip('/')}/gradio_api/run/analyze", json={"data": [None, [480], None]})
    assert resp.status_code == 404 and api["queue"] is not False


def test_light_events_wait_for_a_slot_then_say_the_server_is_busy(page, analyzed, monkeypatch):
    monkeypatch.setattr(limits, "LIGHT_WAIT_S", 0.2)
    held = 0
    try:
        while limits.LIGHT_SLOTS.acquire(timeout=5):  # every slot taken (by other visitors' events)
            held += 1
            if held == limits.LIGHT_CONCURRENCY:
                break
        r = page.call("win-k", "submit", {"win-k": 3}, session_hash=analyzed)
        assert r["status"] == 200 and r["success"] is False and "the server is busy" in r["error"], r
    finally:
        for _ in range(held):
            limits.LIGHT_SLOTS.release()
    done = []
    t = threading.Thread(target=lambda: done.append(page.call("win-k", "submit", {"win-k": 3},
                                                              session_hash=analyzed)))
    t.start()
    t.join(60)
    assert done and done[0]["success"], done  # a slot free again: the same event is answered


def test_a_failure_comes_back_as_the_notice_and_its_relay_raises_it(app_url, page):
    """Outside the queue the page shows no message for HTTP 500: the failure is an answer (HTTP 200) whose NOTICE
    output holds the message, and the queued relay on the NOTICE's change raises it (the page's error toast)."""
    dep = page.event("win-k", "submit")
    notice = page.by_name[rawclient.NOTICE_ELEM_ID]
    assert notice in dep["outputs"]
    data = [page.values.get(i) for i in dep["inputs"]]
    data[dep["inputs"].index(page.by_name["win-k"])] = "abc"
    with httpx.Client(timeout=60) as c:
        r = c.post(f"{app_url.rstrip('/')}/gradio_api/run/predict",
                   json={"data": data, "fn_index": dep["id"], "session_hash": "notice-relay", "event_data": None})
    assert r.status_code == 200, r.text[:300]
    value = r.json()["data"][dep["outputs"].index(notice)]
    message = rawclient.notice_message(value)
    assert message and "win_k" in message, value
    relay = page.event(rawclient.NOTICE_ELEM_ID, "change")
    assert relay["queue"] is not False and relay["inputs"] == [notice]
    shown = rawclient.join(app_url, relay["id"], [value if isinstance(value, str) else value["value"]])
    assert shown["success"] is False and shown["error"] == message, shown


def test_the_same_message_again_at_once_is_not_sent_twice(page):
    """A failed event's .success chain runs on (the page saw an answer) and fails the same way: one message."""
    first = page.call("win-k", "submit", {"win-k": "abc"}, session_hash="twice")
    again = page.call("win-k", "submit", {"win-k": "abc"}, session_hash="twice")
    other = page.call("win-k", "submit", {"win-k": "abc"}, session_hash="someone-else")
    assert first["success"] is False and other["success"] is False and first["error"] == other["error"]
    assert again["success"] is True  # no change sent: the page still shows the first message


def test_the_raw_client_sends_what_the_page_sends_for_the_tab_it_has_open(app_url, page):
    """rawclient.Visitor (the load tests' page) follows the page's step after a change (app.follow): a window
    number on the projection tab is one request; on step 4's tab it is followed by step 4's redraw (the
    button the page presses); opening step 4's tab after a window chosen elsewhere draws that window's."""
    v = rawclient.Visitor(page, "raw-follow")
    fd = rawclient.upload(app_url, EXAMPLE)
    assert v.act("analyze-btn", "click", {"input-image": fd, "scales": [480], "source": "grid", "in_count": 60})[
        "success"]
    assert v.open("tab-projection")["joins"] == 0  # nothing is drawn when the projection tab opens
    r = v.act("win-k", "submit", {"win-k": 7})
    assert r["success"] and r["joins"] == 1
    opened = v.open("tab-spp")  # step 4 drawn for window 7 now
    assert opened["success"] and opened["joins"] == 1
    assert rawclient.output(page, opened["dep"], opened["first"]["data"], "spp-map") is not None
    assert v.open("tab-spp")["joins"] == 1 and v.shown == "tab-spp"
    r = v.act("win-k", "submit", {"win-k": 9})  # as if chosen while step 4 is shown: the page presses its button
    assert r["success"] and r["joins"] == 2
    (step,) = [d for d in page.chain(page.event("win-k", "submit")) if not d.get("backend_fn")]
    assert rawclient.presses(step) == [("follow-pool", ("tab-spp", "tab-features")), ("follow-feat", ("tab-features",))]
