"""The bundled model and device set-up: one place that decides where weights come from."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import torch

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_MODEL = ASSETS / "sppnet_zf5_synthetic.safetensors"


def setup_threads() -> int:
    """Use every core this process may run on (2 on the target machine / a free Space)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    torch.set_num_threads(max(1, n))
    return n


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@functools.lru_cache(maxsize=4)
def load_default_detector(path: str | None = None):
    """The bundled SPP-net (or the safetensors model at ``path``) as a ready :class:`Detector`."""
    from .detector import Detector, SPPNet

    path = Path(path or os.environ.get("SPPVIZ_MODEL") or DEFAULT_MODEL)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path} (train one with `python -m sppviz train`)")
    setup_threads()
    return Detector(SPPNet.load(str(path), device()), device())
