"""ImageNet backbones behind a one-level SPP: offline build, local weights, clear errors."""

from pathlib import Path

import pytest
import torch
import torchvision

from sppviz.model import backbones
from sppviz.model.detector import Detector, imagenet_net


@pytest.fixture()
def no_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("SPPVIZ_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.delenv("SPPVIZ_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    (tmp_path / "weights").mkdir()
    return tmp_path / "weights"


def test_missing_imagenet_weights_give_a_clear_error(no_weights):
    with pytest.raises(backbones.WeightsNotFound, match="alexnet-owt-7be5be79.pth") as e:
        imagenet_net("alexnet")
    assert "SPPVIZ_WEIGHTS_DIR" in str(e.value) and "SPPVIZ_ALLOW_DOWNLOAD" in str(e.value)


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_alexnet_spp_equals_torchvision_on_224_and_loads_a_local_file(no_weights):
    torch.manual_seed(0)
    tv = torchvision.models.alexnet(weights=None).eval()
    torch.save(tv.state_dict(), no_weights / backbones.KNOWN_WEIGHTS["alexnet"])
    net = imagenet_net("alexnet")  # found in SPPVIZ_WEIGHTS_DIR
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        # a 6×6 adaptive max-pool of a 13×13 conv5 is exactly pool5 (3×3, stride 2): same logits
        assert torch.allclose(net(x)[0][:, :1000], tv(x), atol=1e-4)
        logits, _ = net(torch.randn(1, 3, 300, 411))  # any size: SPP makes fc6's input fixed
    assert logits.shape == (1, 1001) and len(net.classes) == 1000 and net.classes[0] == "tench"
    det = Detector(net, "cpu")
    import numpy as np

    img = (np.random.default_rng(0).random((240, 320, 3)) * 255).astype(np.uint8)
    res, before, after = det.detect(img, [[10, 10, 200, 150], [50, 60, 300, 230]], scales=(480,), score_thresh=0.0)
    assert res.probs.shape == (2, 1001) and torch.all(res.probs[:, -1] == 0)
    assert set(after.labels.tolist()) <= set(range(1000))


def test_vgg16_trunk_builds_offline_with_random_weights():
    trunk = backbones.build("vgg16")
    g = trunk.geometry
    assert g.stride == 16 and trunk.out_channels == 512


@pytest.mark.parametrize(("flag", "space", "allowed"), [(None, None, False), (None, "someone/sppviz", True),
                                                          ("0", "someone/sppviz", False), ("1", None, True),
                                                          ("", "someone/sppviz", True), ("0", None, False)])
def test_downloads_are_allowed_on_a_space_unless_switched_off(monkeypatch, flag, space, allowed):
    for name, value in ((backbones.ALLOW_DOWNLOAD_ENV, flag), (backbones.SPACE_ENV, space)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert backbones.downloads_allowed() is allowed


def test_on_a_space_the_missing_checkpoint_is_downloaded_into_the_hub_cache(no_weights, monkeypatch):
    fetched = []

    def fake_download(url, dst, hash_prefix=None):  # no network in tests: record the call, write a file
        fetched.append((url, hash_prefix))
        Path(dst).write_bytes(b"weights")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    monkeypatch.setenv(backbones.SPACE_ENV, "someone/sppviz")
    assert backbones.checkpoint_on_disk("alexnet") is None
    path = backbones.find_imagenet_checkpoint("alexnet")
    assert fetched == [(backbones.DOWNLOAD_BASE_URL + "alexnet-owt-7be5be79.pth", "7be5be79")]
    assert path.name == "alexnet-owt-7be5be79.pth" and backbones.checkpoint_on_disk("alexnet") == path
    monkeypatch.setenv(backbones.ALLOW_DOWNLOAD_ENV, "0")  # switched off: found on disk now, so still there
    assert backbones.find_imagenet_checkpoint("alexnet") == path
    with pytest.raises(backbones.WeightsNotFound):
        backbones.find_imagenet_checkpoint("vgg16")
