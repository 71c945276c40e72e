"""``python -m sppviz lesson IMAGE --out DIR [--lang zh]``: one image through SPP-net as an offline lesson.

Writes into DIR one PNG per step at projector resolution (figures at least ``PROJECTOR_WIDTH`` px wide
where the figure allows, small figures scaled up), ``analysis.json`` (the numbers behind the figures),
``handout.html`` (self-contained: inline CSS, no scripts, no external URLs; the app's narrative texts in
the chosen language, each step's figures by relative path, the selected window's cells per projection
rule) and ``lesson.zip`` holding all of them.

Only the library is used (:mod:`sppviz.analysis`, :mod:`sppviz.figures`), never the Gradio app. The
parts: :mod:`.render` (the figures), :mod:`.handout` (handout.html) with :mod:`.markup` (Markdown and
LaTeX as HTML), :mod:`.export` (analysis.json, the folder and ZIP, the CLI).
"""

from sppviz.lesson.export import (
    NMS_IOU,
    SCORE_THRESH,
    add_arguments,
    export_lesson,
    lesson_data,
    main,
    write_lesson,
)
from sppviz.lesson.handout import RULE_FORMULAS, handout_html, narrative_html, without_clicks
from sppviz.lesson.markup import heading_text, inline_html, tex_html
from sppviz.lesson.render import MIN_WINDOW_SIDE, PROJECTOR_WIDTH, pick_window, projector, render_figures

__all__ = [
    "MIN_WINDOW_SIDE", "NMS_IOU", "PROJECTOR_WIDTH", "RULE_FORMULAS", "SCORE_THRESH", "add_arguments",
    "export_lesson", "handout_html", "heading_text", "inline_html", "lesson_data", "main", "narrative_html",
    "pick_window", "projector", "render_figures", "tex_html", "without_clicks", "write_lesson",
]
