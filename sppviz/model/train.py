"""Train the bundled SPP-net on generated scenes: ``python -m sppviz train``.

Two stages, as in the paper (§2.3 and §4):

1. **Pre-training** of the whole network (ZF-5 geometry, conv1..conv5 → SPP → fc6 → fc7 → fc8)
   as a classifier of crops, with *multi-size training*: the epochs alternate between 224 × 224
   and 180 × 180 inputs; SPP makes the fc input the same length for both (paper §2.3).
   Crops are jittered ground-truth objects (with context) and background patches; the paper
   pre-trains on ImageNet, which has no background class — here background is the (C+1)-th
   class so that conv5 also learns what clutter looks like (stated deviation).
2. **Detection fine-tuning** of fc6, fc7 and a new (C+1)-way fc8 plus a box regressor on pooled
   conv5 features of proposal windows (paper §4: positives IoU ≥ 0.5, negatives IoU in
   [0.1, 0.5), 25 % positives per mini-batch). By default end to end, conv layers included
   (:func:`finetune_conv`, Fast R-CNN style, stated deviation); ``--paper-finetune`` keeps the
   paper's frozen conv layers (:func:`finetune`: conv5 computed once per image and scale, windows
   pooled with the paper's single-scale-per-window rule). The paper then trains linear SVMs with
   hard-negative mining; instead (as Fast R-CNN) the softmax is used directly, a quarter of the
   random negatives come from IoU < 0.1, and the end-to-end stage mines half of its negatives
   online as each image's highest-loss windows and draws its positives per object (every object
   of the image equally likely, so a small object covered by 3 windows is not drowned by a big one
   covered by 200) (stated deviations).

Everything is seeded; the log goes to stdout and to ``--log``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TypeVar

import cv2
import numpy as np
import torch
from torch import nn

from sppviz.method import bins, geometry, pooling, proposals, pyramid
from sppviz.model import backbones, synthetic
from sppviz.model.detector import SPPNet, box_iou, encode_boxes

T = TypeVar("T")


@dataclass
class TrainConfig:
    """Everything a training run depends on (with the code): written to the log and, with the history,
    into the model file's header. Scales and sizes are pixels of the shorter image side / crop side."""

    out: str = "assets/sppnet_zf5_synthetic.safetensors"
    seed: int = 0
    width: float = 0.25  # ZF-5 width multiplier (96/256/384/384/256 channels × width)
    levels: tuple[int, ...] = (1, 2, 3, 6)  # detection pyramid, paper §4
    hidden: int = 256
    dropout: float = 0.0  # fc6/fc7 dropout while training (0.5 in the paper; slows this short schedule)
    # stage 1: pre-training on crops
    pre_scenes: int = 3000
    pre_epochs: int = 5  # alternating 224 / 180 (paper §2.3 multi-size training)
    pre_sizes: tuple[int, ...] = (224, 180)
    pre_bg_per_scene: int = 2
    pre_batch: int = 32
    pre_lr: float = 0.002
    # stage 2: detection fine-tuning (fc-only as the paper with --paper-finetune; ft_epochs, ft_batch)
    ft_scenes: int = 800
    ft_scales: tuple[int, ...] = pyramid.PAPER_SCALES
    ft_windows_per_scene: int = 96
    ft_epochs: int = 30
    ft_batch: int = 128
    ft_lr: float = 0.001
    ft_pos_fraction: float = 0.25
    # stage 2 also trains conv1..conv5 through SPP (Fast R-CNN §2.3; the paper froze them)
    ft_conv: bool = True
    ft_conv_epochs: int = 8
    ft_conv_lr: float = 3e-4
    ft_hard_fraction: float = 0.5  # share of negatives picked as the hardest (highest loss) of the image
    ft_single_scale_p: float = 0.4  # P(image drawn at 688) before the uniform draw from S
    ft_balance_objects: bool = True  # positives drawn per object (each object equally likely), not per window
    threads: int = 0  # 0 = all cores
    log: str = ""
    extra: dict = field(default_factory=dict)


def _log(cfg: TrainConfig, msg: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if cfg.log:
        with open(cfg.log, "a") as f:
            f.write(line + "\n")


def _progress(it: Iterable[T], total: int, desc: str) -> Iterator[T]:
    """A minimal progress bar on stderr (tqdm is not a runtime dependency)."""
    start = time.perf_counter()
    for i, x in enumerate(it, 1):
        yield x
        if sys.stderr.isatty() or i == total or i % max(1, total // 10) == 0:
            el = time.perf_counter() - start
            sys.stderr.write(f"\r{desc}: {i}/{total} [{el:5.0f}s, eta {el / i * (total - i):4.0f}s]")
            if i == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


# ------------------------------------------------------------------ batch norm for training only

def add_batchnorm(trunk: backbones.Trunk) -> None:
    """Insert BatchNorm2d after every conv of ``trunk`` (in place). Training aid only: from-scratch
    training on two CPU cores converges several times faster; :func:`fold_batchnorm` removes it."""
    items = []
    for name, m in trunk.layers.named_children():
        items.append((name, m))
        if isinstance(m, nn.Conv2d):
            items.append((f"bn_{name}", nn.BatchNorm2d(m.out_channels)))
    trunk.layers = nn.Sequential(OrderedDict(items))


@torch.no_grad()
def fold_batchnorm(trunk: backbones.Trunk) -> None:
    """Fold each BatchNorm2d into the conv before it (exact in eval mode) and drop it, so the
    shipped trunk is the plain ZF-5 layer stack (conv → ReLU → LRN → pool, paper Table 1)."""
    items, prev = [], None
    for name, m in trunk.layers.named_children():
        if isinstance(m, nn.BatchNorm2d):
            scale = m.weight / torch.sqrt(m.running_var + m.eps)
            prev.weight.mul_(scale[:, None, None, None])
            bias = prev.bias if prev.bias is not None else torch.zeros_like(m.running_mean)
            prev.bias = nn.Parameter((bias - m.running_mean) * scale + m.bias)
            continue
        items.append((name, m))
        prev = m if isinstance(m, nn.Conv2d) else prev
    trunk.layers = nn.Sequential(OrderedDict(items))


# ------------------------------------------------------------------ stage 1: crops

def _jitter(box: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    w, h = box[2] - box[0] + 1, box[3] - box[1] + 1
    d = rng.uniform(-amount, amount, 4) * np.array([w, h, w, h])
    return box + d


def _overlaps_object(box: np.ndarray, gt: torch.Tensor, max_cover: float = 0.2) -> bool:
    """True when a background candidate covers more than ``max_cover`` of some object's area (so
    a large patch that holds a whole small object is not labelled background)."""
    b = torch.as_tensor(box, dtype=torch.float32)
    iw = (torch.minimum(gt[:, 2], b[2]) - torch.maximum(gt[:, 0], b[0]) + 1).clamp(min=0)
    ih = (torch.minimum(gt[:, 3], b[3]) - torch.maximum(gt[:, 1], b[1]) + 1).clamp(min=0)
    area = (gt[:, 2] - gt[:, 0] + 1) * (gt[:, 3] - gt[:, 1] + 1)
    return bool(((iw * ih) / area).max() > max_cover)


def crop_samples(scene: synthetic.Scene, rng: np.random.Generator, size: int, n_bg: int,
                 context: float = 0.15) -> tuple[list[np.ndarray], list[int]]:
    """Crops of one scene, warped to ``size`` × ``size``: every object (jittered, with context)
    labelled with its class, plus ``n_bg`` background patches (covering at most 20 % of any object)."""
    img = scene.image
    H, W = img.shape[:2]
    bg = len(synthetic.CLASSES)
    crops, labels = [], []

    def cut(b: np.ndarray) -> np.ndarray | None:
        x1, y1, x2, y2 = np.clip(np.round(b), [0, 0, 0, 0], [W - 1, H - 1, W - 1, H - 1]).astype(int)
        if x2 - x1 < 4 or y2 - y1 < 4:
            return None
        return cv2.resize(img[y1:y2 + 1, x1:x2 + 1], (size, size), interpolation=cv2.INTER_LINEAR)

    for box, lab in zip(scene.boxes, scene.labels, strict=True):
        w, h = box[2] - box[0] + 1, box[3] - box[1] + 1
        b = _jitter(box, rng, 0.1) + np.array([-w, -h, w, h]) * context * rng.uniform(0, 1)
        c = cut(b)
        if c is not None:
            crops.append(c)
            labels.append(int(lab))
    gt = torch.as_tensor(scene.boxes, dtype=torch.float32).reshape(-1, 4)
    for _ in range(n_bg * 4):
        if sum(1 for lab in labels if lab == bg) >= n_bg:
            break
        side = rng.uniform(0.1, 0.6) * min(W, H)
        ar = math.exp(rng.uniform(-0.7, 0.7))
        bw, bh = side * ar, side / ar
        x1, y1 = rng.uniform(0, max(1, W - bw)), rng.uniform(0, max(1, H - bh))
        b = np.array([x1, y1, min(W - 1, x1 + bw), min(H - 1, y1 + bh)], dtype=np.float32)
        if len(gt) and _overlaps_object(b, gt):
            continue
        c = cut(b)
        if c is not None:
            crops.append(c)
            labels.append(bg)
    return crops, labels


def pretrain(net: SPPNet, cfg: TrainConfig) -> dict:
    """Stage 1: the whole network as a crop classifier, epochs alternating 224 / 180 input."""
    rng = np.random.default_rng(cfg.seed)
    base = max(cfg.pre_sizes)
    crops, labels = [], []
    for i in _progress(range(cfg.pre_scenes), cfg.pre_scenes, "render crops"):
        c, lab = crop_samples(synthetic.make_scene(synthetic.TRAIN_SEED_BASE + i), rng, base, cfg.pre_bg_per_scene)
        crops += c
        labels += lab
    X = np.stack(crops)  # [N, base, base, 3] uint8
    Y = torch.tensor(labels)
    _log(cfg, f"stage 1: {len(Y)} crops ({int((Y == len(net.classes)).sum())} background)")
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.pre_lr, weight_decay=1e-4)
    steps = cfg.pre_epochs * math.ceil(len(Y) / cfg.pre_batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.pre_lr, total_steps=steps, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(cfg.pre_epochs):
        size = cfg.pre_sizes[epoch % len(cfg.pre_sizes)]  # multi-size training (paper §2.3)
        net.train()
        order = rng.permutation(len(Y))
        correct = total = 0
        loss_sum = 0.0
        t0 = time.perf_counter()
        n_batches = math.ceil(len(Y) / cfg.pre_batch)
        for b in _progress(range(n_batches), n_batches, f"epoch {epoch + 1} @ {size}px"):
            idx = order[b * cfg.pre_batch:(b + 1) * cfg.pre_batch]
            imgs = X[idx]
            if size != base:
                imgs = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in imgs])
            flip = rng.random(len(idx)) < 0.5
            imgs[flip] = imgs[flip, :, ::-1]
            x = torch.cat([net.trunk.preprocess(im) for im in imgs]).contiguous(memory_format=torch.channels_last)
            logits, _ = net(x)
            loss = loss_fn(logits, Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == Y[idx]).sum())
            total += len(idx)
        row = {"epoch": epoch + 1, "size": size, "loss": loss_sum / total, "acc": correct / total,
               "seconds": time.perf_counter() - t0}
        history.append(row)
        _log(cfg, f"stage 1 epoch {row['epoch']} size {size}: loss {row['loss']:.3f} acc {row['acc']:.3f} "
                  f"({row['seconds']:.0f}s)")
    return {"crops": len(Y), "epochs": history}


# ------------------------------------------------------------------ stage 2: windows

def sample_windows(windows: torch.Tensor, gt: torch.Tensor, gt_labels: torch.Tensor, n: int,
                   pos_fraction: float, rng: np.random.Generator, bg: int,
                   neg_loss: torch.Tensor | None = None, hard_fraction: float = 0.0,
                   balance_objects: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Paper §4 fine-tuning samples from proposals + ground truth: positives IoU ≥ 0.5 (label =
    the object's class), negatives IoU in [0.1, 0.5) and, for a quarter of them, IoU < 0.1
    (label = background). windows [K, 4] and gt [G, 4] are (x1, y1, x2, y2) inclusive pixel
    coordinates of the original image, gt_labels [G] 0-based classes, ``bg`` the background label
    (= number of classes). Returns (windows [n', 4], labels [n'], regression targets [n', 4]),
    positives first, n' ≤ n; targets are the Fast R-CNN box deltas, zero for negatives.

    Hard negatives (the paper's SVM hard-negative mining, done online as Shrivastava et al. 2016):
    with ``neg_loss`` (the current background loss of every row of ``cat([gt, windows])``), a
    ``hard_fraction`` of the negatives are those with the highest loss among *all* windows of
    IoU < 0.5; the rest are drawn as above from the remaining ones. With ``balance_objects`` the
    positives are drawn without replacement with probability 1 / (positive windows of their object),
    so every object carries the same share however many proposals cover it."""
    windows = torch.cat([gt, windows])
    iou = box_iou(windows, gt) if len(gt) else torch.zeros((len(windows), 1))
    best, arg = iou.max(1)
    pos = torch.nonzero(best >= 0.5).flatten().numpy()
    n_pos = min(len(pos), int(round(n * pos_fraction)))
    if n_pos and balance_objects:  # every object equally likely, however many windows cover it
        count = np.bincount(arg[pos].numpy(), minlength=len(gt))[arg[pos].numpy()]
        pos = rng.choice(pos, n_pos, replace=False, p=(1 / count) / (1 / count).sum())
    else:
        pos = rng.choice(pos, n_pos, replace=False) if n_pos else pos[:0]
    n_neg = n - n_pos
    mined = np.zeros(0, dtype=np.int64)
    if neg_loss is not None and hard_fraction > 0:
        negs = torch.nonzero(best < 0.5).flatten()
        k = min(len(negs), int(round(n_neg * hard_fraction)))
        mined = negs[torch.topk(neg_loss[negs], k).indices].numpy()
        n_neg -= k
    free = torch.ones(len(windows), dtype=torch.bool)
    free[torch.as_tensor(mined, dtype=torch.long)] = False
    hard = torch.nonzero((best >= 0.1) & (best < 0.5) & free).flatten().numpy()
    easy = torch.nonzero((best < 0.1) & free).flatten().numpy()
    n_easy = min(len(easy), n_neg // 4)
    n_hard = min(len(hard), n_neg - n_easy)
    n_easy = min(len(easy), n_neg - n_hard)
    neg = np.concatenate([mined, rng.choice(hard, n_hard, replace=False), rng.choice(easy, n_easy, replace=False)])
    idx = torch.as_tensor(np.concatenate([pos, neg]).astype(np.int64))
    labels = torch.full((len(idx),), bg, dtype=torch.long)
    labels[:n_pos] = gt_labels[arg[idx[:n_pos]]]
    targets = torch.zeros((len(idx), 4))
    if n_pos:
        targets[:n_pos] = encode_boxes(windows[idx[:n_pos]], gt[arg[idx[:n_pos]]])
    return windows[idx], labels, targets


@torch.inference_mode()
def pooled_dataset(net: SPPNet, cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pooled conv5 vectors of sampled windows of ``cfg.ft_scenes`` scenes (conv frozen), each window
    pooled at the one scale the paper's rule picks for it. Returns (vectors float16 [K, D] in the
    release's SPP layout, labels [K], regression targets [K, 4]), D = conv5 channels · Σ n²."""
    from sppviz.model.detector import Detector

    det = Detector(net, "cpu")
    rng = np.random.default_rng(cfg.seed + 1)
    bg = len(net.classes)
    feats_all, labels_all, targets_all = [], [], []
    for i in _progress(range(cfg.ft_scenes), cfg.ft_scenes, "pool windows"):
        scene = synthetic.make_scene(synthetic.TRAIN_SEED_BASE + 50_000 + i)
        windows = torch.as_tensor(proposals.selective_search(scene.image, mode="fast"))
        gt = torch.as_tensor(scene.boxes, dtype=torch.float32).reshape(-1, 4)
        win, lab, tgt = sample_windows(windows, gt, torch.as_tensor(scene.labels), cfg.ft_windows_per_scene,
                                       cfg.ft_pos_fraction, rng, bg)
        wh = (scene.image.shape[1], scene.image.shape[0])
        # only the scales some window chooses need a conv pass
        needed = torch.unique(pyramid.select_scales(win, wh, cfg.ft_scales, rule="paper")).tolist()
        feats = [det.features(scene.image, cfg.ft_scales[j]) for j in needed]
        res = det.windows(feats, win, wh)
        feats_all.append(res.pooled.half())
        labels_all.append(lab)
        targets_all.append(tgt)
    return torch.cat(feats_all), torch.cat(labels_all), torch.cat(targets_all)


def detection_loss(logits: torch.Tensor, deltas: torch.Tensor, y: torch.Tensor, targets: torch.Tensor,
                   bg: int) -> torch.Tensor:
    """Softmax loss over C+1 classes plus smooth-L1 box loss on the positives' own class (Fast R-CNN
    eq. 1, λ = 1, normalised by the batch size). logits [K, C+1], deltas [K, 4C], y [K], targets [K, 4]."""
    loss = nn.functional.cross_entropy(logits, y)
    pos = torch.nonzero(y != bg).flatten()
    if len(pos):
        d = deltas.reshape(len(y), -1, 4)[pos, y[pos]]
        loss = loss + nn.functional.smooth_l1_loss(d, targets[pos], beta=1.0, reduction="sum") / len(y)
    return loss


def _reset_fc8(head: nn.Module) -> None:
    """A new fc8 and box regressor for fine-tuning (small normal init, zero bias)."""
    nn.init.normal_(head.cls.weight, std=0.01)
    nn.init.zeros_(head.cls.bias)
    nn.init.normal_(head.bbox.weight, std=0.001)
    nn.init.zeros_(head.bbox.bias)


def finetune(net: SPPNet, cfg: TrainConfig) -> dict:
    """Stage 2: fc6, fc7 and a new fc8 (+ box regressor) on pooled windows; conv frozen."""
    torch.manual_seed(cfg.seed + 2)
    X, Y, T = pooled_dataset(net, cfg)
    bg = len(net.classes)
    _log(cfg, f"stage 2: {len(Y)} windows ({int((Y != bg).sum())} positives) from {cfg.ft_scenes} scenes")
    head = net.head
    _reset_fc8(head)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.ft_lr, weight_decay=1e-4)
    steps = cfg.ft_epochs * math.ceil(len(Y) / cfg.ft_batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.ft_lr, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(cfg.seed + 3)
    history = []
    for epoch in range(cfg.ft_epochs):
        head.train()
        order = torch.randperm(len(Y), generator=gen)
        loss_sum = acc = 0.0
        for b in range(0, len(Y), cfg.ft_batch):
            idx = order[b:b + cfg.ft_batch]
            logits, deltas = head(X[idx].float())
            y = Y[idx]
            loss = detection_loss(logits, deltas, y, T[idx], bg)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            acc += float((logits.argmax(1) == y).sum())
        row = {"epoch": epoch + 1, "loss": loss_sum / len(Y), "acc": acc / len(Y)}
        history.append(row)
        if epoch == 0 or (epoch + 1) % 5 == 0 or epoch + 1 == cfg.ft_epochs:
            _log(cfg, f"stage 2 epoch {row['epoch']}: loss {row['loss']:.3f} acc {row['acc']:.3f}")
    net.eval()
    return {"windows": len(Y), "positives": int((Y != bg).sum()), "epochs": history[-1:]}


def _flip(image: np.ndarray, boxes: torch.Tensor) -> tuple[np.ndarray, torch.Tensor]:
    """Mirror an image and its boxes left-right (inclusive pixel coordinates)."""
    w = image.shape[1]
    b = boxes.clone()
    b[:, 0], b[:, 2] = w - 1 - boxes[:, 2], w - 1 - boxes[:, 0]
    return np.ascontiguousarray(image[:, ::-1]), b


def _draw_scale(cfg: TrainConfig, rng: np.random.Generator) -> int:
    """The training scale of one image: 688 (the one-scale test scale) with probability
    ``cfg.ft_single_scale_p``, else uniform over S (Fast R-CNN's multi-scale training)."""
    if pyramid.SINGLE_SCALE in cfg.ft_scales and rng.random() < cfg.ft_single_scale_p:
        return pyramid.SINGLE_SCALE
    return int(rng.choice(cfg.ft_scales))


def finetune_conv(net: SPPNet, cfg: TrainConfig) -> dict:
    """Stage 2, end to end (stated deviation): fc6, fc7, a new fc8 + box regressor *and* conv1..conv5,
    trained on windows pooled from whole images with the exact gradient through SPP
    (``pooling.spatial_pyramid_pool_grad``). Sampling as paper §4 (positives IoU ≥ 0.5, negatives
    [0.1, 0.5) plus a quarter < 0.1, 25 % positives), with ``ft_hard_fraction`` of the negatives
    mined online as the image's highest-loss windows of IoU < 0.5 (the paper's SVM hard-negative
    mining, done as OHEM: all windows are scored once without gradient) and, with
    ``ft_balance_objects``, positives drawn per object rather than per window; one image per step, as
    Fast R-CNN's image-centric batches, at 688 with probability ``ft_single_scale_p`` else a scale
    drawn from S (Fast R-CNN's multi-scale training), mirrored half of the time.
    Why: the crops of stage 1 show objects warped to ~200 px, while a detector at one scale sees
    most of them at 20-100 px; training the conv layers on pooled
    windows closes that gap, which fine-tuning the fc layers alone cannot (Fast R-CNN Table 5)."""
    torch.manual_seed(cfg.seed + 2)
    rng = np.random.default_rng(cfg.seed + 1)
    bg = len(net.classes)
    head, trunk = net.head, net.trunk
    _reset_fc8(head)
    scenes, windows = [], []
    for i in _progress(range(cfg.ft_scenes), cfg.ft_scenes, "scenes + selective search"):
        scene = synthetic.make_scene(synthetic.TRAIN_SEED_BASE + 50_000 + i)
        scenes.append(scene)
        windows.append(torch.as_tensor(proposals.selective_search(scene.image, mode="fast")))
    opt = torch.optim.AdamW([{"params": list(trunk.parameters()), "lr": cfg.ft_conv_lr},
                             {"params": list(head.parameters()), "lr": cfg.ft_lr}], weight_decay=1e-4)
    steps = cfg.ft_conv_epochs * len(scenes)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, [cfg.ft_conv_lr, cfg.ft_lr], total_steps=steps,
                                                pct_start=0.1)
    geom = trunk.geometry
    history = []
    for epoch in range(cfg.ft_conv_epochs):
        net.train()
        for m in trunk.modules():  # batch norm frozen: statistics from stage 1 (one image per step)
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        loss_sum = acc = n_seen = 0.0
        t0 = time.perf_counter()
        for k in _progress(rng.permutation(len(scenes)), len(scenes), f"stage 2 epoch {epoch + 1}"):
            scene = scenes[k]
            image, gt, props = scene.image, torch.as_tensor(scene.boxes, dtype=torch.float32).reshape(-1, 4), windows[k]
            if rng.random() < 0.5:
                image, gt = _flip(image, gt)
                _, props = _flip(scene.image, props.float())
            s = _draw_scale(cfg, rng)
            h, w = image.shape[:2]
            f = pyramid.scale_factor(w, h, s)
            x = trunk.preprocess(pyramid.resize_image(image, s)).contiguous(memory_format=torch.channels_last)
            fmap = trunk(x)[0].contiguous()
            neg_loss = None
            if cfg.ft_hard_fraction > 0:  # score every window once, without gradient, to mine hard negatives
                with torch.no_grad():
                    allw = torch.cat([gt, props.float()])
                    c_all = geometry.project_windows(pyramid.scale_boxes(allw, f), geom, "paper",
                                                     map_hw=tuple(fmap.shape[1:]))
                    lo_all, _ = head(pooling.spatial_pyramid_pool(fmap.detach(), c_all, net.levels))
                    neg_loss = -torch.log_softmax(lo_all, 1)[:, bg]
            win, y, tgt = sample_windows(props.float(), gt, torch.as_tensor(scene.labels), cfg.ft_windows_per_scene,
                                         cfg.ft_pos_fraction, rng, bg, neg_loss, cfg.ft_hard_fraction,
                                         cfg.ft_balance_objects)
            cells = geometry.project_windows(pyramid.scale_boxes(win, f), geom, "paper", map_hw=tuple(fmap.shape[1:]))
            logits, deltas = head(pooling.spatial_pyramid_pool_grad(fmap, cells, net.levels))
            loss = detection_loss(logits, deltas, y, tgt, bg)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(y)
            acc += float((logits.argmax(1) == y).sum())
            n_seen += len(y)
        row = {"epoch": epoch + 1, "loss": loss_sum / n_seen, "acc": acc / n_seen, "seconds": time.perf_counter() - t0}
        history.append(row)
        _log(cfg, f"stage 2 epoch {row['epoch']}: loss {row['loss']:.3f} acc {row['acc']:.3f} ({row['seconds']:.0f}s)")
    net.eval()
    return {"scenes": len(scenes), "windows_per_scene": cfg.ft_windows_per_scene, "epochs": history}


def train(cfg: TrainConfig) -> SPPNet:
    """Both stages; writes ``cfg.out`` (safetensors, with the config and history in its header)."""
    threads = cfg.threads or (torch.get_num_threads() if torch.get_num_threads() > 0 else 1)
    torch.set_num_threads(threads)
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    _log(cfg, f"config: {json.dumps(asdict(cfg))}")
    trunk = backbones.build("zf5", width=cfg.width)
    trunk.to(memory_format=torch.channels_last)
    net = SPPNet(trunk, synthetic.CLASSES, cfg.levels, cfg.hidden, cfg.width)
    _log(cfg, f"model: zf5 width {cfg.width}, conv5 {trunk.out_channels} ch, "
              f"{bins.vector_length(trunk.out_channels, cfg.levels)}-d SPP vector, "
              f"{sum(p.numel() for p in net.parameters()) / 1e6:.2f} M parameters")
    net.head.drop.p = cfg.dropout
    add_batchnorm(trunk)
    pre = pretrain(net, cfg)
    net.eval()
    if not cfg.ft_conv:
        fold_batchnorm(trunk)
    t1 = time.perf_counter()
    ft = finetune_conv(net, cfg) if cfg.ft_conv else finetune(net, cfg)
    if cfg.ft_conv:
        fold_batchnorm(trunk)
    t2 = time.perf_counter()
    net.meta = {"training": {"command": "python -m sppviz train " + " ".join(cfg.extra.get("argv", [])),
                             "seed": cfg.seed, "pretrain_s": round(t1 - t0), "finetune_s": round(t2 - t1),
                             "threads": threads, "pretrain": pre, "finetune": ft}}
    net.save(cfg.out)
    _log(cfg, f"saved {cfg.out} after {t2 - t0:.0f}s (stage 1 {t1 - t0:.0f}s, stage 2 {t2 - t1:.0f}s)")
    return net


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m sppviz train`` (defaults from :class:`TrainConfig`)."""
    d = TrainConfig()
    p.add_argument("--out", default=d.out)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--width", type=float, default=d.width)
    p.add_argument("--pre-scenes", type=int, default=d.pre_scenes)
    p.add_argument("--pre-epochs", type=int, default=d.pre_epochs)
    p.add_argument("--ft-scenes", type=int, default=d.ft_scenes)
    p.add_argument("--ft-epochs", type=int, default=d.ft_epochs, help="epochs of the paper's fc-only fine-tuning")
    p.add_argument("--ft-conv-epochs", type=int, default=d.ft_conv_epochs,
                   help="epochs of end-to-end fine-tuning (conv through SPP, Fast R-CNN style)")
    p.add_argument("--ft-hard-fraction", type=float, default=d.ft_hard_fraction,
                   help="share of negatives mined as the image's highest-loss windows (0 = the paper's random draw)")
    p.add_argument("--ft-balance-objects", action=argparse.BooleanOptionalAction, default=d.ft_balance_objects,
                   help="draw positives per object, each equally likely (--no-ft-balance-objects: per window)")
    p.add_argument("--paper-finetune", action="store_true",
                   help="the paper's stage 2: conv frozen, only fc6/fc7/fc8 trained on pooled windows")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--log", default="")


def main(args: argparse.Namespace, argv: list[str]) -> int:
    """``python -m sppviz train``: ``argv`` (the subcommand's arguments) is recorded in the model file."""
    cfg = TrainConfig(out=args.out, seed=args.seed, width=args.width, pre_scenes=args.pre_scenes,
                      pre_epochs=args.pre_epochs, ft_scenes=args.ft_scenes, ft_epochs=args.ft_epochs,
                      ft_conv=not args.paper_finetune, ft_conv_epochs=args.ft_conv_epochs,
                      ft_hard_fraction=args.ft_hard_fraction, ft_balance_objects=args.ft_balance_objects,
                      threads=args.threads, log=args.log, extra={"argv": argv})
    train(cfg)
    return 0
