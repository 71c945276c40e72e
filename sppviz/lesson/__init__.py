"""``python -m sppviz lesson IMAGE --out DIR [--lang zh]``: one image through SPP-net as an offline lesson.

Writes into DIR one PNG per step of the step table (:mod:`sppviz.steps`, the same figures as the app's
tabs, at least ``PROJECTOR_WIDTH`` px wide), ``analysis.json`` (the numbers behind the figures),
``handout.html`` (one self-contained file: inline CSS, figures as data URIs, no scripts, no external
URLs; one section per step with its narrative in the chosen language, the selected window's cells per
projection rule and the detections table) and ``lesson.zip`` holding all of them.

Only the library is used (:mod:`sppviz.analysis`, :mod:`sppviz.steps`), never the Gradio app. The
parts: :mod:`.render` (the figures), :mod:`.handout` (handout.html) with :mod:`.markup` (Markdown and
LaTeX as HTML), :mod:`.export` (analysis.json, the folder and ZIP, the CLI).
"""

from sppviz.lazy import package_getattr

__all__ = [
    "MIN_WINDOW_SIDE", "NMS_IOU", "PROJECTOR_WIDTH", "SCORE_THRESH", "add_arguments", "export_lesson",
    "figure_name", "handout_html", "heading_text", "inline_html", "lesson_data", "lesson_view", "main",
    "narrative_html", "pick_window", "projector", "render_figures", "step_html", "tex_html", "write_lesson",
]
_DEFINED_IN = {  # name -> the module that defines it
    **dict.fromkeys(("NMS_IOU", "SCORE_THRESH", "add_arguments", "export_lesson", "lesson_data", "main",
                     "write_lesson"), "export"),
    **dict.fromkeys(("handout_html", "narrative_html", "step_html"), "handout"),
    **dict.fromkeys(("heading_text", "inline_html", "tex_html"), "markup"),
    **dict.fromkeys(("MIN_WINDOW_SIDE", "PROJECTOR_WIDTH", "figure_name", "lesson_view", "pick_window", "projector",
                     "render_figures"), "render"),
}
__getattr__ = package_getattr(__name__, _DEFINED_IN)  # imported on first use (sppviz.lazy)
