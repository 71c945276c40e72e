"""Where torchvision's ImageNet checkpoints lie on this machine, and whether they may be downloaded.

Imports no torch (the app asks at start-up which backbones it can offer, before torch is loaded; README,
Start-up): the hub folder is torch's own ``torch.hub.get_dir()`` once torch is loaded, and the same rule
written out before (``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/torch/hub``, else ``~/.cache/torch/hub``;
``torch.hub.set_dir`` cannot have been called yet). ``sppviz.model.backbones`` re-exports every name.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NAMES = ("zf5", "zf5-release", "alexnet", "vgg16")  # the trunks sppviz.model.backbones builds

# torchvision's official ImageNet checkpoints, by the file names torchvision itself uses
# (torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url etc.; the 8 hex digits are a sha256 prefix).
KNOWN_WEIGHTS = {
    "alexnet": "alexnet-owt-7be5be79.pth",
    "vgg16": "vgg16-397923af.pth",
}
DOWNLOAD_BASE_URL = "https://download.pytorch.org/models/"
WEIGHTS_DIR_ENV = "SPPVIZ_WEIGHTS_DIR"
ALLOW_DOWNLOAD_ENV = "SPPVIZ_ALLOW_DOWNLOAD"
SPACE_ENV = "SPACE_ID"  # set by Hugging Face on every Space ("owner/name")


def downloads_allowed() -> bool:
    """Whether torchvision's ImageNet files may be downloaded: ``SPPVIZ_ALLOW_DOWNLOAD=1`` allows and ``=0``
    forbids; unset, a Hugging Face Space (``SPACE_ID`` set: it has internet) allows, anywhere else forbids
    (tests, a classroom machine offline)."""
    flag = os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip()
    if flag in ("0", "1"):
        return flag == "1"
    return bool(os.environ.get(SPACE_ENV))


class WeightsNotFound(FileNotFoundError):
    """A weights file was asked for but is not on disk (and downloading is not allowed)."""


def check_name(name: str) -> None:
    """ValueError unless ``name`` is one of ``NAMES``."""
    if name not in NAMES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(NAMES)}")


def hub_dir() -> Path:
    """torch's hub folder (``torch.hub.get_dir()``), without importing torch when it is not loaded yet."""
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "hub"):
        return Path(torch.hub.get_dir())
    cache = os.getenv("XDG_CACHE_HOME", "~/.cache")
    return Path(os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(cache, "torch")))) / "hub"


def _search_dirs() -> list[Path]:
    """Where ImageNet checkpoints are looked for, in order."""
    dirs = []
    env = os.environ.get(WEIGHTS_DIR_ENV)
    if env:
        dirs.append(Path(env))
    dirs.append(hub_dir() / "checkpoints")
    return dirs


def checkpoint_on_disk(name: str) -> Path | None:
    """Where torchvision's ImageNet checkpoint for ``name`` lies on this machine (never downloads), or None."""
    filename = KNOWN_WEIGHTS.get(name)
    for d in _search_dirs() if filename else ():
        if (d / filename).is_file():
            return d / filename
    return None


def find_imagenet_checkpoint(name: str) -> Path:
    """Path of torchvision's ImageNet checkpoint for ``name``; downloads if allowed.

    Looks for ``KNOWN_WEIGHTS[name]`` in ``$SPPVIZ_WEIGHTS_DIR`` then ``torch.hub.get_dir()/checkpoints``.
    If absent and ``downloads_allowed()``, downloads it (hash checked) into the hub directory;
    otherwise raises WeightsNotFound saying where it looked and how to provide the file.
    """
    check_name(name)
    if name not in KNOWN_WEIGHTS:
        raise ValueError(
            f"no ImageNet checkpoint exists for {name!r} (only for {', '.join(KNOWN_WEIGHTS)}); "
            "use weights=None or a .safetensors file"
        )
    filename, dirs = KNOWN_WEIGHTS[name], _search_dirs()
    found = checkpoint_on_disk(name)
    if found is not None:
        return found
    url = DOWNLOAD_BASE_URL + filename
    if downloads_allowed():
        target = dirs[-1] / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        import torch.hub

        torch.hub.download_url_to_file(url, str(target), hash_prefix=filename.split("-")[-1].split(".")[0])
        return target
    looked = ", ".join(str(d) for d in dirs)
    raise WeightsNotFound(
        f"ImageNet weights for {name!r} not found: looked for {filename} in {looked}. "
        f"Download {url} into one of those folders (or point {WEIGHTS_DIR_ENV} at a folder holding it), "
        f"or set {ALLOW_DOWNLOAD_ENV}=1 to download it automatically."
    )
