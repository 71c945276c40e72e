"""``python -m sppviz bench``: the numbers behind "SPP-net is fast", measured on this machine.

1. Pooling: 2,000 windows × levels {1, 2, 3, 6} on a 256 × 43 × 65 conv5 map (a 688-px image),
   by the reference loop, four ``torchvision.ops.roi_pool`` calls, roi_pool 6×6 + derived levels,
   the torch sparse-table backend and the numba kernel (``sppviz.tools.bench_pool``).
2. The whole pipeline per image, SPP-net at 1 and 5 scales vs the R-CNN path (same weights, same
   windows), split into proposals / conv / pooling / head / NMS.
3. The app's analysis object: first analysis and the latency of a window / level / channel change.
4. Peak memory and a line describing the device.

``--browser`` runs the browser benchmark instead (``bench_browser``: start-up, Analyze and click → figure in
Chromium), ``--proposals`` selective search's recall against time (``bench_proposals``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
import torchvision

from sppviz import analysis
from sppviz.method import proposals, pyramid
from sppviz.model import synthetic
from sppviz.model.detector import Detector, postprocess
from sppviz.tools import bench_browser, bench_proposals

PAPER_WINDOWS = 2000  # windows per image in the paper's timings (selective search, fast mode)


def device_line() -> str:
    """One line naming the CPU, its cores, torch and its threads (and the CUDA device, if any)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    line = f"CPU {cpu}, {cores} cores, torch {torch.__version__} with {torch.get_num_threads()} threads"
    if torch.cuda.is_available():
        line += f"; CUDA {torch.cuda.get_device_name(0)}"
    return line


def _best(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` calls of ``fn`` (seconds)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_pipeline(detector: Detector, image: np.ndarray, rcnn_windows: int = 64, repeats: int = 3) -> dict:
    """Per-image stage times (seconds) for SPP-net at 1 and 5 scales and for R-CNN.

    The R-CNN path (crop, warp to 224, conv1..fc per window) is timed on ``rcnn_windows``
    windows and scaled to all windows (it is linear in the number of windows)."""
    t0 = time.perf_counter()
    windows = proposals.selective_search(image, mode="fast")
    prop_s = time.perf_counter() - t0
    wh = (image.shape[1], image.shape[0])
    n_ss = len(windows)
    if n_ss < PAPER_WINDOWS:  # the paper's setting is ~2,000 windows per image: top up with a grid
        grid = proposals.grid_windows(wh, sizes=(48, 96, 192, 384), max_windows=PAPER_WINDOWS - n_ss)
        windows = np.concatenate([windows, grid[:PAPER_WINDOWS - n_ss]]).astype(np.float32)
    out = {"windows": int(len(windows)), "selective_search_windows": int(n_ss), "image_wh": list(wh),
           "proposals_s": prop_s}
    for name, scales in (("spp_1scale", (pyramid.SINGLE_SCALE,)), ("spp_5scales", pyramid.PAPER_SCALES)):
        detector.features(image, scales[0])  # warm-up
        conv = _best(lambda s=scales: [detector.features(image, x) for x in s], repeats)
        feats = [detector.features(image, s) for s in scales]
        pool = head = nms = float("inf")
        for _ in range(repeats):
            res = detector.windows(feats, windows, wh)
            pool, head = min(pool, res.timings["pool_s"]), min(head, res.timings["head_s"])
            t0 = time.perf_counter()
            postprocess(res.probs, res.boxes, 0.3)
            nms = min(nms, time.perf_counter() - t0)
        out[name] = {"scales": list(scales), "conv_s": conv, "pool_s": pool, "head_s": head, "nms_s": nms,
                     "total_s": conv + pool + head + nms}
    sub = windows[:rcnn_windows]
    detector.rcnn_windows(image, sub[:4])  # warm-up
    t0 = time.perf_counter()
    probs, boxes = detector.rcnn_windows(image, sub)
    per_window = (time.perf_counter() - t0) / max(1, len(sub))
    t0 = time.perf_counter()
    postprocess(probs, boxes, 0.3)
    out["rcnn"] = {"timed_windows": int(len(sub)), "s_per_window": per_window,
                   "conv_pool_head_s": per_window * len(windows), "total_s": per_window * len(windows),
                   "note": f"timed on {len(sub)} windows, scaled to {len(windows)}"}
    out["speedup_1scale"] = out["rcnn"]["total_s"] / out["spp_1scale"]["total_s"]
    out["speedup_5scales"] = out["rcnn"]["total_s"] / out["spp_5scales"]["total_s"]
    return out


def bench_interaction(detector: Detector, image: np.ndarray, repeats: int = 5) -> dict:
    """First analysis (1 scale, selective search windows) and the cheap follow-ups the app runs.

    image: uint8 [H, W, 3] RGB. Returns seconds for the proposals and the first analysis, and the
    median / max milliseconds of window, level, channel, rule and threshold changes."""
    analysis.FEATURES.clear()
    analysis.PROPOSALS.clear()
    t0 = time.perf_counter()
    windows, _ = analysis.get_windows(image, "selective-search-fast", 2000)
    prop_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    a = analysis.analyze(image, detector, (pyramid.SINGLE_SCALE,))
    first = time.perf_counter() - t0
    ks = np.linspace(0, len(a.windows) - 1, repeats).astype(int)
    C = a.feats[0].fmap.shape[0]
    lat = {
        "window": [_best(lambda k=k: analysis.window_detail(a, int(k)), 1) for k in ks],
        "level": [_best(lambda lv=lv: analysis.window_detail(a, 0, lv), 1)
                  for lv in [(1, 2, 4), (6, 3, 2, 1), (1, 2, 3, 6), (1, 3), (2, 6)][:repeats]],
        "channel": [_best(lambda c=c: analysis.window_detail(a, 0, channel=int(c)), 1)
                    for c in np.linspace(0, C - 1, repeats).astype(int)],
        "rule": [_best(lambda r=r: analysis.window_detail(a, 0, projection=r), 1)
                 for r in ("paper", "original", "fast-rcnn")],
        "threshold": [_best(lambda t=t: a.detections(float(t)), 1) for t in np.linspace(0.1, 0.9, repeats)],
    }
    return {"proposals_s": prop_s, "first_analysis_s_after_proposals": first, "windows": int(len(a.windows)),
            "latency_ms": {k: {"median": 1000 * statistics.median(v), "max": 1000 * max(v)} for k, v in lat.items()}}


def run(repeats: int = 5, rcnn_windows: int = 64, model: str | None = None,
        log: Callable[[str], object] = print) -> dict:
    """Every benchmark on one example scene with the bundled model (or the safetensors file ``model``):
    {"device", "torchvision", "pooling", "pipeline", "interaction", "peak_rss_mb"}."""
    from sppviz.model.weights import load_default_detector, setup_threads
    from sppviz.tools.bench_pool import bench_pooling

    setup_threads()
    res = {"device": device_line(), "torchvision": torchvision.__version__}
    log("pooling …")
    res["pooling"] = bench_pooling(repeats=2 * repeats)  # the first calls also pay page faults: see README
    det = load_default_detector(model)
    img = synthetic.make_scene(synthetic.EXAMPLE_SEED_BASE + 3).image
    log("pipeline …")
    res["pipeline"] = bench_pipeline(det, img, rcnn_windows, max(1, repeats // 2))
    log("interaction …")
    res["interaction"] = bench_interaction(det, img, repeats)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def format_report(res: dict) -> str:
    """The Markdown report of a :func:`run` result."""
    p = res["pooling"]
    lines = [f"device: {res['device']}", "", f"## Pooling: {p['case']}", "",
             "| method | ms | × faster than 4× roi_pool |", "|---|---:|---:|"]
    for name, ms in p["ms"].items():
        x = p["speedup_vs_roi_pool_x4"].get(name, 1.0 if name == "roi_pool_x4" else None)
        lines.append(f"| {name} | {ms:.1f} | {'' if x is None else f'{x:.3g}'} |")
    lines += ["", f"{p['statistic']}; {p['reference_note']}; auto backend: {p['backend_auto']}; "
              f"identical results: {p['identical']}"]
    if "pool_vs_write" in p:
        r = p["pool_vs_write"]
        lines += ["", f"in turns: numba into a reused buffer {r['pool_ms']:.1f} ms, writing that buffer "
                      f"{r['write_ms']:.1f} ms (×{r['ratio']:.2f})"]
    q = res["pipeline"]
    lines += ["", f"## Pipeline per image ({q['image_wh'][0]}×{q['image_wh'][1]}, {q['windows']} windows: "
              f"{q['selective_search_windows']} from selective search, the rest a regular grid, as the paper's "
              f"~2,000; proposals {q['proposals_s']:.2f} s, not included below)", "",
              "| path | conv s | pool s | head s | NMS s | total s |", "|---|---:|---:|---:|---:|---:|"]
    for name in ("spp_1scale", "spp_5scales"):
        r = q[name]
        lines.append(f"| {name} | {r['conv_s']:.3f} | {r['pool_s']:.3f} | {r['head_s']:.3f} | {r['nms_s']:.4f} | "
                     f"{r['total_s']:.3f} |")
    r = q["rcnn"]
    lines.append(f"| rcnn ({r['note']}) | | | | | {r['total_s']:.1f} |")
    lines += ["", f"SPP-net speedup over R-CNN: {q['speedup_1scale']:.0f}× at 1 scale, "
              f"{q['speedup_5scales']:.0f}× at 5 scales (paper, GPU: 102× and 38×)"]
    i = res["interaction"]
    lines += ["", f"## App analysis object: first analysis {i['first_analysis_s_after_proposals']:.2f} s after "
              f"proposals ({i['proposals_s']:.2f} s), {i['windows']} windows", "",
              "| change | median ms | max ms |", "|---|---:|---:|"]
    for k, v in i["latency_ms"].items():
        lines.append(f"| {k} | {v['median']:.1f} | {v['max']:.1f} |")
    lines += ["", f"peak RSS: {res['peak_rss_mb']:.0f} MB"]
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m sppviz bench``."""
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--rcnn-windows", type=int, default=64, help="windows the R-CNN path is timed on")
    p.add_argument("--model", default=None)
    p.add_argument("--json", action="store_true")
    p.add_argument("--browser", action="store_true",
                   help="instead: what a visitor feels, in Chromium (start-up, Analyze, click → figure)")
    bench_browser.add_arguments(p)
    p.add_argument("--proposals", action="store_true",
                   help="instead: selective search's recall of the ground truth against time (fast / quality, "
                        "working sizes)")
    p.add_argument("--proposal-scenes", type=int, default=100, help="generated scenes of the recall curve")
    p.add_argument("--proposal-sides", type=int, nargs="+", default=list(bench_proposals.SIDES),
                   help="working sizes (longer side, px) of the recall curve")
    p.add_argument("--proposal-modes", nargs="+", default=list(bench_proposals.MODES), choices=bench_proposals.MODES)


def main(args: argparse.Namespace) -> int:
    """``python -m sppviz bench``: prints the report (one JSON object with ``--json``); exit code 0. With
    ``--browser``, the browser benchmark (``bench_browser``) instead; with ``--proposals``, the recall curve
    of selective search (``bench_proposals``)."""
    if getattr(args, "browser", False):
        return bench_browser.main(args)
    if getattr(args, "proposals", False):
        res = bench_proposals.proposal_curve(args.proposal_scenes, args.proposal_sides, args.proposal_modes,
                                             log=(lambda *_: None) if args.json else print)
        print(json.dumps(res) if args.json else bench_proposals.format_curve(res))
        return 0
    res = run(args.repeats, args.rcnn_windows, args.model, log=(lambda *_: None) if args.json else print)
    print(json.dumps(res) if args.json else format_report(res))
    return 0
