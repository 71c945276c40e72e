"""Tests for sppviz.model.weights.backbones: geometry known answers, shapes, width, safe weight loading."""

import functools

import numpy as np
import pytest
import torch
import torchvision
from safetensors.torch import save_file
from torch import nn

from sppviz.model import backbones
from sppviz.model.backbones import KNOWN_WEIGHTS, NAMES, WeightsNotFound, build


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """Tests never touch the network."""
    monkeypatch.delenv("SPPVIZ_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.delenv("SPPVIZ_WEIGHTS_DIR", raising=False)


@pytest.fixture
def weight_dirs(tmp_path, monkeypatch):
    """An empty $SPPVIZ_WEIGHTS_DIR and an empty torch hub dir; returns (weights_dir, hub_checkpoints)."""
    wdir = tmp_path / "weights"
    hub = tmp_path / "hub"
    wdir.mkdir()
    hub.mkdir()
    monkeypatch.setenv("SPPVIZ_WEIGHTS_DIR", str(wdir))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    return wdir, hub / "checkpoints"


def _small(name):
    """Cheapest build of each backbone (ZF at quarter width)."""
    torch.manual_seed(0)
    return build(name, width=0.25) if name.startswith("zf5") else build(name)


@functools.cache
def _cached(name):
    """Shared read-only trunk per backbone (tests that mutate a trunk use ``_small``)."""
    return _small(name)


# --- geometry: computed from the layers, checked against hand-derived answers -------------------

# Hand derivation, docs/rules.md rule (jump_out = jump·s; size += (k-1)·jump; offset += ((k-1)/2 - p)·jump):
# zf5:        conv1 k7s2p3 / pool k3s2p1 / conv2 k5s2p2 / pool k3s2p1 -> all "same" padding: offset 0;
#             size 7, 11, 27, 43 then conv3-5 +32 each -> 139; stride 2·2·2·2 = 16.
# zf5-release: offsets 2 (conv1 p1), 4 (pool p0, jump 2), 12 (conv2 p0, jump 4), 20 (pool, jump 8) -> 20.
# alexnet:    3 (conv1 k11 p2), 7 (pool, jump 4), conv2 same, 15 (pool, jump 8); size 11,19,51,67,+32·3=163.
# vgg16:      3x3/p1 convs add no offset; each 2x2/2 pool adds 0.5·jump: 0.5 + 1 + 2 + 4 = 7.5;
#             size 3,5 | 6 | 10,14 | 16 | 24,32,40 | 44 | 60,76,92 | 100 | 132,164,196 -> 196.
KNOWN_GEOMETRY = {
    "zf5": (16, 0.0, 139),
    "zf5-release": (16, 20.0, 139),
    "alexnet": (16, 15.0, 163),
    "vgg16": (16, 7.5, 196),
}


@pytest.mark.parametrize("name", NAMES)
def test_geometry_known_answers(name):
    g = _small(name).geometry
    assert (g.stride, g.offset, g.size) == KNOWN_GEOMETRY[name]


def test_zf5_release_map_sizes_from_paper():
    # docs/rules.md: a 224 input gives conv5 13x13, 180 gives 10x10.
    t = _small("zf5-release")
    assert t.feature_size((224, 224)) == (13, 13)
    assert t.feature_size((180, 180)) == (10, 10)
    assert t(torch.zeros(1, 3, 224, 224)).shape[-2:] == (13, 13)
    assert t(torch.zeros(1, 3, 180, 180)).shape[-2:] == (10, 10)


def test_geometry_is_not_hard_coded():
    # conv1 padding 1 instead of 3 shifts cell 0 by ((7 - 1)/2 - 1) * 1 = 2 px; later layers keep it.
    t = _small("zf5")
    t.layers.conv1.padding = (1, 1)
    assert t.geometry.offset == 2.0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("hw", [(64, 64), (67, 93), (101, 80), (180, 224)])
def test_forward_shape_matches_feature_size(name, hw):
    t = _cached(name)
    with torch.no_grad():
        out = t(torch.zeros(2, 3, *hw))
    assert out.shape == (2, t.out_channels, *t.feature_size(hw))


# --- architecture parity with torchvision (so the ImageNet files map onto our layers) ------------


@pytest.mark.parametrize("name,n_layers", [("alexnet", 12), ("vgg16", 30)])
def test_torchvision_trunks_match_torchvision_features(name, n_layers):
    with torch.device("meta"):
        ref = getattr(torchvision.models, name)().features
    ours = _small(name).layers
    assert len(ours) == n_layers
    assert isinstance(ref[n_layers], nn.MaxPool2d)  # the excluded layer is pool5
    for a, b in zip(ours, ref[:n_layers], strict=True):
        assert type(a) is type(b)
        assert a.extra_repr() == b.extra_repr()


# --- width, names, preprocessing ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["zf5", "zf5-release"])
def test_width_multiplier(name):
    t = build(name, width=0.25)
    convs = [m.out_channels for m in t.layers if isinstance(m, nn.Conv2d)]
    assert convs == [24, 64, 96, 96, 64]
    assert t.out_channels == 64
    assert build(name).out_channels == 256
    assert build(name, width=0.001).out_channels == 1  # rounds to at least 1


def test_zf_has_lrn_after_conv1_and_conv2():
    names = [n for n, _ in _small("zf5").layers.named_children()]
    assert names[:4] == ["conv1", "relu1", "norm1", "pool1"]
    assert names[4:8] == ["conv2", "relu2", "norm2", "pool2"]
    lrn = _small("zf5").layers.norm1
    assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (3, 5e-5, 0.75, 1.0)


def test_bad_name_and_width():
    with pytest.raises(ValueError, match="zf5, zf5-release, alexnet, vgg16"):
        build("resnet50")
    for bad in (0, -1, float("nan"), 100, "wide"):
        with pytest.raises(ValueError, match="width"):
            build("zf5", width=bad)
    with pytest.raises(ValueError, match="width"):
        build("alexnet", width=0.5)


def test_preprocess():
    t = _small("alexnet")
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    x = t.preprocess(img)
    assert x.shape == (1, 3, 5, 7) and x.dtype == torch.float32 and x.is_contiguous()
    mean = torch.tensor(backbones.IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(backbones.IMAGENET_STD)[:, None, None]
    expected = (torch.from_numpy(img).permute(2, 0, 1).float() - mean) / std
    torch.testing.assert_close(x[0], expected)
    # ZF default: (pixel - 128) / 64
    z = _small("zf5").preprocess(np.full((2, 2, 3), 192, np.uint8))
    assert torch.all(z == 1.0)
    for bad in (img.astype(np.float32), img[:, :, :1], img[:, :, 0], img.tolist()):
        with pytest.raises(ValueError, match="uint8|ndarray"):
            t.preprocess(bad)


# --- safetensors weights --------------------------------------------------------------------------


def test_safetensors_round_trip(tmp_path):
    torch.manual_seed(1)
    a = build("zf5", width=0.25)
    a.mean.fill_(100.0)  # normalisation travels with the weights
    path = tmp_path / "zf.safetensors"
    save_file(a.state_dict(), str(path))
    torch.manual_seed(2)
    b = build("zf5", weights=path, width=0.25)
    assert torch.equal(b.mean, a.mean) and torch.equal(b.std, a.std)
    x = torch.randn(1, 3, 96, 80)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))
    assert not b.training


def test_safetensors_with_trunk_prefix_and_without_mean(tmp_path):
    torch.manual_seed(1)
    a = build("zf5-release", width=0.25)
    state = {f"trunk.{k}": v for k, v in a.state_dict().items() if k not in ("mean", "std")}
    state["head.fc6.weight"] = torch.zeros(2, 2)  # other parts of a whole-model file are ignored
    path = tmp_path / "model.safetensors"
    save_file(state, str(path))
    b = build("zf5-release", weights=str(path), width=0.25)
    assert torch.equal(b.layers.conv5.weight, a.layers.conv5.weight)
    assert torch.equal(b.mean, torch.tensor(backbones.ZF_MEAN))


def test_safetensors_wrong_shape_is_a_clear_error(tmp_path):
    path = tmp_path / "half.safetensors"
    save_file(build("zf5", width=0.5).state_dict(), str(path))
    with pytest.raises(ValueError, match=r"wrong shape.*layers\.conv1\.weight.*width=0\.5"):
        build("zf5", weights=path, width=0.25)


def test_safetensors_wrong_keys_bad_file_and_pickles(tmp_path):
    wrong = tmp_path / "wrong.safetensors"
    save_file({"conv.weight": torch.zeros(1)}, str(wrong))
    with pytest.raises(ValueError, match="missing keys"):
        build("zf5", weights=wrong)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ValueError, match="not a readable .safetensors"):
        build("zf5", weights=garbage)
    pickle = tmp_path / "model.pth"
    torch.save({}, pickle)
    with pytest.raises(ValueError, match="only .safetensors"):
        build("zf5", weights=pickle)
    with pytest.raises(WeightsNotFound, match="not found"):
        build("zf5", weights=tmp_path / "missing.safetensors")


# --- ImageNet checkpoints: lookup, no network ------------------------------------------------------


def test_known_weights_are_torchvision_file_names():
    assert torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url.endswith("/" + KNOWN_WEIGHTS["alexnet"])
    assert torchvision.models.VGG16_Weights.IMAGENET1K_V1.url.endswith("/" + KNOWN_WEIGHTS["vgg16"])


def test_imagenet_missing_raises_helpful_error(weight_dirs):
    wdir, hub = weight_dirs
    with pytest.raises(WeightsNotFound) as info:
        build("alexnet", weights="imagenet")
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for part in (KNOWN_WEIGHTS["alexnet"], str(wdir), str(hub), "SPPVIZ_WEIGHTS_DIR", "SPPVIZ_ALLOW_DOWNLOAD",
                 "https://download.pytorch.org/models/"):
        assert part in msg
    with pytest.raises(WeightsNotFound):
        backbones.load_imagenet_classifier("vgg16")


def test_imagenet_not_available_for_zf5():
    with pytest.raises(ValueError, match="no ImageNet checkpoint"):
        build("zf5", weights="imagenet")


def _fake_alexnet_checkpoint(path):
    """A random torchvision-AlexNet-shaped state dict (features + last fc bias only, to stay small)."""
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in torchvision.models.alexnet().state_dict().items()}
    g = torch.Generator().manual_seed(3)
    state = {k: torch.randn(s, generator=g) for k, s in shapes.items() if k.startswith("features.")}
    state["classifier.6.bias"] = torch.randn(1000, generator=g)
    torch.save(state, path)
    return state


def test_imagenet_loads_from_weights_dir(weight_dirs):
    wdir, _ = weight_dirs
    state = _fake_alexnet_checkpoint(wdir / KNOWN_WEIGHTS["alexnet"])
    t = build("alexnet", weights="imagenet")
    assert torch.equal(t.layers.conv1.weight, state["features.0.weight"])
    assert torch.equal(t.layers.conv5.bias, state["features.10.bias"])
    full = backbones.load_imagenet_classifier("alexnet")
    assert torch.equal(full["classifier.6.bias"], state["classifier.6.bias"])


def test_imagenet_loads_from_hub_cache_and_weights_dir_wins(weight_dirs):
    wdir, hub = weight_dirs
    hub.mkdir()
    hub_state = _fake_alexnet_checkpoint(hub / KNOWN_WEIGHTS["alexnet"])
    assert backbones.find_imagenet_checkpoint("alexnet") == hub / KNOWN_WEIGHTS["alexnet"]
    t = build("alexnet", weights="imagenet")
    assert torch.equal(t.layers.conv1.weight, hub_state["features.0.weight"])
    _fake_alexnet_checkpoint(wdir / KNOWN_WEIGHTS["alexnet"])
    assert backbones.find_imagenet_checkpoint("alexnet") == wdir / KNOWN_WEIGHTS["alexnet"]


def test_download_only_when_allowed(weight_dirs, monkeypatch):
    _, hub = weight_dirs
    calls = []

    def fake_download(url, dst, hash_prefix=None, **kwargs):
        calls.append((url, hash_prefix))
        _fake_alexnet_checkpoint(dst)

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    monkeypatch.setenv("SPPVIZ_ALLOW_DOWNLOAD", "0")
    with pytest.raises(WeightsNotFound):
        build("alexnet", weights="imagenet")
    assert calls == []
    monkeypatch.setenv("SPPVIZ_ALLOW_DOWNLOAD", "1")
    build("alexnet", weights="imagenet")
    assert calls == [("https://download.pytorch.org/models/alexnet-owt-7be5be79.pth", "7be5be79")]
    assert (hub / KNOWN_WEIGHTS["alexnet"]).is_file()


@pytest.mark.parametrize("size,channels", [(3, 7), (5, 7), (4, 6), (3, 1), (5, 2)])
def test_fast_lrn_equals_torch_lrn_and_its_gradient(size, channels):
    from sppviz.model.backbones import CrossChannelLRN
    torch.manual_seed(size * 10 + channels)
    ref = nn.LocalResponseNorm(size, alpha=0.05, beta=0.75, k=1.0)
    fast = CrossChannelLRN(size, alpha=0.05, beta=0.75, k=1.0)
    x = (torch.randn(2, channels, 5, 6, dtype=torch.float64) * 3).requires_grad_()
    g = torch.randn(2, channels, 5, 6, dtype=torch.float64)
    torch.testing.assert_close(fast(x), ref(x))
    (a,), (b,) = torch.autograd.grad(ref(x), x, g), torch.autograd.grad(fast(x), x, g)
    torch.testing.assert_close(b, a)
    assert torch.autograd.gradcheck(fast, (x,))
    xc = x.detach().contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(fast(xc), ref(x.detach()))


def test_zf_lrn_is_the_fast_one_with_the_same_outputs():
    from sppviz.model.backbones import CrossChannelLRN
    t = _small("zf5")
    assert isinstance(t.layers.norm1, CrossChannelLRN) and isinstance(t.layers.norm2, CrossChannelLRN)
    x = torch.randn(1, 3, 120, 90)
    with torch.no_grad():
        fast = t(x)
        for name in ("norm1", "norm2"):
            setattr(t.layers, name, nn.LocalResponseNorm(3, alpha=5e-5, beta=0.75, k=1.0))
        ref = t(x)
    torch.testing.assert_close(fast, ref)


# --- within-channel LRN (the release's model-defs/Zeiler_conv5.prototxt: norm_region WITHIN_CHANNEL) -------

def within_channel_lrn_loop(x: np.ndarray, size: int, alpha: float, beta: float) -> np.ndarray:
    """Caffe's WITHIN_CHANNEL LRN as a plain loop (float64): out = x · (1 + alpha/size² · Σ x²)^−beta, Σ over
    the size × size neighbourhood of the same channel, cells outside the map counting as 0."""
    n, c, h, w = x.shape
    r = (size - 1) // 2
    out = np.empty_like(x)
    for b in range(n):
        for ch in range(c):
            for y in range(h):
                for xx in range(w):
                    total = 0.0
                    for yy in range(y - r, y + r + 1):
                        for xs in range(xx - r, xx + r + 1):
                            if 0 <= yy < h and 0 <= xs < w:
                                total += x[b, ch, yy, xs] ** 2
                    out[b, ch, y, xx] = x[b, ch, y, xx] * (1.0 + alpha / size**2 * total) ** -beta
    return out


@pytest.mark.parametrize("size, alpha", [(3, 5e-5), (3, 0.5), (5, 2.0), (1, 1.0)])
def test_within_channel_lrn_equals_the_plain_loop(size, alpha):
    from sppviz.model.backbones import WithinChannelLRN
    gen = torch.Generator().manual_seed(size)
    x = torch.randn(2, 3, 6, 7, generator=gen, dtype=torch.float64) * 4
    lrn = WithinChannelLRN(size, alpha=alpha, beta=0.75)
    want = within_channel_lrn_loop(x.numpy(), size, alpha, 0.75)
    np.testing.assert_allclose(lrn(x).numpy(), want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(lrn(x.float()).numpy(), want, rtol=1e-5, atol=1e-6)  # float32, as Caffe
    # it is not the cross-channel LRN (for size > 1); each channel is normalised on its own
    assert size == 1 or not torch.allclose(lrn(x), nn.LocalResponseNorm(size, alpha, 0.75, 1.0)(x))
    assert torch.equal(lrn(x)[:, :1], lrn(x[:, :1]))
    assert torch.autograd.gradcheck(lrn, (x[:1, :2, :4, :5].clone().requires_grad_(),))
    with pytest.raises(ValueError, match="odd"):
        WithinChannelLRN(4)


def test_zf5_release_normalises_within_channel_and_zf5_across():
    from sppviz.model.backbones import CrossChannelLRN, WithinChannelLRN
    rel, paper = _small("zf5-release"), _small("zf5")
    for name in ("norm1", "norm2"):
        lrn = getattr(rel.layers, name)
        assert isinstance(lrn, WithinChannelLRN) and (lrn.size, lrn.alpha, lrn.beta) == (3, 5e-5, 0.75)
        assert isinstance(getattr(paper.layers, name), CrossChannelLRN)
    assert "WITHIN_CHANNEL" in repr(rel.layers.norm1)
    assert rel.geometry.offset == 20.0  # the geometry walk accepts the within-channel LRN
    # no parameters: the same state dict keys for both ZF-5 variants, so weights move between them
    assert rel.state_dict().keys() == paper.state_dict().keys()
