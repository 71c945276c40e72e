"""The numba kernels' SIMD building blocks (``pooling_simd``) against numpy, on their own: the tile operations of the
sparse-table kernel (a tile is TILE contiguous channels) and the block transposes, for both float dtypes, at offsets
that are not multiples of a tile, with ties, infinities and NaN (``x if x > y else y``, like the scalar code)."""

import numpy as np
import pytest

from sppviz.method import pooling


@pytest.fixture(scope="module")
def ops():
    if pooling.numba is None:
        pytest.skip("numba not installed")
    import numba

    from sppviz.method import pooling_simd as s

    @numba.njit
    def run(kind, src, a, b, c, e, dst, d):
        if kind == 0:
            s.copy_tile(src, a, dst, d)
        elif kind == 1:
            s.max_into_tile(src, a, dst, d)
        elif kind == 2:
            s.max2_tile(src, a, b, dst, d)
        elif kind == 3:
            s.max4_tile(src, a, b, c, e, dst, d)
        elif kind == 4:
            s.fold4_tile(src, a, b, c, e, dst, d)
        else:
            s.fold_into4_tile(src, a, b, c, e, dst, d)

    @numba.njit
    def transpose(rows, src, s0, ss, dst, d0, ds):
        if rows == 8:
            s.transpose_8(src, s0, ss, dst, d0, ds)
        else:
            s.transpose_4(src, s0, ss, dst, d0, ds)

    return s.TILE, run, transpose


def gt_max(x, y):
    """The kernels' maximum, lane by lane: x where x > y, else y (so NaN in x gives y, NaN in y gives NaN)."""
    return np.where(x > y, x, y)


def running_max(tiles):
    """v = the first tile, then v = x if x > v else v for each next tile x: how pool_kernel derives a bin."""
    v = tiles[0]
    for x in tiles[1:]:
        v = gt_max(x, v)
    return v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tile_operations_equal_numpy(ops, dtype):
    tile, run, _ = ops
    rng = np.random.default_rng(0)
    src = rng.integers(-3, 4, 10 * tile).astype(dtype)  # small integers: many ties
    src[[5, 9, 17, 40]] = [np.inf, np.nan, -np.inf, np.nan]
    a, b, c, e, d = 3, 1 + tile, 2 * tile + 7, 5 * tile + 2, 11  # no offset a multiple of the tile
    tiles = [src[o:o + tile] for o in (a, b, c, e)]
    dst0 = rng.standard_normal(3 * tile).astype(dtype)
    dst0[d + 4] = np.nan
    wants = [tiles[0], gt_max(tiles[0], dst0[d:d + tile]), gt_max(tiles[0], tiles[1]),
             gt_max(gt_max(tiles[0], tiles[1]), gt_max(tiles[2], tiles[3])), running_max(tiles),
             running_max([dst0[d:d + tile], *tiles])]
    for kind, want in enumerate(wants):
        dst = dst0.copy()
        run(kind, src, a, b, c, e, dst, d)
        np.testing.assert_array_equal(dst[d:d + tile], want)  # NaN where numpy has NaN
        np.testing.assert_array_equal(np.delete(dst, np.s_[d:d + tile]), np.delete(dst0, np.s_[d:d + tile]))
    assert np.isnan(wants[1][4])  # a NaN in the destination stays (x > NaN is false): the order of the operands
    assert np.isnan(wants[5][4])  # ... and stays through a running max
    # the NaN at src[9] (the first tile, lane 6) stays through a running max but not through max4's pairs
    assert np.isnan(wants[4][6]) and not np.isnan(wants[3][6])


@pytest.mark.parametrize("rows", [8, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_block_transpose_equals_numpy(ops, rows, dtype):
    _, _, transpose = ops
    src = np.arange(200, dtype=dtype)
    dst = np.full(300, -1, dtype)
    s0, ss, d0, ds = 3, 13, 5, 29  # dst[d0 + c*ds + r] = src[s0 + r*ss + c], r < rows, c < 8
    transpose(rows, src, s0, ss, dst, d0, ds)
    want = np.full(300, -1, dtype)
    for r in range(rows):
        for c in range(8):
            want[d0 + c * ds + r] = src[s0 + r * ss + c]
    np.testing.assert_array_equal(dst, want)


def test_the_kernels_load_where_numba_is_installed():
    """The numba tests skip where numba is missing; where it is installed, the kernels must load. A kernel that
    fails to compile makes ``compiled_kernels`` fall back to the torch backend, which would skip them all."""
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        pytest.skip("numba not installed")
    from sppviz.method import pooling_kernels  # raises what compiled_kernels would hide

    assert pooling.compiled_kernels() is pooling_kernels
