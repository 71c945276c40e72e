"""The numba backend's compiled kernels of ``pooling.spatial_pyramid_pool`` (CPU), parallel over windows, reading
channels-last data so that the innermost loop is a contiguous SIMD max over channels:

- ``pool_kernel``: scans each bin's cells (values and argmax; a few windows);
- ``block_starts`` + ``table_kernel``: values of many windows from sparse tables of the map (maxima over 2^i x 2^j
  blocks), TILE (16) channels at a time: each worker builds one channel tile's table in its own memory (2.9 MB for
  a 256 x 43 x 65 map, where the whole map's table was 46 MB) and pools every window's bins for those channels
  while the table is still in its cache, each bin the max of at most 4 blocks in one vector operation
  (``pooling_simd``'s tile operations); the tile's part of each window's vector is transposed to the release
  layout with ``pooling_simd``'s block transpose and written with non-temporal stores. 2,000 windows on that map
  read ~290 MB of blocks where a scan reads ~1.5 GB of cells.

Imported by ``pooling.compiled_kernels`` on first use (importing numba costs ~0.5 s). The kernels are
compiled once and kept in numba's on-disk cache (``cache=True``: next to this file, or NUMBA_CACHE_DIR),
so a new process loads them instead of compiling (a few seconds). Conventions as in ``pooling``: cells
0-based inclusive, release layout ``level_offset + c*n*n + by*n + bx``, argmax the flat index y*W + x.
"""

import threading
import warnings

import numba
import numpy as np

from sppviz.method.pooling_simd import (
    TILE,
    copy_tile,
    fold4_tile,
    fold_into4_tile,
    max2_tile,
    max4_tile,
    max_into_tile,
    store_fence,
    stream_64,
    transpose_4,
    transpose_8,
)


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
# the sparse-table kernel: every bin is the max of (at most) 4 precomputed blocks, TILE channels at a time


@_jit(inline="always")
def _floor_log2(v):
    r = 0
    while v > 1:
        v >>= 1
        r += 1
    return r


@_jit(parallel=True)
def block_starts(r0, r1, q0, q1, plan, li, lj, h, w, starts):
    """For each direct bin b (scratch row, see table_kernel) of each window k: the 4 blocks whose max it is,
    starts[k, b, :] = flat offsets (in elements, TILE per cell) into one tile's table [li, lj, h, w, TILE] of the
    blocks of level (i, j) = (floor(log2 height), floor(log2 width)) at (top, left), (top, right), (bottom, left),
    (bottom, right): together they cover the bin's rows and columns (they coincide where the bin's side is a
    power of two). Only for an uncapped table: i < li and j < lj for every bin. Rows of derived levels are not
    written. Parallel over windows."""
    for k in numba.prange(r0.shape[0]):
        for st in range(plan.shape[0]):
            n, src, e, first = plan[st, 0], plan[st, 1], plan[st, 2], plan[st, 3]
            if src >= 0:
                continue
            for by in range(n):
                ya, yb = r0[k, e + by], r1[k, e + by]
                i = _floor_log2(yb - ya + 1)
                top, bottom = ya * w, (yb - (1 << i) + 1) * w
                for bx in range(n):
                    xa, xb = q0[k, e + bx], q1[k, e + bx]
                    j = _floor_log2(xb - xa + 1)
                    left, right, base = xa, xb - (1 << j) + 1, (i * lj + j) * h * w
                    row = starts[k, first + by * n + bx]
                    row[0] = (base + top + left) * TILE
                    row[1] = (base + top + right) * TILE
                    row[2] = (base + bottom + left) * TILE
                    row[3] = (base + bottom + right) * TILE


@_jit(inline="always")
def _build_tile(fmap, c0, n_valid, tab):
    """One tile's range maxima: tab[i, j, y, x, l] = max of fmap[c0 + l, y : y + 2^i, x : x + 2^j] for l < n_valid
    and every (y, x) where that block fits in the map (the other rows, and lanes l >= n_valid, are not written;
    never read into the output). fmap [C, H, W] C-contiguous; tab [LI, LJ, H, W, TILE]. Level (0, 0) is the
    tile's channels transposed to channels last (8 x 8 blocks through ``pooling_simd``); row y of level (i, 0)
    the max of rows y and y + 2^(i-1) of level (i - 1, 0); level (i, j) the max of two blocks of level
    (i, j - 1) side by side, from the same row while it is still in the cache."""
    _, h, w = fmap.shape
    li, lj = tab.shape[0], tab.shape[1]
    src, dst = fmap.reshape(-1), tab.reshape(-1)
    c8, w8 = n_valid - n_valid % 8, w - w % 8
    for i in range(li):
        s = 1 << i >> 1  # 2^(i-1)
        for y in range(max(h - (1 << i) + 1, 0)):  # the rows where a 2^i-row block fits
            here = (i * lj * h + y) * w  # cell (y, 0) of level (i, 0)
            if i == 0:
                for cb in range(0, c8, 8):
                    for xb in range(0, w8, 8):  # rows: 8 channels, lanes: 8 columns
                        transpose_8(src, (c0 + cb) * h * w + y * w + xb, h * w, dst, (here + xb) * TILE + cb, TILE)
                for x in range(w):
                    for lane in range(0 if x >= w8 else c8, n_valid):
                        dst[(here + x) * TILE + lane] = fmap[c0 + lane, y, x]
            else:
                upper, lower = ((i - 1) * lj * h + y) * w, ((i - 1) * lj * h + y + s) * w
                for x in range(w):
                    max2_tile(dst, (upper + x) * TILE, (lower + x) * TILE, dst, (here + x) * TILE)
            for j in range(1, lj):
                narrow, wide, sj = ((i * lj + j - 1) * h + y) * w, ((i * lj + j) * h + y) * w, 1 << (j - 1)
                for x in range(max(w - (1 << j) + 1, 0)):
                    max2_tile(dst, (narrow + x) * TILE, (narrow + x + sj) * TILE, dst, (wide + x) * TILE)


@_jit(inline="always")
def _blocks_max(tf, base, w, ya, ylast, sy, xa, xlast, sx, flat, o):
    """flat[o : o + TILE] = max of the blocks of one tile's level (``tf`` flat, its level starting at cell
    ``base``, blocks sy x sx) that start at rows ya, ya + sy, ... and ylast, columns xa, xa + sx, ... and xlast:
    together they cover rows ya .. ylast + sy - 1 and columns xa .. xlast + sx - 1. For a table capped below the
    bin's size (more than 2 starts per axis); the blocks in the order of the scalar kernel."""
    copy_tile(tf, (base + ya * w + xa) * TILE, flat, o)
    y = ya
    while True:
        yy = y if y < ylast else ylast
        x = xa
        while True:
            xx = x if x < xlast else xlast
            max_into_tile(tf, (base + yy * w + xx) * TILE, flat, o)
            if xx == xlast:
                break
            x += sx
        if yy == ylast:
            break
        y += sy


@_jit(inline="always")
def _derive_bin(flat, corner, rel, count, o):
    """flat[o : o + TILE] = the running max of ``count`` (at least 4: r x r, r >= 2) bins of a finer level at
    scratch rows corner + rel[q], in the order of q (the first, then ``x if x > v else v`` for the others: how
    pool_kernel derives a bin), 4 bins per load and store of the destination (``fold4_tile``,
    ``fold_into4_tile``): a bin of r x r finer bins in one operation for r = 2 and three for r = 3, where a bin
    at a time took 4 and 9."""
    fold4_tile(flat, (corner + rel[0]) * TILE, (corner + rel[1]) * TILE, (corner + rel[2]) * TILE,
               (corner + rel[3]) * TILE, flat, o)
    q = 4
    while q + 4 <= count:
        fold_into4_tile(flat, (corner + rel[q]) * TILE, (corner + rel[q + 1]) * TILE, (corner + rel[q + 2]) * TILE,
                        (corner + rel[q + 3]) * TILE, flat, o)
        q += 4
    while q < count:
        max_into_tile(flat, (corner + rel[q]) * TILE, flat, o)
        q += 1


@_jit(inline="always")
def _write_level(flat, first, nn, n_ch, o):
    """o[c*nn + b] = flat[(first + b)*TILE + c] for b < nn, c < n_ch: one level's bins of one tile from the scratch
    (channels last, TILE per bin) into the release layout (channel-major), 8 x 8 (or 4 x 8) blocks at a time
    through ``pooling_simd``; a last block overlaps the one before it (same values written twice), the channels
    past a multiple of 8 and levels of fewer than 4 bins element by element."""
    blocks = n_ch - n_ch % 8 if nn >= 4 else 0
    for cb in range(0, blocks, 8):
        if nn >= 8:
            bb = 0
            while bb + 8 <= nn:
                transpose_8(flat, (first + bb) * TILE + cb, TILE, o, cb * nn + bb, nn)
                bb += 8
            if bb < nn:
                transpose_8(flat, (first + nn - 8) * TILE + cb, TILE, o, cb * nn + nn - 8, nn)
        else:
            transpose_4(flat, first * TILE + cb, TILE, o, cb * nn, nn)
            if nn > 4:
                transpose_4(flat, (first + nn - 4) * TILE + cb, TILE, o, cb * nn + nn - 4, nn)
    for ch in range(blocks, n_ch):
        for b in range(nn):
            o[ch * nn + b] = flat[(first + b) * TILE + ch]


@_jit(inline="always")
def _stream(part, o):
    """o[:] = part[: len(o)] (1-D, same dtype): element by element up to o's first 64-byte boundary, then 64 bytes
    at a time with non-temporal stores (``pooling_simd.stream_64``: the line goes to memory without being read
    first; 2,000 rows of 51 kB in 2.8 ms where plain stores took 5.4 ms, 2 threads), the rest element by element.
    The caller fences (``store_fence``) before other threads read ``o``."""
    n, shift = o.shape[0], 2 if o.itemsize == 4 else 3  # float32 or float64: shifts, not divisions by a variable
    addr, size = o.ctypes.data, 1 << shift
    head = n if addr & (size - 1) else min(n, ((64 - (addr & 63)) & 63) >> shift)  # elements before a 64-byte line
    for p in range(head):
        o[p] = part[p]
    per = 64 >> shift
    p = head
    while p + per <= n:
        stream_64(part, p, o, p)
        p += per
    for q in range(p, n):
        o[q] = part[q]


@_jit(parallel=True, fastmath=False)
def table_kernel(fmap, tables, starts, r0, r1, q0, q1, plan, out, floor0, capped):
    """pool_kernel's values (no argmax) from sparse tables of the map, TILE channels at a time: worker wk (in
    parallel) takes the channel tiles wk, wk + n_workers, ...; for each it builds the tile's table in its own
    tables[wk] (``_build_tile``: small enough to stay in the core's cache while it is read), then pools every
    window's bins for those channels: a direct bin is the max of its 4 blocks (``starts``, from
    ``block_starts``; 2 or 1 where they coincide, the same value with fewer reads; with ``capped``, a table
    with fewer levels than the bins need, the blocks are found per bin: ``_blocks_max``), derived levels and
    the release floor as in pool_kernel, and each level's channels of the tile (contiguous in the release
    layout: offset + c*n*n + b) are transposed into a small buffer and streamed into out[k]. fmap [C, H, W]
    C-contiguous; tables [n_workers, LI, LJ, H, W, TILE] of fmap's dtype; starts [K, n_bins, 4] int32 (unused
    when capped); r0, r1, q0, q1, plan, out, floor0 as in pool_kernel."""
    n_ch, h, w = fmap.shape
    n_workers, li, lj = tables.shape[0], tables.shape[1], tables.shape[2]
    n_tiles = (n_ch + TILE - 1) // TILE
    n_bins = most = 0
    for st in range(plan.shape[0]):
        n_bins += plan[st, 0] * plan[st, 0]
        most = max(most, plan[st, 0] * plan[st, 0])
    rel = np.zeros((plan.shape[0], most), np.int64)  # per derived level: a bin's r x r finer bins, row-major,
    for st in range(plan.shape[0]):  # as scratch rows relative to its top left one (once, not per window)
        if plan[st, 1] >= 0:
            m = plan[plan[st, 1], 0]
            r = m // plan[st, 0]
            for q in range(r * r):
                rel[st, q] = (q // r) * m + q % r
    for wk in numba.prange(n_workers):
        tab = tables[wk]
        tf = tab.reshape(-1)
        flat = np.empty(n_bins * TILE, tables.dtype)  # scratch: every bin of every level, TILE channels each
        part = np.empty(most * TILE, out.dtype)  # one level of one tile in the release layout
        for t in range(wk, n_tiles, n_workers):
            c0 = t * TILE
            n_valid = min(TILE, n_ch - c0)
            _build_tile(fmap, c0, n_valid, tab)
            for k in range(r0.shape[0]):
                for st in range(plan.shape[0]):
                    n, src, e, first = plan[st, 0], plan[st, 1], plan[st, 2], plan[st, 3]
                    if src < 0 and not capped:
                        for b in range(first, first + n * n):
                            row = starts[k, b]
                            if row[0] != row[2] and row[0] != row[1]:  # 4 blocks
                                max4_tile(tf, row[0], row[1], row[2], row[3], flat, b * TILE)
                            elif row[0] != row[1]:  # one row of blocks (the bin's height a power of two)
                                max2_tile(tf, row[0], row[1], flat, b * TILE)
                            elif row[0] != row[2]:  # one column of blocks
                                max2_tile(tf, row[0], row[2], flat, b * TILE)
                            else:  # one block: a bin of 2^i x 2^j cells
                                copy_tile(tf, row[0], flat, b * TILE)
                        continue
                    if src < 0:
                        for by in range(n):
                            ya, yb = r0[k, e + by], r1[k, e + by]
                            i = min(_floor_log2(yb - ya + 1), li - 1)
                            for bx in range(n):
                                xa, xb = q0[k, e + bx], q1[k, e + bx]
                                j = min(_floor_log2(xb - xa + 1), lj - 1)
                                _blocks_max(tf, (i * lj + j) * h * w, w, ya, yb - (1 << i) + 1, 1 << i,
                                            xa, xb - (1 << j) + 1, 1 << j, flat, (first + by * n + bx) * TILE)
                        continue
                    m, src_first = plan[src, 0], plan[src, 3]  # derive from level m
                    r = m // n
                    for by in range(n):
                        for bx in range(n):
                            _derive_bin(flat, src_first + by * r * m + bx * r, rel[st], r * r,
                                        (first + by * n + bx) * TILE)
                if floor0:
                    for e in range(flat.shape[0]):
                        flat[e] = 0 if flat[e] < 0 else flat[e]
                for st in range(plan.shape[0]):
                    nn, first, start = plan[st, 0] * plan[st, 0], plan[st, 3], plan[st, 4] + c0 * plan[st, 0] ** 2
                    _write_level(flat, first, nn, n_valid, part)
                    _stream(part, out[k, start:start + nn * n_valid])
        store_fence()
