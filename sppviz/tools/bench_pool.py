"""Benchmark of SPP pooling on the detection case (paper §4.1): one conv5 map, ~2,000 windows.

The case: a seeded random ReLU'd map 256 x 43 x 65 (conv5 of a 688 x 1040 image, stride 16)
and 2,000 seeded windows of random sizes (1 cell .. the whole map, like selective search),
pooled with the detection pyramid {1, 2, 3, 6} -> 12,800-d per window. Methods:
- reference: sppviz.method.pooling.spp_reference, Python loops (timed on a subset, scaled per window);
- roi_pool x4: torchvision.ops.roi_pool once per level on the same integer cells
  (spatial_scale 1, so roi_pool covers exactly cells x0..x1: same adaptive bins);
- roi_pool 6x6 + derive: roi_pool at the finest level, coarser levels by a max over groups;
- torch / numba: the two backends of sppviz.method.pooling.spatial_pyramid_pool (after a warm-up call),
  each into a fresh output and into a reused one (``out=`` a buffer from ``pooling.OutputBuffers``, as the
  app's analyses pool);
- write fresh / write fresh 4k pages / write reused: filling the 102 MB output once, into fresh memory as the
  backends allocate it (2 MB pages), into fresh ``torch.empty`` memory (4 KB pages) and into a buffer already
  in use: the floor that pooling into memory is measured against;
- pool / write: numba into a reused buffer against writing that buffer, measured in turns (one of each, many
  times, best of each), so that other work on the machine weighs on both alike.
"""

import time
from collections.abc import Callable, Sequence

import torch
import torchvision

from sppviz.method import pooling

LEVELS = (1, 2, 3, 6)
MAP_CHW = (256, 43, 65)  # conv5 of a 688 x 1040 image (ZF-5, stride 16)
WINDOWS = 2000
REFERENCE_WINDOWS = 200


def make_case(seed: int = 0, chw: tuple[int, int, int] = MAP_CHW,
              windows: int = WINDOWS) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded ReLU'd map float32 [C, H, W] and cells int64 [K, 4] (cx0, cy0, cx1, cy1), 0-based
    inclusive conv5 cells of random sizes 1..W by 1..H, all inside the map."""
    gen = torch.Generator().manual_seed(seed)
    c, h, w = chw
    fmap = torch.randn(c, h, w, generator=gen).relu()
    ws = torch.randint(1, w + 1, (windows,), generator=gen)
    hs = torch.randint(1, h + 1, (windows,), generator=gen)
    x0 = (torch.rand(windows, generator=gen) * (w - ws + 1)).long()
    y0 = (torch.rand(windows, generator=gen) * (h - hs + 1)).long()
    return fmap, torch.stack([x0, y0, x0 + ws - 1, y0 + hs - 1], dim=1)


def roi_pool_levels(fmap: torch.Tensor, cells: torch.Tensor, levels: Sequence[int] = LEVELS) -> list[torch.Tensor]:
    """One torchvision roi_pool call per level -> list of [K, C, n, n]. fmap [C, H, W]; cells [K, 4]
    inclusive (cx0, cy0, cx1, cy1), given to roi_pool as boxes with spatial_scale 1."""
    boxes = torch.cat([torch.zeros(len(cells), 1), cells.float()], dim=1)  # (batch, x1, y1, x2, y2)
    return [torchvision.ops.roi_pool(fmap[None], boxes, n, spatial_scale=1.0) for n in levels]


def roi_pool_finest_then_derive(fmap: torch.Tensor, cells: torch.Tensor,
                                levels: Sequence[int] = LEVELS) -> list[torch.Tensor]:
    """roi_pool at the finest level m only; each coarser level n = max over (m/n)^2 fine bins (exact
    when m is divisible by every n). Same shapes as :func:`roi_pool_levels`."""
    m = max(levels)
    (fine,) = roi_pool_levels(fmap, cells, (m,))
    k, c = fine.shape[:2]
    out = []
    for n in levels:
        r = m // n
        out.append(fine if n == m else fine.view(k, c, n, r, n, r).amax(dim=(3, 5)))
    return out


def _release_vector(per_level: list[torch.Tensor]) -> torch.Tensor:
    """[K, C, n, n] per level -> [K, C*sum(n^2)] in release layout (c*n*n + by*n + bx)."""
    return torch.cat([p.flatten(1) for p in per_level], dim=1)


def _best_ms(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of `repeats` calls, in ms (best-of filters out other workers' load)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def in_turns(fns: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """Best wall time in ms of each of ``fns``, called in turns ``repeats`` times."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], 1000 * (time.perf_counter() - start))
    return best


def bench_pooling(repeats: int = 5, seed: int = 0) -> dict:
    """Time every method on the target case; returns a dict of ms, ratios and `identical` (every
    method gave the same 12,800-d vectors, in the layout of ``utils/spm_pool/spm_pool_caffe_mex.cpp``)."""
    fmap, cells = make_case(seed)
    sub = cells[:REFERENCE_WINDOWS]
    result = {
        "case": f"fmap {'x'.join(map(str, MAP_CHW))} (conv5 of 688x1040), {WINDOWS} windows, levels {LEVELS}",
        "statistic": f"best of {repeats} runs, wall ms",
        "torch_threads": torch.get_num_threads(),
        "numba_threads": pooling.numba.get_num_threads() if pooling.numba is not None else None,
        "backend_auto": pooling.choose_backend(fmap, "auto"),
    }
    start = time.perf_counter()
    spp_ref = pooling.spp_reference(fmap, sub, LEVELS)
    reference_ms = 1000 * (time.perf_counter() - start) * WINDOWS / REFERENCE_WINDOWS
    result["reference_note"] = f"reference timed once on {REFERENCE_WINDOWS} windows, scaled to {WINDOWS}"

    ms = {"reference": reference_ms}
    ms["roi_pool_x4"] = _best_ms(lambda: roi_pool_levels(fmap, cells), repeats)
    ms["roi_pool_6x6_derived"] = _best_ms(lambda: roi_pool_finest_then_derive(fmap, cells), repeats)
    roi = _release_vector(roi_pool_levels(fmap, cells))
    identical = torch.equal(_release_vector(roi_pool_finest_then_derive(fmap, cells)), roi)
    backends = ["torch"] + (["numba"] if pooling.numba is not None else [])
    buffers = pooling.OutputBuffers(keep=1)
    shape = tuple(roi.shape)
    for backend in backends:
        ours = pooling.spatial_pyramid_pool(fmap, cells, LEVELS, backend=backend)  # warm-up (+ compile)
        identical &= torch.equal(ours, roi) and torch.equal(ours[:REFERENCE_WINDOWS], spp_ref)
        del ours
        ms[backend] = _best_ms(
            lambda b=backend: pooling.spatial_pyramid_pool(fmap, cells, LEVELS, backend=b), repeats
        )

        def reused(b=backend):
            with buffers.take(shape, fmap.dtype) as buf:
                return pooling.spatial_pyramid_pool(fmap, cells, LEVELS, backend=b, out=buf)

        identical &= torch.equal(reused(), roi)
        ms[f"{backend}_reused_out"] = _best_ms(reused, repeats)

    def write_fresh():
        pooling.empty_buffer(shape, fmap.dtype, "cpu").fill_(1.0)

    def write_fresh_4k():
        torch.empty(shape, dtype=fmap.dtype).fill_(1.0)

    def write_reused():
        with buffers.take(shape, fmap.dtype) as buf:
            buf.fill_(1.0)

    ms["write_fresh"] = _best_ms(write_fresh, repeats)
    ms["write_fresh_4k_pages"] = _best_ms(write_fresh_4k, repeats)
    ms["write_reused"] = _best_ms(write_reused, repeats)
    if "numba" in backends:
        pool_ms, write_ms = in_turns((reused, write_reused), 4 * repeats)
        result["pool_vs_write"] = {"pool_ms": round(pool_ms, 2), "write_ms": round(write_ms, 2),
                                   "ratio": round(pool_ms / write_ms, 2)}
    result["ms"] = {name: round(value, 1) for name, value in ms.items()}
    result["speedup_vs_roi_pool_x4"] = {
        name: float(f"{ms['roi_pool_x4'] / ms[name]:.3g}") for name in ms
        if name != "roi_pool_x4" and not name.startswith("write")
    }
    result["identical"] = bool(identical)
    return result


def format_bench(result: dict) -> str:
    """Human-readable table of a bench_pooling() result."""
    lines = [result["case"], result["statistic"] + "; " + result["reference_note"]]
    for name, value in result["ms"].items():
        ratio = result["speedup_vs_roi_pool_x4"].get(name, 1.0 if name == "roi_pool_x4" else None)
        vs = "" if ratio is None else f"   x{ratio:.3g} vs roi_pool x4"
        lines.append(f"  {name:<22} {value:>10.1f} ms{vs}")
    if "pool_vs_write" in result:
        r = result["pool_vs_write"]
        lines.append(f"  in turns: numba into a reused buffer {r['pool_ms']:.1f} ms, writing it "
                     f"{r['write_ms']:.1f} ms: x{r['ratio']:.2f}")
    lines.append(f"  identical results: {result['identical']} (auto backend: {result['backend_auto']})")
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_bench(bench_pooling()))
