"""Synthetic detection scenes for training and demonstrating the SPP-net detector.

No dataset can be downloaded, so sppviz trains its detector on scenes generated here.
Each scene is a cluttered, textured background with 1-6 labelled *objects* drawn from
:data:`CLASSES` plus unlabelled *distractors* (irregular polygons, squiggles, arcs, pie
slices, blobs, line fragments).  Classes differ in **shape and texture**: each class has a
characteristic texture (:data:`CLASS_TEXTURES`, e.g. a striped triangle, a bullseye disc),
worn with probability :data:`P_CLASS_TEXTURE`, otherwise any of the common textures, which
distractors wear too.  Colour (any hue) is drawn independently of the class, so colour
alone never identifies a class, and texture alone does not either.  Objects are stretched (aspect 0.5-2.0) and
rotated only as far as the class keeps its shape (a cross stays a "plus", not an "x").

Seed splits (a scene is a pure function of its seed, see :func:`make_scene`):

* training uses seeds ``TRAIN_SEED_BASE + i`` for ``i`` in ``[0, TRAIN_SEED_COUNT)``,
  i.e. ``[0, 100_000)``;
* evaluation uses seeds ``EVAL_SEED_BASE + i`` (``>= 10_000_000``), never used in training;
* the app's example images use seeds ``>= EXAMPLE_SEED_BASE`` (``20_000_000``), also
  outside training.

Coordinates follow docs/conventions.md: pixel ``i`` has its centre at coordinate ``i``;
a box is ``(x1, y1, x2, y2)`` float, inclusive pixel coordinates (width ``x2 - x1 + 1``),
tight around the object's *visible* pixels (after occlusion by later objects).
Visibility uses the anti-aliased coverage thresholded at 50 %.

The drawing primitives (colours, shapes, textures, backgrounds, distractors) live in
:mod:`sppviz.model.scene_draw`; this module lays objects out, renders scenes and writes examples.

Run ``python -m sppviz.model.synthetic [OUT_DIR]`` to (re)write the example images.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sppviz.model import scene_draw

__all__ = [
    "CLASSES",
    "CLASS_TEXTURES",
    "P_CLASS_TEXTURE",
    "TRAIN_SEED_BASE",
    "TRAIN_SEED_COUNT",
    "EVAL_SEED_BASE",
    "EXAMPLE_SEED_BASE",
    "EXAMPLE_SEEDS",
    "MIN_SIDE",
    "MAX_SIDE",
    "MIN_BOX_SIDE",
    "Scene",
    "make_scene",
    "make_scene_with_masks",
    "make_scenes",
    "write_examples",
]

#: Object classes; ``labels`` index into this tuple (0-based, no background class).
#: ("disc", "ring", "box", "triangle", "star", "cross", "heart"): the shapes scene_draw can draw.
CLASSES: tuple[str, ...] = scene_draw.SHAPES

TRAIN_SEED_BASE = 0
TRAIN_SEED_COUNT = 100_000
EVAL_SEED_BASE = 10_000_000
EXAMPLE_SEED_BASE = 20_000_000
#: Hand-picked seeds written by :func:`write_examples` (varied sizes, counts, occlusion).
#: 1: overlapping stars (occlusion) + box, cross;  3: six objects, large star to tiny star;
#: 16: six small/medium objects on clutter;  18: occluded cross/ring on tiles;
#: 20: a huge ring with small objects inside it;  23: large heart, star occluding a triangle.
EXAMPLE_SEEDS: tuple[int, ...] = tuple(EXAMPLE_SEED_BASE + i for i in (1, 3, 16, 18, 20, 23))

MIN_SIDE = 240  #: smallest random image side (px)
MAX_SIDE = 800  #: largest random image side (px)
MAX_OBJECTS = 6
MIN_OBJECT_SIZE = 20.0  #: lower end of the log-uniform object size sqrt(w*h) (px)
MAX_OBJECT_FRAC = 0.8  #: upper end of the object size, as a fraction of the image's short side
MIN_BOX_SIDE = 12  #: objects whose visible box is thinner than this are dropped (px)
MAX_OVERLAP = 0.4  #: a new object may cover at most this fraction of an earlier object's area
MIN_VISIBLE = 0.5  #: objects with less than this fraction of their area visible are dropped

#: The texture each class wears with probability P_CLASS_TEXTURE, otherwise one of
#: ``scene_draw.COMMON_TEXTURES`` ("rings": concentric, a bullseye; "hatch": crossed lines).
#: Classes differ in shape *and* texture, as real ones do.
CLASS_TEXTURES: dict[str, str] = {"disc": "rings", "ring": "solid", "box": "checker", "triangle": "stripes",
                                  "star": "gradient", "cross": "hatch", "heart": "dots"}
P_CLASS_TEXTURE = 0.75
#: ``size`` of :func:`make_scene`: None (random), an int (square) or (w, h).
SceneSize = int | Sequence[int] | None
_REPO = Path(__file__).resolve().parents[2]


@dataclass
class Scene:
    """One synthetic detection scene.

    image:  uint8 ndarray [H, W, 3], RGB.
    boxes:  float32 ndarray [N, 4], (x1, y1, x2, y2) inclusive pixel coordinates, tight
            around each object's visible pixels.
    labels: int64 ndarray [N], 0-based indices into :data:`CLASSES`.
    seed:   the seed that reproduces this scene with :func:`make_scene`.
    """

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    seed: int

    @property
    def names(self) -> list[str]:
        """Class names of ``labels``."""
        return [CLASSES[int(i)] for i in self.labels]


# --------------------------------------------------------------------------- scenes


@dataclass
class _Obj:
    label: int
    polys: scene_draw.Polys  # image coordinates
    x0: int
    y0: int
    cov: np.ndarray  # uint8 [ph, pw] anti-aliased coverage
    mask: np.ndarray  # bool [ph, pw], cov >= 128
    area: int
    size: float


def _overlap(a: _Obj, b: _Obj) -> int:
    """Pixels where both objects' (full) masks are set."""
    x0, y0 = max(a.x0, b.x0), max(a.y0, b.y0)
    x1 = min(a.x0 + a.mask.shape[1], b.x0 + b.mask.shape[1])
    y1 = min(a.y0 + a.mask.shape[0], b.y0 + b.mask.shape[0])
    if x1 <= x0 or y1 <= y0:
        return 0
    ma = a.mask[y0 - a.y0 : y1 - a.y0, x0 - a.x0 : x1 - a.x0]
    mb = b.mask[y0 - b.y0 : y1 - b.y0, x0 - b.x0 : x1 - b.x0]
    return int(np.count_nonzero(ma & mb))


def _visible(objs: list[_Obj]) -> list[np.ndarray]:
    """Per object, its mask minus the masks of all objects drawn after it (patch frame)."""
    out = []
    for i, a in enumerate(objs):
        vis = a.mask.copy()
        for b in objs[i + 1 :]:
            x0, y0 = max(a.x0, b.x0), max(a.y0, b.y0)
            x1 = min(a.x0 + a.mask.shape[1], b.x0 + b.mask.shape[1])
            y1 = min(a.y0 + a.mask.shape[0], b.y0 + b.mask.shape[0])
            if x1 > x0 and y1 > y0:
                vis[y0 - a.y0 : y1 - a.y0, x0 - a.x0 : x1 - a.x0] &= ~b.mask[
                    y0 - b.y0 : y1 - b.y0, x0 - b.x0 : x1 - b.x0
                ]
        out.append(vis)
    return out


def _mask_box(mask: np.ndarray, x0: int, y0: int) -> tuple[int, int, int, int] | None:
    """Inclusive (x1, y1, x2, y2) of a patch mask's set pixels in image coordinates."""
    cols = np.flatnonzero(mask.any(0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero(mask.any(1))
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]), y0 + int(rows[-1])


def _sample_object(rng: np.random.Generator, w: int, h: int) -> _Obj | None:
    label = int(rng.integers(len(CLASSES)))
    unit, max_rot = scene_draw.unit_shape(CLASSES[label], rng)
    short = min(w, h)
    hi = max(MIN_OBJECT_SIZE + 1.0, MAX_OBJECT_FRAC * short)
    # object size sqrt(ow * oh): log-uniform, biased to medium sizes; aspect 0.5..2.0
    size = float(np.exp(rng.uniform(np.log(MIN_OBJECT_SIZE), np.log(hi))))
    aspect = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    ow, oh = size * math.sqrt(aspect), size / math.sqrt(aspect)
    polys = scene_draw.place(unit, ow, oh, float(rng.uniform(-max_rot, max_rot)))
    pts = np.concatenate([p for p, _ in polys])
    lo, hi_ = pts.min(0), pts.max(0)
    ext = hi_ - lo
    fit = min(1.0, 0.95 * (w - 3) / ext[0], 0.95 * (h - 3) / ext[1])
    if fit < 1.0:  # too big after rotation: shrink about the centre
        polys = [(p * fit, f) for p, f in polys]
        lo, hi_, size = lo * fit, hi_ * fit, size * fit
    # centre so that the whole shape lies inside [1, w-2] x [1, h-2]
    cx = rng.uniform(1.0 - lo[0], w - 2.0 - hi_[0])
    cy = rng.uniform(1.0 - lo[1], h - 2.0 - hi_[1])
    polys = [(p + [cx, cy], f) for p, f in polys]
    x0, y0 = max(0, int(math.floor(cx + lo[0])) - 1), max(0, int(math.floor(cy + lo[1])) - 1)
    x1 = min(w - 1, int(math.ceil(cx + hi_[0])) + 1)
    y1 = min(h - 1, int(math.ceil(cy + hi_[1])) + 1)
    cov = scene_draw.coverage(polys, x0, y0, x1 - x0 + 1, y1 - y0 + 1)
    mask = cov >= 128
    area = int(np.count_nonzero(mask))
    if area == 0:
        return None
    return _Obj(label, polys, x0, y0, cov, mask, area, size)


def _layout(rng: np.random.Generator, w: int, h: int) -> list[_Obj]:
    """Place 1-6 objects with bounded occlusion; drop those mostly hidden or too thin."""
    objs: list[_Obj] = []
    for _ in range(int(rng.integers(1, MAX_OBJECTS + 1))):
        for _attempt in range(8):
            o = _sample_object(rng, w, h)
            if o is not None and all(_overlap(o, p) <= MAX_OVERLAP * p.area for p in objs):
                objs.append(o)
                break
    while True:  # dropping an object only uncovers others, so this terminates
        keep = []
        for o, vis in zip(objs, _visible(objs), strict=True):
            box = _mask_box(vis, o.x0, o.y0)
            ok = (
                box is not None
                and np.count_nonzero(vis) >= MIN_VISIBLE * o.area
                and min(box[2] - box[0], box[3] - box[1]) + 1 >= MIN_BOX_SIDE
            )
            keep.append(ok)
        if all(keep):
            return objs
        objs = [o for o, k in zip(objs, keep, strict=True) if k]


def _image_size(rng: np.random.Generator, size: SceneSize) -> tuple[int, int]:
    w, h = (int(v) for v in rng.integers(MIN_SIDE, MAX_SIDE + 1, 2))
    if size is None:
        return w, h
    if isinstance(size, (int, np.integer)):
        w = h = int(size)
    else:
        if len(size) != 2:
            raise ValueError(f"size must be None, an int or (w, h); got {size!r}")
        w, h = (int(v) for v in size)
    if not (64 <= w <= 4096 and 64 <= h <= 4096):
        raise ValueError(f"image sides must be in [64, 4096] px; got (w, h) = ({w}, {h})")
    return w, h


def make_scene_with_masks(seed: int, size: SceneSize = None) -> tuple[Scene, np.ndarray]:
    """:func:`make_scene` plus the per-object visible masks, bool ndarray [N, H, W].

    ``boxes[i]`` is exactly the inclusive bounding box of ``masks[i]``.
    """
    return _render(seed, size, want_masks=True)  # type: ignore[return-value]


def make_scene(seed: int, size: SceneSize = None) -> Scene:
    """Render the scene for ``seed`` (deterministic: same seed and size, same bytes).

    seed: non-negative int; see the module docstring for the train / eval seed split.
    size: None for a random size (each side in [240, 800] px, random aspect), an int for
          a square image, or (w, h) in "wh" order.
    Returns a :class:`Scene` (image uint8 [H, W, 3] RGB, boxes float32 [N, 4] inclusive
    (x1, y1, x2, y2) tight around visible pixels, labels int64 [N] into CLASSES), N in 1..6.
    """
    return _render(seed, size, want_masks=False)  # type: ignore[return-value]


def make_scenes(seeds: Iterable[int], size: SceneSize = None) -> list[Scene]:
    """``[make_scene(s, size) for s in seeds]``."""
    return [make_scene(int(s), size) for s in seeds]


def _render(
    seed: int, size: SceneSize, want_masks: bool, draw_objects: bool = True
) -> Scene | tuple[Scene, np.ndarray]:
    """Shared renderer; ``draw_objects=False`` (tests only) leaves the objects out but
    consumes the RNG identically, giving the background-only image of the same scene."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    rng = np.random.default_rng(int(seed))
    w, h = _image_size(rng, size)
    img = scene_draw.background(rng, w, h)
    scene_draw.distractors(rng, img)
    objs: list[_Obj] = []
    while not objs:  # practically always succeeds first time; loop keeps N >= 1
        objs = _layout(rng, w, h)
    for o in objs:  # the layout is fixed above; textures draw from the stream only after it
        ph, pw = o.cov.shape
        own = rng.random() < P_CLASS_TEXTURE
        tex = scene_draw.texture(rng, pw, ph, o.size, CLASS_TEXTURES[CLASSES[o.label]] if own else None)
        region = img[o.y0 : o.y0 + ph, o.x0 : o.x0 + pw]
        m8 = o.mask.view(np.uint8)
        bg_mean = np.array(cv2.mean(region, mask=m8)[:3], np.float32)
        fg_mean = np.array(cv2.mean(tex, mask=m8)[:3], np.float32)
        if np.abs(fg_mean - bg_mean).sum() < 90:  # too close to what is behind: push apart
            k = 0.45 if bg_mean.mean() > 127 else 0.55
            tex *= k
            fg_mean *= k
            if bg_mean.mean() <= 127:
                tex += 115.0
                fg_mean += 115.0
        if rng.random() < (0.85 if CLASSES[o.label] == "box" else 0.25):  # border / outline
            col = scene_draw.second_colour(rng, fg_mean)
            th = int(np.clip(o.size * rng.uniform(0.04, 0.09), 2, 8))
            for pts, _fill in o.polys:
                q = np.round((pts - [o.x0, o.y0]) * scene_draw.ONE).astype(np.int32)
                cv2.polylines(tex, [q], True, tuple(float(c) for c in col), th, cv2.LINE_AA, scene_draw.SHIFT)
        if draw_objects:
            scene_draw.composite(img, o.cov, tex, o.x0, o.y0)
    if rng.random() < 0.7:  # mild sensor noise over everything (same on R, G and B)
        amp = float(rng.uniform(2.0, 7.0))
        f = img.astype(np.float32)
        f += scene_draw.noise(h, w)[..., None] * amp
        img = scene_draw.u8(f)
    vis = _visible(objs)
    boxes = np.array([_mask_box(v, o.x0, o.y0) for o, v in zip(objs, vis, strict=True)], np.float32)
    labels = np.array([o.label for o in objs], np.int64)
    scene = Scene(image=np.ascontiguousarray(img), boxes=boxes.reshape(-1, 4), labels=labels, seed=int(seed))
    if not want_masks:
        return scene
    masks = np.zeros((len(objs), h, w), bool)
    for i, (o, v) in enumerate(zip(objs, vis, strict=True)):
        masks[i, o.y0 : o.y0 + v.shape[0], o.x0 : o.x0 + v.shape[1]] = v
    return scene, masks


# ------------------------------------------------------------------------- examples


def write_examples(
    out_dir: str | Path | None = None, seeds: Sequence[int] = EXAMPLE_SEEDS, quality: int = 90
) -> list[Path]:
    """Write example scenes as ``example_1.jpg`` ... plus ``examples.json`` (ground truth).

    out_dir: default ``<repo>/assets/examples``.  JPEG quality ``quality``.
    JSON: {"classes": [...], "box_format": ..., "examples": [{"file", "seed", "width",
    "height", "boxes": [[x1, y1, x2, y2], ...], "labels": [...], "names": [...]}]}.
    Returns the written paths (images then JSON).
    """
    out = Path(out_dir) if out_dir is not None else _REPO / "assets" / "examples"
    out.mkdir(parents=True, exist_ok=True)
    written, records = [], []
    for i, seed in enumerate(seeds, 1):
        sc = make_scene(int(seed))
        path = out / f"example_{i}.jpg"
        ok = cv2.imwrite(
            str(path), cv2.cvtColor(sc.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
        )
        if not ok:
            raise OSError(f"could not write {path}")
        written.append(path)
        records.append(
            {
                "file": path.name,
                "seed": int(seed),
                "width": int(sc.image.shape[1]),
                "height": int(sc.image.shape[0]),
                "boxes": [[float(v) for v in b] for b in sc.boxes],
                "labels": [int(v) for v in sc.labels],
                "names": sc.names,
            }
        )
    head = {
        "classes": list(CLASSES),
        "box_format": "x1,y1,x2,y2 inclusive pixel coordinates (docs/conventions.md)",
        "generator": "sppviz.model.synthetic.make_scene(seed)",
    }
    # one example per line: small and diff-friendly, still plain JSON
    body = ",\n  ".join(json.dumps(r) for r in records)
    text = json.dumps(head, indent=1)[:-2] + ',\n "examples": [\n  ' + body + "\n ]\n}\n"
    jpath = out / "examples.json"
    jpath.write_text(text)
    written.append(jpath)
    return written


if __name__ == "__main__":  # pragma: no cover
    import sys

    for p in write_examples(sys.argv[1] if len(sys.argv) > 1 else None):
        print(p, p.stat().st_size, "bytes")
