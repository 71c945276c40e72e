"""The numba backend's compiled kernel of ``pooling.spatial_pyramid_pool`` (CPU): parallel over windows,
reading a channels-last map so that the innermost loop is a contiguous SIMD max over channels.

Imported by ``pooling.compiled_kernels`` on first use (importing numba costs ~0.5 s). The kernels are
compiled once and kept in numba's on-disk cache (``cache=True``: next to this file, or NUMBA_CACHE_DIR),
so a new process loads them instead of compiling (a few seconds). Conventions as in ``pooling``: cells
0-based inclusive, release layout ``level_offset + c*n*n + by*n + bx``, argmax the flat index y*W + x.
"""

import threading
import warnings

import numba
import numpy as np


def _jit(**options):
    """numba.njit with numba's on-disk cache (next to this file, or NUMBA_CACHE_DIR, or the
    user cache dir); if none is writable, compile once per process instead of failing."""

    def wrap(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError as err:  # "cannot cache function ...: no locator available"
            if not _NO_CACHE_WARNED:
                _NO_CACHE_WARNED.append(True)
                text = f"numba cache unavailable ({err}); sppviz compiles its kernels per process"
                warnings.warn(text, stacklevel=2)
            return numba.njit(cache=False, **options)(fn)

    return wrap


_NO_CACHE_WARNED = []
KERNEL_LOCK = threading.Lock()  # the app calls from several threads (Gradio): one kernel call at a time


@_jit(inline="always")
def _rect_max(fmap, y0, y1, x0, x1, acc):
    """acc[C] = max over cells y0..y1 x x0..x1 of fmap[y, x, :] (SIMD over channels)."""
    acc[:] = fmap[y0, x0]
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            cell = fmap[y, x]
            for ch in range(acc.shape[0]):
                v = cell[ch]
                acc[ch] = v if v > acc[ch] else acc[ch]

@_jit(inline="always")
def _rect_max_arg(fmap, y0, y1, x0, x1, acc, idx):
    """rect_max plus idx[C] = flat index y*W + x of the first (row-major) maximum."""
    w = fmap.shape[1]
    acc[:] = fmap[y0, x0]
    idx[:] = y0 * w + x0
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            cell, here = fmap[y, x], y * w + x
            for ch in range(acc.shape[0]):
                v = cell[ch]
                better = v > acc[ch]  # strict: an equal later cell never wins
                acc[ch] = v if better else acc[ch]
                idx[ch] = here if better else idx[ch]

@_jit(inline="always")
def _merge(acc, acc_i, src, src_i, want_arg):
    """acc = max(acc, src) per channel; with want_arg keep the smaller flat index on ties."""
    for ch in range(acc.shape[0]):
        v = src[ch]
        if want_arg:
            better = v > acc[ch] or (v == acc[ch] and src_i[ch] < acc_i[ch])
            acc[ch] = v if better else acc[ch]
            acc_i[ch] = src_i[ch] if better else acc_i[ch]
        else:
            acc[ch] = v if v > acc[ch] else acc[ch]

@_jit(parallel=True, fastmath=False)
def pool_kernel(fmap, r0, r1, q0, q1, plan, out, arg, want_arg, floor0):
    """For each window k (in parallel), follow the plan (rows: n, source step or -1, edge
    column, first scratch row, output offset): pool the direct levels' bins from the map,
    derive the others by a max over r x r finer bins, then write every level in release
    layout out[k, offset + c*n*n + by*n + bx]. floor0: the release's maxima start at 0
    (a negative maximum is written as 0, its argmax as -1; see pooling.release_floor)."""
    n_ch = fmap.shape[2]
    n_bins = 0
    for st in range(plan.shape[0]):
        n_bins += plan[st, 0] * plan[st, 0]
    for k in numba.prange(r0.shape[0]):
        vals = np.empty((n_bins, n_ch), fmap.dtype)  # scratch: every bin of every level
        idxs = np.empty((n_bins if want_arg else 1, n_ch), np.int64)
        for st in range(plan.shape[0]):
            n, src, e, first = plan[st, 0], plan[st, 1], plan[st, 2], plan[st, 3]
            for by in range(n):
                for bx in range(n):
                    b = first + by * n + bx
                    if src < 0:  # pool the bin's cells from the map
                        y0, y1 = r0[k, e + by], r1[k, e + by]
                        x0, x1 = q0[k, e + bx], q1[k, e + bx]
                        if want_arg:
                            _rect_max_arg(fmap, y0, y1, x0, x1, vals[b], idxs[b])
                        else:
                            _rect_max(fmap, y0, y1, x0, x1, vals[b])
                        continue
                    m, src_first = plan[src, 0], plan[src, 3]  # derive from level m
                    r = m // n
                    for i in range(r):
                        for j in range(r):
                            f = src_first + (by * r + i) * m + bx * r + j
                            if i == 0 and j == 0:
                                vals[b] = vals[f]
                                if want_arg:
                                    idxs[b] = idxs[f]
                            elif want_arg:
                                _merge(vals[b], idxs[b], vals[f], idxs[f], True)
                            else:
                                _merge(vals[b], idxs[0], vals[f], idxs[0], False)
        for st in range(plan.shape[0]):  # release layout, channel-major; contiguous writes
            n, first, offset = plan[st, 0], plan[st, 3], plan[st, 4]
            for ch in range(n_ch):
                for b in range(n * n):
                    v = vals[first + b, ch]
                    out[k, offset + ch * n * n + b] = 0 if floor0 and v < 0 else v
            if want_arg:
                for ch in range(n_ch):
                    for b in range(n * n):
                        neg = floor0 and vals[first + b, ch] < 0
                        arg[k, offset + ch * n * n + b] = -1 if neg else idxs[first + b, ch]
