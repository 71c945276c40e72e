"""The numba backend's compiled kernels of ``pooling.spatial_pyramid_pool`` (CPU), parallel over windows, reading
channels-last data so that the innermost loop is a contiguous SIMD max over channels:

- ``pool_kernel``: scans each bin's cells (values and argmax; a few windows);
- ``build_table`` + ``table_kernel``: a sparse table of the map (maxima over 2^i x 2^j blocks), each bin the max
  of at most 4 blocks, the vector transposed to the release layout with ``pooling_simd``'s block transpose and
  written once with non-temporal stores (values of many windows: 2,000 windows on a 256 x 43 x 65 map read
  ~190 MB of blocks where a scan reads ~1.5 GB of cells).

Imported by ``pooling.compiled_kernels`` on first use (importing numba costs ~0.5 s). The kernels are
compiled once and kept in numba's on-disk cache (``cache=True``: next to this file, or NUMBA_CACHE_DIR),
so a new process loads them instead of compiling (a few seconds). Conventions as in ``pooling``: cells
0-based inclusive, release layout ``level_offset + c*n*n + by*n + bx``, argmax the flat index y*W + x.
"""

import threading
import warnings

import numba
import numpy as np

from sppviz.method.pooling_simd import store_fence, stream_64, transpose_4, transpose_8


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
            return numba.njit(cache=True, **options)(fn)

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


# ------------------------------------------------------------------------------------------------
# the sparse-table kernel: every bin is the max of (at most) 4 precomputed blocks


@_jit(parallel=True)
def build_table(fmap, table):
    """Range maxima of a map, channels last: table[i, j, y, x, :] = max of fmap[:, y : y + 2^i, x : x + 2^j]
    for every (y, x) where that block fits in the map (the other rows are not written, and never read).
    fmap [C, H, W] C-contiguous; table [LI, LJ, H, W, C] of fmap's dtype. Level (0, 0) is the map transposed
    to channels last (8 x 8 blocks through ``pooling_simd``); row y of level (i, 0) the max of rows y and
    y + 2^(i-1) of level (i - 1, 0); level (i, j) the max of two blocks of level (i, j - 1) side by side, from
    the same row while it is still in the cache. Parallel over rows, one pass per i."""
    n_ch, h, w = fmap.shape
    src, dst = fmap.reshape(-1), table.reshape(-1)
    c8, w8 = n_ch - n_ch % 8, w - w % 8
    for i in range(table.shape[0]):
        s = 1 << i >> 1  # 2^(i-1)
        for y in numba.prange(max(h - (1 << i) + 1, 0)):  # the rows where a 2^i-row block fits
            d = table[i, 0, y]
            if i == 0:
                for cb in range(0, c8, 8):
                    for xb in range(0, w8, 8):  # rows: 8 channels, lanes: 8 columns
                        transpose_8(src, cb * h * w + y * w + xb, h * w, dst, (y * w + xb) * n_ch + cb, n_ch)
                for x in range(w):
                    for ch in range(0 if x >= w8 else c8, n_ch):
                        d[x, ch] = fmap[ch, y, x]
            else:
                a, b = table[i - 1, 0, y], table[i - 1, 0, y + s]
                for x in range(w):
                    for ch in range(n_ch):
                        va, vb = a[x, ch], b[x, ch]
                        d[x, ch] = va if va > vb else vb
            for j in range(1, table.shape[1]):
                a, d, sj = table[i, j - 1, y], table[i, j, y], 1 << (j - 1)
                for x in range(max(w - (1 << j) + 1, 0)):
                    for ch in range(n_ch):
                        va, vb = a[x, ch], a[x + sj, ch]
                        d[x, ch] = va if va > vb else vb


@_jit(inline="always")
def _floor_log2(v):
    r = 0
    while v > 1:
        v >>= 1
        r += 1
    return r


@_jit(inline="always")
def _table_max(t, ya, ylast, sy, xa, xlast, sx, acc):
    """acc[C] = max of the blocks of t [H, W, C] (one level of the table: blocks sy x sx) that start at rows
    ya, ya + sy, ... and ylast, columns xa, xa + sx, ... and xlast: together they cover rows ya .. ylast + sy - 1
    and columns xa .. xlast + sx - 1. Two starts per axis (4 blocks) when the block is at least half the bin."""
    if ylast - ya <= sy and xlast - xa <= sx:  # the usual case: 4 blocks, 2 or 1 where they coincide
        if ya == ylast and xa == xlast:  # a bin of 2^i x 2^j cells: one block
            acc[:] = t[ya, xa]
        elif ya == ylast or xa == xlast:
            p, q = t[ya, xa], t[ylast, xlast]
            for ch in range(acc.shape[0]):
                a, b = p[ch], q[ch]
                acc[ch] = a if a > b else b
        else:
            p, q, r, s = t[ya, xa], t[ya, xlast], t[ylast, xa], t[ylast, xlast]
            for ch in range(acc.shape[0]):
                a, b, c, d = p[ch], q[ch], r[ch], s[ch]
                ab = a if a > b else b
                cd = c if c > d else d
                acc[ch] = ab if ab > cd else cd
        return
    acc[:] = t[ya, xa]
    y = ya
    while True:  # a table capped below the bin's size: more blocks per axis
        yy = y if y < ylast else ylast
        x = xa
        while True:
            xx = x if x < xlast else xlast
            cell = t[yy, xx]
            for ch in range(acc.shape[0]):
                v = cell[ch]
                acc[ch] = v if v > acc[ch] else acc[ch]
            if xx == xlast:
                break
            x += sx
        if yy == ylast:
            break
        y += sy


@_jit(inline="always")
def _write_level(flat, first, nn, n_ch, o, offset):
    """o[offset + c*nn + b] = flat[(first + b)*n_ch + c] for b < nn, c < n_ch: one level's bins from the
    scratch (channels last) into the release layout (channel-major), 8 x 8 (or 4 x 8) blocks at a time through
    ``pooling_simd``; a last block overlaps the one before it (same values written twice), the channels past
    a multiple of 8 and levels of fewer than 4 bins element by element."""
    blocks = n_ch - n_ch % 8 if nn >= 4 else 0
    for cb in range(0, blocks, 8):
        if nn >= 8:
            bb = 0
            while bb + 8 <= nn:
                transpose_8(flat, (first + bb) * n_ch + cb, n_ch, o, offset + cb * nn + bb, nn)
                bb += 8
            if bb < nn:
                transpose_8(flat, (first + nn - 8) * n_ch + cb, n_ch, o, offset + cb * nn + nn - 8, nn)
        else:
            transpose_4(flat, first * n_ch + cb, n_ch, o, offset + cb * nn, nn)
            if nn > 4:
                transpose_4(flat, (first + nn - 4) * n_ch + cb, n_ch, o, offset + cb * nn + nn - 4, nn)
    for ch in range(blocks, n_ch):
        for b in range(nn):
            o[offset + ch * nn + b] = flat[(first + b) * n_ch + ch]


@_jit(inline="always")
def _stream_row(tile, o):
    """o[:] = tile[:] (1-D, same length and dtype): element by element up to o's first 64-byte boundary, then
    64 bytes at a time with non-temporal stores (``pooling_simd.stream_64``: 2,000 rows of 51 kB in 2.8 ms
    where plain stores took 5.4 ms, 2 threads), the rest element by element; then a fence."""
    n, size = o.shape[0], o.itemsize
    addr = o.ctypes.data
    head = n if addr % size else min(n, ((64 - addr % 64) % 64) // size)  # elements before a 64-byte boundary
    for p in range(head):
        o[p] = tile[p]
    per = 64 // size
    p = head
    while p + per <= n:
        stream_64(tile, p, o, p)
        p += per
    for q in range(p, n):
        o[q] = tile[q]
    store_fence()


@_jit(parallel=True, fastmath=False)
def table_kernel(table, r0, r1, q0, q1, plan, out, floor0):
    """pool_kernel's values (no argmax) from a sparse table (``build_table`` of the map): each direct bin is the
    max of the table's blocks of level (floor(log2 height), floor(log2 width)), capped at the table's levels
    (``_table_max``: 4 lookups of C contiguous values for an uncapped table), the derived levels and the
    release floor as in pool_kernel, then each level written into out[k] (release layout) with the SIMD block
    transpose (``_write_level``). table [LI, LJ, H, W, C]; r0, r1, q0, q1, plan, out, floor0 as in pool_kernel."""
    n_ch, li, lj = table.shape[4], table.shape[0], table.shape[1]
    n_bins = 0
    for st in range(plan.shape[0]):
        n_bins += plan[st, 0] * plan[st, 0]
    for k in numba.prange(r0.shape[0]):
        flat = np.empty(n_bins * n_ch, table.dtype)  # scratch: every bin of every level, channels last
        vals = flat.reshape((n_bins, n_ch))
        for st in range(plan.shape[0]):
            n, src, e, first = plan[st, 0], plan[st, 1], plan[st, 2], plan[st, 3]
            for by in range(n):
                for bx in range(n):
                    b = first + by * n + bx
                    if src < 0:
                        ya, yb, xa, xb = r0[k, e + by], r1[k, e + by], q0[k, e + bx], q1[k, e + bx]
                        i = min(_floor_log2(yb - ya + 1), li - 1)
                        j = min(_floor_log2(xb - xa + 1), lj - 1)
                        _table_max(table[i, j], ya, yb - (1 << i) + 1, 1 << i, xa, xb - (1 << j) + 1, 1 << j,
                                   vals[b])
                        continue
                    m, src_first = plan[src, 0], plan[src, 3]  # derive from level m
                    r = m // n
                    acc = vals[b]
                    acc[:] = vals[src_first + by * r * m + bx * r]
                    for i in range(r):
                        for j in range(1 if i == 0 else 0, r):
                            f = vals[src_first + (by * r + i) * m + bx * r + j]
                            for ch in range(n_ch):
                                v = f[ch]
                                acc[ch] = v if v > acc[ch] else acc[ch]
        if floor0:
            for t in range(flat.shape[0]):
                if flat[t] < 0:
                    flat[t] = 0
        tile = np.empty(out.shape[1], out.dtype)  # the window's vector, written once to out[k]
        for st in range(plan.shape[0]):
            _write_level(flat, plan[st, 3], plan[st, 0] * plan[st, 0], n_ch, tile, plan[st, 4])
        _stream_row(tile, out[k])
