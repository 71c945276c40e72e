"""The spatial pyramid pooling (SPP) layer: bins, the fast pooling of many windows, and the
nn.Module used for training.

SPP (He et al. 2014, paper §2.3) max-pools each channel of a window of conv5 cells into
n x n bins for every pyramid level n and concatenates the results, so any window size gives
a vector of fixed length C * sum(n^2) (12,800 for C = 256 and the detection levels {1,2,3,6}).

Conventions (docs/conventions.md):
- feature maps are [C, H, W] (one image) or [B, C, H, W];
- cells are conv5 indices, 0-based and INCLUSIVE: (cx0, cy0, cx1, cy1), x = column, y = row;
- output layout is the release's: for each level in the given order, channel-major, then bin
  row-major: index = level_offset + c*n*n + by*n + bx;
- argmax is the flat index y*W + x of the fmap cell that gave each maximum; ties go to the
  smallest flat index (row-major first, like torchvision roi_pool's strict '>' scan); -1 where
  the "release" rule's floor of 0 is the value (every cell of the bin < 0: no cell gave it).

Three bin rules (``bins``, docs/rules.md):
- "adaptive" (paper Appendix A; torch adaptive_max_pool2d): bin i of n over a cells covers
  floor(i*a/n) .. ceil((i+1)*a/n) - 1. Always n bins.
- "sliding" (paper §2.3): window ceil(a/n), stride floor(a/n); the number of bins is
  floor((a - window)/stride) + 1, which is NOT always n (a=10, n=6 gives 9).
- "release" (``utils/spm_pool/spm_pool_caffe_mex.cpp``): the adaptive formula in float32 as the
  MEX computes it (``bins.release_bounds``), and every maximum starts at 0 as in the MEX
  (``memset((void*)pooled_cache, 0, ...)`` then ``_mm_max_ps``): out = max(0, max over the bin).

spatial_pyramid_pool() pools thousands of windows at once, into a fresh tensor or into ``out`` (a buffer
reused between calls: ``OutputBuffers``; 2,000 windows x 12,800 floats are 102 MB, and writing them into
fresh pages costs about as much as the pooling itself). Its backends:
- "numba": compiled CPU kernels (``pooling_kernels``), parallel over windows, channels last so that the innermost
  loop is a contiguous SIMD max over channels. Values of many windows: sparse tables of the map (maxima over
  2^i x 2^j blocks), 16 channels at a time so that each worker's table stays in its core's cache, each bin the
  max of at most 4 blocks, the vector transposed to the release layout in 8 x 8 SIMD blocks and written with
  non-temporal stores (``table_kernel``, ``pooling_simd``); a few windows, or the argmax: a scan of each bin's
  cells (``pool_kernel``); the cheaper by estimated cost (``scan_or_table``);
- "torch": a 2-D sparse table (``sparse_table``: maxima over 2^i x 2^j blocks, any rectangle = max of 4 blocks)
  queried with gathers; used on CUDA tensors and when numba is not installed.
Both compute only the finest level of a nested pyramid and derive the coarser levels from it:
when m is divisible by n, adaptive bin i of level n is exactly the union of bins i*r .. i*r+r-1
of level m (r = m/n), because floor(i*a/n) = floor(i*r*a/m) and the level-m bins leave no
gap. So a max over r x r fine bins is exact, not an approximation. The same holds for the
"release" rule: its edges are floor / ceil of fl(fl(j/m)·a) (fl = float32 rounding), and
fl(i*r / m) = fl(i / n) because i*r/m and i/n are the same real number and IEEE division is
correctly rounded; so the coarse bin's first and last edges are fine-bin edges, and consecutive
fine bins j, j+1 meet at the same product p (end ceil(p) - 1, next start floor(p) <= ceil(p)),
leaving no gap. tests/method/test_spp.py checks this for every a <= 2048. The "sliding" rule is never
derived.
spp_reference() is the slow, obvious loop used as the oracle in tests and benchmarks.
"""

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .bins import (
    DETECTION_LEVELS,
    NESTED_RULES,
    axis_bins,
    bin_edges,
    check_levels,
    check_rule,
    check_sliding,
    level_offsets,
    level_slices,
    vector_length,
)
from .buffers import OutputBuffers, empty_buffer
from .sparse_table import derive_level, query_bins, sparse_table

_empty = empty_buffer  # the output allocation of both backends (2 MB pages for large CPU buffers)
__all__ = ["OutputBuffers", "SpatialPyramidPooling", "check_inputs", "check_out", "choose_backend", "release_floor",
           "spatial_pyramid_pool", "spatial_pyramid_pool_grad", "spp_reference"]

_KERNELS: list = []  # [the pooling_kernels module, or None without numba], filled on first use


def compiled_kernels():
    """The numba kernels (``pooling_kernels``), imported on first use: numba costs ~0.5 s to import, which the
    app's start-up leaves to its warm-up. None when numba is not installed or does not load (a numba that
    does not match the installed numpy): then the torch backend does everything. The first call also loads
    every float32 kernel (from numba's disk cache, or compiles them), so that the first analysis after the
    warm-up does not."""
    if not _KERNELS:
        try:
            from sppviz.method import pooling_kernels
        except Exception:  # ImportError, or numba failing to import
            pooling_kernels = None
        if pooling_kernels is not None:
            _load(pooling_kernels)
        _KERNELS.append(pooling_kernels)
    return _KERNELS[0]


def _load(k) -> None:
    """Call each kernel of ``k`` once on tiny float32 arrays of the types ``_pool_numba`` passes."""
    edges, plan = np.zeros((1, 1), np.int64), np.array([[1, -1, 0, 0, 0]], np.int64)
    out, arg = np.empty((1, 8), np.float32), np.empty((1, 1), np.int64)
    tables, starts = np.empty((1, 1, 1, 1, 1, k.TILE), np.float32), np.zeros((1, 1, 4), np.int32)
    with k.KERNEL_LOCK:
        k.pool_kernel(np.zeros((1, 1, 8), np.float32), edges, edges, edges, edges, plan, out, arg, False, False)
        k.block_starts(edges, edges, edges, edges, plan, 1, 1, 1, 1, starts)
        k.table_kernel(np.zeros((8, 1, 1), np.float32), tables, starts, edges, edges, edges, edges, plan, out,
                       False, False)


def __getattr__(name: str):
    if name == "numba":  # ``pooling.numba``: the numba module, or None (imports it on first use)
        k = compiled_kernels()
        return None if k is None else k.numba
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

BACKENDS = ("auto", "numba", "torch")


# ----------------------------------------------------------------------------------------
# input validation


def check_inputs(fmap: torch.Tensor, cells: torch.Tensor, levels: Sequence[int], rule: str
                 ) -> tuple[torch.Tensor, tuple[int, ...]]:
    """Validate fmap [C,H,W] float and cells [K,4] int inclusive inside the map; returns the cells as
    int64 on fmap's device and the levels as a tuple."""
    if not isinstance(fmap, torch.Tensor) or fmap.dim() != 3 or not fmap.is_floating_point():
        raise ValueError("fmap must be a float tensor [C, H, W]")
    if min(fmap.shape) < 1:
        raise ValueError(f"fmap must have C, H, W >= 1, got shape {tuple(fmap.shape)}")
    if torch.isnan(fmap.amax()):  # amax propagates NaN (one pass, no mask of the map)
        raise ValueError("fmap contains NaN; max pooling of NaN is not defined here")
    levels = check_levels(levels)
    check_rule(rule)
    cells = torch.as_tensor(cells)
    if cells.dim() != 2 or cells.shape[1] != 4:
        raise ValueError(f"cells must be [K, 4] (cx0, cy0, cx1, cy1), got shape {tuple(cells.shape)}")
    if cells.is_floating_point() or cells.is_complex() or cells.dtype == torch.bool:
        raise ValueError(f"cells must be an integer tensor (conv5 cell indices), got {cells.dtype}")
    cells = cells.to(device=fmap.device, dtype=torch.int64)
    _, h, w = fmap.shape
    x0, y0, x1, y1 = cells.unbind(1)
    bad = (x0 < 0) | (y0 < 0) | (x1 >= w) | (y1 >= h)
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        raise ValueError(f"window {k} {cells[k].tolist()} lies outside the {h}x{w} (HxW) feature map")
    bad = (x1 < x0) | (y1 < y0)
    if bad.any():
        k = int(bad.nonzero()[0, 0])
        raise ValueError(f"window {k} {cells[k].tolist()} is inverted: need cx0 <= cx1 and cy0 <= cy1")
    if rule == "sliding":
        check_sliding(cells, levels)
    return cells, levels


# ----------------------------------------------------------------------------------------
# the plan: which levels are pooled directly, which are derived from a finer one


def _plan(levels, rule):
    """The order in which to compute the levels: a list of (n, source), finest first, where
    source is None (pool level n directly from the map) or an already computed level m with
    m % n == 0 (derive level n by a max over (m/n)^2 level-m bins; exact, see module doc).
    {1, 2, 3, 6} -> [(6, None), (3, 6), (2, 6), (1, 2)]. Derivation is exact for the rules in
    bins.NESTED_RULES ("adaptive", "release"; module doc); for "sliding" every level is pooled directly."""
    if rule not in NESTED_RULES:
        return [(n, None) for n in levels]
    steps = []
    for n in sorted(levels, reverse=True):
        sources = [m for m, _ in steps if m % n == 0]
        steps.append((n, min(sources) if sources else None))  # min: fewest bins per group
    return steps


# ----------------------------------------------------------------------------------------
# public entry point


def spatial_pyramid_pool(fmap: torch.Tensor, cells: torch.Tensor, levels: Sequence[int] = DETECTION_LEVELS,
                         rule: str = "adaptive", return_argmax: bool = False, backend: str = "auto",
                         out: torch.Tensor | None = None) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """SPP of K windows of one feature map (paper §2.3, detection §4.1).

    fmap: float [C, H, W]; cells: int [K, 4] inclusive (cx0, cy0, cx1, cy1) inside the map.
    Returns [K, C*sum(n^2)] on fmap's device and dtype, release layout
    (level_offset + c*n*n + by*n + bx); with return_argmax also a LongTensor of the same shape
    holding the flat index y*W + x of each maximum (smallest index on ties; -1 where the "release"
    rule's floor of 0 is the value). backend: "auto" (numba on CPU when installed, else torch), "numba" or "torch".
    out: a contiguous [K, C*sum(n^2)] tensor of fmap's dtype and device to write the vectors into (every
    element is written; it is returned), e.g. from ``OutputBuffers.take``. Not differentiable (use
    SpatialPyramidPooling for training).
    """
    cells, levels = check_inputs(fmap, cells, levels, rule)
    backend = choose_backend(fmap, backend)
    if out is not None:
        check_out(out, (len(cells), vector_length(fmap.shape[0], levels)), fmap)
    fmap = fmap.detach()
    with torch.no_grad():
        if backend == "numba":
            out, arg = _pool_numba(fmap, cells, levels, rule, return_argmax, out)
        else:
            out, arg = _pool_torch(fmap, cells, levels, rule, return_argmax, out)
    return (out, arg) if return_argmax else out


def check_out(out: torch.Tensor, shape: tuple[int, int], fmap: torch.Tensor) -> None:
    """A ValueError unless ``out`` is a contiguous tensor of ``shape`` with fmap's dtype and device."""
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(shape) or not out.is_contiguous():
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"out must be a contiguous tensor of shape {tuple(shape)}, got {got}")
    if out.dtype != fmap.dtype or out.device != fmap.device:
        raise ValueError(f"out must be {fmap.dtype} on {fmap.device} like fmap, got {out.dtype} on {out.device}")


def choose_backend(fmap: torch.Tensor, backend: str) -> str:
    """The backend ``spatial_pyramid_pool`` uses for ``fmap``: "auto" picks numba for CPU tensors when numba
    imports and the torch sparse table otherwise; "numba" / "torch" are checked and returned as they are."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if backend == "auto":
        return "numba" if fmap.device.type == "cpu" and compiled_kernels() is not None else "torch"
    if backend == "numba" and compiled_kernels() is None:
        raise ValueError("backend 'numba' needs the numba package (pip install numba)")
    if backend == "numba" and fmap.device.type != "cpu":
        raise ValueError(f"backend 'numba' runs on CPU tensors only, fmap is on {fmap.device}")
    return backend


# ----------------------------------------------------------------------------------------
# the slow, obvious oracle


def spp_reference(fmap: torch.Tensor, cells: torch.Tensor, levels: Sequence[int] = DETECTION_LEVELS,
                  rule: str = "adaptive", return_argmax: bool = False
                  ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Same contract as spatial_pyramid_pool, computed with Python loops over windows,
    levels and bins and a torch max on each slice (then the "release" floor of 0). Slow; for tests
    and benchmarks."""
    cells, levels = check_inputs(fmap, cells, levels, rule)
    c, h, w = fmap.shape
    k_all = len(cells)
    flat_index = torch.arange(h * w, device=fmap.device).view(h, w)  # y*W + x of every cell
    out = fmap.new_empty((k_all, vector_length(c, levels)))
    arg = torch.empty(out.shape, dtype=torch.int64, device=fmap.device)
    for n, part in zip(levels, level_slices(c, levels), strict=True):
        out_n = out[:, part].view(k_all, c, n, n)  # release layout: c*n*n + by*n + bx
        arg_n = arg[:, part].view(k_all, c, n, n)
        for k, (x0, y0, x1, y1) in enumerate(cells.tolist()):
            rows, cols = bin_edges(y1 - y0 + 1, n, rule), bin_edges(x1 - x0 + 1, n, rule)
            for by, (r0, r1) in enumerate(rows):
                for bx, (q0, q1) in enumerate(cols):
                    ys, xs = slice(y0 + r0, y0 + r1 + 1), slice(x0 + q0, x0 + q1 + 1)
                    region = fmap[:, ys, xs].reshape(c, -1)  # [C, cells of the bin], row-major
                    out_n[k, :, by, bx] = region.amax(dim=1)
                    if return_argmax:  # torch.argmax returns the first maximum (row-major)
                        arg_n[k, :, by, bx] = flat_index[ys, xs].reshape(-1)[region.argmax(dim=1)]
    if rule == "release":
        release_floor(out, arg)
    return (out, arg) if return_argmax else out


def release_floor(out: torch.Tensor, arg: torch.Tensor | None) -> None:
    """In place: out = max(out, 0) and arg = -1 where out was < 0 — the release's pooling starts every
    maximum at 0 (``utils/spm_pool/spm_pool_caffe_mex.cpp``: ``memset((void*)pooled_cache, 0, ...)``
    then ``_mm_max_ps``), so an all-negative bin pools to 0 and no cell gave that value."""
    negative = out < 0
    out.masked_fill_(negative, 0)
    if arg is not None:
        arg.masked_fill_(negative, -1)


# ----------------------------------------------------------------------------------------
# torch backend: 2-D sparse table + gathers (any device)


def _pool_torch(fmap, cells, levels, rule, want_arg, out=None, chunk_elems=1 << 23):
    """Sparse-table backend; works on any device. Windows are processed in chunks of about
    chunk_elems finest-level values (32 MB of float32) to bound the intermediates' memory.
    Returns (out [K, D] (the given ``out`` when there is one), argmax [K, D] or None) in release layout."""
    c, h, w = fmap.shape
    k_all = len(cells)
    steps = _plan(levels, rule)
    if out is None:
        out = _empty((k_all, vector_length(c, levels)), fmap.dtype, fmap.device)
    arg = _empty(out.shape, torch.int64, fmap.device) if want_arg else None
    if k_all == 0:
        return out, arg
    # absolute inclusive bin rows and cols of each direct level: ([K, n], [K, n]) each
    bins = {n: (axis_bins(cells[:, 1], cells[:, 3], n, rule), axis_bins(cells[:, 0], cells[:, 2], n, rule))
            for n, source in steps if source is None}  # fmt: skip
    tallest = max(int((r1 - r0).max()) + 1 for (r0, r1), _ in bins.values())
    widest = max(int((q1 - q0).max()) + 1 for _, (q0, q1) in bins.values())
    fmap_hwc = fmap.permute(1, 2, 0).contiguous()
    table = sparse_table(fmap_hwc, tallest.bit_length(), widest.bit_length(), want_arg)
    offsets = level_offsets(c, levels)
    chunk = max(1, chunk_elems // (c * max(n * n for n in bins)))
    for s in range(0, k_all, chunk):
        e = min(s + chunk, k_all)
        pooled = {}  # n -> (values [k, n*n, C], argmax [k, n*n, C] or None)
        for n, source in steps:
            if source is None:
                (r0, r1), (q0, q1) = bins[n]
                pooled[n] = query_bins(table, r0[s:e], r1[s:e], q0[s:e], q1[s:e])
            else:
                pooled[n] = derive_level(*pooled[source], source, n)
        for n in levels:  # release layout: offset + c*n*n + by*n + bx
            where = (slice(s, e), slice(offsets[n], offsets[n] + c * n * n))
            out[where].view(e - s, c, n * n).copy_(pooled[n][0].transpose(1, 2))
            if want_arg:
                arg[where].view(e - s, c, n * n).copy_(pooled[n][1].transpose(1, 2))
    if rule == "release":
        release_floor(out, arg)
    return out, arg


# ----------------------------------------------------------------------------------------
# numba backend: compiled CPU kernel, parallel over windows, channels-last map


TABLE_MAX_BYTES = 64 * 2**20  # the numba backend's sparse tables, one per worker (2 x 2.9 MB at 688 px: 16 levels)
TABLES = OutputBuffers(keep=1, max_bytes=TABLE_MAX_BYTES)  # their memory, reused between calls (no page faults)
SCAN_WRITE_WEIGHT = 2  # a pooled value the scan writes element by element costs about two cell reads (measured)


def table_levels(hwc: tuple[int, int, int], itemsize: int, tallest: int, widest: int,
                 max_bytes: int = TABLE_MAX_BYTES) -> tuple[int, int]:
    """The sparse table's levels (LI, LJ) for bins up to ``tallest`` x ``widest`` cells of an [H, W, C] table
    (the map's rows and columns; C the channels the tables hold at once, one tile per worker):
    blocks of 2^i x 2^j cells, i < LI = tallest.bit_length(), j < LJ likewise (a bin is then the max of 4
    blocks), fewer where LI * LJ copies of the map would exceed ``max_bytes`` (the longer axis first; a bin
    taller than the largest block is covered by more of them)."""
    h, w, c = hwc
    li, lj = max(1, int(tallest).bit_length()), max(1, int(widest).bit_length())
    while li * lj * h * w * c * itemsize > max_bytes and li * lj > 1:
        li, lj = (li - 1, lj) if li >= lj else (li, lj - 1)
    return li, lj


def scan_or_table(hwc: tuple[int, int, int], itemsize: int, rows: list, cols: list, values_per_window: int
                  ) -> tuple[int, int] | None:
    """Whether the numba backend reads each bin's cells (None) or builds a sparse table (its levels), whichever
    costs less, for an [H, W, C] table (``table_levels``), from the direct levels' bins ``rows`` / ``cols``
    ([(r0, r1)], [(q0, q1)], each [K, n] inclusive) and the number of pooled values per window per channel (sum
    of n^2 over all levels). A scan reads every cell of every bin and writes the vector element by element
    (SCAN_WRITE_WEIGHT per value); a table writes LI * LJ copies of the map once, then reads at most 4 blocks
    per bin and writes the vector in SIMD blocks. Measured crossover: 100-200 windows on the conv5 map of a
    688-px image (256 or 64 channels, windows of any size); a window of the compare tab, or a few dozen: a
    scan."""
    h, w, c = hwc
    k = len(rows[0][0]) if rows else 0
    scan = sum(int(((r1 - r0 + 1).sum(1) * (q1 - q0 + 1).sum(1)).sum())  # sum over bins of height x width
               for (r0, r1), (q0, q1) in zip(rows, cols, strict=True)) + SCAN_WRITE_WEIGHT * k * values_per_window
    tallest, widest = max(int((r1 - r0).max()) + 1 for r0, r1 in rows), max(int((q1 - q0).max()) + 1 for q0, q1 in cols)
    li, lj = table_levels(hwc, itemsize, tallest, widest)
    return (li, lj) if li * lj * h * w < scan else None


def _pool_numba(fmap, cells, levels, rule, want_arg, given=None):
    """Numba backend (CPU). Returns (out [K,D] (``given`` when there is one), argmax [K,D] or None) in fmap's
    dtype. Reads only the bounding box of the windows' cells (a window of the compare tab: its own 100-odd
    cells, not a 256 x 43 x 65 channels-last copy of the whole map). Values only, over many windows: a sparse
    table of the map and ``table_kernel`` (``scan_or_table``); else ``pool_kernel``, which reads each bin's
    cells."""
    c, full_h, full_w = fmap.shape
    k_all = len(cells)
    steps = _plan(levels, rule)
    work = fmap if fmap.dtype in (torch.float32, torch.float64) else fmap.float()  # exact
    x0 = y0 = 0
    if k_all:  # only the part of the map the windows cover (one window: its own cells), the cells shifted into it
        (x0, y0), (x1, y1) = cells[:, :2].amin(0).tolist(), cells[:, 2:].amax(0).tolist()
        if (x1 - x0 + 1) * (y1 - y0 + 1) < full_h * full_w:
            work = work[:, y0:y1 + 1, x0:x1 + 1]
            cells = cells - torch.tensor([x0, y0, x0, y0], dtype=cells.dtype)
        else:
            x0 = y0 = 0
    # absolute inclusive bin rows / cols of every direct level, side by side: [K, sum(n)]
    direct = [n for n, source in steps if source is None]
    rows = [axis_bins(cells[:, 1], cells[:, 3], n, rule) for n in direct]
    cols = [axis_bins(cells[:, 0], cells[:, 2], n, rule) for n in direct]
    r0, r1 = (torch.cat([r[e] for r in rows], dim=1).numpy() for e in (0, 1))
    q0, q1 = (torch.cat([q[e] for q in cols], dim=1).numpy() for e in (0, 1))
    # per step: n, source step (-1: direct), first edge column, first scratch row, output offset
    order = [n for n, _ in steps]
    offsets = level_offsets(c, levels)
    edge = dict(zip(direct, np.cumsum([0] + direct[:-1]).tolist(), strict=True))
    first_bin = np.cumsum([0] + [n * n for n in order[:-1]])
    plan = np.array(
        [[n, -1 if src is None else order.index(src), edge.get(n, -1), first_bin[i], offsets[n]]
         for i, (n, src) in enumerate(steps)], dtype=np.int64,
    )  # fmt: skip
    direct_out = given is not None and given.dtype == work.dtype  # else: pool in float, then copy
    out = given if direct_out else _empty((k_all, vector_length(c, levels)), work.dtype, "cpu")
    arg = _empty(out.shape if want_arg else (1, 1), torch.int64, "cpu")
    if k_all:
        k = compiled_kernels()
        _, h, w = work.shape
        workers = min(k.numba.get_num_threads(), -(-c // k.TILE))  # one table per worker, a tile at a time
        table = None if want_arg else scan_or_table((h, w, workers * k.TILE), work.element_size(), rows, cols,
                                                       vector_length(1, levels))
        with k.KERNEL_LOCK:  # one call at a time: numba's "workqueue" layer is not thread-safe
            if table is None:  # the kernel reads a channels-last copy of the map
                fmap_hwc = work.permute(1, 2, 0).contiguous().numpy()
                k.pool_kernel(fmap_hwc, r0, r1, q0, q1, plan, out.numpy(), arg.numpy(), want_arg, rule == "release")
            else:
                tallest, widest = (max(int((e1 - e0).max()) + 1 for e0, e1 in axis) for axis in (rows, cols))
                capped = table[0] < tallest.bit_length() or table[1] < widest.bit_length()
                starts = np.empty((1, 1, 4) if capped else (k_all, sum(n * n for n in order), 4), np.int32)
                if not capped:
                    k.block_starts(r0, r1, q0, q1, plan, table[0], table[1], h, w, starts)
                with TABLES.take((workers, table[0] * table[1] * h * w * k.TILE), work.dtype) as t:
                    t = t.numpy().reshape(workers, *table, h, w, k.TILE)
                    k.table_kernel(work.contiguous().numpy(), t, starts, r0, r1, q0, q1, plan, out.numpy(),
                                   rule == "release", capped)
    if given is not None and not direct_out:
        out = given.copy_(out)
    if want_arg and (x0 or y0 or work.shape[2] != full_w):  # flat indices of the crop -> of the whole map
        w_crop = work.shape[2]
        arg = torch.where(arg >= 0, (arg // w_crop + y0) * full_w + arg % w_crop + x0, arg)
    return out.to(fmap.dtype), (arg if want_arg else None)


# ----------------------------------------------------------------------------------------
# the layer used in training


class SpatialPyramidPooling(nn.Module):
    """SPP layer for whole maps (paper §2.3, multi-size training): [B, C, H, W] ->
    [B, C*sum(n^2)] for any H, W >= 1.

    rule "adaptive" (default): bins of paper Appendix A via F.adaptive_max_pool2d per level,
    flattened channel-major (c*n*n + by*n + bx) and concatenated in level order (release layout).
    Any other bin rule ("release", "sliding"): spatial_pyramid_pool_grad on the whole-map window of
    each map. Differentiable; equals spatial_pyramid_pool with the whole-map window. No parameters.
    """

    def __init__(self, levels: Sequence[int] = DETECTION_LEVELS, rule: str = "adaptive"):
        super().__init__()
        self.levels = check_levels(levels)
        check_rule(rule)
        self.rule = rule

    def output_length(self, channels: int) -> int:
        """C * sum(n^2) for ``channels`` input channels."""
        return vector_length(channels, self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"SpatialPyramidPooling expects [B, C, H, W], got shape {tuple(x.shape)}")
        if self.rule == "adaptive":
            return torch.cat([F.adaptive_max_pool2d(x, n).flatten(1) for n in self.levels], dim=1)
        whole = torch.tensor([[0, 0, x.shape[3] - 1, x.shape[2] - 1]])
        return torch.cat([spatial_pyramid_pool_grad(m, whole, self.levels, self.rule) for m in x])

    def extra_repr(self) -> str:
        return f"levels={self.levels}" + ("" if self.rule == "adaptive" else f", rule={self.rule!r}")


# ----------------------------------------------------------------------------------------
# the gradient through window pooling (used to fine-tune conv layers, Fast R-CNN §2.3)


class _WindowPool(torch.autograd.Function):
    """Max pooling's gradient is a scatter: each output's gradient goes to the one fmap cell
    that held its maximum (the argmax). Forward is the fast kernel with return_argmax. An
    argmax of -1 (the "release" floor of 0, no cell) gets no gradient."""

    @staticmethod
    def forward(ctx, fmap, cells, levels, rule):
        out, arg = spatial_pyramid_pool(fmap, cells, levels, rule, return_argmax=True)
        c, h, w = fmap.shape
        chan = torch.cat([torch.arange(c, device=fmap.device).repeat_interleave(n * n) for n in levels])
        ctx.save_for_backward(torch.where(arg >= 0, chan[None] * (h * w) + arg, -1))
        ctx.shape = (c, h, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        index, grad = index.reshape(-1), grad.reshape(-1)
        keep = index >= 0
        g = torch.zeros(math.prod(ctx.shape), dtype=grad.dtype, device=grad.device)
        if bool(keep.all()):
            g.index_add_(0, index, grad)
        else:
            g.index_add_(0, index[keep], grad[keep])
        return g.view(ctx.shape), None, None, None


def spatial_pyramid_pool_grad(fmap: torch.Tensor, cells: torch.Tensor, levels: Sequence[int] = DETECTION_LEVELS,
                              rule: str = "adaptive") -> torch.Tensor:
    """spatial_pyramid_pool with a gradient to ``fmap`` (same contract, no argmax output).

    The paper fine-tunes only the fc layers (§4): SPP-net's windows come from many images, and
    back-propagating through their large receptive fields was deemed too costly. Fast R-CNN (§2.3)
    showed that with one or two images per mini-batch the backward pass through the pooling layer
    is cheap, and that it pays. This is that backward pass: d out / d fmap is 1 at each bin's argmax
    (0 for the "release" rule's floor of 0).
    """
    levels = check_levels(levels)
    return _WindowPool.apply(fmap, torch.as_tensor(cells), levels, rule)
