"""Convolutional trunks (conv1 .. conv5 + ReLU) whose conv5 maps feed the SPP layer.

The SPP layer replaces the last pooling layer (pool5, docs/rules.md), so every trunk here stops
at conv5 + ReLU.  Four trunks are registered in ``NAMES``:

========== ============================================================ ====== ====== =====
name       layers                                                       stride offset  size
========== ============================================================ ====== ====== =====
zf5        paper Table 1 ZF-5, floor(k/2) padding everywhere (App. A)     16      0    139
zf5-release ZF-5 as the release prototxt: paddings, ceil pools, LRN within   16     20    139
alexnet    torchvision AlexNet ``features[:12]`` (no pool5)               16     15    163
vgg16      torchvision VGG16 ``features[:30]`` (conv5_3 + ReLU, no pool5) 16    7.5    196
========== ============================================================ ====== ====== =====

LRN (``norm1``/``norm2``, local_size 3, alpha 5e-5, beta 0.75): ``zf5`` normalises ACROSS channels
(``CrossChannelLRN``, as Zeiler & Fergus 2013 §2 describe ZF's "local contrast operation that normalizes
the responses across feature maps"; the bundled model is trained with it); ``zf5-release`` normalises
WITHIN each channel (``WithinChannelLRN``), as the release's ``model-defs/Zeiler_conv5.prototxt`` says
(``norm_region: WITHIN_CHANNEL``). Neither has parameters: the same weights load into both.

The geometry column is never hard-coded: ``Trunk.geometry`` is computed from the layers by
``sppviz.method.geometry.receptive_field`` (docs/rules.md); the tests check it against the values above.

Input convention: ``Trunk.preprocess`` takes a uint8 H x W x 3 RGB ndarray (0..255 pixel units)
and returns a float32 tensor [1, 3, H, W] normalised as ``(pixel - mean) / std`` per channel,
with ``mean``/``std`` in 0..255 pixel units stored as buffers on the trunk (so they travel in
the trunk's state dict and in its .safetensors file).

Weights (never unpickle what a user or the network provides, docs/design.md):
- ``None``: random init; seed with ``torch.manual_seed`` before ``build`` for reproducibility.
- a path to a ``.safetensors`` file: loaded with ``safetensors`` (keys of ``Trunk.state_dict()``,
  optionally prefixed with ``trunk.``; ``mean``/``std`` optional).
- ``"imagenet"`` (alexnet / vgg16 only): torchvision's official checkpoint, looked up by its file
  name (``KNOWN_WEIGHTS``) in ``$SPPVIZ_WEIGHTS_DIR``, then in ``torch.hub.get_dir()/checkpoints``;
  downloaded only where ``downloads_allowed()`` (``SPPVIZ_ALLOW_DOWNLOAD=1``, or on a Hugging Face Space
  unless ``SPPVIZ_ALLOW_DOWNLOAD=0``).  Those official files are pickles of plain
  tensors and are read with ``torch.load(weights_only=True)``, which refuses arbitrary objects.
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sppviz.method.geometry import Geometry, feature_size, receptive_field
from sppviz.model.checkpoints import (  # noqa: F401 - re-exported: the weights part of this module's API
    ALLOW_DOWNLOAD_ENV,
    DOWNLOAD_BASE_URL,
    KNOWN_WEIGHTS,
    NAMES,
    SPACE_ENV,
    WEIGHTS_DIR_ENV,
    WeightsNotFound,
    check_name,
    checkpoint_on_disk,
    downloads_allowed,
    find_imagenet_checkpoint,
)

# Per-channel normalisation in 0..255 pixel units (RGB order).
# torchvision ImageNet models: mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) of [0, 1] pixels.
IMAGENET_MEAN = tuple(255.0 * m for m in (0.485, 0.456, 0.406))
IMAGENET_STD = tuple(255.0 * s for s in (0.229, 0.224, 0.225))
# ZF-5: the paper subtracts a constant 128 (VOC, docs/rules.md) and does not divide.  Our ZF-5 is
# trained from scratch, so we also divide by 64 to bring inputs to about [-2, 2] (kinder to a
# freshly initialised net).  Both are buffers saved with the weights, so a file trained with
# other values carries them and overrides these defaults on load.
ZF_MEAN = (128.0, 128.0, 128.0)
ZF_STD = (64.0, 64.0, 64.0)

# ZF-5 channel counts, paper Table 1 (conv1 .. conv5).
ZF_CHANNELS = (96, 256, 384, 384, 256)
MAX_WIDTH = 4.0  # width multiplier bound: 4x ZF-5 is already ~16x the conv cost on a 2-core host


class Trunk(nn.Module):
    """conv1 .. conv5 (+ ReLU) of a backbone; ``forward(x[B,3,H,W]) -> conv5 [B,C,h,w]``.

    Attributes: ``name`` (one of ``NAMES``), ``layers`` (nn.Sequential with named children),
    ``out_channels`` (C of conv5), ``geometry`` (``Geometry(stride, offset, size)`` of conv5,
    computed from ``layers``), buffers ``mean``/``std`` (shape [3], RGB, 0..255 pixel units).
    """

    def __init__(self, name: str, layers: nn.Sequential, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        self.name = name
        self.layers = layers
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        convs = [m for m in layers if isinstance(m, nn.Conv2d)]
        self.out_channels = convs[-1].out_channels

    @property
    def geometry(self) -> Geometry:
        """conv5 ``Geometry(stride, offset, size)`` computed from ``layers`` (docs/rules.md), never stored."""
        return receptive_field(self.layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float [B, 3, H, W] already normalised (see ``preprocess``) -> conv5 [B, C, h, w]."""
        return self.layers(x)

    def feature_size(self, in_hw: tuple[int, int]) -> tuple[int, int]:
        """conv5 (h, w) for an input of (H, W) pixels (conv/pool arithmetic incl. ceil mode)."""
        return feature_size(self.layers, in_hw)

    def preprocess(self, img: np.ndarray) -> torch.Tensor:
        """uint8 H x W x 3 RGB ndarray -> float32 [1, 3, H, W] = (img - mean) / std, on the trunk's device."""
        _check_image(img)
        x = torch.from_numpy(np.ascontiguousarray(img)).to(self.mean.device)
        x = x.permute(2, 0, 1).to(torch.float32)
        x = (x - self.mean[:, None, None]) / self.std[:, None, None]
        return x.unsqueeze(0).contiguous()

    def extra_repr(self) -> str:
        g = self.geometry
        return f"name={self.name!r}, out_channels={self.out_channels}, stride={g.stride}, offset={g.offset}"


# ---------------------------------------------------------------------------------------------
# Architectures
# ---------------------------------------------------------------------------------------------


def _channel_window_sum(t: torch.Tensor, front: int, back: int) -> torch.Tensor:
    """out[:, c] = sum of t[:, c - front .. c + back] over the channels that exist (zero padding).
    t: [N, C, H, W] (any memory format)."""
    out = t.clone()
    c = t.shape[1]
    for o in range(1, min(front, c - 1) + 1):
        out[:, o:] += t[:, :c - o]
    for o in range(1, min(back, c - 1) + 1):
        out[:, :c - o] += t[:, o:]
    return out


class _CrossChannelLRN(torch.autograd.Function):
    """y = x * d^-beta with d = k + alpha/n * sum_{window} x^2 (window c - n//2 .. c + (n-1)//2),
    and its closed-form gradient

        dL/dx_i = g_i d_i^-beta - (2 alpha beta / n) x_i * sum_{j: i in window(j)} g_j x_j d_j^(-beta-1).

    Same numbers as ``nn.functional.local_response_norm``, which builds d with a padded
    ``avg_pool3d``; that is 4-7x slower here on a CPU and was the largest single cost of a ZF-5
    forward + backward (measured on conv1's 24 x 344 x 459 map at scale 688)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        front, back = size // 2, (size - 1) // 2
        d = _channel_window_sum(x * x, front, back).mul_(alpha / size).add_(k)
        r = d.pow(-beta)
        ctx.save_for_backward(x, d, r)
        ctx.consts = (size, alpha, beta, front, back)
        return x * r

    @staticmethod
    def backward(ctx, g):
        x, d, r = ctx.saved_tensors
        size, alpha, beta, front, back = ctx.consts
        gr = g * r
        t = (gr * x).div_(d)
        return gr - (2 * alpha * beta / size) * x * _channel_window_sum(t, back, front), None, None, None, None


class CrossChannelLRN(nn.LocalResponseNorm):
    """``nn.LocalResponseNorm`` (same parameters, same outputs, no state) with a fast 4-D path."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return super().forward(x)
        return _CrossChannelLRN.apply(x, self.size, self.alpha, self.beta, self.k)


class WithinChannelLRN(nn.Module):
    """Caffe's LRN with ``norm_region: WITHIN_CHANNEL`` (the release's ``model-defs/Zeiler_conv5.prototxt``
    norm1/norm2): for each channel separately,

        out = x · (1 + alpha/size² · Σ x²)^(−beta),  Σ over the size × size spatial neighbourhood,

    zero-padded. Caffe builds it (``src/caffe/layers/lrn_layer.cpp``) as AVE pooling of x² with kernel
    ``size``, stride 1 and pad (size − 1)/2 — which divides by size² including the padded zeros — then a
    power layer (shift 1, scale alpha, power −beta) and a product with x. Caffe's ``k`` is not used in
    this mode (the shift is 1). Input [N, C, H, W] or [C, H, W]; no parameters; keeps the geometry."""

    preserves_geometry = True  # read by sppviz.method.geometry's layer walk

    def __init__(self, size: int = 3, alpha: float = 5e-5, beta: float = 0.75):
        super().__init__()
        if not (isinstance(size, int) and size >= 1 and size % 2 == 1):
            raise ValueError(f"WITHIN_CHANNEL LRN needs an odd local_size >= 1 (Caffe checks it), got {size!r}")
        self.size, self.alpha, self.beta = size, float(alpha), float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean_sq = nn.functional.avg_pool2d(x * x, self.size, stride=1, padding=(self.size - 1) // 2,
                                           count_include_pad=True)
        return x * (1.0 + self.alpha * mean_sq).pow(-self.beta)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, norm_region=WITHIN_CHANNEL"


def _lrn(within_channel: bool = False) -> nn.Module:
    """ZF ``norm1``/``norm2``: local_size 3, alpha 5e-5, beta 0.75.

    Across channels (``zf5``): x / (1 + alpha/n · Σ_{n channels} x²)^beta, Caffe's ACROSS_CHANNELS formula,
    which is exactly PyTorch's (PyTorch also divides alpha by size), k = 1.
    Within channel (``zf5-release``, the release prototxt's ``norm_region: WITHIN_CHANNEL``):
    ``WithinChannelLRN``, alpha divided by n² over an n × n spatial neighbourhood.
    """
    if within_channel:
        return WithinChannelLRN(size=3, alpha=5e-5, beta=0.75)
    return CrossChannelLRN(size=3, alpha=5e-5, beta=0.75, k=1.0)


def _scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


def _zf5_layers(width: float, release: bool) -> nn.Sequential:
    """ZF-5 conv1..conv5 (paper Table 1, docs/rules.md): ReLU after each conv, LRN after conv1/2.

    ``release=False``: floor(k/2) padding on every conv and pool (paper Appendix A) -> offset 0;
    cross-channel LRN.
    ``release=True``: release prototxt paddings (conv1 p1, pools p0 in Caffe ceil mode, conv2 p0)
    -> conv5 cell i centred at pixel 20 + 16 i (docs/rules.md); within-channel LRN
    (``model-defs/Zeiler_conv5.prototxt``: ``norm_region: WITHIN_CHANNEL``).
    """
    c1, c2, c3, c4, c5 = (_scaled(c, width) for c in ZF_CHANNELS)
    p_conv1, p_pool, p_conv2, ceil = (1, 0, 0, True) if release else (3, 1, 2, False)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, c1, 7, stride=2, padding=p_conv1)),
        ("relu1", nn.ReLU(inplace=True)),
        ("norm1", _lrn(within_channel=release)),
        ("pool1", nn.MaxPool2d(3, stride=2, padding=p_pool, ceil_mode=ceil)),
        ("conv2", nn.Conv2d(c1, c2, 5, stride=2, padding=p_conv2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("norm2", _lrn(within_channel=release)),
        ("pool2", nn.MaxPool2d(3, stride=2, padding=p_pool, ceil_mode=ceil)),
        ("conv3", nn.Conv2d(c2, c3, 3, padding=1)),
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(c3, c4, 3, padding=1)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(c4, c5, 3, padding=1)),
        ("relu5", nn.ReLU(inplace=True)),
    ]))


def _alexnet_layers() -> nn.Sequential:
    """torchvision ``alexnet().features[:12]``: conv1 .. conv5 + ReLU, without pool5.

    Same modules, same order as torchvision (so ``features.i`` maps to the i-th child here).
    """
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 64, 11, stride=4, padding=2)),
        ("relu1", nn.ReLU(inplace=True)),
        ("pool1", nn.MaxPool2d(3, stride=2)),
        ("conv2", nn.Conv2d(64, 192, 5, padding=2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("pool2", nn.MaxPool2d(3, stride=2)),
        ("conv3", nn.Conv2d(192, 384, 3, padding=1)),
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(384, 256, 3, padding=1)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(256, 256, 3, padding=1)),
        ("relu5", nn.ReLU(inplace=True)),
    ]))


# VGG16 configuration "D": channels per conv of each block; a 2x2/2 max-pool follows every block
# except the last (pool5 is what SPP replaces).
_VGG16_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))


def _vgg16_layers() -> nn.Sequential:
    """torchvision ``vgg16().features[:30]``: conv1_1 .. conv5_3 + ReLU, without pool5."""
    modules = []
    in_ch = 3
    for b, block in enumerate(_VGG16_BLOCKS, start=1):
        for i, out_ch in enumerate(block, start=1):
            modules.append((f"conv{b}_{i}", nn.Conv2d(in_ch, out_ch, 3, padding=1)))
            modules.append((f"relu{b}_{i}", nn.ReLU(inplace=True)))
            in_ch = out_ch
        if b < len(_VGG16_BLOCKS):
            modules.append((f"pool{b}", nn.MaxPool2d(2, stride=2)))
    return nn.Sequential(OrderedDict(modules))


def _init_kaiming(layers: nn.Sequential) -> None:
    """He init (fan_out, ReLU) and zero bias for convs -- torchvision's VGG init; used for ZF-5 too."""
    for m in layers.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------


def _check_width(name: str, width) -> float:
    try:
        width = float(width)
    except (TypeError, ValueError):
        raise ValueError(f"width must be a number, got {width!r}") from None
    if not math.isfinite(width) or not 0.0 < width <= MAX_WIDTH:
        raise ValueError(f"width must be in (0, {MAX_WIDTH}], got {width}")
    if name not in ("zf5", "zf5-release") and width != 1.0:
        raise ValueError(f"width multiplier applies to zf5 / zf5-release only; {name} needs width=1.0")
    return width


def _make_trunk(name: str, width: float) -> Trunk:
    """A randomly initialised trunk (seed the global RNG before calling for reproducibility)."""
    if name in ("zf5", "zf5-release"):
        layers = _zf5_layers(width, release=(name == "zf5-release"))
        _init_kaiming(layers)
        return Trunk(name, layers, ZF_MEAN, ZF_STD)
    if name == "alexnet":
        return Trunk(name, _alexnet_layers(), IMAGENET_MEAN, IMAGENET_STD)  # PyTorch default init
    layers = _vgg16_layers()
    _init_kaiming(layers)
    return Trunk(name, layers, IMAGENET_MEAN, IMAGENET_STD)


def build(name: str, weights: str | os.PathLike | None = None, width: float = 1.0) -> Trunk:
    """Build the trunk ``name`` (one of ``NAMES``) in eval mode on the CPU.

    weights: None (random init), a path to a ``.safetensors`` file, or ``"imagenet"``
    (alexnet / vgg16: torchvision's checkpoint, see ``find_imagenet_checkpoint``).
    width: channel multiplier for zf5 / zf5-release (each count rounded, at least 1).
    Raises ValueError for a bad name / width / file contents, WeightsNotFound for a missing file.
    """
    check_name(name)
    width = _check_width(name, width)
    trunk = _make_trunk(name, width)
    if weights is None:
        pass
    elif isinstance(weights, str) and weights == "imagenet":
        state = load_imagenet_classifier(name)
        load_trunk_state(trunk, torchvision_to_trunk_keys(trunk, state), source=KNOWN_WEIGHTS[name])
    else:
        load_trunk_state(trunk, _read_safetensors(weights), source=str(weights))
    return trunk.eval()


# ---------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------


def _read_safetensors(path) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file (CPU). Never unpickles."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise WeightsNotFound(
            f"weights file not found: {path} "
            "(weights must be None, 'imagenet' or a path to a .safetensors file)"
        )
    if path.suffix in (".pth", ".pt", ".pkl", ".ckpt", ".bin"):
        raise ValueError(
            f"{path.name}: only .safetensors files are accepted (pickled checkpoints are never loaded "
            "from user paths); convert with safetensors.torch.save_file(state_dict, 'model.safetensors')"
        )
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as e:
        raise ValueError(f"{path.name}: not a readable .safetensors file ({e})") from e


def load_trunk_state(trunk: Trunk, state: Mapping[str, torch.Tensor], source: str = "state dict") -> None:
    """Copy ``state`` into ``trunk`` after checking keys and shapes (clear ValueError otherwise).

    Keys are those of ``trunk.state_dict()`` or the same prefixed with ``trunk.`` (a whole-model
    file; other keys are then ignored). ``mean``/``std`` are optional (defaults kept).
    """
    if any(k.startswith("trunk.") for k in state):
        state = {k[len("trunk."):]: v for k, v in state.items() if k.startswith("trunk.")}
    expected = trunk.state_dict()
    required = [k for k in expected if k not in ("mean", "std")]
    missing = [k for k in required if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ValueError(
            f"{source}: does not match backbone {trunk.name!r}: missing keys {missing[:5]}, "
            f"unexpected keys {unexpected[:5]}"
        )
    wrong = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if wrong:
        k, got, want = wrong[0]
        hint = _width_hint(trunk, state)
        raise ValueError(
            f"{source}: {len(wrong)} tensor(s) have the wrong shape for backbone {trunk.name!r} "
            f"(out_channels={trunk.out_channels}); e.g. {k}: file {got}, model {want}{hint}"
        )
    full = dict(expected)
    full.update(state)
    trunk.load_state_dict(full, strict=True)


def _width_hint(trunk: Trunk, state: Mapping[str, torch.Tensor]) -> str:
    """For ZF-5 files saved at another width, say which width the file seems to have."""
    w = state.get("layers.conv1.weight")
    if trunk.name.startswith("zf5") and w is not None and w.ndim == 4:
        return f" (the file looks like width={w.shape[0] / ZF_CHANNELS[0]:g})"
    return ""


def torchvision_to_trunk_keys(trunk: Trunk, state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map torchvision ``features.{i}.{param}`` keys (a torchvision AlexNet / VGG16 state dict) to this
    trunk's ``layers.{name_i}.{param}``; drop the rest (classifier etc.)."""
    names = [n for n, _ in trunk.layers.named_children()]
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "features" and parts[1].isdigit() and int(parts[1]) < len(names):
            out[f"layers.{names[int(parts[1])]}.{parts[2]}"] = value
    return out


def load_imagenet_classifier(name: str) -> dict[str, torch.Tensor]:
    """The full torchvision model's ImageNet state dict (``features.*`` and ``classifier.*``).

    Same lookup rules as ``build(name, "imagenet")``; the fc layers give ImageNet class scores.
    """
    path = find_imagenet_checkpoint(name)
    # torchvision's official files hold only tensors; weights_only=True refuses anything else.
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):
        raise ValueError(f"{path}: expected a state dict, got {type(state).__name__}")
    return dict(state)


def _check_image(img) -> None:
    if not isinstance(img, np.ndarray):
        raise ValueError(f"image must be a numpy ndarray, got {type(img).__name__}")
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be uint8 H x W x 3 RGB, got dtype {img.dtype} shape {img.shape}")
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"image is empty: shape {img.shape}")
