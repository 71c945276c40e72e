"""The authors' release (ShaoqingRen/SPP_net) re-typed from its MATLAB and C++ lines, for parity tests.

Written from the release's files, quoted in each docstring below, and from nothing else: this module
does NOT import sppviz (numpy, and numba to run the MEX loop at C speed when it is installed).
Everything is in the release's own conventions:

- pixels and cells are 1-based (MATLAB); boxes are rows (l, t, r, b) = (x1, y1, x2, y2) inclusive;
- a conv5 map is what the MEX receives after ``utils/spm_pool/spm_pool.m`` permutes it to
  (channel, width, height), channel fastest: a C-ordered float32 array [height, width, channel];
- floating point as the release has it: MATLAB doubles in the .m files, C++ ``float`` (IEEE binary32,
  one rounding per operation, SSE arithmetic) for the MEX's bin edges, emulated with numpy.float32
  scalars in the same operation order.

The MEX's ``[offset0, offset, min_times]`` come from the model's ``spp_config.m``
(``data/cnn_model/Zeiler_conv5/spp_config.m``), which the repository does not contain
(``data/fetch_model_data.m`` downloads it); callers pass them.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except Exception:  # ImportError, or a numba that does not match numpy
    numba = None

SZ_CONV_STANDARD = 13  # spp_config: conv5 cells of a 224-px input (spm_expected_scale.m's sz_conv_standard)
STEP_STANDARD = 16     # spp_config: the ZF-5 conv5 stride (spm_expected_scale.m's step_standard, the MEX's min_times)


def matlab_round(v: np.ndarray) -> np.ndarray:
    """MATLAB ``round``: nearest integer, halves away from zero (computed exactly: v - floor(v) is exact)."""
    v = np.asarray(v, dtype=np.float64)
    a = np.abs(v)
    r = np.floor(a)
    r = r + (a - r >= 0.5)
    return np.where(v < 0, -r, r)


def expected_scale(min_img_sz: int, boxes: np.ndarray) -> np.ndarray:
    """``utils/spm_pool/spm_expected_scale.m``::

        area = (boxes(:, 3) - boxes(:, 1) + 1) .* (boxes(:, 4) - boxes(:, 2) + 1);
        expected_scale = spm_params.sz_conv_standard * spm_params.step_standard * min_img_sz ./ sqrt(area);
        expected_scale = round(expected_scale(:));
    """
    b = np.asarray(boxes, dtype=np.float64)
    area = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return matlab_round(SZ_CONV_STANDARD * STEP_STANDARD * min_img_sz / np.sqrt(area))


def best_scale_ids(scales: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``spp_features_convX_to_poolX.m`` (1-based ids; MATLAB's ``min`` returns the first minimum)::

        [~, best_scale_ids] = min(abs(bsxfun(@minus, feat.scale, expected_scale(:))), [], 2);
    """
    d = np.abs(np.asarray(scales, dtype=np.float64)[None, :] - np.asarray(expected, dtype=np.float64)[:, None])
    return d.argmin(axis=1) + 1


def scale_boxes(boxes: np.ndarray, boxes_scales: np.ndarray, min_img_sz: int) -> np.ndarray:
    """``spp_features_convX_to_poolX.m``, 1-based boxes in, 1-based scaled boxes out (float64)::

        boxes_scales = feat.scale(best_scale_ids(:));
        scaled_boxes = bsxfun(@times, (boxes - 1), (boxes_scales(:) - 1)) / (min_img_sz - 1) + 1;
    """
    b = np.asarray(boxes, dtype=np.float64)
    s = np.asarray(boxes_scales, dtype=np.float64)[:, None]
    return (b - 1) * (s - 1) / (min_img_sz - 1) + 1


def normalize_boxes(scaled_boxes: np.ndarray, feat_ids: np.ndarray, widths: np.ndarray, heights: np.ndarray,
                    offset0: float, offset: float, min_times: float) -> np.ndarray:
    """The MEX's "normalize box" loop, ``utils/spm_pool/spm_pool_caffe_mex.cpp``; int [K, 4] box_norm =
    (top, left, bottom, right), 1-based cells of the map ``feat_ids`` (1-based) with size widths / heights::

        int x0_norm = int(floor((x0 - offset0 + offset) / min_times + 0.5) + 1);
        int y0_norm = int(floor((y0 - offset0 + offset) / min_times + 0.5) + 1);
        int x1_norm = int(ceil((x1 - offset0 - offset) / min_times - 0.5) + 1);
        int y1_norm = int(ceil((y1 - offset0 - offset) / min_times - 0.5) + 1);
        if (x0_norm > x1_norm) { x0_norm = (x0_norm + x1_norm) / 2; x1_norm = x0_norm; }
        if (y0_norm > y1_norm) { y0_norm = (y0_norm + y1_norm) / 2; y1_norm = y0_norm; }
        box_norm[0] = std::min(rsp_heights[best_feat], std::max(1, y0_norm)); // top
        box_norm[2] = std::min(rsp_heights[best_feat], std::max(1, y1_norm)); // bottom
        box_norm[1] = std::min(rsp_widths[best_feat], std::max(1, x0_norm)); // left
        box_norm[3] = std::min(rsp_widths[best_feat], std::max(1, x1_norm)); //right

    (``(a + b) / 2`` is C's integer division, which truncates toward zero.)"""
    b = np.asarray(scaled_boxes, dtype=np.float64)
    x0n = (np.floor((b[:, 0] - offset0 + offset) / min_times + 0.5) + 1).astype(np.int64)
    y0n = (np.floor((b[:, 1] - offset0 + offset) / min_times + 0.5) + 1).astype(np.int64)
    x1n = (np.ceil((b[:, 2] - offset0 - offset) / min_times - 0.5) + 1).astype(np.int64)
    y1n = (np.ceil((b[:, 3] - offset0 - offset) / min_times - 0.5) + 1).astype(np.int64)

    def c_half(s: np.ndarray) -> np.ndarray:  # C int division by 2: truncation toward zero
        return np.where(s >= 0, s // 2, -((-s) // 2))

    xm, ym = c_half(x0n + x1n), c_half(y0n + y1n)
    x0n, x1n = np.where(x0n > x1n, xm, x0n), np.where(x0n > x1n, xm, x1n)
    y0n, y1n = np.where(y0n > y1n, ym, y0n), np.where(y0n > y1n, ym, y1n)
    ids = np.asarray(feat_ids) - 1
    hs, ws = np.asarray(heights)[ids], np.asarray(widths)[ids]
    return np.stack([np.minimum(hs, np.maximum(1, y0n)), np.minimum(ws, np.maximum(1, x0n)),
                     np.minimum(hs, np.maximum(1, y1n)), np.minimum(ws, np.maximum(1, x1n))], axis=1)


def bin_edges_float32(boxwidth: int, bin_divs: int) -> list[tuple[int, int]]:
    """One axis of the MEX's bins, relative to the box's first cell, 0-based, END EXCLUSIVE (the MEX loops
    ``for (int x = x_start; x < x_end; x ++)``)::

        const float bin_divs = (float)spm_bin_divs[lv];
        int x_start = (int)floor(xx / bin_divs * boxwidth) + box_norm[1] - 1;
        int x_end = (int)ceil((xx + 1) / bin_divs * boxwidth) + box_norm[1] - 1;

    ``xx`` and ``boxwidth`` are ints, so each of ``/`` and ``*`` is a float operation: one binary32 rounding."""
    n32, w32 = np.float32(bin_divs), np.float32(boxwidth)
    out = []
    for xx in range(bin_divs):
        start = int(math.floor(np.float32(np.float32(xx) / n32) * w32))
        end = int(math.ceil(np.float32(np.float32(xx + 1) / n32) * w32))
        out.append((start, end))
    return out


def _mex_pool_loop(feats: np.ndarray, map_index: np.ndarray, heights: np.ndarray, widths: np.ndarray,
                   divs: np.ndarray, box_norm: np.ndarray, feat_ids: np.ndarray, pooled: np.ndarray) -> None:
    """The MEX's pooling loop, statement by statement (``utils/spm_pool/spm_pool_caffe_mex.cpp``); all maps
    concatenated in ``feats`` (float32, flat), map m starting at ``map_index[m]`` laid out [height, width, dim]::

        memset((void*)pooled_cache, 0, sizeof(float) * dim_pooled);
        const int boxwidth = box_norm[3] - box_norm[1] + 1;
        const int boxheight = box_norm[2] - box_norm[0] + 1;
        for (int lv = 0; lv < max_level; lv ++) {
            const float bin_divs = (float)spm_bin_divs[lv];
            for (int yy = 0; yy < bin_divs; yy ++) {
                int y_start = (int)floor(yy / bin_divs * boxheight) + box_norm[0] - 1;
                int y_end = (int)ceil((yy + 1) / bin_divs * boxheight) + box_norm[0] - 1;
                for (int xx = 0; xx < bin_divs; xx ++) {
                    int x_start = (int)floor(xx / bin_divs * boxwidth) + box_norm[1] - 1;
                    int x_end = (int)ceil((xx + 1) / bin_divs * boxwidth) + box_norm[1] - 1;
                    const float* feats_ptr = feats[best_feat] + y_start * feats_stride;
                    for (int y = y_start; y < y_end; y ++) {
                        ... for (int x = x_start; x < x_end; x ++) for (int d = 0; d < dim_pack; d ++)
                                pooled_this_div_sse[d] = _mm_max_ps(pooled_this_div_sse[d], *feats_this_sse ++);
                        feats_ptr += feats_stride; }
                    pooled_this_div_cache += dim; } } }
        // trans from ([channel, width, height], num) to ([width, height, channel], num)
        pooled_this_div[(d * bin_divs * bin_divs + ii)] = pooled_this_div_cache[d];

    ``_mm_max_ps(a, b)`` is ``a > b ? a : b`` per lane. ``pooled`` [num_boxes, dim_pooled] is filled in place."""
    dim = pooled.shape[1] // int((divs * divs).sum())
    cache = np.zeros(pooled.shape[1], dtype=np.float32)
    for i in range(box_norm.shape[0]):
        m = feat_ids[i] - 1
        base, width = map_index[m], widths[m]
        feats_stride = width * dim
        cache[:] = 0  # memset
        top, left, bottom, right = box_norm[i, 0], box_norm[i, 1], box_norm[i, 2], box_norm[i, 3]
        boxwidth = right - left + 1
        boxheight = bottom - top + 1
        w32, h32 = np.float32(boxwidth), np.float32(boxheight)
        p = 0  # pooled_this_div_cache - pooled_cache
        for lv in range(divs.shape[0]):
            n = divs[lv]
            bin_divs = np.float32(n)
            for yy in range(n):
                y_start = int(math.floor(np.float32(np.float32(yy) / bin_divs) * h32)) + top - 1
                y_end = int(math.ceil(np.float32(np.float32(yy + 1) / bin_divs) * h32)) + top - 1
                for xx in range(n):
                    x_start = int(math.floor(np.float32(np.float32(xx) / bin_divs) * w32)) + left - 1
                    x_end = int(math.ceil(np.float32(np.float32(xx + 1) / bin_divs) * w32)) + left - 1
                    for y in range(y_start, y_end):
                        row = base + y * feats_stride
                        for x in range(x_start, x_end):
                            cell = row + x * dim
                            for d in range(dim):
                                a, b = cache[p + d], feats[cell + d]
                                cache[p + d] = a if a > b else b
                    p += dim
        q, c = 0, 0  # pooled_this_div - pooled_this_box, pooled_this_div_cache - pooled_cache
        for lv in range(divs.shape[0]):
            n = divs[lv]
            for ii in range(n * n):
                for d in range(dim):
                    pooled[i, q + d * n * n + ii] = cache[c + d]
                c += dim
            q += n * n * dim


if numba is not None:
    try:
        _mex_pool_jit = numba.njit(cache=True)(_mex_pool_loop)
    except RuntimeError:  # no writable cache location
        _mex_pool_jit = numba.njit(cache=False)(_mex_pool_loop)
else:
    _mex_pool_jit = None


def spm_pool(feats: list[np.ndarray], spm_divs: list[int], box_norm: np.ndarray, feat_ids: np.ndarray,
             jit: bool = True) -> np.ndarray:
    """The MEX's output for normalised boxes: float32 [num_boxes, dim · Σ n²] (the release returns its
    transpose, one column per box). ``feats``: per scale a float32 map [height, width, dim]
    (``spm_pool.m``: ``permute(x, [3, 2, 1])`` of MATLAB's (height, width, channel), channel fastest).
    The MEX requires ``dim % 4 == 0`` (SSE packs of 4 channels). ``jit=False`` runs the same loop in Python."""
    dims = {f.shape[2] for f in feats}
    if len(dims) != 1:
        raise ValueError("currently only support feats with the same dim.")  # the MEX's own message
    dim = dims.pop()
    if dim % 4 != 0:
        raise ValueError("spm pool mex: only support channel % 4 == 0")
    divs = np.asarray(spm_divs, dtype=np.int64)
    flat = np.concatenate([np.ascontiguousarray(f, dtype=np.float32).reshape(-1) for f in feats])
    sizes = np.array([f.size for f in feats], dtype=np.int64)
    map_index = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    heights = np.array([f.shape[0] for f in feats], dtype=np.int64)
    widths = np.array([f.shape[1] for f in feats], dtype=np.int64)
    pooled = np.zeros((len(box_norm), int((divs * divs).sum()) * dim), dtype=np.float32)
    run = _mex_pool_jit if (jit and _mex_pool_jit is not None) else _mex_pool_loop
    run(flat, map_index, heights, widths, divs, np.ascontiguousarray(box_norm, dtype=np.int64),
        np.asarray(feat_ids, dtype=np.int64), pooled)
    return pooled


def features_convx_to_poolx(feats: list[np.ndarray], scales: list[int], im_wh: tuple[int, int], boxes: np.ndarray,
                            spm_divs: list[int], offset0: float, offset: float,
                            min_times: float = STEP_STANDARD) -> dict[str, np.ndarray]:
    """``spp_features_convX_to_poolX.m`` (random_scale and dedup off) then ``spm_pool.m`` / the MEX, for one
    image of size ``im_wh`` = (width, height) with its conv5 maps ``feats`` at ``scales``; ``boxes`` [K, 4]
    1-based (l, t, r, b). Returns every intermediate: expected_scale, best_scale_ids (1-based), scaled_boxes
    (1-based, float64), box_norm (top, left, bottom, right; 1-based cells) and pooled (float32 [K, D])::

        min_img_sz = min(feat.im_height, feat.im_width);
        expected_scale = spp_pooler.expected_scale(min_img_sz, boxes, spp_pooler);
        [~, best_scale_ids] = min(abs(bsxfun(@minus, feat.scale, expected_scale(:))), [], 2);
        boxes_scales = feat.scale(best_scale_ids(:));
        scaled_boxes = bsxfun(@times, (boxes - 1), (boxes_scales(:) - 1)) / (min_img_sz - 1) + 1;
        feat = spm_pool(feat.rsp, spp_pooler.spm_divs, scaled_boxes', best_scale_ids, ...
            spp_pooler.offset0, spp_pooler.offset, spp_pooler.step_standard);
    """
    min_img_sz = min(im_wh)
    exp = expected_scale(min_img_sz, boxes)
    ids = best_scale_ids(np.asarray(scales), exp)
    scaled = scale_boxes(boxes, np.asarray(scales)[ids - 1], min_img_sz)
    widths = np.array([f.shape[1] for f in feats])
    heights = np.array([f.shape[0] for f in feats])
    box_norm = normalize_boxes(scaled, ids, widths, heights, offset0, offset, min_times)
    pooled = spm_pool(feats, spm_divs, box_norm, ids)
    return {"expected_scale": exp, "best_scale_ids": ids, "scaled_boxes": scaled, "box_norm": box_norm,
            "pooled": pooled}
