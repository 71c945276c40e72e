"""The torch backend's building blocks for ``pooling.spatial_pyramid_pool``: a 2-D sparse table (range
maxima over 2^i x 2^j blocks of a channels-last map; any rectangle is the max of 4 blocks), its queries
with gathers, and the derivation of a coarse pyramid level from a finer one. Works on any device.

Conventions as in ``pooling``: the map is [H, W, C] here (channels last), cells are 0-based inclusive,
an argmax is the flat index y*W + x of the cell holding the maximum, the smallest one on ties.
"""

import torch

# (values [L*H*W, C], flat argmax like values or None, (H, W, levels_w)); see sparse_table
Table = tuple[torch.Tensor, torch.Tensor | None, tuple[int, int, int]]


def sparse_table(fmap_hwc: torch.Tensor, levels_h: int, levels_w: int, want_arg: bool) -> Table:
    """Range-max tables over 2^i x 2^j blocks of a [H, W, C] map.

    Returns (vals [levels_h*levels_w*H*W, C], args like vals (flat cell index, smallest on
    ties; int32) or None, (H, W, levels_w)). Row ((i*levels_w + j)*H + y)*W + x holds the max
    over rows y..y+2^i-1 x cols x..x+2^j-1; rows whose block does not fit are never read.
    Memory: levels_h * levels_w copies of the map (16 for 6x6 bins on a 43x65 map)."""
    h, w, c = fmap_hwc.shape
    vals = fmap_hwc.new_empty((levels_h, levels_w, h, w, c))
    args = None
    if want_arg:
        index_dtype = torch.int32 if h * w < 2**31 else torch.int64
        args = torch.empty(vals.shape, dtype=index_dtype, device=vals.device)
    for i in range(levels_h):
        for j in range(levels_w):
            if i == 0 and j == 0:
                vals[0, 0] = fmap_hwc
                if want_arg:
                    args[0, 0] = torch.arange(h * w, device=vals.device).view(h, w, 1)
                continue
            # 2^i x 2^j block = max of two 2^i x 2^(j-1) blocks side by side (or stacked, j = 0)
            (pi, pj, dim, step) = (i - 1, j, 0, 1 << (i - 1)) if j == 0 else (i, j - 1, 1, 1 << (j - 1))
            size = vals.shape[2 + dim] - 2 * step + 1  # positions where the new block fits
            if size <= 0:
                continue
            src, dst = vals[pi, pj], vals[i, j].narrow(dim, 0, size)
            a_v, b_v = src.narrow(dim, 0, size), src.narrow(dim, step, size)
            if not want_arg:
                torch.maximum(a_v, b_v, out=dst)
                continue
            a_i, b_i = args[pi, pj].narrow(dim, 0, size), args[pi, pj].narrow(dim, step, size)
            v, idx = better(a_v, a_i, b_v, b_i)
            dst.copy_(v)
            args[i, j].narrow(dim, 0, size).copy_(idx)
    flat_args = args.view(-1, c) if want_arg else None
    return vals.view(-1, c), flat_args, (h, w, levels_w)


def better(best_v: torch.Tensor, best_i: torch.Tensor, v: torch.Tensor, i: torch.Tensor
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Elementwise max of two candidates with their flat indices; ties -> smaller index."""
    take = (v > best_v) | ((v == best_v) & (i < best_i))
    return torch.where(take, v, best_v), torch.where(take, i, best_i)


def floor_log2(x: torch.Tensor) -> torch.Tensor:
    """floor(log2(x)) for a LongTensor x >= 1, exact (integer bit trick, no float log)."""
    out = torch.zeros_like(x)
    for bit in (32, 16, 8, 4, 2, 1):
        big = x >= (1 << bit)
        out += big * bit
        x = torch.where(big, x >> bit, x)
    return out


def query_bins(table: Table, r0: torch.Tensor, r1: torch.Tensor, q0: torch.Tensor, q1: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Max over the n x n bins (rows r0..r1 [k, n] x cols q0..q1 [k, n], absolute inclusive) of
    each window, each the max of 4 overlapping 2^i x 2^j table blocks (i = floor(log2 height)).
    Returns values [k, n*n, C] and argmax (int64) or None."""
    vals, args, (h, w, levels_w) = table
    k, n = r0.shape
    i, j = floor_log2(r1 - r0 + 1), floor_log2(q1 - q0 + 1)
    base = (i[:, :, None] * levels_w + j[:, None, :]) * (h * w)  # [k, n, n] first row of table (i, j)
    best_v = best_i = None
    for y in (r0, r1 - (1 << i) + 1):  # top block row / bottom one (may coincide)
        for x in (q0, q1 - (1 << j) + 1):
            rows = (base + y[:, :, None] * w + x[:, None, :]).reshape(-1)
            v = vals.index_select(0, rows).view(k, n * n, -1)
            if args is None:
                best_v = v if best_v is None else torch.maximum(best_v, v, out=best_v)
                continue
            idx = args.index_select(0, rows).view(k, n * n, -1)
            best_v, best_i = (v, idx) if best_v is None else better(best_v, best_i, v, idx)
    return best_v, (best_i.long() if args is not None else None)


def derive_level(values: torch.Tensor, argmax: torch.Tensor | None, m: int, n: int
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Coarse level n from fine level m (m % n == 0; adaptive or release rule): max over r x r fine
    bins, r = m/n. values [k, m*m, C] -> [k, n*n, C]; exact (``pooling`` module doc), ties -> smaller
    index."""
    k, _, c = values.shape
    r = m // n
    fine_v = values.view(k, n, r, n, r, c)  # fine bin (by*r + a, bx*r + b) -> group (by, bx)
    fine_i = argmax.view(k, n, r, n, r, c) if argmax is not None else None
    best_v, best_i = fine_v[:, :, 0, :, 0], (fine_i[:, :, 0, :, 0] if argmax is not None else None)
    for a in range(r):
        for b in range(r):
            if a == b == 0:
                continue
            if argmax is None:
                best_v = torch.maximum(best_v, fine_v[:, :, a, :, b])
            else:
                best_v, best_i = better(best_v, best_i, fine_v[:, :, a, :, b], fine_i[:, :, a, :, b])
    best_v = best_v.reshape(k, n * n, c)
    return best_v, (best_i.reshape(k, n * n, c) if argmax is not None else None)
