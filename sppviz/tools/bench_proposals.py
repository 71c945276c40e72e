"""``python -m sppviz bench --proposals``: recall of the ground truth against time for selective search.

Selective search runs on a copy of the image downscaled so that its longer side is at most a working size
(``proposals.WORKING_SIDE``; smaller images are searched as they are). The curve behind that constant: on
generated scenes with held-out seeds (``synthetic.EVAL_SEED_BASE`` onwards, never used in training; random
sizes 240–800 px like the bundled examples), for the "fast" and "quality" modes and several working sizes,
the fraction of ground-truth boxes covered by at least one of the first ``count`` windows at IoU ≥ 0.5 and
≥ 0.7 (IoU of inclusive pixel boxes, docs/conventions.md), the windows per image and the seconds per image
(one OpenCV thread, as the app runs it).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np

from sppviz.method import proposals
from sppviz.model import synthetic

SIDES = (300, 400, 500)
MODES = ("fast", "quality")
SEED_OFFSET = 5000  # scenes EVAL_SEED_BASE + 5000 + i: evaluation seeds, away from the first ones evaluate uses
IOUS = (0.5, 0.7)


def iou_inclusive(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU [N, M] of boxes a [N, 4] and b [M, 4], (x1, y1, x2, y2) inclusive pixel centres (width x2 − x1 + 1)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + 1
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + 1
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    area_a = (a[:, 2] - a[:, 0] + 1) * (a[:, 3] - a[:, 1] + 1)
    area_b = (b[:, 2] - b[:, 0] + 1) * (b[:, 3] - b[:, 1] + 1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def best_overlaps(gt: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """For each ground-truth box [N, 4], its best IoU with any window [K, 4] (0 when there are none)."""
    if len(windows) == 0:
        return np.zeros(len(gt))
    return iou_inclusive(gt, windows).max(axis=1)


def scene_seeds(n: int, offset: int = SEED_OFFSET) -> list[int]:
    """Held-out scene seeds: ``EVAL_SEED_BASE + offset + i`` for i < n."""
    return [synthetic.EVAL_SEED_BASE + offset + i for i in range(n)]


def proposal_curve(n_scenes: int = 30, sides: Sequence[int] = SIDES, modes: Sequence[str] = MODES,
                   count: int = 2000, log: Callable[[str], object] = print) -> dict:
    """Recall at IoU ≥ 0.5 / 0.7, windows and seconds per image for each (mode, working size), on the same
    ``n_scenes`` held-out scenes. Returns {"scenes", "objects", "mean_image_wh", "count", "rows": [...]}."""
    scenes = [synthetic.make_scene(s) for s in scene_seeds(n_scenes)]
    rows = []
    for mode in modes:
        for side in sides:
            best, secs, counts = [], [], []
            for sc in scenes:
                t0 = time.perf_counter()
                win = proposals.selective_search(sc.image, mode=mode, max_side=int(side), max_windows=count)
                secs.append(time.perf_counter() - t0)
                counts.append(len(win))
                best.append(best_overlaps(sc.boxes, win))
            ov = np.concatenate(best)
            row = {"mode": mode, "side": int(side), "windows": round(statistics.mean(counts), 1),
                   "seconds_median": round(statistics.median(secs), 3), "seconds_mean": round(statistics.mean(secs), 3),
                   **{f"recall@{t}": round(float((ov >= t).mean()), 4) for t in IOUS}}
            rows.append(row)
            log(str(row))
    wh = np.array([sc.image.shape[1::-1] for sc in scenes])
    return {"scenes": n_scenes, "seeds": f"EVAL_SEED_BASE + {SEED_OFFSET} … + {SEED_OFFSET + n_scenes - 1}",
            "objects": int(sum(len(sc.boxes) for sc in scenes)), "mean_image_wh": wh.mean(0).round().tolist(),
            "count": count, "rows": rows}


def format_curve(res: dict) -> str:
    """The curve as a Markdown table."""
    lines = [f"{res['scenes']} generated scenes ({res['seeds']}; {res['objects']} objects, mean size "
             f"{res['mean_image_wh'][0]:.0f}×{res['mean_image_wh'][1]:.0f}), first {res['count']} windows", "",
             "| mode | working size | windows | s / image (median) | recall IoU ≥ 0.5 | recall IoU ≥ 0.7 |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in res["rows"]:
        lines.append(f"| {r['mode']} | {r['side']} | {r['windows']:.0f} | {r['seconds_median']:.2f} | "
                     f"{r['recall@0.5']:.3f} | {r['recall@0.7']:.3f} |")
    return "\n".join(lines)
