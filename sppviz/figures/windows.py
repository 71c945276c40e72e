"""Panels of boxes on the image: the candidate windows with one selected, labelled boxes, detections.

Boxes are [K, 4] (x1, y1, x2, y2) image pixels covering the pixel centres x1..x2 inclusive, so a
box is drawn around those pixels, its outline just inside (docs/conventions.md). Label tags never
overlap (place_tags): the most important box (the best score) is drawn last and its tag always
shows; a tag with no free spot beside or inside its box is left out and counted under the image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from .palette import BLACK, RGB, SELECTED_COLOR, UNSELECTED_COLOR, as_color, class_color, ink_on
from .primitives import Layout, as_boxes, as_rgb, caption, dim, outline
from .text import FONT, SMALL, draw_texts, say, text_bbox, text_height, text_item
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


def _tag_spots(rect, w: int, h: int, th: int) -> list[tuple[int, int]]:
    """Top-left corners for a w x h tag at a box rect (l, t, r, b), best first: above its top-left corner,
    just inside it, below the box, inside its bottom; then the same on the right."""
    l, t, r, b = rect
    spots = []
    for x_out, x_in in ((l, l + th), (r - w + 1, r - th - w + 1)):
        spots += [(x_out, t - h - 1), (x_in, t + th), (x_out, b + 1), (x_in, b - th - h + 1)]
    return spots


def place_tags(rects, sizes, shape, thickness: int = 3, margin: int = 2) -> list[tuple[int, int] | None]:
    """Where the label tags of boxes go so that no two overlap: rects[i] = (l, t, r, b) the box as drawn,
    sizes[i] = (w, h) its tag, in priority order (the first is placed first and always gets its first
    spot). Each tag takes the first of its spots (_tag_spots, moved inside the figure of shape (H, W))
    that keeps `margin` px from every tag placed before it (spots above or below that leave the figure
    are skipped, the others moved sideways into it); None when every spot collides."""
    H, W = shape[:2]
    placed: list[tuple[int, int, int, int]] = []
    out: list[tuple[int, int] | None] = []
    for rect, (w, h) in zip(rects, sizes, strict=True):
        spot = None
        for x, y in _tag_spots(rect, int(w), int(h), thickness):
            if not 0 <= y <= H - h:  # no room above / below the box
                continue
            x = min(max(int(x), 0), max(0, W - w))
            if not any(x < pr + margin and px < x + w + margin and y < pb + margin and py < y + h + margin
                       for px, py, pr, pb in placed):
                spot = (x, y)
                break
        if spot is None and not placed:  # the first tag always shows
            x, y = _tag_spots(rect, int(w), int(h), thickness)[0]
            spot = (min(max(int(x), 0), max(0, W - w)), min(max(int(y), 0), max(0, H - h)))
        if spot is not None:
            placed.append((spot[0], spot[1], spot[0] + w, spot[1] + h))
        out.append(spot)
    return out


def boxes_on_image(image, boxes, colors: Sequence | None = None, labels: Sequence[str] | None = None,
                   width=None, thickness=3, order: Sequence[int] | None = None,
                   words: Mapping[str, str] | None = None, return_layout=False):
    """Boxes [K, 4] (image pixels) with an optional text label on a filled tag in the box colour.

    colors: one RGB per box (default class_color(i)); width rescales the image (None: as is).
    order: the boxes' importance, most important first (default: as given). Boxes are drawn least
    important first, so the most important one lies on top; tags never overlap (place_tags: above
    the box's top-left corner, else inside it, below it or on the right), the most important tag is
    always drawn, a tag with no free spot is left out, and with words ("det_hidden" /
    "det_hidden_one", placeholder n) a line under the image counts those. Layout: image pixels ->
    figure pixels; rects["tag:i"] = the tag of box i as drawn (l, t, r, b inclusive)."""
    img = as_rgb(image)
    b = as_boxes(boxes)
    if colors is not None and len(colors) != len(b):
        raise ValueError(f"colors must have one colour per box: {len(colors)} != {len(b)}")
    if labels is not None and len(labels) != len(b):
        raise ValueError(f"labels must have one label per box: {len(labels)} != {len(b)}")
    order = list(range(len(b))) if order is None else [int(i) for i in order]
    if sorted(order) != list(range(len(b))):
        raise ValueError(f"order must be a permutation of 0..{len(b) - 1}")
    out, lay = image_view(img, width)
    cols = [class_color(i) if colors is None else as_color(colors[i]) for i in range(len(b))]
    rects = {i: lay.unit_rect(*b[i]) for i in range(len(b))}
    for i in reversed(order):
        outline(out, *rects[i], cols[i], thickness, BLACK)
    tagged = [i for i in order if labels is not None and str(labels[i])]
    pad = 4
    boxes_ = [text_bbox(0, 0, str(labels[i]), FONT, "la", True, pad) for i in tagged]
    sizes = [(r - l + 1, bb - t + 1) for l, t, r, bb in boxes_]
    spots = place_tags([rects[i] for i in tagged], sizes, out.shape, thickness)
    texts, tags = [], {}
    for i, (l, t, _r, _b), (w, h), spot in zip(tagged, boxes_, sizes, spots, strict=True):
        if spot is None:
            continue
        x, y = spot
        texts.append(text_item(x - l, y - t, str(labels[i]), FONT, ink_on(cols[i]), "la", True, bg=cols[i], pad=pad))
        tags[f"tag:{i}"] = (x, y, x + w - 1, y + h - 1)
    out = draw_texts(out, texts[::-1])  # the most important tag last, on top
    hidden = sum(s is None for s in spots)
    note = say(words, "det_hidden_one" if hidden == 1 else "det_hidden", None, n=hidden) if hidden else None
    if note:
        out = caption(out, note, size=SMALL, align="left")
    if return_layout:
        lay = Layout(lay.sx, lay.sy, lay.x0, lay.y0, lay.col0, lay.row0, out.shape[:2], tags, {"hidden": hidden})
        return out, lay
    return out


def detections_on_image(image, boxes, labels: Sequence[str], scores, colors: Sequence, width=1000,
                        thickness=4, words: Mapping[str, str] | None = None, return_layout=False):
    """Detections as boxes [K, 4] (image pixels) labelled "label 0.93" (words["det_label"], placeholders
    name and score) in their colours; the highest score is drawn on top and its label always shows
    (boxes_on_image with the boxes ordered by score). Layout as boxes_on_image's."""
    b = as_boxes(boxes)
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not (len(b) == len(labels) == len(scores) == len(colors)):
        raise ValueError(f"boxes, labels, scores, colors must have the same length, got "
                         f"{len(b)}, {len(labels)}, {len(scores)}, {len(colors)}")
    text = [say(words, "det_label", "{name} {score:.2f}", name=lab, score=float(s))
            for lab, s in zip(labels, scores, strict=True)]
    order = np.argsort(-scores, kind="stable").tolist()
    return boxes_on_image(image, b, colors, text, width=width, thickness=thickness, order=order, words=words,
                          return_layout=return_layout)
