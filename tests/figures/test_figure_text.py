"""Text in figures: fonts that have the glyphs (Chinese included), the words a panel is given, detection
labels that never hide one another, and the feature map's indices, colour scale and window."""

import os

import numpy as np
import pytest

from sppviz import figures as F
from sppviz.figures.palette import colorize

DEBIAN_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
IMG = np.full((300, 400, 3), 90, np.uint8)


def _overlap(a, b) -> bool:
    """Whether inclusive rectangles (l, t, r, b) share a pixel."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


# ---------------------------------------------------------------------------------- fonts


def test_chinese_is_drawn_in_a_cjk_font_and_symbols_fall_back_to_dejavu():
    if not os.path.isfile(DEBIAN_CJK) and F.cjk_font_path() is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    assert F.cjk_font_path() is not None
    canvas = np.full((60, 500, 3), 255, np.uint8)
    with F.recording() as rec:
        from sppviz.figures.text import draw_texts, text_item

        out = draw_texts(canvas, [text_item(5, 5, "窗口 ✗ ⌊x⌋ 224²", 22)])
    assert F.missing_glyphs(rec[0].text) == ""
    assert F.cjk_font_path() in rec[0].fonts and any(f.endswith("DejaVuSans.ttf") for f in rec[0].fonts)
    # real glyphs, not one missing-glyph box repeated: two Han characters draw different pixels
    one = draw_texts(canvas, [text_item(5, 5, "窗", 22)])
    two = draw_texts(canvas, [text_item(5, 5, "口", 22)])
    assert (one != 255).any() and (one != two).any() and (out != 255).any()



def test_text_drawn_again_comes_from_the_mask_cache_and_is_the_same_pixels(monkeypatch):
    """A line drawn again is pasted from the rendered-mask cache: the pixels equal those PIL's own font draws,
    for fractional positions, anchors, colours and Chinese runs alike, and the cache stays bounded."""
    from PIL import Image, ImageDraw, ImageFont

    from sppviz.figures import text as T

    canvas = np.full((120, 520, 3), 240, np.uint8)
    items = [T.text_item(10.3, 20.7, "scale 688: cells 3..9", 22, (200, 30, 30)),
             T.text_item(260.5, 60.25, "bin (2, 1)", 18, (0, 0, 0), anchor="mm", bg=(255, 255, 0)),
             T.text_item(500, 110, "窗口 ⌊x⌋", 22, (0, 90, 200), anchor="rb", bold=True),
             # the same line at another sub-pixel start and anchor: another mask
             T.text_item(10.8, 80.5, "scale 688: cells 3..9", 22, (200, 30, 30)),
             T.text_item(380.0, 30.0, "bin (2, 1)", 18, (0, 0, 0), anchor="la")]
    T.CachedFont._masks.clear()
    first = T.draw_texts(canvas, items)
    hits = T.CachedFont.stats["hits"]
    again = T.draw_texts(canvas, items)
    assert T.CachedFont.stats["hits"] > hits  # the second drawing rendered nothing anew
    assert np.array_equal(first, again)
    # the same lines through PIL's plain font class: identical pixels
    cached = T._font

    def plain(size, bold=False, script=T.LATIN):
        f = cached(size, bold, script)
        return ImageFont.truetype(f.path, f.size, index=f.index)

    monkeypatch.setattr(T, "_font", plain)
    assert np.array_equal(T.draw_texts(canvas, items), first)
    monkeypatch.undo()
    # bounded: many distinct lines keep at most MASK_CACHE_SIZE masks
    monkeypatch.setattr(T, "MASK_CACHE_SIZE", 50)
    img = Image.fromarray(canvas)
    d = ImageDraw.Draw(img)
    for i in range(120):
        d.text((3, 3), f"line {i}", font=T._font(18), fill=(0, 0, 0))
    assert len(T.CachedFont._masks) <= 50


def _draw_texts_whole(arr, items):
    """The slow, obvious reference: every line drawn on the whole figure in one PIL image."""
    from PIL import Image, ImageDraw

    from sppviz.figures import text as T

    img = Image.fromarray(arr)
    d = ImageDraw.Draw(img)
    for x, y, text, size, color, anchor, bold, bg, pad in items:
        runs, (l, t, r, b) = T._place(d, x, y, text, size, bold, anchor)
        if bg is not None:
            d.rectangle((l - pad, t - pad, r + pad - 1, b + pad - 1), fill=bg)
        for rx, ry, run, font, a in runs:
            d.text((rx, ry), run, font=font, fill=color, anchor=a)
    return np.array(img)


def test_lines_drawn_on_their_own_regions_are_the_pixels_of_drawing_on_the_whole_figure():
    """draw_texts draws each line on its region only: the same pixels as the whole-figure drawing, for
    fractional positions, every anchor, tags, mixed Latin / Chinese runs, overlapping lines and lines cut by
    the figure's edges; the input is left as it was."""
    from sppviz.figures import text as T

    rng = np.random.default_rng(3)
    canvas = rng.integers(0, 256, (160, 360, 3), dtype=np.uint8)
    words = ["#12", "bin (2, 1)", "scale 688: cells 3..9", "窗口 ⌊x⌋ 第 3 层", "Ag|jy", "-0.25"]
    anchors = ["la", "lt", "ls", "ld", "mm", "ms", "rb", "ra", "rs", "md"]
    items = [T.text_item(50.5, 60.5, "first line", 16, (0, 0, 0)),
             T.text_item(120.25, 30.5, "acme", 48, (0, 0, 90), "la")]  # pen far above the ink
    for i in range(60):
        x, y = rng.uniform(-40, 400), rng.uniform(-20, 180)  # some lines partly or wholly outside
        bg = None if i % 3 else tuple(int(v) for v in rng.integers(0, 256, 3))
        items.append(T.text_item(x, y, words[i % len(words)], int(rng.choice([12, 16, 22])),
                                 tuple(int(v) for v in rng.integers(0, 256, 3)), anchors[i % len(anchors)],
                                 bool(i % 2), bg, int(rng.integers(0, 6))))
    before = canvas.copy()
    with T.recording() as drawn:
        got = T.draw_texts(canvas, items)
    assert np.array_equal(canvas, before)
    assert np.array_equal(got, _draw_texts_whole(canvas, items))
    assert len(drawn) == len(items)
    # a line moved by one pixel shows: the comparison is not blind
    moved = [items[0][:1] + (items[0][1] + 1,) + items[0][2:], *items[1:]]
    assert not np.array_equal(T.draw_texts(canvas, moved), got)


def test_say_fills_the_words_or_the_neutral_text():
    assert F.say({"px": "{w}×{h} 像素"}, "px", "{w}×{h}", w=3, h=4) == "3×4 像素"
    assert F.say(None, "px", "{w}×{h}", w=3, h=4) == "3×4"
    assert F.say({}, "pg_centres") is None


def test_a_panel_without_words_draws_no_words():
    with F.recording() as rec:
        F.pyramid_strip([IMG], [480], [(19, 25)])
        F.receptive_fields_on_image(IMG, (50, 50, 150, 150), [[60, 60], [170, 60]], rf_boxes=[[20, 20, 100, 100]])
    assert [r.text for r in rec] == ["s=480", "400×300", "conv5 25×19"]  # no legend without its words
    words = {"px": "{w}×{h} 像素", "conv5": "conv5 {w}×{h} 格", "window": "窗口", "rf_inside": "中心在窗口内",
             "rf_outside": "中心在窗口外", "rf_field": "角上特征格的感受野"}
    with F.recording() as rec:
        F.pyramid_strip([IMG], [480], [(19, 25)], words=words)
        F.receptive_fields_on_image(IMG, (50, 50, 150, 150), [[60, 60], [170, 60]], rf_boxes=[[20, 20, 100, 100]],
                                    words=words)
    assert [r.text for r in rec] == ["s=480", "400×300 像素", "conv5 25×19 格", "窗口", "中心在窗口内", "中心在窗口外",
                                     "角上特征格的感受野"]


# ---------------------------------------------------------------------------------- detection labels


def _crowd(seed: int, k: int = 25):
    """k boxes in two tight clusters (their labels compete for the same spots) with random scores."""
    rng = np.random.default_rng(seed)
    centres = np.array([[120, 110], [260, 160]])[rng.integers(0, 2, k)]
    half = rng.uniform(30, 70, (k, 2))
    jitter = rng.uniform(-12, 12, (k, 2))
    boxes = np.concatenate([centres + jitter - half, centres + jitter + half], 1).clip(0, [399, 299, 399, 299])
    return boxes, rng.uniform(0.3, 1.0, k)


@pytest.mark.parametrize("seed", range(6))
def test_the_top_detection_label_is_never_covered(seed):
    boxes, scores = _crowd(seed)
    labels = [f"class{i % 3}" for i in range(len(boxes))]
    colors = [F.class_color(i % 3) for i in range(len(boxes))]
    with F.recording() as rec:
        out, lay = F.detections_on_image(IMG, boxes, labels, scores, colors, width=None, return_layout=True)
    top = int(np.argmax(scores))
    tags = {int(k[4:]): r for k, r in lay.rects.items() if k.startswith("tag:")}
    assert top in tags
    l, t, r, b = tags[top]
    assert 0 <= l <= r < out.shape[1] and 0 <= t <= b < out.shape[0]  # fully inside the figure
    for i, rect in tags.items():
        for j, other in tags.items():
            assert i == j or not _overlap(rect, other), (i, j, rect, other)
    # the labels as drawn (their ink boxes, like matplotlib's get_window_extent): none touches the top one
    extents = {d.text: d.bbox for d in rec}
    top_text = f"{labels[top]} {scores[top]:.2f}"
    assert top_text in extents
    assert not any(_overlap(extents[top_text], d.bbox) for d in rec if d.text != top_text)
    assert len(rec) == len(tags) and lay.info["hidden"] == len(boxes) - len(tags)
    # nothing else is drawn over it: its pixels are those of the top detection drawn alone
    alone = F.detections_on_image(IMG, boxes[[top]], [labels[top]], scores[[top]], [colors[top]], width=None)
    assert np.array_equal(out[t:b + 1, l:r + 1], alone[t:b + 1, l:r + 1])


def test_labels_that_find_no_free_spot_are_counted_under_the_image():
    boxes = np.tile([[100.0, 100.0, 220.0, 200.0]], (12, 1))  # the same box twelve times: 8 spots for 12 tags
    scores = np.linspace(0.9, 0.35, 12)
    words = {"det_label": "{name} {score:.2f}", "det_hidden": "另有 {n} 个标签未画出",
             "det_hidden_one": "另有 {n} 个标签未画出"}
    with F.recording() as rec:
        out, lay = F.detections_on_image(IMG, boxes, ["星形"] * 12, scores, [(0, 158, 115)] * 12, width=None,
                                         words=words, return_layout=True)
    hidden = lay.info["hidden"]
    assert hidden == 12 - sum(k.startswith("tag:") for k in lay.rects) > 0
    assert "tag:0" in lay.rects  # the best score always shows
    assert f"另有 {hidden} 个标签未画出" in [r.text for r in rec] and out.shape[0] > IMG.shape[0]


def test_place_tags_takes_the_first_free_spot():
    spots = F.place_tags([(50, 50, 150, 150), (50, 50, 150, 150)], [(60, 20), (60, 20)], (300, 400), thickness=3)
    assert spots[0] == (50, 29)  # above the box's top-left corner
    assert spots[1] == (53, 53)  # the same box: just inside it (thickness 3)
    assert F.place_tags([(0, 0, 50, 50)], [(60, 20)], (300, 400))[0] == (3, 3)  # no room above: inside


# ---------------------------------------------------------------------------------- the feature map


def test_the_feature_map_has_indices_a_colour_scale_and_the_window_at_its_cells():
    vals = np.arange(12 * 20, dtype=np.float64).reshape(12, 20) / 10
    with F.recording() as rec:
        out, lay = F.feature_map(vals, (3, 2, 7, 5), cell_px=20, label="mean:", window_text="window #4",
                                 return_layout=True)
    texts = [r.text for r in rec]
    # cell indices: column c centred above column c, row r beside row r, every k-th cell, 0 included
    ticks = rec[:texts.index("mean:") - 2]  # drawn before the colour bar (its min, max, label, values)
    cols = {int(r.text): r.bbox for r in ticks if r.bbox[3] < lay.y0}
    rows = {int(r.text): r.bbox for r in ticks if r.bbox[2] < lay.x0 and r.bbox[1] >= lay.y0}
    assert len(cols) + len(rows) == len(ticks) and all(r.text.isdigit() for r in ticks)
    for axis, labels, n in ((0, cols, 20), (1, rows, 12)):
        ks = sorted(labels)
        step = ks[1] - ks[0]
        assert ks[0] == 0 and ks == list(range(0, n, step)) and step <= 5, (axis, ks)
        for c, (bl, bt, br, bb) in labels.items():
            centre = lay.to_px(c, c)[axis]
            assert abs((bl + br) / 2 - centre if axis == 0 else (bt + bb) / 2 - centre) <= 2, (axis, c)
    # the colour scale's ends, three values between them and its label; the window's legend
    assert {"0", "24", "mean:", "6.0", "12", "18", "window #4"} <= set(texts)
    # the window's outline lies at exactly its cells
    l, t, r, b = lay.rects["window"]
    assert (l, t, r, b) == lay.unit_rect(3, 2, 7, 5)
    assert (lay.from_px(l, t)[0], lay.from_px(r, b)[1]) == pytest.approx((2.5, 5.5), abs=0.06)
    for x, y in ((l + 1, (t + b) // 2), (r - 1, (t + b) // 2), ((l + r) // 2, t + 1), ((l + r) // 2, b - 1)):
        assert tuple(out[y, x]) == F.SELECTED_COLOR, (x, y)
    assert tuple(out[(t + b) // 2, (l + r) // 2]) != F.SELECTED_COLOR  # inside: the map
    # the colour bar: a row under the map running through viridis from the map's min to its max
    below = out[lay.y0 + 12 * 20:]
    ramp = colorize(np.linspace(0, 1, 256), "viridis", 0, 1)
    rows = [row for row in below if any(np.abs(row.astype(int) - ramp[0]).sum(1) <= 3)
            and any(np.abs(row.astype(int) - ramp[-1]).sum(1) <= 3)]
    assert rows, "no colour bar under the map"


def test_the_overlay_outlines_the_squares_of_the_window_cells():
    img = np.full((200, 300, 3), 120, np.uint8)
    vals = np.ones((12, 18))
    _, lay = F.overlay_on_image(img, vals, 16, 8, width=None, cells=(2, 1, 5, 4), return_layout=True)
    # cell c covers the pixels offset + stride·(c ± ½): 8 + 16·1.5 = 32 .. 8 + 16·5.5 − 1 = 95 in x
    assert lay.rects["window"] == lay.unit_rect(32, 16, 95, 79)
