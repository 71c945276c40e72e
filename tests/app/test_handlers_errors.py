"""The handlers' answers to bad input and to sessions that do not exist: clear messages, no leaks between
sessions."""


import gradio as gr
import pytest
from handler_helpers import EXAMPLE, click_point, entry

from sppviz.analysis.images import load_image
from sppviz.app import session, settings
from sppviz.app.tabs import combine, inputs
from sppviz.app.tabs import detections as detections_tab
from sppviz.app.tabs import features as features_tab
from sppviz.app.tabs import lesson as lesson_tab
from sppviz.app.tabs import pooling as pooling_tab
from sppviz.app.tabs import window as window_tab

# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("change, message", [
    ({"image": None}, "Upload an image"),
    ({"custom_scales": "abc"}, "whole numbers"),
    ({"scales": [], "custom_scales": "10"}, "outside the allowed range"),
    ({"scales": []}, "at least one scale"),
    ({"levels": "custom", "custom_levels": ""}, "custom levels"),
    ({"levels": "custom", "custom_levels": "2, 2"}, "must not repeat"),
    ({"projection": "nearest"}, "Unknown projection rule"),
    ({"source": "edge-boxes"}, "Unknown proposal source"),
])
def test_bad_inputs_give_a_clear_error(model, change, message):
    with pytest.raises(gr.Error, match=message):
        inputs.analyze_image({**settings.DEFAULTS, "image": EXAMPLE, "state": {}, **change})


def test_bad_files_and_missing_analysis_give_a_clear_error(model, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    with pytest.raises(gr.Error, match="not an image"):
        inputs.analyze_image(dict(settings.DEFAULTS, image=str(bad), state={}))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(gr.Error, match="empty"):
        inputs.analyze_image(dict(settings.DEFAULTS, image=str(empty), state={}))
    for handler in (window_tab.select_window, pooling_tab.refresh_pooling, pooling_tab.change_pooling,
                    features_tab.change_features, detections_tab.change_detections, window_tab.change_rules,
                    lesson_tab.export_panels, combine.combine_scales, lesson_tab.export_lesson_zip):
        with pytest.raises(gr.Error, match="Analyze first"):
            handler(dict(settings.DEFAULTS, state={}))
    with pytest.raises(gr.Error, match="请先"):
        window_tab.select_window(dict(settings.DEFAULTS, state={"sid": "expired"}), lang="zh")


def test_bad_window_number_and_threshold(done):
    v, _ = done
    n = len(entry(v).a.windows)
    with pytest.raises(gr.Error, match=f"has {n} windows"):
        window_tab.select_window({**v, "win_k": n})
    with pytest.raises(gr.Error, match="integer"):
        window_tab.select_window({**v, "win_k": None})
    with pytest.raises(gr.Error, match="threshold"):
        detections_tab.change_detections({**v, "thresh": 2.0})


def test_drawn_boxes_are_the_windows_with_the_user_source(model):
    v = dict(settings.DEFAULTS, image=EXAMPLE, source="user", state={})
    st = inputs.analyze_image(v)["state"]
    p1, p2 = click_point({"state": st}, (50, 60, 50, 60)), click_point({"state": st}, (250, 280, 250, 280))
    st = window_tab.click_window({**v, "state": st, "draw": True}, point=p1)["state"]
    out = window_tab.click_window({**v, "state": st, "draw": True}, point=p2)
    a = session.SESSIONS.get(out["state"]["sid"]).a
    assert a.windows.tolist() == [[50, 60, 250, 280]] and out["state"]["k"] == 0
    cleared = window_tab.clear_boxes({**v, "state": out["state"]})
    a = session.SESSIONS.get(cleared["state"]["sid"]).a
    img, _ = load_image(EXAMPLE)
    assert a.windows.tolist() == [[0, 0, img.shape[1] - 1, img.shape[0] - 1]]


def test_imagenet_backbone_without_weights_explains_where_to_put_them(model, tmp_path, monkeypatch):
    from sppviz.model import backbones
    from sppviz.model.weights import load_imagenet_detector

    monkeypatch.setenv("SPPVIZ_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("SPPVIZ_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setattr("torch.hub.get_dir", lambda: str(tmp_path / "hub"))
    load_imagenet_detector.cache_clear()
    v = dict(settings.DEFAULTS, image=EXAMPLE, scales=[688], state={}, backbone="alexnet")
    with pytest.raises(gr.Error, match=backbones.KNOWN_WEIGHTS["alexnet"]):
        inputs.analyze_image(v)


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_sessions_never_see_each_others_images_or_results(model):
    va = dict(settings.DEFAULTS, image=str(inputs.EXAMPLES_DIR / "example_1.jpg"), scales=[480], state={})
    vb = dict(settings.DEFAULTS, image=str(inputs.EXAMPLES_DIR / "example_5.jpg"), scales=[480], state={})
    va["state"] = inputs.analyze_image(va)["state"]
    vb["state"] = inputs.analyze_image(vb)["state"]
    ea, eb = entry(va), entry(vb)
    assert va["state"]["sid"] != vb["state"]["sid"] and ea.a.iid != eb.a.iid
    wa = window_tab.select_window({**va, "win_k": 3})
    wb = window_tab.select_window({**vb, "win_k": 3})
    assert wa["rules_table"] != wb["rules_table"]
    # B's changes leave A's analysis and selection alone
    assert entry(va).a is ea.a and entry(va).a.image_wh == load_image(va["image"])[0].shape[1::-1]
    assert wa["state"]["k"] == 3 and wb["state"]["k"] == 3 and wa["state"]["sid"] != wb["state"]["sid"]
