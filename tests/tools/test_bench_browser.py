"""The browser benchmark's parts that need no browser: the photo it uploads, how a measurement is split."""

import cv2
import numpy as np

from sppviz.tools import bench_browser as bb


def test_photo_like_is_a_new_image_each_variant(tmp_path):
    a = cv2.imread(str(bb.photo_like(tmp_path / "a.jpg", 1)))
    b = cv2.imread(str(bb.photo_like(tmp_path / "b.jpg", 2)))
    assert a.shape == b.shape == (375, 500, 3)
    assert not np.array_equal(a, b)  # the server's caches see a new image
    assert a.std() > 20  # not a flat image


def test_procedural_photo_when_none_is_installed():
    img = bb._procedural((500, 375))
    assert img.shape == (375, 500, 3) and img.dtype == np.uint8 and img.std() > 10


def test_split_takes_the_input_that_caused_the_request_and_its_own_result():
    r = {"painted": 300.0, "fetch": 12.0, "bytes": 1000,
         "actions": [100.0, 110.0, 180.0],  # fill (input events), then Enter after the request went out
         "msgs": [{"t": 90.0, "msg": "process_completed", "event_id": "old"},  # an earlier event's result
                  {"t": 120.0, "msg": "join_sent", "event_id": "e1"},
                  {"t": 150.0, "msg": "process_completed", "event_id": "chained"},
                  {"t": 200.0, "msg": "process_completed", "event_id": "e1"}]}
    m = bb.split(r)
    assert m["total"] == 190.0  # from the input at 110 (the last one before the request)
    assert m["before_request"] == 10.0 and m["server"] == 80.0 and m["after"] == 100.0


def test_summaries():
    s = bb.Samples()
    for v in (100, 110, 120, 130, 400):
        s.add(v, server=v / 2)
    out = s.summary()
    assert out["median_ms"] == 120 and out["p95_ms"] > 300 and out["parts_median_ms"]["server"] == 60
    assert bb.summarize([{"x": 1.0}, {"x": 3.0}])["x"] == {"median": 2.0, "max": 3.0, "n": 2}
