"""Every picture the app shows, rendered from plain data (numpy arrays, lists, dicts).

No Gradio, no model, no matplotlib figures: panels are drawn with numpy slicing, OpenCV
(resize, anti-aliased dots) and PIL ImageDraw (text), so an interactive panel renders in a few
milliseconds. matplotlib is used only for its colormap tables and its bundled DejaVu Sans
font, each loaded once; Chinese text is set in Noto Sans CJK (figures.text).

Conventions (docs/conventions.md):
- every function returns a uint8 RGB array [H, W, 3];
- images are uint8 RGB [H, W, 3]; image pixels are 0-based and pixel i has its centre at i;
- boxes / windows are (x1, y1, x2, y2) float pixel coordinates covering the pixel centres
  x1..x2 inclusive, so a box is drawn around the pixels x1..x2 (its outline lies just inside);
- conv5 cells are 0-based inclusive (cx0, cy0, cx1, cy1); maps are [H, W] (rows, columns);
  cell (cx, cy) has its receptive-field centre at image pixel offset + stride * (cx, cy);
- sizes printed in figures are width x height ("918×688 px", "conv5 58×43");
- every word drawn in a figure is in the page's language: a panel takes ``words``, the i18n
  tables' templates of the figure texts (``sppviz.i18n.figure_words(lang)``; this package
  imports nothing from sppviz) and fills them with ``say``; without words a panel draws only
  numbers, symbols and rule names. Fonts are large and lines thick (projector).

Panels that place data at known pixels accept ``return_layout=True`` and then return
``(image, Layout)``; a Layout maps source units (image pixels or conv5 cells) to figure pixels,
for tests and for turning a click on the figure back into an image coordinate.

Modules: palette (colours, colour maps), text (fonts, measuring, drawing), primitives (Layout,
input checks, shapes, composition), views (image crops and map regions for the panels), and
one module per panel family: pyramid, features, windows, projection, pooling, combine.
Callers use the names re-exported here (``figures.heatmap``, ``figures.Layout``, ...).
"""

from __future__ import annotations

from .combine import scale_combination
from .features import channel_tiles, feature_map, heatmap, overlay_on_image
from .palette import (
    BG,
    BLACK,
    CLASS_COLORS,
    FG,
    LEVEL_COLORS,
    RGB,
    RULE_COLORS,
    SCALE_COLORS,
    SELECTED_COLOR,
    UNSELECTED_COLOR,
    WHITE,
    WINDOW_COLOR,
    class_color,
    colorize,
    level_color,
    rule_color,
    scale_color,
)
from .pooling import argmax_on_image, bin_values, bins_on_map, vector_strip
from .primitives import Layout, caption, colorbar, hstack, legend, to_png_bytes, vstack, with_colorbar
from .projection import projection_grid, receptive_fields_on_image
from .pyramid import pyramid_strip, scale_chart
from .text import FONT, SMALL, cjk_font_path, fmt2, missing_glyphs, recording, say, warm_up
from .windows import boxes_on_image, detections_on_image, place_tags, windows_on_image

__all__ = [
    # palette
    "RGB", "CLASS_COLORS", "SCALE_COLORS", "LEVEL_COLORS", "RULE_COLORS", "WHITE", "BLACK", "BG", "FG",
    "WINDOW_COLOR", "SELECTED_COLOR", "UNSELECTED_COLOR", "scale_color", "level_color", "rule_color",
    "class_color", "colorize",
    # text
    "FONT", "SMALL", "warm_up", "say", "recording", "missing_glyphs", "cjk_font_path",
    # primitives
    "Layout", "fmt2", "to_png_bytes", "hstack", "vstack", "caption", "colorbar", "with_colorbar", "legend",
    # panels
    "pyramid_strip", "scale_chart", "heatmap", "feature_map", "overlay_on_image", "channel_tiles",
    "windows_on_image", "boxes_on_image", "detections_on_image", "place_tags", "projection_grid",
    "receptive_fields_on_image", "bins_on_map", "bin_values", "argmax_on_image", "vector_strip", "scale_combination",
]
