"""Panels: an event's arrays become JPEG files named by their content, encoded side by side."""

import threading

import cv2
import numpy as np

from sppviz.app import panels


def _arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    return [np.ascontiguousarray(np.repeat(rng.integers(0, 256, (30 + 7 * i, 40, 3), dtype=np.uint8), 3, axis=1))
            for i in range(n)]


def test_encode_all_keeps_the_order_and_every_other_value_and_names_files_by_content():
    a, b, c = _arrays(3)
    out = {"x": a, "note": "text", "y": b, "none": None, "z": c}
    got = panels.encode_all(out)
    assert list(got) == list(out) and got["note"] == "text" and got["none"] is None
    for key in ("x", "y", "z"):
        assert got[key] == panels.encode_panel(out[key])  # the same file as one at a time
        img = cv2.cvtColor(cv2.imread(got[key]), cv2.COLOR_BGR2RGB)
        assert img.shape == out[key].shape and np.abs(img.astype(int) - out[key]).mean() < 8
    assert len({got["x"], got["y"], got["z"]}) == 3


def test_several_panels_are_encoded_in_the_pool_one_alone_in_the_caller(monkeypatch):
    names = []
    real = panels.encode_panel

    def spy(arr):
        names.append(threading.current_thread().name)
        return real(arr)

    monkeypatch.setattr(panels, "encode_panel", spy)
    panels.encode_all(dict(zip("abcd", _arrays(4, seed=1), strict=True)))
    assert len(names) == 4 and all(n.startswith("sppviz-encode") for n in names)
    names.clear()
    panels.encode_all({"a": _arrays(1, seed=2)[0], "b": "x"})
    assert names == [threading.current_thread().name]
