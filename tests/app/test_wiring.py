"""The typed contract between the page and the handlers: every event sends every component its
handler's declared settings come from, and a handler cannot read a setting it did not declare."""

import gradio as gr
import pytest

from sppviz.app import build_app, settings
from sppviz.app.events import handler
from sppviz.app.settings import SettingNotRead, Settings, components_of
from sppviz.app.tabs import inputs


@pytest.fixture(scope="module")
def demo(model):
    return build_app()


def handled_events(demo):
    names = {id(c): n for n, c in demo.sppviz_components.items()}
    for bf in demo.fns.values():
        h = getattr(bf.fn, "sppviz_handler", None)
        if h is not None:
            yield h, {names.get(id(c)) for c in bf.inputs}, [names.get(id(c)) for c in bf.outputs]


def test_every_event_sends_every_setting_its_handler_reads(demo):
    seen = set()
    for h, sent, outs in handled_events(demo):
        missing = set(components_of(h.reads)) - sent
        assert not missing, f"{h.__name__} reads {sorted(missing)} but its event does not send them"
        assert outs == list(h.outputs), f"{h.__name__}: the event's outputs are not the handler's"
        seen.add(h.__name__)
    # every handler of the page is wired (and so checked) at least once
    assert {"analyze_image", "click_window", "select_window", "select_detection", "clear_boxes", "change_rules",
            "refresh_pooling", "refresh_stale", "change_pooling", "click_bin", "change_features",
            "change_detections", "compare_rcnn", "compare_pooling", "combine_scales", "lesson_show", "export_panels",
            "export_lesson_zip", "switch_language"} <= seen


def test_analyze_sends_the_backbone_choice(demo):
    """The bug this contract exists for: the page did not send the backbone, so AlexNet ran ZF-5."""
    assert "backbone" in inputs.analyze_image.reads
    sent = [s for h, s, _ in handled_events(demo) if h is inputs.analyze_image]
    assert sent and all("backbone" in s for s in sent)


def test_a_setting_that_was_not_declared_cannot_be_read():
    s = Settings.parse(dict(settings.DEFAULTS), ("thresh", "iou"))
    assert (s.thresh, s.iou) == (0.5, 0.3)
    with pytest.raises(SettingNotRead, match="backbone"):
        _ = s.backbone

    @handler(reads=("levels",), outputs=("status",))
    def forgets_to_declare(s: Settings) -> dict:
        return {"status": s.backbone}

    with pytest.raises(SettingNotRead):  # a bug in the handler, not a user error: no gr.Error toast
        forgets_to_declare(dict(settings.DEFAULTS))


def test_settings_are_parsed_once_into_types():
    s = Settings.parse({**settings.DEFAULTS, "scales": [688, 480], "custom_scales": "576", "levels": "custom",
                        "custom_levels": "1, 2, 4", "thresh": "0.25", "backbone": "alexnet"},
                       ("scales", "levels", "thresh", "backbone", "rules"))
    assert s.scales == (480, 576, 688) and s.levels == (1, 2, 4) and s.thresh == 0.25 and s.backbone == "alexnet"
    assert s.rules == {"scale_rule": "paper", "projection": "paper", "bin_rule": "adaptive", "box_scaling": "fast-rcnn"}
    for bad, match in (({"backbone": "resnet"}, "backbone"), ({"thresh": "high"}, "threshold"),
                       ({"levels": "custom", "custom_levels": ""}, "levels")):
        with pytest.raises(gr.Error, match=match):
            inputs.analyze_image({**settings.DEFAULTS, "image": "x.png", **bad})



def test_a_new_window_has_step_4_drawn_by_the_page_only_where_it_is_shown(demo):
    """Each window event chains a step in the page (no request) that presses the hidden "pool-follow" button,
    which draws step 4, only where step 4's or step 2's tab is shown (pooling.FOLLOW_WINDOW_JS)."""
    from sppviz.app.tabs import pooling, window

    C = demo.sppviz_components
    fns = list(demo.fns.values())
    window_events = [bf for bf in fns if getattr(bf.fn, "sppviz_handler", None) in
                     (window.click_window, window.select_window, window.select_detection, window.clear_boxes)]
    assert len(window_events) == 4
    for bf in window_events:
        after = [f for f in fns if f.trigger_after == bf._id]
        assert [(f.fn, f.js, f.trigger_only_on_success) for f in after] == [(None, pooling.FOLLOW_WINDOW_JS, True)]
    pressed = [bf for bf in fns if any(t[0] == C["pool_follow"]._id and t[1] == "click" for t in bf.targets)]
    assert [bf.fn.sppviz_handler for bf in pressed] == [pooling.refresh_pooling]
    assert all(f"'{tab}'" in pooling.FOLLOW_WINDOW_JS for tab in ("tab-spp", "tab-features"))
