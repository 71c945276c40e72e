"""Pooling into a given output (``out=``) and the reused output buffers (``pooling.OutputBuffers``)."""

import pytest
import torch

from sppviz.method import bins, pooling
from sppviz.model.backbones import build
from sppviz.model.detector import ScaleFeatures, pool_windows

LEVELS = (1, 2, 3, 6)


def case(k=50, seed=0, chw=(16, 9, 13)):
    g = torch.Generator().manual_seed(seed)
    c, h, w = chw
    fmap = torch.randn(chw, generator=g)
    x0 = torch.randint(0, w, (k,), generator=g)
    y0 = torch.randint(0, h, (k,), generator=g)
    x1 = torch.minimum(x0 + torch.randint(0, w, (k,), generator=g), torch.tensor(w - 1))
    y1 = torch.minimum(y0 + torch.randint(0, h, (k,), generator=g), torch.tensor(h - 1))
    return fmap, torch.stack([x0, y0, x1, y1], 1)


@pytest.mark.parametrize("backend", ["torch", "numba"])
@pytest.mark.parametrize("rule", ["adaptive", "release"])
def test_out_gets_the_same_vectors_and_is_returned(backend, rule):
    if backend == "numba" and pooling.numba is None:
        pytest.skip("numba not installed")
    fmap, cells = case()
    want = pooling.spatial_pyramid_pool(fmap, cells, LEVELS, rule, backend=backend)
    out = torch.full(want.shape, float("nan"))  # every element must be overwritten
    got = pooling.spatial_pyramid_pool(fmap, cells, LEVELS, rule, backend=backend, out=out)
    assert got.data_ptr() == out.data_ptr()
    assert torch.equal(got, want)


def test_out_in_another_dtype_is_written_through_float():
    fmap, cells = case()
    want = pooling.spatial_pyramid_pool(fmap.half(), cells, LEVELS)
    out = torch.zeros(want.shape, dtype=torch.float16)
    assert torch.equal(pooling.spatial_pyramid_pool(fmap.half(), cells, LEVELS, out=out), want)


@pytest.mark.parametrize("bad", [torch.zeros(3, 3), torch.zeros(50, 800, dtype=torch.float64),
                                 torch.zeros(800, 50).t()])
def test_a_wrong_out_is_refused(bad):
    fmap, cells = case()
    assert bins.vector_length(16, LEVELS) == 800  # the right shape is (50, 800)
    with pytest.raises(ValueError, match="out must be"):
        pooling.spatial_pyramid_pool(fmap, cells, LEVELS, out=bad)


def test_buffers_are_lent_reused_and_capped():
    bufs = pooling.OutputBuffers(keep=1)
    with bufs.take((100, 800), torch.float32) as a:
        first = a.data_ptr()
        assert a.shape == (100, 800) and a.is_contiguous()
        with bufs.take((100, 800), torch.float32) as b:  # in use at the same time: another buffer
            second = b.data_ptr()
            assert second != first
    assert bufs.nbytes == 100 * 800 * 4  # one idle buffer kept
    with bufs.take((60, 800), torch.float32) as c:  # a smaller request reuses the idle buffer
        assert c.data_ptr() in (first, second) and c.shape == (60, 800)
    with bufs.take((100, 800), torch.float64) as d:  # another dtype: a new buffer
        assert d.dtype == torch.float64
    bufs.clear()
    assert bufs.nbytes == 0
    big = pooling.OutputBuffers(keep=2, max_bytes=1000)
    with big.take((10, 800), torch.float32):
        pass
    assert big.nbytes == 0  # larger than max_bytes: not kept


def test_pool_windows_into_a_buffer_equals_a_fresh_pool():
    trunk = build("zf5", width=0.25)
    g = trunk.geometry
    torch.manual_seed(0)
    image_wh = (300, 200)
    feats = [ScaleFeatures(s, (round(s * 1.5), s), s / 200, torch.rand(trunk.out_channels, s // 16, (s * 3) // 32))
             for s in (160, 240)]
    x0 = torch.randint(0, 250, (40,)).float()
    y0 = torch.randint(0, 150, (40,)).float()
    windows = torch.stack([x0, y0, x0 + torch.randint(8, 50, (40,)), y0 + torch.randint(8, 50, (40,))], 1)
    for scale_feats in (feats[:1], feats):  # one scale (rows consecutive) and two (interleaved rows)
        want = pool_windows(scale_feats, windows, image_wh, g, LEVELS)
        out = torch.full_like(want[2], float("nan"))
        got = pool_windows(scale_feats, windows, image_wh, g, LEVELS, out=out)
        assert got[2].data_ptr() == out.data_ptr()
        for a, b in zip(got, want, strict=True):
            assert torch.equal(a, b)
