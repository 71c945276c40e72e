"""An honest model: the page says what the bundled model knows, marks its detections on the bundled scenes
against their ground truth, and shows the selected window's class probabilities."""

import json

import numpy as np
import pytest
import torch
from handler_helpers import EXAMPLE, entry
from PIL import Image

from sppviz.analysis import truth
from sppviz.analysis.images import load_image
from sppviz.app import settings
from sppviz.app.tabs import detections as detections_tab
from sppviz.app.tabs import inputs
from sppviz.app.tabs import lesson as lesson_tab
from sppviz.model.detector import Detections


def test_match_follows_vocs_rule():
    tr = truth.Truth("x", torch.tensor([[0, 0, 9, 9], [20, 20, 39, 39]], dtype=torch.float32),
                     torch.tensor([1, 2]), ("a", "b", "c"))
    det = Detections(torch.tensor([[0, 0, 9, 9], [1, 1, 10, 10], [20, 20, 39, 39], [50, 50, 60, 60]],
                                  dtype=torch.float32), torch.tensor([0.6, 0.9, 0.8, 0.7]),
                     torch.tensor([1, 1, 0, 2]), torch.arange(4))
    tp, found = truth.match(det, tr)
    # the higher score claims the object first; the duplicate is false; a wrong class is false; an empty place too
    assert tp.tolist() == [False, True, False, False] and found.tolist() == [True, False]


def test_a_bundled_scene_is_marked_against_its_ground_truth(done):
    v, out = done
    meta = json.loads((inputs.EXAMPLES_DIR / "examples.json").read_text())
    objects = next(e for e in meta["examples"] if e["file"] == "example_2.jpg")
    assert out["det_truth"]["visible"] is True and out["det_truth_info"]["visible"] is True
    w = entry(v)
    s = settings.Settings.parse(v, ("thresh", "iou", "rules"))
    _, after = w.a.detections(s.thresh, s.iou, **s.rules)
    tr = truth.truth_of(w.a.image)
    assert tr is not None and tr.file == "example_2.jpg" and len(tr.boxes) == len(objects["boxes"])
    tp, found = truth.match(after, tr)
    info = out["det_truth_info"]["value"]
    assert f"**{int(tp.sum())}** found" in info and f"**{int((~tp).sum())}** false" in info
    assert f"**{int((~found).sum())}** missed" in info and f"with {len(objects['boxes'])} objects" in info
    notice = out["det_notice"]["value"]
    assert out["det_notice"]["visible"] and "7 generated shapes" in notice and "disc" in notice and "heart" in notice


def test_a_real_photo_gets_the_notice_and_no_ground_truth(model, tmp_path):
    img, _ = load_image(EXAMPLE)
    photo = tmp_path / "photo.jpg"
    Image.fromarray(np.ascontiguousarray(img[:, ::-1])).save(photo, quality=90)  # not a bundled scene any more
    out = inputs.analyze_image(dict(settings.DEFAULTS, image=str(photo), state={}))
    assert out["det_truth"]["visible"] is False and out["det_truth_info"]["visible"] is False
    assert out["det_notice"]["visible"] is True and "meaningless" in out["det_notice"]["value"]
    zh = detections_tab.change_detections(dict(settings.DEFAULTS, state=out["state"]), "zh")
    assert "种生成的形状" in zh["det_notice"]["value"]


def test_the_selected_windows_probabilities_cover_every_class_and_background(done):
    v, out = done
    w = entry(v)
    k = v["state"]["k"]
    table = out["win_probs"]
    probs = w.a.result().probs[k].float().numpy()
    names = [*w.a.detector.classes, "background"]
    assert [r[0] for r in table["data"]] == [names[i] for i in np.argsort(-probs, kind="stable")]
    assert sorted(r[1] for r in table["data"]) == pytest.approx(sorted(probs.round(4)), abs=1e-4)
    assert sum(r[1] for r in table["data"]) == pytest.approx(1.0, abs=1e-3)


def test_lesson_mode_and_the_handout_carry_the_notice(done):
    v, _ = done
    step = next(i for i, s in enumerate(lesson_tab.steps.STEPS, 1) if s.key == "detections")
    out = lesson_tab.lesson_show({**v, "lesson_step": step})
    assert "7 generated shapes" in out["lesson_text"]
    from sppviz import lesson

    w = entry(v)
    view = lesson.lesson_view(w.a, v["state"]["k"], (1, 2, 3, 6), settings.Settings.parse(v, ("rules",)).rules,
                              0.5, 0.3, "en")
    html = lesson.step_html(step, lesson_tab.steps.STEPS[step - 1], view, b"png", {"detections": {"after_nms": []}})
    assert 'class="notice"' in html and "generated shapes" in html
