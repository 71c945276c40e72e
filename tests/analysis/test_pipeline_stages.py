"""The staged analysis: proposals in a worker thread while conv5 runs, then one scoring pass into a reused
output buffer; the same results as doing each step in turn."""

import os
import threading

import numpy as np
import pytest
import torch

from sppviz import analysis
from sppviz.analysis import pipeline
from sppviz.model import synthetic
from sppviz.model.detector import Detector, SPPNet


@pytest.fixture(scope="module")
def detector(tiny_model_path):
    return Detector(SPPNet.load(tiny_model_path), "cpu")


@pytest.fixture(scope="module")
def image():
    return synthetic.make_scene(synthetic.EVAL_SEED_BASE + 77, size=(320, 240)).image


def test_staged_analysis_equals_the_steps_in_turn(detector, image):
    analysis.PROPOSALS.clear()
    p = pipeline.begin(image, detector, (480, 688), "selective-search-fast", 300)
    feats = p.features()
    preview = p.preview()
    assert len(preview.windows) == 0 and preview.feats is feats and [f.scale for f in feats] == [480, 688]
    a = p.finish()
    windows, _ = analysis.get_windows(image, "selective-search-fast", 300)  # now cached: the same windows
    assert torch.equal(a.windows, torch.as_tensor(windows))
    want = detector.windows([detector.features(image, s) for s in (480, 688)], a.windows, a.image_wh)
    got = a.result()
    assert torch.allclose(got.probs, want.probs) and torch.equal(got.scale_index, want.scale_index)
    assert torch.equal(got.cells, want.cells) and got.pooled.numel() == 0  # the vectors stay in the buffer
    assert set(a.timings) == {"proposals_s", "conv_s", "wait_s", "score_s", "total_s"}
    assert a.timings["proposals_s"] > 0 and a.timings["total_s"] >= a.timings["score_s"]


def test_scoring_passes_reuse_one_output_buffer(detector, image):
    a = analysis.analyze(image, detector, (688,), "grid", 200)
    pipeline.POOL_BUFFERS.clear()
    a.result(projection="original")
    held = pipeline.POOL_BUFFERS.nbytes
    assert held >= len(a.windows) * a.feats[0].fmap.shape[0] * 50 * 4  # the buffer went back to the pool
    a.result(projection="fast-rcnn")
    assert pipeline.POOL_BUFFERS.nbytes == held  # reused, not a second one
    r1, r2 = a.results[("paper", "original", "adaptive", "fast-rcnn")], a.results[
        ("paper", "fast-rcnn", "adaptive", "fast-rcnn")]
    ref = detector.windows(a.feats, a.windows, a.image_wh, projection="original")
    assert torch.allclose(r1.probs, ref.probs) and not torch.equal(r1.cells, r2.cells)


def test_a_search_under_way_is_joined_not_repeated(monkeypatch, image):
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_windows(img, source, count, iid=None, user_boxes=None):
        calls.append(iid)
        started.set()
        release.wait(10)
        return np.array([[0, 0, 9, 9]], np.float32), 0.5

    monkeypatch.setattr(pipeline, "get_windows", slow_windows)
    img = image.copy()
    img[0, 0] = 7  # an image no cache has seen
    f1 = pipeline.windows_later(img, "selective-search-fast", 50)
    assert started.wait(10)
    f2 = pipeline.windows_later(img, "selective-search-fast", 50)
    assert f2 is f1 and not f1.done()
    release.set()
    assert f1.result(10)[0].tolist() == [[0, 0, 9, 9]] and len(calls) == 1


def test_errors_of_the_request_come_at_once_and_of_the_search_at_finish(monkeypatch, detector, image):
    with pytest.raises(ValueError, match="unknown proposal source"):
        pipeline.begin(image, detector, (688,), "edge-boxes", 10)
    with pytest.raises(ValueError, match="draw at least one box"):
        pipeline.begin(image, detector, (688,), "user", 10, user_boxes=[])

    def no_windows(*args, **kw):
        raise ValueError("no proposal windows were found in this image")

    monkeypatch.setattr(pipeline, "get_windows", no_windows)
    img = image.copy()
    img[1, 1] = 3
    p = pipeline.begin(img, detector, (688,), "selective-search-fast", 10)
    p.features()  # conv5 is done before the search's error is seen
    with pytest.raises(ValueError, match="no proposal windows"):
        p.finish()


def test_warm_up_loads_what_the_first_analysis_needs(detector):
    t = pipeline.warm_up(detector)
    assert set(t) == {"pooling_kernels_s", "torchvision_s", "first_conv_s"} and all(v >= 0 for v in t.values())
    assert "torchvision" in __import__("sys").modules


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice values are a Linux feature")
def test_the_search_runs_below_conv5_s_cpu_priority(monkeypatch, image):
    """A search beside conv5 on 2 cores made torch's threads wait for the core it held: the search's thread runs
    PROPOSAL_NICE nice levels lower (higher nice value) than the thread that asked for it."""
    seen = []

    def windows(img, source, count, iid=None, user_boxes=None):
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return np.array([[0, 0, 9, 9]], np.float32), 0.0

    monkeypatch.setattr(pipeline, "get_windows", windows)
    img = image.copy()
    img[0, 1] = 9  # an image no cache has seen
    pipeline.windows_later(img, "selective-search-fast", 50).result(10)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert pipeline.PROPOSAL_NICE > 0 and seen == [min(19, mine + pipeline.PROPOSAL_NICE)]
