"""The numba backend's sparse-table kernel (``pooling_kernels.table_kernel``, chosen by ``pooling.scan_or_table``)
against the slow oracle: forced on for every case here (also where a scan would be cheaper), with a table capped
below the bins' size too (more blocks per bin), channel counts that are not multiples of the 8-lane block
transpose, levels of fewer than 4 bins, every rule and both float dtypes."""

import pytest
import torch
from cell_helpers import random_cells, sliding_cells

from sppviz.method import pooling
from sppviz.method.bins import axis_bins
from sppviz.method.pooling import spatial_pyramid_pool, spp_reference

pytestmark = pytest.mark.skipif(pooling.numba is None, reason="numba not installed")


@pytest.fixture(params=["uncapped", "capped"])
def table(request, monkeypatch):
    """Make the numba backend take the table path; "capped": a table of at most 2 x 2 levels."""
    chosen = []

    def always(hwc, itemsize, rows, cols, values_per_window):
        tallest = max(int((r1 - r0).max()) + 1 for r0, r1 in rows)
        widest = max(int((q1 - q0).max()) + 1 for q0, q1 in cols)
        limit = hwc[0] * hwc[1] * hwc[2] * itemsize * (4 if request.param == "capped" else 10**6)
        chosen.append(pooling.table_levels(hwc, itemsize, tallest, widest, max_bytes=limit))
        return chosen[-1]

    monkeypatch.setattr(pooling, "scan_or_table", always)
    return chosen


MAPS = [(256, 43, 65, 100), (19, 17, 23, 150), (8, 1, 9, 40), (3, 12, 1, 30), (12, 31, 30, 150)]


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (1, 2, 4, 5), (7, 1, 3), (2,), (4, 8)])
@pytest.mark.parametrize("rule", ["adaptive", "release"])
def test_table_path_equals_the_reference(table, levels, rule):
    gen = torch.Generator().manual_seed(sum(levels) + len(rule))
    for c, h, w, k in MAPS:
        signed = torch.randn(c, h, w, generator=gen)
        fmap = signed if rule == "release" else signed.relu()  # the release's floor of 0 needs negative maxima
        cells = torch.cat([random_cells(k, h, w, gen), torch.tensor([[0, 0, w - 1, h - 1], [0, 0, 0, 0]])])
        got = spatial_pyramid_pool(fmap, cells, levels, rule, backend="numba")
        assert torch.equal(got, spp_reference(fmap, cells, levels, rule)), (levels, rule, (c, h, w))
    assert len(table) == len(MAPS)  # every case took the table path


def test_capped_table_still_covers_tall_bins(table):
    """One level, bins up to the whole 40 x 50 map: a table of 2 x 2 levels needs up to 20 x 25 blocks per bin."""
    gen = torch.Generator().manual_seed(7)
    fmap = torch.randn(10, 40, 50, generator=gen)
    cells = torch.cat([random_cells(200, 40, 50, gen), torch.tensor([[0, 0, 49, 39]])])
    got = spatial_pyramid_pool(fmap, cells, (1,), "adaptive", backend="numba")
    assert torch.equal(got, spp_reference(fmap, cells, (1,)))


def test_table_path_sliding_rule(table):
    """The sliding rule pools every level directly (no derivation) from the same table."""
    gen = torch.Generator().manual_seed(5)
    levels = (1, 2, 3, 6)
    fmap = torch.randn(20, 26, 30, generator=gen)
    cells = random_cells(3000, 26, 30, gen)
    cells = sliding_cells(cells, levels, 100)
    assert len(cells) > 20
    got = spatial_pyramid_pool(fmap, cells, levels, "sliding", backend="numba")
    assert torch.equal(got, spp_reference(fmap, cells, levels, "sliding"))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_table_path_dtypes(table, dtype):
    gen = torch.Generator().manual_seed(11)
    fmap = torch.randn(21, 14, 18, generator=gen, dtype=torch.float64).to(dtype)
    cells = random_cells(150, 14, 18, gen)
    got = spatial_pyramid_pool(fmap, cells, backend="numba")
    assert got.dtype == dtype and torch.equal(got, spp_reference(fmap, cells))


def test_table_path_ties_and_infinities(table):
    """Small integers (many exact ties, half zero) and +-inf are ordinary values."""
    gen = torch.Generator().manual_seed(5)
    fmap = torch.randint(-3, 4, (16, 20, 25), generator=gen).clamp(min=0).float()
    fmap[3, 4, 5], fmap[7, 10, 10] = float("inf"), float("-inf")
    cells = random_cells(300, 20, 25, gen)
    assert torch.equal(spatial_pyramid_pool(fmap, cells, backend="numba"), spp_reference(fmap, cells))


def test_table_path_into_a_reused_output(table):
    gen = torch.Generator().manual_seed(3)
    fmap = torch.randn(64, 20, 30, generator=gen).relu()
    cells = random_cells(250, 20, 30, gen)
    want = spp_reference(fmap, cells)
    bufs = pooling.OutputBuffers(keep=1)
    for _ in range(2):
        with bufs.take(tuple(want.shape), torch.float32) as out:
            out.fill_(float("nan"))  # every element must be written
            assert torch.equal(spatial_pyramid_pool(fmap, cells, out=out), want)
    out = torch.empty(len(cells) * want.shape[1] + 3)[3:].view(want.shape)  # rows that start off 64-byte lines
    assert out.data_ptr() % 64 != 0
    assert torch.equal(spatial_pyramid_pool(fmap, cells, out=out), want)


def test_the_choice_between_scan_and_table():
    """An analysis's 2,000 windows: a table (large windows on a 256-channel map, small ones on the bundled
    model's 64 channels); one window, or twenty: a scan."""
    gen = torch.Generator().manual_seed(0)

    def choice(hwc, cells, n=6):
        rows = [axis_bins(cells[:, 1], cells[:, 3], n, "adaptive")]
        cols = [axis_bins(cells[:, 0], cells[:, 2], n, "adaptive")]
        return pooling.scan_or_table(hwc, 4, rows, cols, 50)

    many = random_cells(2000, 43, 65, gen)
    small = torch.cat([many[:, :2] // 2, many[:, :2] // 2 + 2], dim=1)  # 3 x 3 cells each
    assert choice((43, 65, 256), many) == (4, 4)  # 6 x 6 bins of up to 8 x 11 cells
    assert choice((43, 65, 64), small) == (1, 1)
    assert choice((43, 65, 256), many[:20]) is None
    assert choice((43, 65, 256), torch.tensor([[0, 0, 64, 42]])) is None
    # capped at 8 copies of the map: (4, 4) -> (3, 4) -> (3, 3) -> (2, 3), the axis with more levels first
    assert pooling.table_levels((43, 65, 256), 4, 8, 11, max_bytes=8 * 43 * 65 * 256 * 4) == (2, 3)


@pytest.mark.parametrize("rule", ["adaptive", "release"])
def test_windows_pooled_from_the_crop_they_cover(rule):
    """A call pools from the bounding box of its windows' cells: values and argmax (flat indices of the whole
    map, -1 for the release's floor) as the reference's, one window at a time and a few close together."""
    gen = torch.Generator().manual_seed(13)
    fmap = torch.randn(9, 17, 23, generator=gen)
    cells = random_cells(40, 17, 23, gen)
    groups = [cells[i:i + 1] for i in range(30)] + [cells[30:33], torch.tensor([[22, 16, 22, 16], [20, 5, 22, 16]])]
    for group in groups:
        got = spatial_pyramid_pool(fmap, group, (1, 2, 3), rule, return_argmax=True, backend="numba")
        want = spp_reference(fmap, group, (1, 2, 3), rule, return_argmax=True)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1]), group.tolist()


@pytest.mark.parametrize("threads", [1, 2])
def test_table_path_with_any_number_of_workers(table, threads):
    """Each worker builds the tables of every n-th channel tile in turn: one worker takes them all, two share
    them; 40 channels make 3 tiles, the last one partial."""
    numba = pooling.numba
    gen = torch.Generator().manual_seed(17)
    fmap = torch.randn(40, 15, 21, generator=gen).relu()
    cells = random_cells(300, 15, 21, gen)
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        got = spatial_pyramid_pool(fmap, cells, backend="numba")
    finally:
        numba.set_num_threads(before)
    assert torch.equal(got, spp_reference(fmap, cells))
