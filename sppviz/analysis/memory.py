"""The memory an analysis will need, estimated before it runs (what the app's per-request limit checks).

conv5 runs one scale at a time (``analysis.analyze``), so the peak is the largest scaled image's pass through
the trunk, plus the conv5 maps kept for every scale, plus the pooled vectors of every window. The trunk's
pass is dominated by its largest activation, conv1's output (4·C1/stride1² bytes per input pixel, float32),
alive in PEAK_COPIES copies (a layer's input and output), PEAK_COPIES_LRN after a local response
normalisation (its square and window sums), plus INPUT_BYTES_PER_PIXEL for the image itself (the resized
uint8 copy, the float32 tensor, its normalised and channels-last copies).

Measured with ``ru_maxrss`` on CPU, MB per scaled megapixel (estimate in brackets): ZF-5 395 (414), the
bundled ZF-5 (width 0.25) 122 (126), AlexNet 55 (62), VGG16 517 (542).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sppviz.method import pyramid

if TYPE_CHECKING:
    from torch import nn

INPUT_BYTES_PER_PIXEL = 32
PEAK_COPIES, PEAK_COPIES_LRN = 2, 4
CONV5_STRIDE = 16  # ZF-5, AlexNet and VGG16 (paper §2.1; the trunks' geometry)


def activation_bytes_per_pixel(trunk: nn.Module) -> float:
    """Peak bytes per scaled-image pixel of one conv5 pass of ``trunk`` (a ``backbones.Trunk``, float32):
    INPUT_BYTES_PER_PIXEL + (PEAK_COPIES_LRN if it has an LRN layer else PEAK_COPIES) · 4·C1/stride1²."""
    from torch import nn

    layers = list(getattr(trunk, "layers", trunk.modules()))
    conv1 = next(m for m in layers if isinstance(m, nn.Conv2d))
    stride = conv1.stride[0] * conv1.stride[1]
    lrn = any("LRN" in type(m).__name__ or isinstance(m, nn.LocalResponseNorm) for m in layers)
    return INPUT_BYTES_PER_PIXEL + (PEAK_COPIES_LRN if lrn else PEAK_COPIES) * 4 * conv1.out_channels / stride


def estimate_bytes(trunk: nn.Module, image_wh: tuple[int, int], scales: Sequence[int], windows: int,
                   pooled_values: int = 50) -> int:
    """Peak memory of ``analysis.analyze`` on an image of size ``image_wh`` = (w, h) at ``scales`` with
    ``windows`` windows, in bytes: the largest scaled image's pass (:func:`activation_bytes_per_pixel`), every
    scale's conv5 map (C5 × ⌈h'/16⌉ × ⌈w'/16⌉ float32) and the pooled vectors (C5·``pooled_values`` float32
    per window, Σn² = 50 for the levels 1, 2, 3, 6, and one copy)."""
    w, h = image_wh
    sizes = [pyramid.scaled_size(int(w), int(h), int(s)) for s in scales]
    largest = max(sw * sh for sw, sh in sizes)
    c5 = int(getattr(trunk, "out_channels", 256))
    maps = sum(c5 * 4 * (sw // CONV5_STRIDE + 1) * (sh // CONV5_STRIDE + 1) for sw, sh in sizes)
    pooled = 2 * int(windows) * c5 * int(pooled_values) * 4
    return int(activation_bytes_per_pixel(trunk) * largest + maps + pooled)
