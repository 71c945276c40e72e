"""Tests for sppviz.method.pooling: bin rules (known answers + properties), the fast pooling against the
slow oracle and torchvision's roi_pool, nested derivation, errors, and the training layer."""

from itertools import pairwise

import pytest
import torch
import torchvision
from cell_helpers import random_cells, sliding_cells
from hypothesis import given, settings
from hypothesis import strategies as st

from sppviz.method import bins, pooling
from sppviz.method.bins import BIN_RULES, bin_edges, level_slices, vector_length
from sppviz.method.pooling import SpatialPyramidPooling, spatial_pyramid_pool, spp_reference

BACKENDS = ["torch"] + (["numba"] if pooling.numba is not None else [])
SMALL = settings(max_examples=200, deadline=None)


def special_cells(h, w, most=60):
    """1-cell windows (all of them on small maps, the four corners always), border rows and
    columns, the whole map and corner quarters."""
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    one = torch.stack([xs, ys, xs, ys], dim=-1).reshape(-1, 4)[:: max(1, h * w // most)]
    border = torch.tensor(
        [[0, 0, 0, 0], [w - 1, 0, w - 1, 0], [0, h - 1, 0, h - 1], [w - 1, h - 1, w - 1, h - 1],
         [0, 0, w - 1, 0], [0, h - 1, w - 1, h - 1], [0, 0, 0, h - 1], [w - 1, 0, w - 1, h - 1],
         [0, 0, w - 1, h - 1], [w // 2, h // 2, w - 1, h - 1], [0, 0, w // 2, h // 2]]
    )  # fmt: skip
    return torch.cat([one, border])


def tie_map(c, h, w, gen, dtype=torch.float32):
    """A map with many exact ties (small integers, half of them zero like after ReLU)."""
    return (torch.randint(-3, 4, (c, h, w), generator=gen).clamp(min=0)).to(dtype)


# ----------------------------------------------------------------------------------------
# bin_edges: known answers


def test_adaptive_known_answer_16_6():
    assert bin_edges(16, 6) == [(0, 2), (2, 5), (5, 7), (8, 10), (10, 13), (13, 15)]


def test_adaptive_repeats_cells_when_shorter_than_n():
    assert bin_edges(2, 6) == [(0, 0), (0, 0), (0, 0), (1, 1), (1, 1), (1, 1)]
    assert bin_edges(1, 3) == [(0, 0)] * 3


@pytest.mark.parametrize("n, window, stride", [(1, 13, 13), (2, 7, 6), (3, 5, 4), (6, 3, 2)])
def test_sliding_13x13_gives_n_bins(n, window, stride):
    """Paper §2.3: conv5 13x13 (224-px input) with levels 1, 2, 3, 6."""
    edges = bin_edges(13, n, "sliding")
    assert len(edges) == n
    assert all(e - s + 1 == window for s, e in edges)
    assert [s for s, _ in edges] == [i * stride for i in range(n)]
    assert edges[-1][1] == 12
    assert edges == bin_edges(13, n, "adaptive")  # on 13 cells the two rules coincide


@pytest.mark.parametrize("a, n, count", [(10, 6, 9), (8, 6, 7), (11, 4, 5)])
def test_sliding_count_differs_from_n(a, n, count):
    assert len(bin_edges(a, n, "sliding")) == count


def test_sliding_undefined_when_shorter_than_n():
    with pytest.raises(ValueError, match="undefined"):
        bin_edges(4, 6, "sliding")


@pytest.mark.parametrize("length, n", [(0, 2), (3, 0), (-1, 1), (2.0, 1), (3, 1.5), (True, 2)])
def test_bin_edges_rejects_bad_ints(length, n):
    with pytest.raises(ValueError, match=">= 1"):
        bin_edges(length, n)


def test_bin_edges_rejects_bad_rule():
    with pytest.raises(ValueError, match="adaptive.*sliding"):
        bin_edges(5, 2, "ceil")


# ----------------------------------------------------------------------------------------
# bin_edges: properties


@SMALL
@given(a=st.integers(1, 300), n=st.integers(1, 20))
def test_adaptive_properties(a, n):
    edges = bin_edges(a, n)
    assert len(edges) == n
    assert edges[0][0] == 0 and edges[-1][1] == a - 1  # covers 0..a-1
    assert all(s <= e for s, e in edges)  # never empty
    assert all(s0 <= s1 and e0 <= e1 for (s0, e0), (s1, e1) in pairwise(edges))  # in order
    assert all(s1 <= e0 + 1 for (_, e0), (s1, _) in pairwise(edges))  # no gap
    assert max(e - s + 1 for s, e in edges) <= -(-a // n) + 1


@SMALL
@given(a=st.integers(1, 300), n=st.integers(1, 20))
def test_sliding_properties(a, n):
    if a < n:
        with pytest.raises(ValueError):
            bin_edges(a, n, "sliding")
        return
    window, stride = -(-a // n), a // n
    edges = bin_edges(a, n, "sliding")
    assert len(edges) == (a - window) // stride + 1
    assert all(e - s + 1 == window for s, e in edges)
    assert [s for s, _ in edges] == [i * stride for i in range(len(edges))]
    assert edges[-1][1] <= a - 1


@SMALL
@given(lo=st.integers(0, 50), a=st.integers(1, 80), n=st.integers(1, 12), rule=st.sampled_from(BIN_RULES))
def test_axis_bins_matches_bin_edges(lo, a, n, rule):
    if rule == "sliding" and (a < n or len(bin_edges(a, n, rule)) != n):
        return  # the vectorised form is only used after the sliding count check
    start, end = bins.axis_bins(torch.tensor([lo]), torch.tensor([lo + a - 1]), n, rule)
    want = [(lo + s, lo + e) for s, e in bin_edges(a, n, rule)]
    assert list(zip(start[0].tolist(), end[0].tolist(), strict=True)) == want


@SMALL
@given(a=st.integers(1, 200), m=st.integers(1, 12), data=st.data())
def test_nested_bins_are_unions_of_finer_bins(a, m, data):
    """Adaptive bin i of level n = union of bins i*r .. i*r+r-1 of level m when m = r*n."""
    n = data.draw(st.sampled_from([d for d in range(1, m + 1) if m % d == 0]))
    r = m // n
    fine, coarse = bin_edges(a, m), bin_edges(a, n)
    for i, (s, e) in enumerate(coarse):
        group = fine[i * r : (i + 1) * r]
        cells = set().union(*(range(fs, fe + 1) for fs, fe in group))
        assert cells == set(range(s, e + 1))


# ----------------------------------------------------------------------------------------
# spatial_pyramid_pool against the oracle


MAPS = [  # (C, H, W, number of random windows)
    (5, 13, 13, 250),
    (4, 7, 19, 250),  # H != W
    (3, 2, 3, 60),  # smaller than level 6: bins repeat cells
    (6, 1, 1, 5),
    (8, 24, 17, 300),
]


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (1, 2, 4, 5), (6, 3, 2, 1), (4,), (7, 1, 3)])
def test_matches_reference(levels):
    """Values and argmax equal the oracle for every backend; maps with many exact ties."""
    gen = torch.Generator().manual_seed(sum(levels))
    share = 1 if levels == (1, 2, 3, 6) else 4  # the detection pyramid gets the most windows
    for i, (c, h, w, k) in enumerate(MAPS):
        fmap = tie_map(c, h, w, gen) if i % 2 == 0 else torch.randn(c, h, w, generator=gen).relu()
        cells = torch.cat([random_cells(k // share, h, w, gen), special_cells(h, w, 40 // share)])
        want, want_arg = spp_reference(fmap, cells, levels, return_argmax=True)
        for backend in BACKENDS:
            got, got_arg = spatial_pyramid_pool(fmap, cells, levels, return_argmax=True, backend=backend)
            assert torch.equal(got, want), (backend, levels, (c, h, w))
            assert torch.equal(got_arg, want_arg), (backend, levels, (c, h, w))
            assert torch.equal(spatial_pyramid_pool(fmap, cells, levels, backend=backend), want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_argmax_points_at_the_max_inside_the_window(backend):
    gen = torch.Generator().manual_seed(3)
    fmap = tie_map(4, 9, 11, gen)
    cells = random_cells(200, 9, 11, gen)
    out, arg = spatial_pyramid_pool(fmap, cells, return_argmax=True, backend=backend)
    channel = torch.cat([torch.arange(4).repeat_interleave(n * n) for n in (1, 2, 3, 6)])
    assert torch.equal(fmap.reshape(4, -1)[channel[None, :], arg], out)
    ys, xs = arg // 11, arg % 11
    assert ((xs >= cells[:, :1]) & (xs <= cells[:, 2:3]) & (ys >= cells[:, 1:2]) & (ys <= cells[:, 3:])).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
def test_dtypes(backend, dtype):
    gen = torch.Generator().manual_seed(4)
    fmap = torch.randn(3, 6, 8, generator=gen, dtype=torch.float64).to(dtype)
    cells = random_cells(40, 6, 8, gen)
    got, got_arg = spatial_pyramid_pool(fmap, cells, return_argmax=True, backend=backend)
    want, want_arg = spp_reference(fmap, cells, return_argmax=True)
    assert got.dtype == dtype and torch.equal(got, want) and torch.equal(got_arg, want_arg)


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_large_output_buffers():
    """Outputs of 16 MB and more live in huge-page mmap buffers (pooling._empty): same results."""
    gen = torch.Generator().manual_seed(9)
    fmap = torch.randn(128, 12, 15, generator=gen).relu()
    cells = random_cells(700, 12, 15, gen)  # 700 x 6,400 values: 18 MB of float32
    outs = [spatial_pyramid_pool(fmap, cells, return_argmax=True, backend=b) for b in BACKENDS]
    want = spp_reference(fmap, cells[:25], return_argmax=True)
    for out, arg in outs:
        assert torch.equal(out[:25], want[0]) and torch.equal(arg[:25], want[1])
        assert torch.equal(out, outs[0][0]) and torch.equal(arg, outs[0][1])
    buf = pooling._empty((1024, 4096), torch.float32, "cpu")
    buf.fill_(2.0)
    assert buf.shape == (1024, 4096) and buf.sum() == 2.0 * 1024 * 4096


def test_fmap_that_requires_grad_is_pooled_without_graph():
    fmap = torch.rand(3, 5, 6, requires_grad=True)
    for backend in BACKENDS:
        out = spatial_pyramid_pool(fmap, torch.tensor([[0, 0, 5, 4]]), backend=backend)
        assert not out.requires_grad and torch.equal(out, spp_reference(fmap.detach(), [[0, 0, 5, 4]]))


def test_infinities_are_ordinary_values():
    fmap = torch.full((2, 3, 3), float("-inf"))
    fmap[1, 2, 2] = float("inf")
    cells = torch.tensor([[0, 0, 2, 2], [1, 1, 1, 1]])
    for backend in BACKENDS:
        got = spatial_pyramid_pool(fmap, cells, (1, 2), return_argmax=True, backend=backend)
        want = spp_reference(fmap, cells, (1, 2), return_argmax=True)
        assert all(torch.equal(g, w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("backend", BACKENDS)
def test_sliding_rule_matches_reference(backend):
    """Windows whose every axis gives n sliding bins for every level (e.g. 7, 13 cells)."""
    gen = torch.Generator().manual_seed(5)
    levels = (1, 2, 3, 6)
    fmap = tie_map(4, 26, 30, gen)
    cells = random_cells(3000, 26, 30, gen)
    cells = sliding_cells(cells, levels, 150)
    assert len(cells) > 20
    got = spatial_pyramid_pool(fmap, cells, levels, "sliding", return_argmax=True, backend=backend)
    want = spp_reference(fmap, cells, levels, "sliding", return_argmax=True)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_empty_window_list():
    fmap = torch.rand(3, 5, 5)
    for backend in BACKENDS:
        none = torch.zeros(0, 4, dtype=torch.long)
        out, arg = spatial_pyramid_pool(fmap, none, return_argmax=True, backend=backend)
        assert out.shape == arg.shape == (0, 150) and arg.dtype == torch.int64
    assert spp_reference(fmap, torch.zeros(0, 4, dtype=torch.long)).shape == (0, 150)


# ----------------------------------------------------------------------------------------
# parity with torchvision roi_pool (same adaptive bins on integer cells, spatial_scale 1)


def test_last_bin_stays_inside_the_window_where_roi_pool_overshoots():
    """roi_pool computes bins in float32 (bin = a/n, end = ceil((i+1)*bin)); for n = 7, 11 and
    some a the last bin ends one cell past the window (a = 57, n = 7: cell 57). Parity with
    roi_pool therefore holds for n <= 6 (checked for a < 2000); our integer bins never overshoot."""
    fmap = torch.zeros(1, 1, 60)
    fmap[0, 0, 57] = 5.0  # just right of the 57-cell window 0..56
    assert bin_edges(57, 7)[-1] == (48, 56)
    for backend in BACKENDS:
        assert spatial_pyramid_pool(fmap, torch.tensor([[0, 0, 56, 0]]), (7,), backend=backend).max() == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_roi_pool_parity(backend):
    gen = torch.Generator().manual_seed(6)
    c, h, w = 6, 21, 34
    fmap = tie_map(c, h, w, gen)
    cells = torch.cat([random_cells(500, h, w, gen), special_cells(5, 5)])
    boxes = torch.cat([torch.zeros(len(cells), 1), cells.float()], dim=1)
    levels = (1, 2, 3, 4, 5, 6)
    out, arg = spatial_pyramid_pool(fmap, cells, levels, return_argmax=True, backend=backend)
    for n, part in zip(levels, level_slices(c, levels), strict=True):
        ref, ref_arg = torch.ops.torchvision.roi_pool(fmap[None], boxes, 1.0, n, n)
        assert torch.equal(out[:, part], ref.flatten(1)), n
        assert torch.equal(arg[:, part], ref_arg.flatten(1).long()), n  # index in the H*W plane
        assert torch.equal(out[:, part], torchvision.ops.roi_pool(fmap[None], boxes, n, 1.0).flatten(1))


# ----------------------------------------------------------------------------------------
# nested derivation


def test_plan():
    assert pooling._plan((1, 2, 3, 6), "adaptive") == [(6, None), (3, 6), (2, 6), (1, 2)]
    assert pooling._plan((1, 2, 4, 5), "adaptive") == [(5, None), (4, None), (2, 4), (1, 2)]
    assert pooling._plan((1, 2, 3, 6), "sliding") == [(1, None), (2, None), (3, None), (6, None)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_derived_levels_equal_directly_pooled_levels(backend):
    gen = torch.Generator().manual_seed(7)
    fmap = tie_map(5, 16, 23, gen)
    cells = torch.cat([random_cells(400, 16, 23, gen), special_cells(4, 4)])
    levels = (1, 2, 3, 6, 12)
    out, arg = spatial_pyramid_pool(fmap, cells, levels, return_argmax=True, backend=backend)
    for n, part in zip(levels, level_slices(5, levels), strict=True):
        alone, alone_arg = spatial_pyramid_pool(fmap, cells, (n,), return_argmax=True, backend=backend)
        assert torch.equal(out[:, part], alone) and torch.equal(arg[:, part], alone_arg), n


# ----------------------------------------------------------------------------------------
# errors


def sliding_error(cells, levels=(1, 2, 3, 6)):
    with pytest.raises(ValueError) as info:
        spatial_pyramid_pool(torch.rand(2, 20, 20), torch.tensor(cells), levels, "sliding")
    return str(info.value)


def test_sliding_error_names_level_window_size_and_count():
    text = sliding_error([[0, 0, 12, 12], [0, 0, 12, 12], [0, 0, 12, 12], [2, 0, 11, 12]])
    assert "level 6: window 3 is 10 cells wide, the sliding rule gives 9 bins, not 6" in text
    text = sliding_error([[0, 0, 12, 7]])
    assert "level 6: window 0 is 8 cells tall, the sliding rule gives 7 bins, not 6" in text
    text = sliding_error([[0, 0, 3, 12]])
    assert "level 6: window 0 is 4 cells wide" in text and "undefined" in text
    assert "level 4" in sliding_error([[0, 0, 10, 10]], (4,))
    with pytest.raises(ValueError, match="level 6: window 0"):
        spp_reference(torch.rand(2, 20, 20), torch.tensor([[0, 0, 9, 9]]), (1, 6), "sliding")


@pytest.mark.parametrize(
    "cells, match",
    [
        ([[0, 0, 5, 2]], "outside"),
        ([[-1, 0, 2, 2]], "outside"),
        ([[0, 0, 2, 4]], "outside"),
        ([[2, 0, 1, 2]], "inverted"),
        ([[0, 2, 2, 1]], "inverted"),
        ([[0.0, 0.0, 1.0, 1.0]], "integer"),
        ([[0, 0, 1]], r"\[K, 4\]"),
    ],
)
def test_bad_cells(cells, match):
    fmap = torch.rand(2, 4, 5)
    for fn in (spatial_pyramid_pool, spp_reference):
        with pytest.raises(ValueError, match=match):
            fn(fmap, torch.tensor(cells))


@pytest.mark.parametrize("levels", [(), (1, 1), (0, 2), (1, 2.5), 3, (True,)])
def test_bad_levels(levels):
    for call in (
        lambda: spatial_pyramid_pool(torch.rand(2, 4, 4), torch.tensor([[0, 0, 1, 1]]), levels),
        lambda: SpatialPyramidPooling(levels),
        lambda: vector_length(4, levels),
    ):
        with pytest.raises(ValueError):
            call()


def test_bad_fmap_rule_backend():
    cells = torch.tensor([[0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        spatial_pyramid_pool(torch.rand(1, 2, 4, 4), cells)
    with pytest.raises(ValueError, match=r"\[C, H, W\]"):
        spatial_pyramid_pool(torch.ones(2, 4, 4, dtype=torch.long), cells)
    with pytest.raises(ValueError, match="NaN"):
        spatial_pyramid_pool(torch.full((2, 4, 4), float("nan")), cells)
    with pytest.raises(ValueError, match="adaptive"):
        spatial_pyramid_pool(torch.rand(2, 4, 4), cells, rule="ceil")
    with pytest.raises(ValueError, match="backend"):
        spatial_pyramid_pool(torch.rand(2, 4, 4), cells, backend="cuda")


# ----------------------------------------------------------------------------------------
# lengths, slices and the training layer


def test_vector_length_and_slices():
    assert vector_length(256) == 12_800  # paper §4.1: 50 bins x 256 channels
    assert vector_length(256, (4, 3, 2, 1)) == 256 * 30
    assert level_slices(2, (1, 2, 3)) == [slice(0, 2), slice(2, 10), slice(10, 28)]


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (6, 3, 2, 1), (4, 1)])
def test_layer_fixed_length_and_equals_whole_map_window(levels):
    gen = torch.Generator().manual_seed(8)
    layer = SpatialPyramidPooling(levels)
    for h, w in [(1, 1), (2, 3), (13, 13), (10, 10), (7, 1), (43, 65), (5, 12)]:
        x = torch.randn(2, 3, h, w, generator=gen)
        y = layer(x)
        assert y.shape == (2, vector_length(3, levels)) == (2, layer.output_length(3))
        whole = torch.tensor([[0, 0, w - 1, h - 1]])
        for b in range(2):
            assert torch.equal(y[b], spatial_pyramid_pool(x[b], whole, levels)[0])


def test_layer_backprop():
    x = torch.randn(2, 4, 9, 7, requires_grad=True)
    SpatialPyramidPooling().forward(x).sum().backward()
    assert x.grad.shape == x.shape and x.grad.sum() == 2 * 4 * 50  # one unit per bin
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        SpatialPyramidPooling()(torch.rand(3, 4, 4))
    assert "levels=(1, 2, 3, 6)" in repr(SpatialPyramidPooling())


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (4, 1)])
def test_window_pooling_gradient_equals_autograd_through_the_reference(levels):
    """spatial_pyramid_pool_grad (fast kernel + argmax scatter) has the same forward values and the
    same d/d fmap as autograd through the slow reference loop (no ties: continuous random map)."""
    gen = torch.Generator().manual_seed(11)
    fmap = torch.randn(5, 9, 13, generator=gen, dtype=torch.float64)
    cells = torch.cat([random_cells(30, 9, 13, gen), special_cells(9, 13, 10)])
    weights = torch.randn(len(cells), vector_length(5, levels), generator=gen, dtype=torch.float64)
    a = fmap.clone().requires_grad_(True)
    out = pooling.spatial_pyramid_pool_grad(a, cells, levels)
    (out * weights).sum().backward()
    b = fmap.clone().requires_grad_(True)
    ref = spp_reference(b, cells, levels)
    (ref * weights).sum().backward()
    assert torch.equal(out.detach(), ref.detach())
    assert torch.allclose(a.grad, b.grad, rtol=0, atol=1e-12)
    assert a.grad.abs().sum() > 0


# ----------------------------------------------------------------------------------------
# the release rule: float32 edges as utils/spm_pool/spm_pool_caffe_mex.cpp, maxima from 0


def test_release_known_answers():
    assert bins.release_differences(21, (7,)) == [(7, 0, (0, 3), (0, 2)), (7, 1, (3, 6), (3, 5)),
                                                  (7, 3, (9, 12), (9, 11))]
    assert bins.release_differences(13, (13,)) == [(13, 6, (6, 7), (6, 6))]
    assert bins.release_differences(13, (1, 2, 3, 6)) == []
    assert bin_edges(21, 7, "release")[0] == (0, 3) and bin_edges(21, 7)[0] == (0, 2)


def test_release_differs_only_at_some_levels_and_only_by_one_longer_bin():
    """For a = 1..2048: levels 5, 7, 9, 10, 12, 13, 14, 15 have widths whose release bins are not the
    exact ones, levels 1, 2, 3, 4, 6, 8, 11, 16 never; every release bin contains the exact bin and is at
    most one cell longer; the smallest differing widths are a = 13 (n = 13) and a = 21 (n = 7)."""
    a = torch.arange(1, 2049)
    differ, smallest = set(), {}
    for n in range(1, 17):
        (s, e), (es, ee) = bins.axis_bins(torch.zeros_like(a), a - 1, n, "release"), bins.axis_bins(
            torch.zeros_like(a), a - 1, n, "adaptive")
        assert bool((s <= es).all() and (e >= ee).all()), n
        assert int((es - s).max()) <= 1 and int((e - ee).max()) <= 1, n
        rows = ((s != es) | (e != ee)).any(1)
        if rows.any():
            differ.add(n)
            smallest[n] = int(a[rows][0])
    assert differ == {5, 7, 9, 10, 12, 13, 14, 15}
    assert min(smallest.values()) == 13 and smallest[13] == 13 and smallest[7] == 21


def test_release_nested_levels_are_unions_of_finer_bins():
    """Derivation is exact under the release rule (pooling module doc): for every a <= 2048 and every
    n | m <= 16, release bin i of level n = union of release bins i*r .. i*r+r-1 of level m."""
    a = torch.arange(1, 2049)
    zero = torch.zeros_like(a)
    for m in range(2, 17):
        fs, fe = bins.axis_bins(zero, a - 1, m, "release")
        assert bool((fs[:, 1:] <= fe[:, :-1] + 1).all()), m  # no gap between consecutive fine bins
        for n in (d for d in range(1, m) if m % d == 0):
            r = m // n
            cs, ce = bins.axis_bins(zero, a - 1, n, "release")
            assert torch.equal(cs, fs[:, ::r]) and torch.equal(ce, fe[:, r - 1::r]), (m, n)
            assert torch.equal(fs.view(-1, n, r).min(2).values, cs) and torch.equal(fe.view(-1, n, r).max(2).values, ce)


def test_release_plan_derives():
    assert pooling._plan((1, 2, 3, 6), "release") == [(6, None), (3, 6), (2, 6), (1, 2)]


@pytest.mark.parametrize("levels", [(1, 2, 3, 6), (7, 14, 1), (13, 5, 15)])
@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_release_rule_matches_reference_on_signed_and_relu_maps(levels):
    """Every backend equals the oracle (values and argmax), the floor of 0 included: on a signed map
    all-negative bins pool to 0 with argmax -1."""
    gen = torch.Generator().manual_seed(21)
    share = 1 if levels == (1, 2, 3, 6) else 8  # the oracle loops over every bin: fewer windows for big levels
    for c, h, w, k in [(4, 30, 41, 100), (3, 15, 15, 60), (2, 1, 1, 3)]:
        signed = torch.randn(c, h, w, generator=gen) - 0.8
        for fmap in (signed, signed.relu(), tie_map(c, h, w, gen) - 1):
            cells = torch.cat([random_cells(max(3, k // share), h, w, gen), special_cells(h, w, 20 // share)])
            want, want_arg = spp_reference(fmap, cells, levels, "release", return_argmax=True)
            assert bool((want >= 0).all())
            adaptive = spp_reference(fmap, cells, levels, "adaptive")
            if fmap.min() < 0 and levels == (1, 2, 3, 6):  # bins are the exact ones here: only the floor
                assert torch.equal(want, adaptive.clamp(min=0))
            assert torch.equal(want_arg < 0, want == 0) or fmap.min() >= 0 or (fmap == 0).any()
            for backend in BACKENDS:
                got, got_arg = spatial_pyramid_pool(fmap, cells, levels, "release", True, backend)
                assert torch.equal(got, want) and torch.equal(got_arg, want_arg), (backend, levels)


def test_release_rule_reads_the_longer_bin():
    """a = 21, n = 7: release bin 0 is cells 0..3, so a maximum at cell 3 shows in bin 0; the exact
    adaptive bin 0 (cells 0..2) does not see it."""
    fmap = torch.zeros(4, 1, 21)
    fmap[:, 0, 3] = 1.0
    cells = torch.tensor([[0, 0, 20, 0]])
    for backend in BACKENDS:
        rel = spatial_pyramid_pool(fmap, cells, (7,), "release", backend=backend).view(4, 7, 7)
        ada = spatial_pyramid_pool(fmap, cells, (7,), "adaptive", backend=backend).view(4, 7, 7)
        assert rel[0, 0, :2].tolist() == [1.0, 1.0] and ada[0, 0, :2].tolist() == [0.0, 1.0]


def test_release_layer_and_gradient():
    """SpatialPyramidPooling(rule="release") equals the whole-map window; its gradient is 1 at each bin's
    argmax and 0 where the floor of 0 gave the value."""
    gen = torch.Generator().manual_seed(5)
    layer = SpatialPyramidPooling((1, 2, 7), rule="release")
    assert "rule='release'" in repr(layer) and layer.output_length(3) == 3 * 54
    x = (torch.randn(2, 3, 5, 21, generator=gen, dtype=torch.float64) - 1.0).requires_grad_(True)
    y = layer(x)
    whole = torch.tensor([[0, 0, 20, 4]])
    for b in range(2):
        assert torch.equal(y[b], spatial_pyramid_pool(x[b].detach(), whole, (1, 2, 7), "release")[0])
    y.sum().backward()
    assert x.grad.sum() == int((y > 0).sum()) and int((y == 0).sum()) > 0
    cells = random_cells(40, 5, 21, gen)
    a = x[0].detach().clone().requires_grad_(True)
    b = x[0].detach().clone().requires_grad_(True)
    weights = torch.randn(40, 3 * 54, generator=gen, dtype=torch.float64)
    (pooling.spatial_pyramid_pool_grad(a, cells, (1, 2, 7), "release") * weights).sum().backward()
    (spp_reference(b, cells, (1, 2, 7), "release") * weights).sum().backward()
    assert torch.allclose(a.grad, b.grad, rtol=0, atol=1e-12)
