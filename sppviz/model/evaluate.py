"""VOC-style evaluation on held-out generated scenes: ``python -m sppviz evaluate``.

AP@0.5 per class (VOC 2010+ area under the interpolated precision/recall curve; a detection is a
true positive when its IoU with a not-yet-matched ground-truth box of its class is ≥ 0.5) and
their mean, for SPP-net at one scale (688), SPP-net at five scales and the R-CNN path (every
window cropped, warped to 224 × 224 and run through the same network) on the same windows.
Held-out scenes use seeds from ``synthetic.EVAL_SEED_BASE`` on, never used in training.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from sppviz.method import proposals, pyramid
from sppviz.model import synthetic
from sppviz.model.detector import Detections, Detector, box_iou, postprocess


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC 2010+ AP: area under the precision envelope (monotone from the right).

    recall, precision: float [K], one entry per detection in descending score order."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    i = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[i + 1] - r[i]) * p[i + 1]))


def evaluate_detections(dets: list[Detections], gts: list[tuple[np.ndarray, np.ndarray]],
                        num_classes: int, iou_thresh: float = 0.5) -> dict:
    """VOC matching per class: dets[i] are image i's detections (boxes [K, 4] (x1, y1, x2, y2)
    inclusive pixel coordinates, scores [K], 0-based labels [K]); gts[i] = (boxes [N, 4] in the same
    convention, labels [N]). A detection is a true positive when its IoU with a not-yet-matched
    ground-truth box of its class is ≥ ``iou_thresh``. Returns {"ap": [AP per class, NaN for a class
    without ground truth], "mAP": mean of the others}."""
    aps = []
    for c in range(num_classes):
        scores, tps, n_gt = [], [], 0
        for d, (gb, gl) in zip(dets, gts, strict=True):
            g = torch.as_tensor(gb[gl == c], dtype=torch.float32).reshape(-1, 4)
            n_gt += len(g)
            sel = d.labels == c
            boxes, sc = d.boxes[sel], d.scores[sel]
            order = torch.argsort(sc, descending=True)
            boxes, sc = boxes[order], sc[order]
            matched = torch.zeros(len(g), dtype=torch.bool)
            iou = box_iou(boxes, g) if len(g) and len(boxes) else None
            for k in range(len(boxes)):
                tp = False
                if iou is not None:
                    best, j = iou[k].max(0)
                    if best >= iou_thresh and not matched[j]:
                        matched[j] = tp = True
                scores.append(float(sc[k]))
                tps.append(tp)
        if n_gt == 0:
            aps.append(float("nan"))
            continue
        order = np.argsort(-np.asarray(scores), kind="stable")
        tp = np.asarray(tps, dtype=float)[order]
        ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
        recall = ctp / n_gt
        precision = ctp / np.maximum(ctp + cfp, 1e-9)
        aps.append(average_precision(recall, precision))
    valid = [a for a in aps if not np.isnan(a)]
    return {"ap": aps, "mAP": float(np.mean(valid)) if valid else 0.0}


def _warm_up(detector: Detector, image: np.ndarray, windows: np.ndarray,
             scale_sets: dict[str, Sequence[int]], rcnn: bool) -> None:
    """One untimed pass of every method on the first scene. The first call in a process pays
    one-time costs (numba loads its pooling kernel, torch makes its first allocations: 0.35 s
    instead of 0.10 s for SPP-net at 688 here) that are no part of a method's time per image;
    timed, they fell on the first scene and inflated SPP-net's time on the R-CNN scenes by ~15 %."""
    for scales in scale_sets.values():
        detector.detect(image, windows, scales)
    if rcnn:
        detector.rcnn_windows(image, windows[:64])


def run(detector: Detector, images: int = 300, seed: int = synthetic.EVAL_SEED_BASE,
        scale_sets: dict[str, Sequence[int]] | None = None, rcnn_images: int = 20, max_windows: int = 2000,
        score_thresh: float = 0.05, log: Callable[[str], object] = print) -> dict:
    """Evaluate each method on the same scenes (seeds ``seed .. seed + images - 1``) and the same
    selective-search windows (at most ``max_windows`` per image).

    scale_sets: name → pyramid scales (shorter image side, px), default one scale (688) and the
    paper's five; the R-CNN path runs on the first ``rcnn_images`` scenes only (0 = skip).
    Returns {"images", "seed", "classes", "proposals_s_per_image", "methods": {name: {"mAP", "ap",
    "s_per_image", ...}}, "mAP" (of the first scale set)}; times exclude the proposals."""
    scale_sets = scale_sets or {"spp_1scale": (pyramid.SINGLE_SCALE,), "spp_5scales": pyramid.PAPER_SCALES}
    n_cls = len(detector.classes)
    gts, dets = [], {k: [] for k in scale_sets}
    times = {k: 0.0 for k in scale_sets}
    rcnn_dets, rcnn_time, rcnn_windows = [], 0.0, 0
    spp_sub_time = 0.0
    prop_time = 0.0
    for i in range(images):
        scene = synthetic.make_scene(seed + i)
        gts.append((scene.boxes, scene.labels))
        t0 = time.perf_counter()
        windows = proposals.selective_search(scene.image, mode="fast", max_windows=max_windows)
        prop_time += time.perf_counter() - t0
        if i == 0:
            _warm_up(detector, scene.image, windows, scale_sets, rcnn_images > 0)
        for name, scales in scale_sets.items():
            t0 = time.perf_counter()
            _, _, after = detector.detect(scene.image, windows, scales, score_thresh=score_thresh)
            dt = time.perf_counter() - t0
            times[name] += dt
            if i < rcnn_images and name == next(iter(scale_sets)):
                spp_sub_time += dt
            dets[name].append(after)
        if i < rcnn_images:
            t0 = time.perf_counter()
            probs, boxes = detector.rcnn_windows(scene.image, windows)
            _, after = postprocess(probs, boxes, score_thresh)
            rcnn_time += time.perf_counter() - t0
            rcnn_windows += len(windows)
            rcnn_dets.append(after)
        if (i + 1) % max(1, images // 10) == 0:
            log(f"evaluated {i + 1}/{images} scenes")
    out = {"images": images, "seed": seed, "classes": list(detector.classes),
           "proposals_s_per_image": prop_time / images, "methods": {}}
    for name, scales in scale_sets.items():
        r = evaluate_detections(dets[name], gts, n_cls)
        out["methods"][name] = {"scales": list(scales), "mAP": r["mAP"], "ap": r["ap"],
                                "s_per_image": times[name] / images, "images": images}
    if rcnn_images:
        first = next(iter(scale_sets))
        r = evaluate_detections(rcnn_dets, gts[:rcnn_images], n_cls)
        spp_same = evaluate_detections(dets[first][:rcnn_images], gts[:rcnn_images], n_cls)
        out["methods"]["rcnn"] = {"mAP": r["mAP"], "ap": r["ap"], "images": rcnn_images,
                                  "s_per_image": rcnn_time / rcnn_images,
                                  "windows_per_image": rcnn_windows / rcnn_images,
                                  f"{first}_mAP_same_images": spp_same["mAP"],
                                  f"{first}_s_per_image_same_images": spp_sub_time / rcnn_images,
                                  "slowdown_vs_" + first: rcnn_time / max(spp_sub_time, 1e-9)}
    out["mAP"] = out["methods"][next(iter(scale_sets))]["mAP"]
    return out


def format_table(res: dict) -> str:
    """A Markdown table like the paper's Table 10 (mAP and time per image)."""
    classes = res["classes"]
    head = "| method | images | mAP | " + " | ".join(classes) + " | s / image (excl. proposals) |"
    lines = [head, "|" + "---|" * (len(classes) + 4)]
    for name, m in res["methods"].items():
        aps = " | ".join(f"{100 * a:.1f}" for a in m["ap"])
        lines.append(f"| {name} | {m['images']} | **{100 * m['mAP']:.1f}** | {aps} | {m['s_per_image']:.3f} |")
    side = proposals.WORKING_SIDE
    lines.append(f"\nselective search (fast, ≤ {side} px): {res['proposals_s_per_image']:.2f} s / image")
    if "rcnn" in res["methods"]:
        r = res["methods"]["rcnn"]
        key = next(k for k in r if k.startswith("slowdown_vs_"))
        lines.append(f"R-CNN path on the first {r['images']} scenes ({r['windows_per_image']:.0f} windows / image): "
                     f"{r[key]:.0f}× slower than {key[len('slowdown_vs_'):]} on the same scenes")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m sppviz evaluate``."""
    p.add_argument("--model", default=None, help="safetensors model (default: the bundled one)")
    p.add_argument("--images", type=int, default=300)
    p.add_argument("--seed", type=int, default=synthetic.EVAL_SEED_BASE)
    p.add_argument("--scales", type=int, nargs="+", default=None,
                   help="evaluate only these scales (default: 688 and the paper's five)")
    p.add_argument("--rcnn-images", type=int, default=20, help="scenes for the (slow) R-CNN path; 0 = skip")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def main(args: argparse.Namespace) -> int:
    """``python -m sppviz evaluate``: prints the table (or one JSON object with ``--json``); exit code 0."""
    from sppviz.model.weights import load_default_detector

    det = load_default_detector(args.model)
    scale_sets = None
    if args.scales:
        pyramid.validate_scales(args.scales)
        scale_sets = {f"spp_{len(args.scales)}scale{'s' if len(args.scales) > 1 else ''}": tuple(args.scales)}
    res = run(det, args.images, args.seed, scale_sets, args.rcnn_images,
              log=(lambda *_: None) if args.json else print)
    print(json.dumps(res) if args.json else format_table(res))
    return 0
