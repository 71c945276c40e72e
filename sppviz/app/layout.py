"""The page: a compact header, the input panel, one tab per group of steps, the exports; and the
events between them. Every event's inputs come from its handler's declared settings (``spec``).

The tabs are linked by the selected window: choosing one (click, number, detections row, drawn box)
refreshes step 3; rules, presets and levels refresh what depends on them. The other tabs follow where the
page shows them, and when they are opened otherwise (``follow``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import gradio as gr

from sppviz.app import api, follow, gate, language, limits, panels, progressive, startup
from sppviz.app.events import JS_ONLY, QUIET, spec
from sppviz.app.settings import DEFAULTS
from sppviz.app.tabs import combine, compare, detections, features, inputs, lesson, pooling, why, window
from sppviz.app.widgets import I18N, L
from sppviz.method import presets
from sppviz.steps import TABS as STEP_TABS

CSS = (Path(__file__).parent / "static" / "app.css").read_text()
PRESENT_JS = (Path(__file__).parent / "static" / "present.js").read_text()  # presentation mode, keys
RESULTS_JS = (Path(__file__).parent / "static" / "results.js").read_text()  # after Analyze: fold, scroll
PAGE_JS = f"() => {{ ({PRESENT_JS})(); ({RESULTS_JS})(); }}"
# (tab key, element id, the tab module's builder)
TABS = (("tab_pyramid", "tab-pyramid", features.create_pyramid_ui),
        ("tab_features", "tab-features", features.create_ui),
        ("tab_projection", "tab-projection", window.create_ui), ("tab_spp", "tab-spp", pooling.create_ui),
        ("tab_detections", "tab-detections", detections.create_ui), ("tab_why", "tab-why", why.create_ui),
        ("tab_compare", "tab-compare", compare.create_ui), ("tab_combine", "tab-combine", combine.create_ui),
        ("tab_lesson", "tab-lesson", lesson.create_ui))


def spaces_gpu(fn):
    """``spaces.GPU`` on a Hugging Face ZeroGPU Space; unchanged elsewhere."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return spaces.GPU(fn)


def build_app() -> gr.Blocks:
    """The whole app; ``launch(**launch_kwargs())`` serves it. The model, the pooling kernels and the rest
    of what Analyze needs load on first use, or behind the served page with ``startup.begin_warm_up``."""
    C: dict[str, gr.components.Component] = {}
    with gr.Blocks(title="sppviz — SPP-net step by step", delete_cache=(600, 3600), analytics_enabled=False) as demo:
        with gr.Row(equal_height=True, elem_id="header"):  # one line: the title, the language on its right
            with gr.Column(scale=5, min_width=300):
                gr.Markdown(L("title"), elem_id="title")
            C["lang"] = gr.Radio([("English", "en"), ("简体中文", "zh")], value="en", label=L("lang_label"),
                                 elem_id="lang", scale=0, min_width=400)
        gr.Markdown(L("intro"), elem_id="intro", elem_classes=["narrative"])
        C["state"] = gr.State({})
        C["lesson_step"] = gr.State(DEFAULTS["lesson_step"])
        lang_hint = gr.Textbox(visible=False)  # ?lang= or the last choice, filled in by the page at load
        follow.create_buttons(C)  # never shown: the page presses them to draw the panels in view
        with gr.Accordion(L("in_settings"), open=True, elem_id="settings"):
            inputs.create_ui(C)
        C["status"] = gr.Markdown(L("status_idle"), elem_id="status")
        status_poll = gr.Timer(startup.POLL_S, active=False)  # runs only while the start-up warm-up does
        with gr.Tabs(elem_id="tabs", overflow_behavior="wrap"):
            for key, elem_id, create in TABS:
                label = L(f"label:{key}") if key in STEP_TABS else L(key)
                with gr.Tab(label, id=elem_id, elem_id=elem_id) as C[key]:
                    create(C)
        lesson.create_export_ui(C)
        api.create_endpoints()
        wire(C)
        demo.sppviz_components = C  # name -> component, for the wiring tests
        gate.install(demo, {id(c): name for name, c in C.items()})  # clear messages for malformed calls
        demo.load(language.initial_language, lang_hint, lang_hint, js=language.LOAD_LANG_JS,
                  api_visibility="private", show_progress="hidden").then(
            None, lang_hint, C["lang"], js=language.KEEP_PICK_JS, api_visibility="private", show_progress="hidden")
        # start-up: "loading …" in the status line until the warm-up is done
        demo.load(startup.page_status, None, [C["status"], status_poll], api_visibility="private",
                  show_progress="hidden", queue=False)
        status_poll.tick(startup.poll_status, C["state"], [C["status"], status_poll], api_visibility="private",
                         show_progress="hidden", queue=False)
    return demo


def wire(C: dict) -> None:
    """Connect the handlers to the components."""
    # What follows a change above the tabs or of the window is drawn where the page shows it, and when its
    # tab is opened elsewhere (app.follow): SPP vs RoIPool vs RoIAlign, the conv5 maps (the selected
    # window's cells on them), combining scales, the detections and step 4 were drawn for every change while
    # nobody saw them. A tab's own controls (the pooling level and channel, the threshold) redraw only it.
    follow.wire(C)
    for tab, h in (("tab_compare", compare.compare_pooling), ("tab_features", features.change_features),
                   ("tab_features", pooling.refresh_stale), ("tab_spp", pooling.refresh_stale),
                   ("tab_detections", detections.change_detections), ("tab_combine", combine.combine_scales)):
        C[tab].select(**spec(C, h, when_analyzed=True, **QUIET))

    def chain(dep, *steps):
        for s in steps:
            dep = dep.success(**s)
        return dep

    # Analyze in two steps: the pyramid and conv5 panels as soon as conv5 is done, then the rest
    analyze = progressive.spec(C, inputs.analyze_stream, "progress", api_visibility="private",
                               concurrency_id=limits.HEAVY)
    analyze["fn"] = spaces_gpu(analyze["fn"])
    analyze["fn"].sppviz_handler = inputs.analyze_image
    run = C["analyze"].click(**analyze)
    # last: the panels again in the page's language if it changed while Analyze ran (language.catch_up_language)
    chain(run, follow.step("feat", "cmp", "cmb"), spec(C, language.catch_up_language, **QUIET))
    # the results come into view with the first figure (static/results.js): the click arms it, the pyramid
    # panel's first image (Analyze's first message) folds the settings and scrolls, the complete analysis
    # settles the place (or folds, when the figure was the same); the end of a failed Analyze disarms it
    C["pyr_img"].change(None, js="() => window.sppvizShowResults && window.sppvizShowResults()", **JS_ONLY)
    run.success(None, js="() => window.sppvizAnalyzed && window.sppvizAnalyzed()", **JS_ONLY)
    run.then(None, js="() => window.sppvizDisarmResults && window.sppvizDisarmResults()", **JS_ONLY)
    after_window = follow.step("pool", "feat")  # the window's cells on conv5, its pooling
    chain(C["win_img"].select(**spec(C, window.click_window, "select", **QUIET)), after_window)
    chain(C["win_k"].submit(**spec(C, window.select_window, **QUIET)), after_window)
    chain(C["det_table"].select(**spec(C, window.select_detection, "row", **QUIET)), after_window)
    chain(C["clear"].click(**spec(C, window.clear_boxes, **QUIET)), after_window)
    every = follow.step(*follow.FOLLOWERS)
    for name in ("projection", "scale_rule", "bin_rule", "box_scaling"):
        chain(C[name].input(**spec(C, window.change_rules, **QUIET)), every)
    # a preset sets the controls; the panels of an analysis follow (nothing to refresh before one)
    for name in presets.PRESET_NAMES:
        chain(C[f"preset_{name}"].click(**spec(C, inputs.apply_preset, args={"name": name}, **QUIET)),
              spec(C, window.change_rules, when_analyzed=True, **QUIET), every)
    for name, what in (("levels", "levels"), ("custom_levels", "levels"), ("spp_level", "level"),
                       ("spp_channel", "channel")):
        event = C[name].submit if name == "custom_levels" else C[name].input
        step = event(**spec(C, pooling.change_pooling, args={"what": what}, **QUIET))
        if name in ("levels", "custom_levels"):  # set above the tabs (the level and channel: on the pooling tab)
            chain(step, follow.step("cmp"))
    # typing custom levels picks "custom" (they used to be ignored silently under a preset's levels)
    C["custom_levels"].input(None, None, C["levels"], js="() => 'custom'", api_visibility="private",
                             show_progress="hidden")
    C["spp_values"].select(**spec(C, pooling.click_bin, "select", args={"panel": "values"}, **QUIET))
    C["spp_map"].select(**spec(C, pooling.click_bin, "select", args={"panel": "map"}, **QUIET))
    features.wire(C)
    detections.wire(C)
    C["why_btn"].click(**spec(C, why.compare_rcnn, "progress", api_visibility="private", concurrency_id=limits.HEAVY))
    C["cmp_btn"].click(**spec(C, compare.compare_pooling, **QUIET))
    C["export"].click(**spec(C, lesson.export_panels, api_visibility="private", concurrency_id=limits.HEAVY,
                             adapt=lambda path: {"export_file": gr.update(value=path, visible=True)}))
    C["lesson_btn"].click(**spec(C, lesson.export_lesson_zip, api_visibility="private", concurrency_id=limits.HEAVY,
                                 adapt=lambda r: {"lesson_file": gr.update(value=r[0], visible=True),
                                                  "lesson_info": r[1]}))
    lesson_spec = functools.partial(spec, C, lesson.lesson_show, **QUIET)
    C["tab_lesson"].select(**lesson_spec())
    C["lesson_back"].click(**lesson_spec(args={"delta": -1}))
    C["lesson_next"].click(**lesson_spec(args={"delta": 1}))
    C["lesson_present"].click(None, js="() => window.sppvizPresent && window.sppvizPresent()",
                              api_visibility="private", show_progress="hidden")
    C["lang"].change(None, C["lang"], None, js=language.SET_LANG_JS, api_visibility="private",
                     show_progress="hidden")
    C["lang"].change(**spec(C, language.switch_language, **QUIET))


# fonts the visitor's machine has (no web font is fetched): Windows, Linux, macOS, then their Chinese fonts.
# The theme's own Montserrat draws "w" like the ω next to it in the maths.
FONTS = ("Segoe UI", "Noto Sans", "DejaVu Sans", "Helvetica Neue", "Arial", "Noto Sans CJK SC", "Microsoft YaHei",
         "PingFang SC", "sans-serif")
MONO_FONTS = ("DejaVu Sans Mono", "Consolas", "Menlo", "Liberation Mono", "Noto Sans Mono CJK SC", "monospace")


def theme() -> gr.themes.Base:
    """Projector-friendly: large text in plain system fonts, high-contrast amber accents."""
    return gr.themes.Soft(primary_hue="amber", secondary_hue="sky", text_size=gr.themes.sizes.text_lg,
                          radius_size=gr.themes.sizes.radius_md, font=list(FONTS), font_mono=list(MONO_FONTS))


def launch_kwargs(**overrides) -> dict:
    """Host, port (a Space sets GRADIO_SERVER_NAME / PORT), the translations, theme and CSS (Gradio 6
    takes them in launch()) and the example folder."""
    kw = {"theme": theme(), "css": CSS, "js": PAGE_JS,
          "server_name": os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
          "server_port": int(os.environ.get("GRADIO_SERVER_PORT", os.environ.get("PORT", "7860"))),
          "share": False, "i18n": I18N, "allowed_paths": [str(inputs.EXAMPLES_DIR)],
          "max_file_size": panels.MAX_UPLOAD_BYTES, "app_kwargs": gate.app_kwargs()}
    kw.update(overrides)
    return kw
