"""A corpus of malformed calls (issue 17, finding 4): through gradio_client (the named endpoints) and through
raw queue joins (what a browser, or anyone, can send to every page event and endpoint), against the app
served in-process. Each must get a clear message: present (28 of 112 got a bare "Error"), short, naming
the parameter, without a server path, errno text or a traceback. A valid call afterwards still works."""

import io
import math
import re
import struct
import zlib

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from sppviz.app import schema
from sppviz.app.tabs import inputs
from sppviz.tools import rawclient

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_3.jpg")
BIG = 10**400
NAN, INF = math.nan, math.inf


def assert_clear(msg, param: str, max_chars: int = schema.MESSAGE_CHARS) -> None:
    """A message the user can act on: there, short, naming ``param`` (a regex), nothing from the server."""
    assert isinstance(msg, str) and msg.strip(), f"bare error: {msg!r}"
    assert len(msg) <= max_chars, (len(msg), msg[:200])
    assert re.search(param, msg, re.I), (param, msg)
    for bad in ("Traceback", 'File "', "Errno", "Exception", "pydantic", "Error:"):
        assert bad not in msg, (bad, msg)
    assert not re.search(r"(?<![\w.])/(?:tmp|home|root|usr|work|etc|var|proc|srv)\b", msg), msg


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def page(app_url):
    return rawclient.Page(app_url)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "notes.png").write_bytes(b"hello, this is a text file\n" * 20)
    (d / "empty.png").write_bytes(b"")
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    (d / "bomb.png").write_bytes(bytes(data))
    return d


@pytest.fixture(scope="module")
def uploaded(app_url):
    return rawclient.upload(app_url, EXAMPLE)


# ----------------------------------------------------------------------------------- gradio_client: /analyze

ANALYZE = [  # id, scales, levels, parameter named in the message
    ("scales-huge-int", [BIG], "1,2,3,6", r"scales.*outside the allowed range"),
    ("scales-bare-int", 688, "1,2,3,6", r"scales: give a list"),
    ("scales-bare-float", 688.0, "1,2,3,6", r"scales: give a list"),
    ("scales-bare-true", True, "1,2,3,6", r"scales: give a list"),
    ("scales-true-inside", [True], "1,2,3,6", r"scales: True is not a number"),
    ("scales-empty", [], "1,2,3,6", r"scales.*at least one scale"),
    ("scales-0", [0], "1,2,3,6", r"scales.*outside"),
    ("scales-negative", [-480], "1,2,3,6", r"scales.*outside"),
    ("scales-5000", [5000], "1,2,3,6", r"scales.*outside"),
    ("scales-abc", ["abc"], "1,2,3,6", r"scales.*not a number"),
    ("scales-600.5", [600.5], "1,2,3,6", r"scales.*whole number"),
    ("scales-nested", [[688]], "1,2,3,6", r"scales.*not a number"),
    ("scales-dict-inside", [{"s": 688}], "1,2,3,6", r"scales.*not a number"),
    ("scales-dict", {"a": 1}, "1,2,3,6", r"scales: give a list"),
    ("scales-text-junk", "480, abc", "1,2,3,6", r"scales.*whole numbers"),
    ("scales-bad-json", "[480, ", "1,2,3,6", r"scales.*not valid JSON"),
    ("scales-100-items", [480] * 100, "1,2,3,6", r"scales: at most 64 values"),
    ("scales-9-distinct", list(range(480, 660, 20)), "1,2,3,6", r"scales.*at most 8 scales"),
    ("scales-long-text", "9" * 5000, "1,2,3,6", r"scales.*at most 1000 characters"),
    ("levels-1.5", [688], 1.5, r"levels: give a list"),
    ("levels-bare-6", [688], 6, r"levels: give a list"),
    ("levels-true", [688], True, r"levels: give a list"),
    ("levels-dict", [688], {"1": 2}, r"levels: give a list"),
    ("levels-40000", [688], [1, 2, 3, 6] * 10**4, r"levels: at most 16 values"),
    ("levels-0", [688], [0, 1], r"levels.*int >= 1"),
    ("levels-negative", [688], [1, -2], r"levels.*int >= 1"),
    ("levels-repeat", [688], [1, 2, 2], r"levels.*must not repeat"),
    ("levels-a", [688], [1, "a"], r"levels.*int >= 1, got 'a'"),
    ("levels-100", [688], [1, 100], r"levels.*too large"),
    ("levels-2.5", [688], [1, 2.5], r"levels.*int >= 1"),
    ("levels-nested", [688], [[1, 2], {"x": 3}], r"levels.*int >= 1"),
    ("levels-none-inside", [688], [1, None], r"levels.*int >= 1"),
    ("levels-true-inside", [688], [True, 2], r"levels: each level must be a whole number"),
    ("levels-text-junk", [688], "1,2,x", r"levels.*whole numbers"),
    ("levels-custom-empty", [688], "custom", r"custom levels"),
    ("levels-bad-json", [688], "[1, 2", r"levels.*not valid JSON"),
    ("levels-huge", [688], [BIG], r"levels.*too large"),
]


@pytest.mark.parametrize("scales, levels, param", [c[1:] for c in ANALYZE], ids=[c[0] for c in ANALYZE])
def test_analyze_endpoint(client, scales, levels, param):
    with pytest.raises(AppError) as e:
        client.predict(handle_file(EXAMPLE), scales, levels, api_name="/analyze")
    assert_clear(str(e.value), param, max_chars=200)


@pytest.mark.parametrize("name, param", [("notes.png", "not an image"), ("empty.png", "empty"),
                                         ("bomb.png", r"claims 900 MP; the limit is 50 MP")])
def test_bad_files_through_the_endpoints(client, files, name, param):
    with pytest.raises(AppError) as e:
        client.predict(handle_file(str(files / name)), [688], "1,2,3,6", api_name="/analyze")
    assert_clear(str(e.value), param)
    with pytest.raises(AppError) as e:
        client.predict(handle_file(str(files / name)), [10, 10, 50, 50], "paper", "paper", api_name="/project")
    assert_clear(str(e.value), param)


# ----------------------------------------------------------------------------------- gradio_client: /project

PROJECT = [  # id, box, scale_rule, projection, parameter
    ("box-huge-int", [BIG, 0, 10, 10], "paper", "paper", r"box: coordinates must be numbers"),
    ("box-inverted", [10, 10, 5, 5], "paper", "paper", r"box.*inverted"),
    ("box-3", [1, 2, 3], "paper", "paper", r"box.*shape"),
    ("box-text", "not a box", "paper", "paper", r"box.*4 numbers"),
    ("box-empty", [], "paper", "paper", r"box: give exactly one box"),
    ("box-two", [[1, 2, 30, 40], [5, 6, 70, 80]], "paper", "paper", r"box: give exactly one box.*got 2"),
    ("box-true", [True, 0, 10, 10], "paper", "paper", r"box: coordinates must be numbers"),
    ("box-deep", [[[1, 2, 3, 4]]], "paper", "paper", r"box: must be 4 numbers"),
    ("box-dict", {"x1": 1}, "paper", "paper", r"box: must be 4 numbers"),
    ("box-text-3", "1, 2, 3", "paper", "paper", r"box.*shape"),
    ("box-outside", [5000, 5000, 6000, 6000], "paper", "paper", r"box.*outside"),
    ("box-words", ["a", "b", "c", "d"], "paper", "paper", r"box.*numbers"),
    ("box-degenerate", [0.2, 0, 0.8, 5], "paper", "paper", r"box.*degenerate"),
    ("box-100-numbers", list(range(100)), "paper", "paper", r"box: give exactly one box"),
    ("box-none", None, "paper", "paper", r"box.*shape"),
    ("box-bad-json", "[1, 2, ", "paper", "paper", r"box.*not valid JSON"),
    ("scale-rule-unknown", [10, 10, 50, 50], "closest", "paper", r"Unknown scale rule"),
    ("scale-rule-int", [10, 10, 50, 50], 5, "paper", r"Unknown scale rule"),
    ("scale-rule-dict", [10, 10, 50, 50], {"a": 1}, "paper", r"Unknown scale rule"),
    ("scale-rule-true", [10, 10, 50, 50], True, "paper", r"Unknown scale rule"),
    ("scale-rule-long", [10, 10, 50, 50], "x" * 10000, "paper", r"Unknown scale rule"),
    ("projection-unknown", [10, 10, 50, 50], "paper", "nope", r"Unknown projection rule"),
    ("projection-list", [10, 10, 50, 50], "paper", ["paper"], r"Unknown projection rule"),
    ("projection-int", [10, 10, 50, 50], "paper", 123, r"Unknown projection rule"),
    ("projection-html", [10, 10, 50, 50], "paper", "<img src=x onerror=alert(1)>", r"Unknown projection rule"),
]


@pytest.mark.parametrize("box, scale_rule, projection, param", [c[1:] for c in PROJECT], ids=[c[0] for c in PROJECT])
def test_project_endpoint(client, box, scale_rule, projection, param):
    with pytest.raises(AppError) as e:
        client.predict(handle_file(EXAMPLE), box, scale_rule, projection, api_name="/project")
    msg = str(e.value)
    assert_clear(msg, param, max_chars=200)
    assert "<img" not in msg  # Gradio shows a message as HTML: the echo is escaped


# ----------------------------------------------------------------------------------- raw joins: the endpoints

def _endpoint(page, name):
    return next(d for d in page.config["dependencies"] if d.get("api_name") == name)


FD = {"meta": {"_type": "gradio.FileData"}}
RAW_API = [  # id, endpoint, data (None in place of the uploaded image), parameter
    ("analyze-missing-2", "analyze", ["IMG"], r"sent 1 of the 3 values it needs \(image, scales, levels\)"),
    ("analyze-missing-all", "analyze", [], r"sent 0 of the 3 values"),
    ("project-missing-3", "project", ["IMG"], r"sent 1 of the 4 values it needs \(image, box, scale_rule"),
    ("image-text", "analyze", ["abc", [688], "1,2,3,6"], r"image: expected an uploaded file"),
    ("image-number", "analyze", [5, [688], "1,2,3,6"], r"image: expected an uploaded file"),
    ("image-path-int", "analyze", [{**FD, "path": 5}, [688], "1,2,3,6"], r"image: expected an uploaded file"),
    ("image-etc-passwd", "analyze", [{**FD, "path": "/etc/passwd"}, [688], None], r"image: .*not uploaded to this app"),
    ("image-traversal", "project", [{**FD, "path": "../../etc/passwd"}, [1, 1, 9, 9], "paper", "paper"],
     r"image: .*not uploaded to this app"),
    ("image-this-file", "project", [{**FD, "path": __file__}, [1, 1, 9, 9], "paper", "paper"],
     r"image: .*not uploaded to this app"),
    ("image-data-url", "analyze", [{**FD, "url": "data:image/png;base64,AAAA"}, [688], None],
     r"image: expected an uploaded file"),
    ("image-http-url", "analyze", [{**FD, "path": "http://127.0.0.1:9/x.png"}, [688], None], r"image: .*not a URL"),
    ("image-list", "analyze", [["IMG", "IMG"], [688], None], r"image: expected an uploaded file"),
    ("image-none", "analyze", [None, [688], None], r"image: no image file was given"),
    ("image-vanished", "analyze", ["GONE", [688], None], r"image: the uploaded file is no longer on the server"),
    ("image-directory", "analyze", ["DIR", [688], None], r"image: the uploaded file is no longer on the server"),
    ("scales-huge", "analyze", ["IMG", [BIG], None], r"scales.*outside"),
    ("scales-nan", "analyze", ["IMG", [NAN], None], r"scales.*whole number"),  # JSON's NaN: no client sends it
    ("scales-inf", "analyze", ["IMG", [INF], None], r"scales.*whole number"),
    ("scales-bare-nan", "analyze", ["IMG", NAN, None], r"scales: give a list"),
    ("levels-nan", "analyze", ["IMG", [688], NAN], r"levels: give a list"),
    ("levels-nan-inside", "analyze", ["IMG", [688], [1, NAN]], r"levels.*int >= 1"),
    ("box-nan", "project", ["IMG", [NAN, 0, 10, 10], "paper", "paper"], r"box.*NaN or infinity"),
    ("box-inf", "project", ["IMG", [0, 0, INF, 10], "paper", "paper"], r"box.*NaN or infinity"),
    ("levels-dict", "analyze", ["IMG", [688], {"1": 2}], r"levels: give a list"),
    ("box-huge", "project", ["IMG", [BIG, 0, 10, 10], "paper", "paper"], r"box: coordinates"),
    ("rule-dict", "project", ["IMG", [1, 1, 9, 9], {"x": 1}, "paper"], r"Unknown scale rule"),
]


def _fill(data, uploaded):
    from pathlib import Path

    gone = {**uploaded, "path": str(Path(uploaded["path"]).parent / "gone" / "x.png")}
    direct = {**uploaded, "path": str(Path(uploaded["path"]).parent)}
    sub = {"IMG": uploaded, "GONE": gone, "DIR": direct}
    return [sub.get(v, v) if isinstance(v, str) else [sub.get(x, x) for x in v] if isinstance(v, list) and
            v and v[0] == "IMG" else v for v in data]


@pytest.mark.parametrize("endpoint, data, param", [c[1:] for c in RAW_API], ids=[c[0] for c in RAW_API])
def test_raw_joins_to_the_endpoints(app_url, page, uploaded, endpoint, data, param):
    r = rawclient.join(app_url, _endpoint(page, endpoint)["id"], _fill(data, uploaded))
    assert r["status"] == 200 and r["success"] is False
    assert_clear(r["error"], param)


# ----------------------------------------------------------------------------------- raw joins: page events

PAGE = [  # id, trigger elem_id, event, values (component elem_id or label key -> value), event data, parameter
    ("analyze-scales-huge", "analyze-btn", "click", {"scales": [BIG]}, None, r"scales.*outside"),
    ("analyze-scales-text", "analyze-btn", "click", {"scales": "abc"}, None, r"scales.*whole numbers"),
    ("analyze-scales-dict", "analyze-btn", "click", {"scales": {"x": 1}}, None, r"scales: give a list"),
    ("analyze-scales-true", "analyze-btn", "click", {"scales": [True]}, None, r"scales: True is not a number"),
    ("analyze-scales-5000", "analyze-btn", "click", {"scales": [5000]}, None, r"scales.*outside"),
    ("analyze-custom-scales-int", "analyze-btn", "click", {"in_custom_scales": 5}, None,
     r"custom_scales: must be text"),
    ("analyze-custom-scales-junk", "analyze-btn", "click", {"in_custom_scales": "480, x"}, None, r"custom_scales"),
    ("analyze-custom-scales-long", "analyze-btn", "click", {"in_custom_scales": "9" * 5000}, None,
     r"custom_scales: at most 1000 characters"),
    ("analyze-custom-scales-huge", "analyze-btn", "click", {"in_custom_scales": "1" * 500}, None,
     r"custom_scales.*whole numbers"),
    ("analyze-levels-1.5", "analyze-btn", "click", {"levels": 1.5}, None, r"levels: give a list"),
    ("analyze-levels-dict", "analyze-btn", "click", {"levels": {"1": 2}}, None, r"levels: give a list"),
    ("analyze-levels-custom-empty", "analyze-btn", "click", {"levels": "custom", "in_custom_levels": ""}, None,
     r"custom levels"),
    ("analyze-custom-levels-junk", "analyze-btn", "click", {"levels": "custom", "in_custom_levels": "1, 2, x"}, None,
     r"custom_levels"),
    ("analyze-custom-levels-int", "analyze-btn", "click", {"levels": "custom", "in_custom_levels": 7}, None,
     r"custom_levels: must be text"),
    ("analyze-custom-levels-repeat", "analyze-btn", "click", {"levels": "custom", "in_custom_levels": "2, 2"}, None,
     r"custom_levels.*must not repeat"),
    ("analyze-source-bogus", "analyze-btn", "click", {"source": "bogus"}, None, r"proposal source"),
    ("analyze-source-int", "analyze-btn", "click", {"source": 5}, None, r"proposal source"),
    ("analyze-count-huge", "analyze-btn", "click", {"in_count": BIG}, None, r"count.*1\.\.3000"),
    ("analyze-count-abc", "analyze-btn", "click", {"in_count": "abc"}, None, r"count.*integer"),
    ("analyze-count-nan", "analyze-btn", "click", {"in_count": NAN}, None, r"count.*integer"),
    ("analyze-count-0", "analyze-btn", "click", {"in_count": 0}, None, r"count.*1\.\.3000"),
    ("analyze-count-true", "analyze-btn", "click", {"in_count": True}, None, r"count.*integer"),
    ("analyze-projection", "analyze-btn", "click", {"projection": "x"}, None, r"projection rule"),
    ("analyze-scale-rule-list", "analyze-btn", "click", {"scale-rule": [1]}, None, r"scale rule"),
    ("analyze-bin-rule-dict", "analyze-btn", "click", {"bin-rule": {"a": 1}}, None, r"bin rule"),
    ("analyze-box-scaling", "analyze-btn", "click", {"box-scaling": "nope"}, None, r"box scaling"),
    ("analyze-backbone", "analyze-btn", "click", {"backbone": "resnet"}, None, r"backbone"),
    ("analyze-backbone-dict", "analyze-btn", "click", {"backbone": {"x": 1}}, None, r"backbone"),
    ("analyze-fm-scale-abc", "analyze-btn", "click", {"fm_scale": "abc"}, None, r"fm_scale.*integer"),
    ("analyze-fm-scale-99", "analyze-btn", "click", {"fm_scale": 99}, None, r"fm_scale"),
    ("analyze-fm-view", "analyze-btn", "click", {"fm_view": "sideways"}, None, r"view"),
    ("analyze-spp-level-0", "analyze-btn", "click", {"spp-level": 0}, None, r"spp_level"),
    ("analyze-spp-level-1.5", "analyze-btn", "click", {"spp-level": 1.5}, None, r"spp_level"),
    ("analyze-thresh-nan", "analyze-btn", "click", {"det-thresh": NAN}, None, r"thresh"),
    ("analyze-thresh-abc", "analyze-btn", "click", {"det-thresh": "abc"}, None, r"thresh"),
    ("analyze-thresh-2", "analyze-btn", "click", {"det-thresh": 2}, None, r"thresh.*0\.\.1"),
    ("analyze-iou-negative", "analyze-btn", "click", {"det-iou": -1}, None, r"iou.*0\.\.1"),
    ("analyze-iou-true", "analyze-btn", "click", {"det-iou": True}, None, r"iou"),
    ("analyze-image-text", "analyze-btn", "click", {"input-image": "abc"}, None, r"image: expected an uploaded file"),
    ("analyze-image-path-int", "analyze-btn", "click", {"input-image": {**FD, "path": 5}}, None,
     r"image: expected an uploaded file"),
    ("analyze-image-passwd", "analyze-btn", "click", {"input-image": {**FD, "path": "/etc/passwd"}}, None,
     r"image: .*not uploaded"),
    ("analyze-image-data-url", "analyze-btn", "click", {"input-image": {**FD, "url": "data:image/png;base64,AA"}},
     None, r"image: expected an uploaded file"),
    ("analyze-no-image", "analyze-btn", "click", {"input-image": None}, None, r"image"),
    ("win-k-abc", "win-k", "submit", {"win-k": "abc"}, None, r"win_k.*integer"),
    ("win-k-nan", "win-k", "submit", {"win-k": NAN}, None, r"win_k.*integer"),
    ("win-k-huge", "win-k", "submit", {"win-k": BIG}, None, r"win_k"),
    ("win-k-true", "win-k", "submit", {"win-k": True}, None, r"win_k.*integer"),
    ("win-k-negative", "win-k", "submit", {"win-k": -1}, None, r"win_k"),
    ("win-k-none", "win-k", "submit", {"win-k": None}, None, r"win_k.*integer"),
    ("thresh-abc", "det-thresh", "input", {"det-thresh": "abc"}, None, r"thresh"),
    ("thresh-nan", "det-thresh", "input", {"det-thresh": NAN}, None, r"thresh"),
    ("thresh-inf", "det-thresh", "input", {"det-thresh": INF}, None, r"thresh"),
    ("iou-big", "det-iou", "input", {"det-iou": 10**30}, None, r"iou"),
    ("classes-dicts", "det-thresh", "input", {"det-classes": [{}]}, None, r"classes"),
    ("classes-number", "det-thresh", "input", {"det-classes": [5]}, None, r"classes"),
    ("fm-channel-abc", "fm-channel", "input", {"fm-channel": "abc"}, None, r"fm_channel.*integer"),
    ("fm-channel-nan", "fm-channel", "input", {"fm-channel": NAN}, None, r"fm_channel"),
    ("fm-channel-huge", "fm-channel", "input", {"fm-channel": 10**9}, None, r"fm_channel"),
    ("fm-view-int", "fm-channel", "input", {"fm_view": 3}, None, r"view"),
    ("spp-channel-abc", "spp-channel", "input", {"spp-channel": "abc"}, None, r"spp_channel"),
    ("spp-channel-nan", "spp-channel", "input", {"spp-channel": NAN}, None, r"spp_channel"),
    ("spp-level-99", "spp-level", "input", {"spp-level": 99}, None, r"spp_level"),
    ("spp-levels-junk", "spp-level", "input", {"levels": {"x": 1}}, None, r"levels"),
    ("why-n-abc", "why-btn", "click", {"why-n": "abc"}, None, r"why_n"),
    ("why-n-huge", "why-btn", "click", {"why-n": BIG}, None, r"why_n"),
    ("projection-rule-input", "projection", "input", {"projection": 17}, None, r"projection rule"),
    ("click-index-text", "win-img", "select", {}, {"index": "abc", "value": None}, r"click: expected a point"),
    ("click-no-index", "win-img", "select", {}, {"value": None}, r"click: expected a point"),
    ("click-no-event-data", "win-img", "select", {}, None, r"click: expected a point"),
    ("click-one-number", "win-img", "select", {}, {"index": [1], "value": None}, r"click: expected a point"),
    ("click-nan", "win-img", "select", {}, {"index": [NAN, 1], "value": None}, r"click: expected a point"),
    ("click-huge", "win-img", "select", {}, {"index": [1e300, 1], "value": None}, r"click: expected a point"),
    ("click-true", "win-img", "select", {}, {"index": [True, 1], "value": None}, r"click: expected a point"),
    ("click-big-int", "win-img", "select", {}, {"index": [BIG, 1], "value": None}, r"click: expected a point"),
    ("click-draw-yes", "win-img", "select", {"draw": "yes"}, {"index": [1, 1], "value": None}, r"draw"),
    ("row-text", "det-table", "select", {}, {"index": [0, 0], "value": 1, "row_value": "abc"}, r"row: expected a row"),
    ("row-huge-window", "det-table", "select", {}, {"index": [0, 0], "value": 1, "row_value": [1, BIG]},
     r"row: expected a row"),
    ("row-empty", "det-table", "select", {}, {"index": [0, 0], "value": 1, "row_value": []}, r"row: expected a row"),
    ("row-dict", "det-table", "select", {}, {"index": [0, 0], "value": 1, "row_value": {"a": 1}}, r"row: expected"),
    ("bin-click-text", "spp-values", "select", {}, {"index": "x", "value": None}, r"click: expected a point"),
    ("bin-click-empty", "spp-map", "select", {}, {}, r"click: expected a point"),
]


@pytest.mark.parametrize("trigger, event, values, event_data, param", [c[1:] for c in PAGE],
                         ids=[c[0] for c in PAGE])
def test_raw_joins_to_page_events(page, uploaded, trigger, event, values, event_data, param):
    r = page.call(trigger, event, {"input-image": uploaded, **values}, event_data)
    assert r["status"] == 200 and r["success"] is False, r
    assert_clear(r["error"], param, max_chars=200)


def test_a_page_event_with_too_few_values(app_url, page):
    dep = page.event("analyze-btn")
    r = rawclient.join(app_url, dep["id"], [None, None, None])
    assert_clear(r["error"], r"sent 3 of the \d+ values it needs \(lang, state, image, scales")


def test_the_corpus_is_large():
    assert len(ANALYZE) + 6 + len(PROJECT) + len(RAW_API) + len(PAGE) + 1 >= 120


def test_a_valid_call_still_works_after_all_that(client):
    res = client.predict(handle_file(EXAMPLE), [40, 30, 200, 160], "paper", "paper", api_name="/project")
    assert res["box"] == [40, 30, 200, 160] and res["projection"] == "paper"


def test_a_user_error_is_one_log_line_without_a_traceback(page, uploaded, caplog, capfd):
    import logging

    caplog.set_level(logging.INFO, logger="sppviz")
    capfd.readouterr()
    r = page.call("analyze-btn", "click", {"input-image": uploaded, "scales": [BIG]})
    assert r["success"] is False
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "sppviz"]
    assert any(line.startswith("user error: scales:") and "\n" not in line for line in lines), lines
    assert not any(rec.exc_info for rec in caplog.records if rec.name == "sppviz")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_clicks_that_hit_nothing_return_outputs_gradio_accepts(page, uploaded):
    """A click outside every bin and a click on no row of the table change nothing, and say nothing."""
    sh = "clicks-on-nothing"
    r = page.call("analyze-btn", "click", {"input-image": uploaded, "scales": [480], "source": "grid", "in_count": 50},
                  session_hash=sh)
    assert r["success"], r
    for trigger, data in (("spp-values", {"index": [-500, -500], "value": None}),
                          ("spp-map", {"index": [-500, -500], "value": None}),
                          ("det-table", {"index": [0, 0], "value": None, "row_value": None})):
        r = page.call(trigger, "select", {}, data, session_hash=sh)
        assert r["status"] == 200 and r["success"] is True and r["error"] is None, (trigger, r)
    r = page.call("win-img", "select", {}, {"index": [-500, -500], "value": None}, session_hash=sh)
    assert r["success"] is True or "No window contains" in (r["error"] or ""), r
