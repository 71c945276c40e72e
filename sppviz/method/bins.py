"""Bins of the spatial pyramid: how a level of n x n bins divides a window of conv5 cells.

Conventions: cells are conv5 indices, 0-based and INCLUSIVE (cx0, cy0, cx1, cy1), x = column,
y = row. A bin is an inclusive (start, end) pair of cells along one axis. The SPP vector of a
window is laid out as the authors' release lays it out (``utils/spm_pool/spm_pool_caffe_mex.cpp``):
for each level in the given order, channel-major, then bin row-major:
index = level_offset + c*n*n + by*n + bx.

Rules (``docs/rules.md`` lists them with their sources):
- "adaptive" (paper Appendix A; torch ``adaptive_max_pool2d``): bin i of n over a cells covers
  floor(i*a/n) .. ceil((i+1)*a/n) - 1 in exact integer arithmetic. Always n bins. (torchvision's
  ``roi_pool`` evaluates it in float32 in yet another order and differs at levels 7, 11, 13, 14, 15;
  see ``sppviz.method.roipool``.)
- "sliding" (paper §2.3, single-size training): window ceil(a/n), stride floor(a/n); the number
  of bins is floor((a - window)/stride) + 1, which is NOT always n (a = 10, n = 6 gives 9).
- "release" (``utils/spm_pool/spm_pool_caffe_mex.cpp``): the adaptive formula evaluated in
  float32 in the MEX's operation order, ``floor(xx / bin_divs * boxwidth)`` ..
  ``ceil((xx + 1) / bin_divs * boxwidth) - 1`` with ``bin_divs = (float)n``: bin i covers
  floor(fl(fl(i/n)·a)) .. ceil(fl(fl((i+1)/n)·a)) - 1, fl = round to the nearest float32.
  Always n bins, each a superset of the adaptive bin; at levels 5, 7, 9, 10, 12, 13, 14, 15 some
  widths give a bin one cell longer (a = 13, n = 13: bin 6 is cells 6..7, not 6..6; a = 21,
  n = 7: bin 0 is 0..3, not 0..2); levels 1, 2, 3, 4, 6, 8, 11, 16 never differ (checked for
  every a <= 2048, ``release_differences``). The MEX also starts every maximum at 0 (memset), so
  a bin whose cells are all negative pools to 0 (``pooling`` applies that floor for this rule).

torch is imported by the functions that use it, not with the module (``sppviz.lazy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

BIN_RULES = ("adaptive", "sliding", "release")
# Rules under which a coarse level n may be derived exactly from a finer level m = r·n (``pooling``).
NESTED_RULES = ("adaptive", "release")
DETECTION_LEVELS = (1, 2, 3, 6)  # paper §4.1: 50 bins -> 12,800-d for 256 channels
# Largest pyramid level n (an n x n bin grid). conv5 of a typical window is only ~13 cells wide, so
# beyond ~16 bins per side most bins are empty or repeat one cell (the grid becomes meaningless),
# and the vector grows as C * sum(n^2) (n = 100 alone would give 2.56 M values for 256 channels).
MAX_LEVEL = 16

# ----------------------------------------------------------------------------------------
# validation helpers


def check_positive_int(value: object, name: str) -> int:
    """``value`` as an int if it is an int (not a bool) >= 1, else ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value}")
    return int(value)


def check_rule(rule: str) -> None:
    """ValueError unless ``rule`` is one of BIN_RULES."""
    if rule not in BIN_RULES:
        raise ValueError(f"unknown bin rule {rule!r}; choose one of {BIN_RULES}")


def check_levels(levels: Sequence[int]) -> tuple[int, ...]:
    """Validate pyramid levels: a non-empty sequence of distinct ints >= 1. Returns a tuple."""
    if isinstance(levels, (int, np.integer)) or levels is None:
        raise ValueError(f"levels must be a sequence of ints such as (1, 2, 3, 6), got {levels!r}")
    try:
        items = list(levels)
    except TypeError:
        raise ValueError(f"levels must be a sequence of ints such as (1, 2, 3, 6), got {levels!r}") from None
    levels = tuple(check_positive_int(n, "each level") for n in items)
    if not levels:
        raise ValueError("levels must not be empty")
    big = [n for n in levels if n > MAX_LEVEL]
    if big:
        raise ValueError(f"level {big[0]} is too large: at most MAX_LEVEL = {MAX_LEVEL} bins per side "
                         f"(finer grids than conv5 itself are meaningless and the vector explodes)")
    if len(set(levels)) != len(levels):
        raise ValueError(f"levels must not repeat, got {levels}")
    return levels


def vector_length(channels: int, levels: Sequence[int] = DETECTION_LEVELS) -> int:
    """Length of the SPP vector: C * sum(n^2) (256 * 50 = 12,800 for the detection levels)."""
    channels = check_positive_int(channels, "channels")
    return channels * sum(n * n for n in check_levels(levels))


def level_slices(channels: int, levels: Sequence[int] = DETECTION_LEVELS) -> list[slice]:
    """Slices of the SPP vector that hold each level, in the given level order.

    Inside a level's slice the layout is c*n*n + by*n + bx (release layout)."""
    channels = check_positive_int(channels, "channels")
    slices, offset = [], 0
    for n in check_levels(levels):
        slices.append(slice(offset, offset + channels * n * n))
        offset += channels * n * n
    return slices


def level_offsets(channels: int, levels: Sequence[int]) -> dict[int, int]:
    """{n: first index of level n in the SPP vector} (release layout, levels in given order)."""
    return {n: part.start for n, part in zip(levels, level_slices(channels, levels), strict=True)}


# ----------------------------------------------------------------------------------------
# bins along one axis


def bin_edges(length: int, n: int, rule: str = "adaptive") -> list[tuple[int, int]]:
    """Inclusive (start, end) cells of the bins of level n along an axis of `length` cells.

    adaptive (paper Appendix A): bin i = floor(i*a/n) .. ceil((i+1)*a/n) - 1; always n bins,
        never empty, overlapping when n does not divide a, repeating cells when a < n.
        a=16, n=6 -> (0,2) (2,5) (5,7) (8,10) (10,13) (13,15).
    sliding (paper §2.3): window ceil(a/n), stride floor(a/n), bin i = i*stride .. i*stride +
        window - 1 for i < floor((a - window)/stride) + 1, which may differ from n
        (a=13 gives n bins for n in 1,2,3,6; a=10, n=6 gives 9). Undefined when a < n.
    release (``utils/spm_pool/spm_pool_caffe_mex.cpp``): the adaptive formula in float32, as the
        MEX evaluates it (``release_bounds``); a=21, n=7 -> bin 0 is (0, 3), adaptive gives (0, 2).
    """
    a = check_positive_int(length, "length")
    n = check_positive_int(n, "n")
    check_rule(rule)
    if rule == "adaptive":
        return [((i * a) // n, -((-(i + 1) * a) // n) - 1) for i in range(n)]
    if rule == "release":
        starts, ends = release_bounds(a, n)
        return list(zip(starts.tolist(), ends.tolist(), strict=True))
    window, stride = -(-a // n), a // n
    if stride == 0:
        raise ValueError(_sliding_undefined_text(a, n))
    count = (a - window) // stride + 1
    return [(i * stride, i * stride + window - 1) for i in range(count)]


def release_quotients(n: int) -> np.ndarray:
    """float32 [n + 1]: fl(i / n) for i = 0..n, the MEX's ``xx / bin_divs`` with ``bin_divs =
    (float)spm_bin_divs[lv]`` (``utils/spm_pool/spm_pool_caffe_mex.cpp``). IEEE division is correctly
    rounded, so numpy's float32 division gives the MEX's numbers exactly (fl(r·i / r·n) = fl(i / n))."""
    n = check_positive_int(n, "n")
    return np.arange(n + 1, dtype=np.float32) / np.float32(n)


def release_bounds(length: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The release's bins of level n on `length` cells: (starts, ends) int64 [n], inclusive, relative to
    the window's first cell. Written from ``utils/spm_pool/spm_pool_caffe_mex.cpp``::

        const float bin_divs = (float)spm_bin_divs[lv];
        int x_start = (int)floor(xx / bin_divs * boxwidth) + box_norm[1] - 1;
        int x_end = (int)ceil((xx + 1) / bin_divs * boxwidth) + box_norm[1] - 1;   // exclusive

    Each operation is one float32 rounding (numpy float32 arithmetic, same order)."""
    a = check_positive_int(length, "length")
    q = release_quotients(n)
    width = np.float32(a)  # int -> float conversion, exact for a < 2^24
    return (np.floor(q[:-1] * width).astype(np.int64), np.ceil(q[1:] * width).astype(np.int64) - 1)


def release_differences(length: int, levels: Sequence[int] = DETECTION_LEVELS
                        ) -> list[tuple[int, int, tuple[int, int], tuple[int, int]]]:
    """Where the release's float32 bins differ from the exact adaptive bins on a `length`-cell axis:
    a list of (n, bin index, release (start, end), adaptive (start, end)), inclusive cells relative to the
    window's first cell, for every level n in `levels` (empty when they agree, as they always do for
    n in 1, 2, 3, 4, 6, 8, 11, 16 up to a = 2048). ``release_differences(21, (7,))`` ->
    ``[(7, 0, (0, 3), (0, 2)), (7, 1, (3, 6), (3, 5)), (7, 3, (9, 12), (9, 11))]``."""
    out = []
    for n in check_levels(levels):
        rel, exact = bin_edges(length, n, "release"), bin_edges(length, n, "adaptive")
        out += [(n, i, r, e) for i, (r, e) in enumerate(zip(rel, exact, strict=True)) if r != e]
    return out


def _sliding_undefined_text(a, n):
    return (
        f"the sliding rule (window ceil(a/n), stride floor(a/n), paper §2.3) is undefined for "
        f"a={a} cells and n={n} bins: the stride floor({a}/{n}) is 0 when the window has fewer "
        f"cells than bins; use rule='adaptive'"
    )


def sliding_count(a: torch.Tensor, n: int) -> torch.Tensor:
    """Number of sliding-rule bins (paper §2.3) for lengths a (LongTensor); 0 where a < n."""
    import torch

    window, stride = -(-a // n), a // n
    return torch.where(stride > 0, (a - window) // stride.clamp(min=1) + 1, torch.zeros_like(a))


def axis_bins(lo: torch.Tensor, hi: torch.Tensor, n: int, rule: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Vectorised bin_edges on absolute cells: windows lo..hi (LongTensor [K]) -> starts, ends
    [K, n] (inclusive, absolute cells). For "sliding" the caller has checked the count is n.
    "release" is computed on the CPU in float32 (tensor x tensor products, one IEEE rounding each,
    as ``release_bounds``) and moved to lo's device."""
    import torch

    a = (hi - lo + 1)[:, None]
    i = torch.arange(n, device=lo.device)[None, :]
    if rule == "adaptive":  # paper Appendix A
        start, end = (i * a) // n, -((-(i + 1) * a) // n) - 1
    elif rule == "release":  # utils/spm_pool/spm_pool_caffe_mex.cpp, float32
        q = torch.from_numpy(release_quotients(n))[None, :]
        width = a.cpu().to(torch.float32)
        start = torch.floor(q[:, :-1] * width).long().to(lo.device)
        end = (torch.ceil(q[:, 1:] * width).long() - 1).to(lo.device)
    else:  # paper §2.3
        window, stride = -(-a // n), a // n
        start = i * stride
        end = start + window - 1
    return lo[:, None] + start, lo[:, None] + end


def check_sliding(cells: torch.Tensor, levels: Sequence[int]) -> None:
    """Raise ValueError if the sliding rule does not give n bins on every window and level."""
    widths = cells[:, 2] - cells[:, 0] + 1
    heights = cells[:, 3] - cells[:, 1] + 1
    for n in levels:
        for sizes, word in ((widths, "wide"), (heights, "tall")):
            bad = (sliding_count(sizes, n) != n).nonzero()
            if len(bad):
                k = int(bad[0, 0])
                _raise_sliding(n, k, int(sizes[k]), word)


def _raise_sliding(n, k, a, word):
    if a < n:
        raise ValueError(f"level {n}: window {k} is {a} cells {word}; " + _sliding_undefined_text(a, n))
    count = len(bin_edges(a, n, "sliding"))
    raise ValueError(
        f"level {n}: window {k} is {a} cells {word}, the sliding rule gives {count} bins, "
        f"not {n} (window ceil(a/n), stride floor(a/n), paper §2.3); use rule='adaptive'"
    )
