"""Panels of boxes on the image: the candidate windows with one selected, labelled boxes, detections.

Boxes are [K, 4] (x1, y1, x2, y2) image pixels covering the pixel centres x1..x2 inclusive, so a
box is drawn around those pixels, its outline just inside (docs/conventions.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .palette import BLACK, RGB, SELECTED_COLOR, UNSELECTED_COLOR, as_color, class_color, ink_on
from .primitives import Layout, as_boxes, as_rgb, dim, outline, with_shape
from .text import FONT, draw_texts, text_height, text_item
from .views import image_view

# ----------------------------------------------------------------------------------------
# boxes on images


def windows_on_image(image, boxes, selected: int | None = None, colors: Sequence | None = None,
                     max_draw=300, width=1000, alpha=0.45, dim_outside=0.6,
                     selected_color: RGB = SELECTED_COLOR, return_layout=False):
    """The image scaled to `width` px with windows boxes [K, 4] (image pixels, x1 y1 x2 y2).

    The first max_draw windows are drawn thin (2 px, 1 px when there are more than 50) and
    semi-transparent in their colours (default UNSELECTED_COLOR); the selected window is
    drawn last, thick, always in `selected_color` (SELECTED_COLOR, whatever `colors` says) with
    a black halo and a "#i" tag; its inside is kept free of the other windows and the image
    outside it is darkened by `dim_outside` (None or 1: no dimming). Layout: image pixels ->
    figure pixels (Layout.from_px maps a click back to the image).
    """
    img = as_rgb(image)
    b = as_boxes(boxes)
    if selected is not None and not 0 <= int(selected) < len(b):
        raise ValueError(f"selected={selected} out of range for {len(b)} windows")
    if colors is not None and len(colors) != len(b):
        raise ValueError(f"colors must have one colour per window: {len(colors)} != {len(b)}")
    out, lay = image_view(img, width)
    sel_rect = None
    if selected is not None:
        selected = int(selected)
        sel_rect = lay.unit_rect(*b[selected])
        if dim_outside is not None and dim_outside < 1:
            dim(out, sel_rect, dim_outside)
    n = min(len(b), int(max_draw))
    if n:
        over = out.copy()
        th = 1 if n > 50 else 2
        for i in range(n):
            if i == selected:
                continue
            c = UNSELECTED_COLOR if colors is None else as_color(colors[i])
            l, t, r, bb = lay.unit_rect(*b[i])
            for k in range(th):
                cv2.rectangle(over, (l + k, t + k), (r - k, bb - k), c, 1)
        keep = out[sel_rect[1]:sel_rect[3] + 1, sel_rect[0]:sel_rect[2] + 1].copy() if sel_rect else None
        cv2.addWeighted(over, alpha, out, 1.0 - alpha, 0.0, dst=out)
        if keep is not None:  # the selected window's inside stays clean
            out[sel_rect[1]:sel_rect[3] + 1, sel_rect[0]:sel_rect[2] + 1] = keep
    texts = []
    rects = {}
    if selected is not None:
        c = as_color(selected_color)
        outline(out, *sel_rect, c, 5, BLACK)
        rects["selected"] = sel_rect
        l, t = sel_rect[0], sel_rect[1]
        above = t > text_height(FONT, True) + 12
        texts.append(text_item(max(l, 0) + 4, t - 8 if above else t + 12, f"#{selected}", FONT, ink_on(c),
                               "ld" if above else "la", True, bg=c))
    out = draw_texts(out, texts)
    if return_layout:
        return out, Layout(lay.sx, lay.sy, shape=out.shape[:2], rects=rects)
    return out


def boxes_on_image(image, boxes, colors: Sequence | None = None, labels: Sequence[str] | None = None,
                   width=None, thickness=3, return_layout=False):
    """Boxes [K, 4] (image pixels) with an optional text label on a filled tag in the box colour.

    colors: one RGB per box (default class_color(i)); width rescales the image (None: as is).
    The tag sits above the box's top-left corner, or just inside when there is no room."""
    img = as_rgb(image)
    b = as_boxes(boxes)
    if colors is not None and len(colors) != len(b):
        raise ValueError(f"colors must have one colour per box: {len(colors)} != {len(b)}")
    if labels is not None and len(labels) != len(b):
        raise ValueError(f"labels must have one label per box: {len(labels)} != {len(b)}")
    out, lay = image_view(img, width)
    texts = []
    th_text = text_height(FONT)
    for i in range(len(b)):
        c = class_color(i) if colors is None else as_color(colors[i])
        rect = lay.unit_rect(*b[i])
        outline(out, *rect, c, thickness, BLACK)
        if labels is not None and str(labels[i]):
            l, t = rect[0], rect[1]
            above = t - th_text - 10 >= 0
            ty = t - 6 if above else t + thickness + 6
            texts.append(text_item(max(l + 4, 4), ty, str(labels[i]), FONT, ink_on(c), "ld" if above else "la",
                                   True, bg=c))
    out = draw_texts(out, texts)
    if return_layout:
        return out, with_shape(lay, out)
    return out


def detections_on_image(image, boxes, labels: Sequence[str], scores, colors: Sequence, width=1000,
                        thickness=4):
    """Detections as boxes [K, 4] (image pixels) labelled "label 0.93" in their colours."""
    b = as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not (len(b) == len(labels) == len(scores) == len(colors)):
        raise ValueError(f"boxes, labels, scores, colors must have the same length, got "
                         f"{len(b)}, {len(labels)}, {len(scores)}, {len(colors)}")
    text = [f"{lab} {s:.2f}" for lab, s in zip(labels, scores, strict=True)]
    return boxes_on_image(image, b, colors, text, width=width, thickness=thickness)
