"""Figures: shapes, determinism, and that things land at the pixels the geometry says.

Small synthetic inputs only; no timing assertions (render times are reported by a script)."""

import io

import numpy as np
import pytest
from PIL import Image

from sppviz import figures as F

RNG = np.random.default_rng(0)
IMG = RNG.integers(0, 256, (60, 80, 3), dtype=np.uint8)
FMAP = np.maximum(RNG.normal(size=(8, 12, 16)), 0).astype(np.float32)
MAP = FMAP[3]
BOXES = np.array([[5, 5, 30, 25], [40, 10, 70, 50], [10, 30, 60, 55]], float)


def _check(a):
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.uint8
    assert a.ndim == 3 and a.shape[2] == 3
    assert a.shape[0] > 0 and a.shape[1] > 0
    return a


def _bins(a, n):
    return [((i * a) // n, -((-(i + 1) * a) // n) - 1) for i in range(n)]


CALLS = {
    "pyramid_strip": lambda: F.pyramid_strip([IMG, IMG[::2, ::2]], [480, 240], [(4, 5), (2, 3)], height=80),
    "heatmap_cell": lambda: F.heatmap(MAP, cell_px=10),
    "heatmap_size": lambda: F.heatmap(MAP, size=(50, 37)),
    "overlay_on_image": lambda: F.overlay_on_image(IMG, MAP[:4, :5], 16, 7.5),
    "channel_tiles": lambda: F.channel_tiles(FMAP, [0, 3, 7], ["a", "bb", "a very long label"],
                                             tile=40, cols=2),
    "windows_on_image": lambda: F.windows_on_image(IMG, BOXES, selected=1, width=160),
    "boxes_on_image": lambda: F.boxes_on_image(IMG, BOXES, labels=["x", "y", "z"]),
    "detections_on_image": lambda: F.detections_on_image(IMG, BOXES, ["a", "b", "c"], [0.9, 0.5, 0.2],
                                                         [F.class_color(i) for i in range(3)], width=120),
    "projection_grid": lambda: F.projection_grid(MAP, {"paper": (3, 2, 9, 6), "fast-rcnn": (2, 2, 10, 7),
                                                       "roialign": (2.3, 1.8, 9.6, 6.4)},
                                                 (2.5, 1.9, 9.7, 6.6)),
    "receptive_fields_on_image": lambda: F.receptive_fields_on_image(
        IMG, (10, 10, 50, 40), np.array([[8, 8], [24, 24], [40, 24], [56, 40]]), np.array([[0, 0, 30, 30]]),
        F.RULE_COLORS["paper"], width=200),
    "scale_chart": lambda: F.scale_chart([480, 576, 688, 864, 1200],
                                         [120.0**2, 150.0**2, 210.0**2, 260.0**2, 330.0**2],
                                         224 * 224, 2, 2, 208 * 208),
    "bins_on_map": lambda: F.bins_on_map(MAP, (2, 1, 11, 8), _bins(10, 3), _bins(8, 3), 3,
                                         [(3, 2)] * 9, (1, 2), np.arange(9.0).reshape(3, 3)),
    "bin_values": lambda: F.bin_values(np.arange(36.0).reshape(6, 6) / 7, 6, (2, 3), cell_px=40),
    "argmax_on_image": lambda: F.argmax_on_image(IMG, {1: [[30, 30]],
                                                       2: [[20, 20], [40, 20], [20, 40], [40, 40]]},
                                                 (10, 10, 50, 50), (2, 1, 0), rf_size=30, width=200),
    "vector_strip": lambda: F.vector_strip(np.arange(8 * 5.0), [slice(0, 8), slice(8, 40)], [1, 2], 8,
                                           width=400, highlight=9),
    "colorbar": lambda: F.colorbar(0, 3.5),
    "caption": lambda: F.caption(IMG, "s=688\nconv5 58×43"),
    "hstack": lambda: F.hstack([IMG, IMG[:20]], align="center"),
    "vstack": lambda: F.vstack([IMG, IMG[:, :20]], align="right"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_figure_is_uint8_rgb_and_deterministic(name):
    a = _check(CALLS[name]())
    b = CALLS[name]()
    assert np.array_equal(a, b)


def test_to_png_bytes_round_trips():
    a = CALLS["heatmap_cell"]()
    png = F.to_png_bytes(a)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(np.array(Image.open(io.BytesIO(png)).convert("RGB")), a)


def test_palette_is_complete_and_distinct():
    for s in (480, 576, 688, 864, 874, 1200):
        assert F.scale_color(s) == F.SCALE_COLORS[s]
    assert len(set(F.SCALE_COLORS.values())) == len(F.SCALE_COLORS)
    assert set(F.LEVEL_COLORS) == set(range(1, 9))
    assert len(set(F.LEVEL_COLORS.values())) == 8
    assert set(F.RULE_COLORS) == {"paper", "original", "fast-rcnn", "roialign"}
    assert len(set(F.RULE_COLORS.values())) == 4
    for c in [F.scale_color(1000), F.level_color(12), F.class_color(37), F.rule_color("mine")]:
        assert len(c) == 3 and all(0 <= v <= 255 for v in c)
    assert F.scale_color(1000) == F.scale_color(1000)


# ---------------------------------------------------------------------------- layouts


def test_layout_to_px_and_from_px_are_inverse():
    lay = F.Layout(2.5, 3.0, 7, 4, 10, 20)
    for u, v in [(10, 20), (12.3, 25.7), (0, 0)]:
        x, y = lay.to_px(u, v)
        assert lay.from_px(x, y) == pytest.approx((u, v))
    # unit 10 (the first shown) starts at x0 and is sx wide
    assert lay.unit_rect(10, 20, 10, 20) == (7, 4, 8, 6)


def test_selected_window_has_its_own_colour():
    img = np.full((60, 80, 3), 128, np.uint8)
    out, lay = F.windows_on_image(img, BOXES, selected=1, width=80, dim_outside=None, return_layout=True)
    l, t, r, b = lay.rects["selected"]
    assert (l, t, r, b) == lay.unit_rect(*BOXES[1])
    sel = tuple(out[(t + b) // 2, l + 1])
    assert sel == F.SELECTED_COLOR
    # box 0 is drawn thin, semi-transparent, in another colour
    l0, t0, r0, b0 = lay.unit_rect(*BOXES[0])
    other = tuple(int(v) for v in out[(t0 + b0) // 2, l0])
    assert other != sel and other != (128, 128, 128)
    assert other[2] > other[0]  # a blend of grey and cyan, not yellow
    # a click in the middle of the selected window maps back into it
    u, v = lay.from_px((l + r) / 2, (t + b) / 2)
    assert BOXES[1][0] <= u <= BOXES[1][2] and BOXES[1][1] <= v <= BOXES[1][3]


def test_selected_window_stands_out_even_with_given_colours():
    cols = [F.UNSELECTED_COLOR] * 3
    out, lay = F.windows_on_image(IMG, BOXES, selected=2, colors=cols, width=80, return_layout=True)
    l, t, r, b = lay.rects["selected"]
    assert tuple(out[(t + b) // 2, l + 1]) == F.SELECTED_COLOR
    out, lay = F.windows_on_image(IMG, BOXES, selected=2, selected_color=(255, 0, 0), width=80,
                                  return_layout=True)
    assert tuple(out[(t + b) // 2, l + 1]) == (255, 0, 0)


def test_projection_grid_draws_each_rule_at_its_cells():
    fm = np.zeros((20, 30))
    rules = {"paper": (7, 4, 18, 9), "original": (5, 2, 18, 8), "fast-rcnn": (6, 3, 19, 9)}
    out, lay = F.projection_grid(fm, rules, (6.25, 3.1, 18.75, 9.4), cell_px=20, max_size=2000,
                                 return_layout=True)
    assert lay.info["cell_px"] == 20 and lay.info["region"] == (0, 0, 29, 19)  # whole map fits
    for k, (rule, (cx0, cy0, cx1, cy1)) in enumerate(rules.items()):
        # the cell rectangle's border, inset by 6 px per rule, in figure pixels
        inset = 6 * k
        l = lay.x0 + cx0 * 20 + inset
        t = lay.y0 + cy0 * 20 + inset
        r = lay.x0 + (cx1 + 1) * 20 - 1 - inset
        b = lay.y0 + (cy1 + 1) * 20 - 1 - inset
        assert lay.rects[rule] == (l, t, r, b)
        color = F.RULE_COLORS[rule]
        assert tuple(out[(t + b) // 2 + 3, l + 1]) == color   # left edge
        assert tuple(out[(t + b) // 2 + 3, r - 1]) == color   # right edge
        assert tuple(out[t + 1, (l + r) // 2 + 3]) == color   # top edge
        assert tuple(out[b - 1, (l + r) // 2 + 3]) == color   # bottom edge
    # the window: dashed white with a black halo, through the continuous points
    wl, wt, wr, wb = lay.rects["window"]
    assert abs((wl + 1) - lay.to_px(6.25, 3.1)[0]) <= 1
    column = out[wt:wb, wl + 1]
    assert (column == 255).all(axis=1).any() and (column == 0).all(axis=1).any()


def test_projection_grid_crops_and_zooms_a_large_map():
    fm = RNG.random((43, 58))
    rules = {"paper": (7, 4, 18, 9)}
    out, lay = F.projection_grid(fm, rules, (6.25, 3.1, 18.75, 9.4), max_size=900, return_layout=True)
    c0, r0, c1, r1 = lay.info["region"]
    assert lay.info["cell_px"] >= 16
    assert (c0, r0) == (4, 1) and (c1, r1) == (21, 12)  # window/cells +- 2 cells
    assert max(out.shape[:2]) <= 900 + 200  # map + ticks + legend
    l, t, r, b = lay.rects["paper"]
    assert l == lay.x0 + (7 - c0) * lay.info["cell_px"]
    assert tuple(out[(t + b) // 2, l + 1]) == F.RULE_COLORS["paper"]


def test_projection_grid_continuous_rule_is_not_inset():
    fm = np.zeros((10, 10))
    out, lay = F.projection_grid(fm, {"paper": (2, 2, 6, 6), "roialign": (1.5, 1.5, 6.5, 6.5)}, None,
                                 cell_px=30, return_layout=True)
    l, t, r, b = lay.rects["roialign"]
    x, _ = lay.to_px(1.5, 1.5)
    assert abs(l + 2 - x) <= 1  # a 4 px line centred on the continuous coordinate
    assert tuple(out[(t + b) // 2, l + 1]) == F.RULE_COLORS["roialign"]


def test_pyramid_strip_sizes_are_proportional():
    sizes = [(480, 640), (576, 768), (688, 917), (1200, 1600)]
    imgs = [np.zeros((h, w, 3), np.uint8) for h, w in sizes]
    scales = [480, 576, 688, 1200]
    out, lay = F.pyramid_strip(imgs, scales, [(-(-h // 16), -(-w // 16)) for h, w in sizes], height=300,
                               return_layout=True)
    k = lay.info["k"]
    assert k == pytest.approx(300 / 1200)
    for (h, w), s in zip(sizes, scales, strict=True):
        l, t, r, b = lay.rects[f"s={s}"]
        assert abs((r - l + 1) - w * k) <= 1 and abs((b - t + 1) - h * k) <= 1
        assert tuple(out[t - 2, (l + r) // 2]) == F.scale_color(s)  # framed in its colour
        assert (out[t + 2, l + 2] == 0).all()
    # bottom aligned: all images end on the same row
    assert len({lay.rects[f"s={s}"][3] for s in scales}) == 1


def test_pyramid_strip_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        F.pyramid_strip([IMG], [480, 576], [(3, 4)])


def test_heatmap_sizes_and_grid():
    a = F.heatmap(MAP, cell_px=10, grid=False)
    assert a.shape == (120, 160, 3)
    # nearest neighbour: every 10x10 block is one colour, the colormap colour of the cell
    col = F.colorize(MAP)
    assert np.array_equal(a[::10, ::10], col)
    assert (a[30:40, 50:60] == col[3, 5]).all()
    g = F.heatmap(MAP, cell_px=10, grid=True)
    assert not np.array_equal(a[5::10, 10], g[5::10, 10])  # a grid line at the cell boundary
    assert np.array_equal(a[5::10, 15], g[5::10, 15])
    small = F.heatmap(MAP, cell_px=4, grid=True)
    assert np.array_equal(small, F.heatmap(MAP, cell_px=4, grid=False))  # no grid under 8 px
    assert F.heatmap(MAP, size=(50, 37)).shape == (37, 50, 3)


def test_overlay_follows_receptive_field_centres():
    img = np.zeros((64, 64, 3), np.uint8)
    v = np.zeros((4, 4))
    v[1, 2] = 1.0  # cell x=2, y=1: centred at pixel (offset + 16*2, offset + 16*1)
    out = F.overlay_on_image(img, v, 16, 7.5, alpha=1.0, cmap="gray")
    hot, cold = (255, 255, 255), (0, 0, 0)
    assert tuple(out[int(7.5 + 16), int(7.5 + 32)]) == hot
    assert tuple(out[16, 32]) == hot            # first pixel of the cell's square
    assert tuple(out[16, 31]) == cold           # just left of it
    assert tuple(out[31, 47]) == hot and tuple(out[32, 48]) == cold


def test_bin_values_draws_n_by_n_cells():
    for n in (1, 2, 3, 6):
        vals = RNG.random((n, n))
        out, lay = F.bin_values(vals, n, cell_px=30, return_layout=True)
        assert len(lay.rects) == n * n
        col = F.colorize(vals)
        for i in range(n):
            for j in range(n):
                l, t, r, b = lay.rects[f"{i},{j}"]
                assert tuple(out[t + 1, l + 1]) == tuple(col[i, j])  # corner: the bin's colour
        # the value is printed: the cell centre area holds more than one colour
        l, t, r, b = lay.rects["0,0"]
        assert len(np.unique(out[t:b, l:r].reshape(-1, 3), axis=0)) > 1


def test_fmt2():
    assert [F.fmt2(v) for v in (0, 5.67, 0.0123, 1234, 0.5, 12.3, 9.96, -3.14)] == \
        ["0", "5.7", "0.012", "1200", "0.50", "12", "10", "-3.1"]


def test_bins_on_map_rects_and_validation():
    cells = (2, 1, 11, 8)
    bx, by = _bins(10, 6), _bins(8, 6)  # overlapping adaptive bins
    out, lay = F.bins_on_map(MAP, cells, bx, by, 6, [(2, 1)] * 36, (2, 3), cell_px=30, return_layout=True)
    _check(out)
    assert len([k for k in lay.rects if k != "window"]) == 36
    ins = lay.info["inset"]
    l, t, r, b = lay.rects["0,1"]
    assert l == lay.x0 + (2 + bx[1][0] - lay.col0) * 30 + ins
    with pytest.raises(ValueError, match="argmax_cells"):
        F.bins_on_map(MAP, cells, bx, by, 6, [(2, 1)] * 5)
    with pytest.raises(ValueError, match="selected_bin"):
        F.bins_on_map(MAP, cells, bx, by, 6, selected_bin=(6, 0))


def test_vector_strip_handles_12800():
    levels, C = [1, 2, 3, 6], 256
    slices, off = [], 0
    for n in levels:
        slices.append(slice(off, off + C * n * n))
        off += C * n * n
    v = np.maximum(RNG.normal(size=off), 0)
    out, lay = F.vector_strip(v, slices, levels, C, width=1100, highlight=9437, return_layout=True)
    _check(out)
    assert off == 12800
    assert lay.info["rows"] * lay.info["per_row"] >= 12800
    assert out.shape[1] <= 1100
    # the level band above element 0 is level 1's colour, above element 12799 level 6's
    x = lay.x0 + 1
    assert tuple(out[lay.y0 - 5, x]) == F.level_color(1)
    assert "highlight" in lay.rects
    # forcing two rows aggregates several elements per pixel column
    out2, lay2 = F.vector_strip(v, slices, levels, C, width=600, rows=2, return_layout=True)
    assert lay2.info["k"] > 1 and out2.shape[1] <= 600


def test_vector_strip_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        F.vector_strip([], [], [], 1)
    with pytest.raises(ValueError, match="does not fit"):
        F.vector_strip(np.zeros(10), [slice(0, 20)], [1], 20)


def test_scale_chart_validates_indices():
    with pytest.raises(ValueError, match="chosen_paper"):
        F.scale_chart([480, 576], [1.0, 2.0], chosen_paper=5)
    _check(F.scale_chart([480, 576], [180.0, 230.0], target=224, chosen_paper=1))  # sides


def test_argmax_on_image_selected_and_rf():
    out, lay = F.argmax_on_image(IMG, {3: np.full((9, 2), 30.0)}, (10, 10, 50, 50), (3, 2, 2), rf_size=21,
                                 width=200, crop=None, return_layout=True)
    l, t, r, b = lay.rects["rf"]
    assert (l, t, r, b) == lay.unit_rect(20, 20, 40, 40)
    with pytest.raises(ValueError, match="out of range"):
        F.argmax_on_image(IMG, {3: np.zeros((9, 2))}, (10, 10, 50, 50), (3, 3, 0))


def test_receptive_fields_inside_is_filled_outside_is_hollow():
    img = np.full((100, 100, 3), 100, np.uint8)
    centres = np.array([[30.0, 30.0], [90.0, 90.0]])
    out, lay = F.receptive_fields_on_image(img, (20, 20, 60, 60), centres, None, (255, 0, 0), width=100,
                                           crop=None, dim_outside=None, return_layout=True)
    x, y = (int(round(v)) for v in lay.to_px(30, 30))
    assert tuple(out[y, x]) == (255, 0, 0)          # filled
    x, y = (int(round(v)) for v in lay.to_px(90, 90))
    assert tuple(out[y, x]) == (100, 100, 100)      # hollow: the image shows through


def test_empty_inputs_do_not_crash():
    none = np.zeros((0, 4))
    _check(F.windows_on_image(IMG, none))
    _check(F.windows_on_image(IMG, []))
    _check(F.boxes_on_image(IMG, none))
    _check(F.detections_on_image(IMG, none, [], [], []))
    _check(F.receptive_fields_on_image(IMG, (1, 1, 20, 20), np.zeros((0, 2)), none, (255, 0, 0)))
    _check(F.argmax_on_image(IMG, {}, (1, 1, 20, 20)))
    _check(F.projection_grid(MAP, {}, None))
    _check(F.pyramid_strip([], [], []))
    _check(F.channel_tiles(FMAP, []))
    _check(F.scale_chart([], [], 224 * 224, None))
    _check(F.hstack([]))
    _check(F.vstack([]))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="RGB"):
        F.windows_on_image(np.zeros((5, 5, 2)), BOXES)
    with pytest.raises(ValueError, match=r"\[K, 4\]"):
        F.boxes_on_image(IMG, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="selected"):
        F.windows_on_image(IMG, BOXES, selected=3)
    with pytest.raises(ValueError, match="channel"):
        F.channel_tiles(FMAP, [8])
    with pytest.raises(ValueError, match="2-D"):
        F.heatmap(np.zeros(5))
    with pytest.raises(ValueError, match="colormap"):
        F.heatmap(MAP, cmap="no-such-map")
