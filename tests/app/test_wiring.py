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




def test_changes_are_followed_in_the_page_only_where_the_followers_are_shown(demo):
    """Each window event, rule, preset and Analyze chains one step in the page (no request) that presses the
    hidden buttons of the followers whose tab is shown (follow.press_js); each button draws its follower, and
    each follower's tab draws it when opened."""
    from sppviz.app import follow, language
    from sppviz.app.tabs import combine, compare, detections, features, inputs, pooling, window

    C = demo.sppviz_components
    fns = list(demo.fns.values())

    def handler_of(bf):
        return getattr(bf.fn, "sppviz_handler", None)

    def after(bf):
        return [f for f in fns if f.trigger_after == bf._id and f.trigger_only_on_success]

    def pressed(bf):
        (step,) = [f for f in after(bf) if f.fn is None and "follow-" in (f.js or "")]
        return {n for n in follow.FOLLOWERS if f"'{follow.button_id(n)}'" in step.js}, step

    for h, names in ((window.click_window, {"pool", "feat"}), (window.select_window, {"pool", "feat"}),
                     (window.select_detection, {"pool", "feat"}), (window.clear_boxes, {"pool", "feat"}),
                     (inputs.analyze_image, {"feat", "cmp", "cmb"})):
        events = [bf for bf in fns if handler_of(bf) is h]
        assert events and all(pressed(bf)[0] == names for bf in events), h.__name__
    rules = [bf for bf in fns if handler_of(bf) is window.change_rules and bf.trigger_after is None]
    assert len(rules) == 4 and all(pressed(bf)[0] == set(follow.FOLLOWERS) for bf in rules)
    # Analyze: the language catches up after the page's step
    (run,) = [bf for bf in fns if handler_of(bf) is inputs.analyze_image]
    assert [handler_of(f) for f in after(pressed(run)[1])] == [language.catch_up_language]
    # each button runs its follower; each follower's tab draws it when opened
    for name, (tabs, h) in follow.FOLLOWERS.items():
        on_press = [bf for bf in fns if any(t[0] == C[f"follow_{name}"]._id and t[1] == "click" for t in bf.targets)]
        assert [handler_of(bf) for bf in on_press] == [h], name
        js = follow.press_js(name)
        assert all(f"'{tab}'" in js for tab in tabs)
    opened = {(t[0], handler_of(bf)) for bf in fns for t in bf.targets if t[1] == "select"}
    for tab, h in (("tab_spp", pooling.refresh_stale), ("tab_features", pooling.refresh_stale),
                   ("tab_features", features.change_features), ("tab_detections", detections.change_detections),
                   ("tab_compare", compare.compare_pooling), ("tab_combine", combine.combine_scales)):
        assert (C[tab]._id, h) in opened, (tab, h.__name__)
