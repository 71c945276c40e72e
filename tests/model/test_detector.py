"""The SPP-net detector: persistence, box coding, the SPP and R-CNN paths, NMS, evaluation."""

import numpy as np
import pytest
import torch

from sppviz.method import geometry, pyramid
from sppviz.model import backbones, evaluate, synthetic
from sppviz.model.detector import (
    Detector,
    ScaleFeatures,
    SPPNet,
    decode_boxes,
    encode_boxes,
    pool_windows,
    postprocess,
    scale_windows,
    warp_crops,
)


@pytest.fixture(scope="module")
def detector(tiny_model_path):
    return Detector(SPPNet.load(tiny_model_path), "cpu")


def test_tiny_training_writes_a_loadable_safetensors_model(tiny_model_path):
    from safetensors import safe_open

    with safe_open(tiny_model_path, framework="pt") as f:
        meta = f.metadata()
    assert "sppviz" in meta and "training" in meta["sppviz"]
    net = SPPNet.load(tiny_model_path)
    assert net.classes == synthetic.CLASSES
    assert net.levels == (1, 2, 3, 6)
    assert net.trunk.geometry.stride == 16 and net.trunk.geometry.offset == 0


def test_load_refuses_a_file_that_is_not_an_sppviz_model(tmp_path):
    from safetensors.torch import save_file

    p = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(p))
    with pytest.raises(ValueError, match="not an sppviz model"):
        SPPNet.load(str(p))


def test_box_coding_round_trips():
    g = torch.Generator().manual_seed(0)
    win = torch.rand(50, 2, generator=g) * 300
    win = torch.cat([win, win + 5 + torch.rand(50, 2, generator=g) * 200], 1)
    tgt = win + torch.randn(50, 4, generator=g) * 3
    assert torch.allclose(decode_boxes(win, encode_boxes(win, tgt)), tgt, atol=1e-3)
    assert torch.allclose(decode_boxes(win, torch.zeros(50, 4)), win, atol=1e-4)


def test_postprocess_thresholds_then_suppresses_per_class():
    probs = torch.tensor([[0.9, 0.0, 0.1], [0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.2, 0.1, 0.7]])
    boxes = torch.tensor([[0, 0, 99, 99], [2, 2, 101, 101], [0, 0, 99, 99], [300, 300, 310, 310]],
                         dtype=torch.float32)[:, None].repeat(1, 2, 1)
    before, after = postprocess(probs, boxes, score_thresh=0.5, nms_iou=0.3)
    assert before.scores.tolist() == pytest.approx([0.9, 0.8, 0.7])
    # windows 0 and 1 overlap (IoU > 0.3) in class 0: one survives; class 1 is kept (other class)
    assert sorted(zip(after.labels.tolist(), after.window.tolist(), strict=True)) == [(0, 0), (1, 2)]
    _, only1 = postprocess(probs, boxes, 0.5, 0.3, classes=[1])
    assert only1.labels.tolist() == [1]


def test_detect_gives_per_window_results_and_consistent_nms(detector):
    scene = synthetic.make_scene(synthetic.EVAL_SEED_BASE)
    windows = np.concatenate([scene.boxes, scene.boxes + 3]).astype(np.float32)
    res, before, after = detector.detect(scene.image, windows, scales=(480, 688), score_thresh=0.0)
    K = len(windows)
    assert res.probs.shape == (K, len(detector.classes) + 1)
    assert torch.allclose(res.probs.sum(1), torch.ones(K), atol=1e-5)
    assert res.cells.shape == (K, 4) and res.pooled.shape[0] == K
    assert set(res.scale_index.tolist()) <= {0, 1}
    assert len(after) <= len(before) == K * len(detector.classes)


def test_box_scaling_rule_reaches_the_cells(detector):
    """Detector.windows scales the boxes by the named rule: "fast-rcnn" (default, as before) box·s/m,
    "release" (box·(s − 1))/(m − 1); with release geometry the issue's example window moves one cell."""
    scene = synthetic.make_scene(synthetic.EVAL_SEED_BASE)
    feats = [detector.features(scene.image, s) for s in (480, 688)]
    wh = (scene.image.shape[1], scene.image.shape[0])
    windows = torch.as_tensor(scene.boxes, dtype=torch.float32)
    default = detector.windows(feats, windows, wh)
    fast = detector.windows(feats, windows, wh, box_scaling="fast-rcnn")
    rel = detector.windows(feats, windows, wh, box_scaling="release")
    assert torch.equal(default.cells, fast.cells) and torch.equal(default.probs, fast.probs)
    for res, rule in ((fast, "fast-rcnn"), (rel, "release")):
        for k in range(len(windows)):
            f = feats[int(res.scale_index[k])]
            sbox = pyramid.scale_boxes_by_rule(windows[k].double().numpy(), wh, f.scale, rule)
            want = geometry.project_window(sbox.tolist(), detector.geometry, "paper", map_hw=tuple(f.fmap.shape[1:]))
            assert tuple(res.cells[k].tolist()) == want, (rule, k)
    with pytest.raises(ValueError, match="box scaling"):
        detector.windows(feats, windows, wh, box_scaling="paper")


def test_pool_windows_issue_example_and_scale_windows():
    """Image 500×375, box (222, 179, 495, 189) at s = 576 on the release's ZF-5 geometry (offset 20, stride 16),
    projection "original": cells (20, 16, 46, 17) 0-based under the release's box scaling, (20, 16, 46, 16) under
    box·s/min_side (1-based in the release: (21, 17, 47, 18))."""
    g = backbones.build("zf5-release", width=0.125).geometry
    fmap = torch.zeros(8, 36, 48)  # conv5 of the 768×576 image
    f = ScaleFeatures(576, (768, 576), pyramid.scale_factor(500, 375, 576), fmap)
    assert f.min_side == 375
    box = torch.tensor([[222.0, 179.0, 495.0, 189.0]])
    assert scale_windows(box, f).dtype == torch.float32 and torch.equal(scale_windows(box, f), box * f.factor)
    assert scale_windows(box, f, "release").tolist() == (box.double() * 575 / 374).tolist()
    cells = {r: pool_windows([f], box, (500, 375), g, (1, 2), "original", "original", "release", r)[1][0].tolist()
             for r in pyramid.BOX_SCALING_RULES}
    assert cells == {"release": [20, 16, 46, 17], "fast-rcnn": [20, 16, 46, 16]}


def test_rcnn_path_warps_each_window_to_224(detector):
    scene = synthetic.make_scene(synthetic.EVAL_SEED_BASE + 1)
    crops = warp_crops(scene.image, torch.as_tensor(scene.boxes))
    assert all(c.shape == (224, 224, 3) for c in crops)
    probs, boxes = detector.rcnn_windows(scene.image, scene.boxes)
    assert probs.shape == (len(scene.boxes), len(detector.classes) + 1)
    assert boxes.shape == (len(scene.boxes), len(detector.classes), 4)


def test_average_precision_known_answers():
    # one class, two gts; detections: TP (0.9), FP (0.8), TP (0.7) → P/R: (1, .5), (.5, .5), (.67, 1)
    from sppviz.model.detector import Detections

    gts = [(np.array([[0, 0, 9, 9], [50, 50, 59, 59]], np.float32), np.array([0, 0]))]
    d = Detections(torch.tensor([[0, 0, 9, 9], [20, 20, 29, 29], [50, 50, 59, 59]], dtype=torch.float32),
                   torch.tensor([0.9, 0.8, 0.7]), torch.tensor([0, 0, 0]), torch.arange(3))
    r = evaluate.evaluate_detections([d], gts, num_classes=1)
    assert r["mAP"] == pytest.approx(0.5 * 1.0 + 0.5 * (2 / 3))
    # a duplicate detection of the same object is a false positive
    d2 = Detections(torch.tensor([[0, 0, 9, 9], [0, 0, 9, 9]], dtype=torch.float32), torch.tensor([0.9, 0.8]),
                    torch.tensor([0, 0]), torch.arange(2))
    assert evaluate.evaluate_detections([d2], gts, 1)["mAP"] == pytest.approx(0.5)


def test_regressed_boxes_stay_inside_the_image(detector):
    """Box deltas can push a border window outside the image; boxes are clipped to 0 … w−1 / h−1."""
    scene = synthetic.make_scene(synthetic.EVAL_SEED_BASE + 2)
    h, w = scene.image.shape[:2]
    windows = torch.tensor([[0.0, 0.0, 40.0, 40.0], [w - 41.0, h - 41.0, w - 1.0, h - 1.0]])
    pooled = torch.zeros((2, detector.net.head.fc6.in_features))
    with torch.no_grad():
        bbox = detector.net.head.bbox
        saved = bbox.bias.clone()
        bbox.bias.copy_(torch.tensor([-3.0, -3.0, 3.0, 3.0]).repeat(len(detector.classes)))  # grow a lot
        try:
            _, unclipped = detector.head(pooled, windows)
            _, clipped = detector.head(pooled, windows, (w, h))
        finally:
            bbox.bias.copy_(saved)
    assert unclipped[..., :2].min() < 0 and unclipped[..., 2].max() > w - 1  # the deltas did leave the image
    assert clipped[..., 0::2].min() >= 0 and clipped[..., 0::2].max() <= w - 1
    assert clipped[..., 1::2].min() >= 0 and clipped[..., 1::2].max() <= h - 1
    res, _, _ = detector.detect(scene.image, windows, score_thresh=0.0)
    assert res.boxes[..., 0::2].max() <= w - 1 and res.boxes[..., 1::2].min() >= 0


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_evaluate_run_reports_every_method_on_the_same_scenes(detector, monkeypatch):
    # small window sets keep this fast; the R-CNN path runs on the first scene only
    monkeypatch.setattr(evaluate.proposals, "selective_search",
                        lambda image, mode="fast", max_windows=2000: evaluate.proposals.grid_windows(
                            (image.shape[1], image.shape[0]), (96, 192))[:40])
    res = evaluate.run(detector, images=2, scale_sets={"spp_1scale": (688,), "spp_2scales": (480, 688)},
                       rcnn_images=1, log=lambda *_: None)
    assert set(res["methods"]) == {"spp_1scale", "spp_2scales", "rcnn"}
    assert res["mAP"] == res["methods"]["spp_1scale"]["mAP"]
    for m in res["methods"].values():
        assert 0 <= m["mAP"] <= 1 and len(m["ap"]) == len(detector.classes) and m["s_per_image"] > 0
    r = res["methods"]["rcnn"]
    assert r["images"] == 1 and r["windows_per_image"] == 40
    assert r["slowdown_vs_spp_1scale"] == pytest.approx(r["s_per_image"] / r["spp_1scale_s_per_image_same_images"])


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_evaluate_does_not_time_the_first_call_of_a_process(detector, monkeypatch):
    """One-time costs of the first call (kernel loading, first allocations) are no part of a
    method's time per image: ``run`` makes one untimed pass of each method first. The first call costs
    100 s on evaluate's own clock (no real sleep, so a busy machine cannot make the test flaky)."""
    import time

    lag, clock = [0.0], time.perf_counter
    monkeypatch.setattr(evaluate.time, "perf_counter", lambda: clock() + lag[0])
    monkeypatch.setattr(evaluate.proposals, "selective_search",
                        lambda image, mode="fast", max_windows=2000: evaluate.proposals.grid_windows(
                            (image.shape[1], image.shape[0]), (128,))[:10])
    calls = {"detect": 0, "rcnn": 0}
    detect, rcnn = detector.detect, detector.rcnn_windows

    def slow_first_detect(*a, **k):
        calls["detect"] += 1
        if calls["detect"] == 1:
            lag[0] += 100.0
        return detect(*a, **k)

    def counted_rcnn(*a, **k):
        calls["rcnn"] += 1
        return rcnn(*a, **k)

    monkeypatch.setattr(detector, "detect", slow_first_detect)
    monkeypatch.setattr(detector, "rcnn_windows", counted_rcnn)
    res = evaluate.run(detector, images=2, scale_sets={"spp_1scale": (688,)}, rcnn_images=1, log=lambda *_: None)
    assert calls == {"detect": 3, "rcnn": 2}  # one warm-up pass each, then the timed ones
    # timed, the first call would add 100 s / 2 images = 50 s per image
    assert res["methods"]["spp_1scale"]["s_per_image"] < 5.0
