import os

import pytest
import torch

# Two cores on the target machine; tests must not download anything.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
os.environ.pop("SPPVIZ_ALLOW_DOWNLOAD", None)


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny SPP-net trained end-to-end by the real training code (seconds, not minutes)."""
    from sppviz import train

    out = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    cfg = train.TrainConfig(out=str(out), width=0.125, hidden=32, pre_scenes=6, pre_epochs=2, pre_batch=16,
                            ft_scenes=2, ft_windows_per_scene=32, ft_epochs=2, ft_scales=(480, 688))
    train.train(cfg)
    return str(out)
