"""Panels follow a change where the page shows them, and when their tab is opened everywhere else.

A change above the tabs or of the selected window (Analyze, a rule, a preset, the levels, a new window) is
followed by one step in the page (:func:`step`): for each *follower* whose tab is shown at that moment, it
presses the follower's hidden button, which runs the follower's handler; a follower out of sight is drawn
when its tab is opened (``layout.wire``: each tab's select). Nothing is sent for what nobody sees: drawing
every tab for every change cost requests that took the 2 CPU cores from the browser's drawing of the panels
in view (a window click 138-149 → 102-126 ms in the browser, when step 4 stopped following it out of sight).

The page decides after the change's answer has come, so a tab opened while the change was on its way is
drawn for it too (its own select may have found nothing new yet).
"""

from __future__ import annotations

import gradio as gr

from sppviz.app.events import JS_ONLY, QUIET, spec
from sppviz.app.tabs import combine, compare, detections, features, pooling

# follower -> (the element ids of the tabs that show it, the handler that draws it)
FOLLOWERS = {
    "pool": (("tab-spp", "tab-features"), pooling.refresh_pooling),  # step 4; step 2's top channels
    "feat": (("tab-features",), features.change_features),  # step 2: the window's cells on conv5
    "det": (("tab-detections",), detections.change_detections),
    "cmp": (("tab-compare",), compare.compare_pooling),
    "cmb": (("tab-combine",), combine.combine_scales),
}


def button_id(name: str) -> str:
    return f"follow-{name}"


def press_js(*names: str) -> str:
    """The page's step: press the button of each follower in ``names`` whose tab is shown now."""
    pairs = [[button_id(n), list(FOLLOWERS[n][0])] for n in names]
    return ("() => { const shown = (id) => { const el = document.getElementById(id); "
            "return !!el && el.offsetParent !== null; }; "
            f"for (const [button, tabs] of {pairs!r}) {{ if (tabs.some(shown)) "
            "document.getElementById(button)?.click(); } }")


def step(*names: str) -> dict:
    """An event's keyword arguments (for ``.success``): the page presses the shown followers among ``names``."""
    return {"fn": None, "js": press_js(*names), **JS_ONLY}


def create_buttons(C: dict) -> None:
    """The followers' buttons, never shown (the CSS hides ``.sppviz-follow``; the page presses them)."""
    for name in FOLLOWERS:
        C[f"follow_{name}"] = gr.Button(name, elem_id=button_id(name), elem_classes=["sppviz-follow"])


def wire(C: dict) -> None:
    """Each button runs its follower (nothing before an analysis)."""
    for name, (_, h) in FOLLOWERS.items():
        C[f"follow_{name}"].click(**spec(C, h, when_analyzed=True, **QUIET))
