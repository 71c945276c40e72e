"""ImageNet backbones behind a one-level SPP: offline build, local weights, clear errors."""

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
