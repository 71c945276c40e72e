"""Steps 1-2: the image pyramid and the conv5 feature maps (figures and tables of one workspace), every word
drawn in them in the page's language (``i18n.figure_words``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sppviz import figures, model
from sppviz.i18n import figure_words, t
from sppviz.method import geometry

if TYPE_CHECKING:
    from sppviz.analysis.pipeline import WindowDetail
    from sppviz.analysis.workspace import Workspace

IMAGE_WIDTH = 1000  # panel width in pixels: wide enough to read on a projector, small enough to encode fast
PYR_HEADERS = ("pyr_h_scale", "pyr_h_image", "pyr_h_factor", "pyr_h_conv5", "pyr_h_cells", "pyr_h_time")
VIEWS = {"channel": "view_channel", "mean": "view_mean", "max": "view_max"}  # view -> label key
TOP_MARGIN = 2  # cells around the window in the top-channel tiles


def render_pyramid(w: Workspace, lang: str) -> dict:
    """Step 1: every scaled image with its conv5 size ("pyr_img"), and the table ("pyr_table")."""
    a = w.a
    imgs = [w.resized(i) for i in range(len(a.scales))]
    hw = [tuple(int(v) for v in f.fmap.shape[1:]) for f in a.feats]
    strip = figures.pyramid_strip(imgs, a.scales, hw, height=380, max_width=1500, words=figure_words(lang))
    rows = []
    for s, f, (h, wd) in zip(a.scales, a.feats, hw, strict=True):
        rows.append([int(s), f"{f.image_wh[0]}×{f.image_wh[1]}", round(float(f.factor), 4), f"{wd}×{h}", wd * h,
                     round(1000 * float(f.seconds), 1)])
    return {"pyr_img": strip, "pyr_table": {"headers": [t(k, lang) for k in PYR_HEADERS], "data": rows}}


def feature_values(w: Workspace, si: int, channel: int, view: str) -> np.ndarray:
    """The [H, W] map a view shows: one channel, or the mean / max over channels."""
    return w.channel(si, channel) if view == "channel" else w.reduced(si, "mean" if view == "mean" else "max")


def window_cells(w: Workspace, d: WindowDetail, si: int) -> tuple[int, int, int, int]:
    """The cells (cx0, cy0, cx1, cy1), inclusive, of window ``d`` on the conv5 map of scale index ``si``: its
    own (``d.chosen``) at its scale, else its box scaled to ``si`` and projected with the same rules."""
    if si == d.scale_index:
        return tuple(int(c) for c in d.chosen)
    f = w.a.feats[si]
    H, W = f.fmap.shape[1:]
    sbox = model.detector.scale_windows(np.asarray(d.box, np.float64), f, d.box_scaling)
    return tuple(int(c) for c in geometry.project_window([float(v) for v in sbox], w.a.geometry, d.rule,
                                                         map_hw=(H, W)))


def render_features(w: Workspace, si: int, channel: int, view: str, lang: str, d: WindowDetail | None = None) -> dict:
    """Step 2: the conv5 map at scale index ``si`` as cells with their indices and colour scale ("fm_map") and
    over the image with its colour scale ("fm_overlay"); with the selected window ``d``, its cells at this
    scale (:func:`window_cells`) outlined on both."""
    a = w.a
    si = min(max(int(si), 0), len(a.scales) - 1)
    channel = min(max(int(channel), 0), w.channels - 1)
    vals = feature_values(w, si, channel, view)
    g = a.geometry
    what = t("fig_channel", lang, c=channel) if view == "channel" else t(VIEWS[view], lang)
    label = t("fig_cbar", lang, what=what)
    cells = note = None
    if d is not None:
        cells = window_cells(w, d, si)
        xy = {"cx0": cells[0], "cy0": cells[1], "cx1": cells[2], "cy1": cells[3]}
        note = (t("fig_fm_window", lang, k=d.k, **xy) if si == d.scale_index
                else t("fig_fm_window_at", lang, k=d.k, s=d.scale, **xy))
    hmap = figures.feature_map(vals, cells, cell_px=max(6, min(40, 900 // max(vals.shape))), label=label,
                               window_text=note)
    over = figures.overlay_on_image(w.resized(si), vals, g.stride, g.offset, width=IMAGE_WIDTH, cells=cells)
    entries = [("line", figures.SELECTED_COLOR, note)] if note else []
    over = figures.with_colorbar(over, float(vals.min()), float(vals.max()), "inferno", label, entries)
    h, wd = vals.shape
    info = t("fm_info", lang, scale=a.scales[si], c=w.channels, h=h, w=wd, stride=g.stride, offset=g.offset,
             rf=g.size)
    return {"fm_map": hmap, "fm_overlay": over, "fm_info": info}


def render_top_channels(w: Workspace, d: WindowDetail, lang: str, margin: int = TOP_MARGIN) -> dict:
    """The window's strongest channels, each tile cropped to the window's cells plus ``margin`` cells."""
    fm = w.a.feats[d.scale_index].fmap
    H, W = fm.shape[1:]
    cx0, cy0, cx1, cy1 = d.chosen
    peak = fm[:, cy0:cy1 + 1, cx0:cx1 + 1].amax((1, 2))
    top = list(d.top_channels)
    crop = fm[:, max(cy0 - margin, 0):min(cy1 + margin, H - 1) + 1, max(cx0 - margin, 0):min(cx1 + margin, W - 1) + 1]
    labels = [t("fig_tile_max", lang, v=f"{float(peak[c]):.2g}") for c in top]
    tiles = figures.channel_tiles(crop.float().cpu().numpy(), top, labels=labels, tile=170, cols=8)
    return {"fm_top": tiles, "fm_top_info": t("fm_top_info", lang, k=d.k, scale=d.scale, m=margin)}
