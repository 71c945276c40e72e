"""The bundled model and device set-up: one place that decides where weights come from.

torch is imported by the functions that use it, not with the module (``sppviz.lazy``)."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from sppviz.model.detector import Detector

ASSETS = Path(__file__).resolve().parents[2] / "assets"
DEFAULT_MODEL = ASSETS / "sppnet_zf5_synthetic.safetensors"


def cores() -> int:
    """The cores this process may run on (2 on the target machine / a free Space)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def setup_threads() -> int:
    """Use every core this process may run on (``cores``)."""
    n = cores()
    import torch

    torch.set_num_threads(max(1, n))
    return n


def device() -> torch.device:
    """CUDA when available, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@functools.lru_cache(maxsize=4)
def load_default_detector(path: str | None = None) -> Detector:
    """The bundled SPP-net (or the safetensors model at ``path``, else at ``$SPPVIZ_MODEL``) as a ready
    :class:`Detector`; cached per path. Raises FileNotFoundError when the file is missing."""
    from sppviz.model.detector import Detector, SPPNet

    path = Path(path or os.environ.get("SPPVIZ_MODEL") or DEFAULT_MODEL)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path} (train one with `python -m sppviz train`)")
    setup_threads()
    return Detector(SPPNet.load(str(path), device()), device())


@functools.lru_cache(maxsize=2)
def load_imagenet_detector(name: str) -> Detector:
    """torchvision's ImageNet ``name`` ("alexnet" / "vgg16") behind a one-level SPP, as a Detector.
    Raises ``backbones.WeightsNotFound`` (a FileNotFoundError with where it looked) without weights."""
    from sppviz.model.detector import Detector, imagenet_net

    setup_threads()
    return Detector(imagenet_net(name), device())


def load_detector(backbone: str = "zf5") -> Detector:
    """The detector for a backbone choice: "zf5" is the bundled model, "alexnet" / "vgg16" ImageNet."""
    if backbone in ("alexnet", "vgg16"):
        return load_imagenet_detector(backbone)
    if backbone != "zf5":
        raise ValueError(f"unknown backbone {backbone!r}; choose zf5, alexnet or vgg16")
    return load_default_detector()
