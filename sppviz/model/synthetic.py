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

Run ``python -m sppviz.model.weights.synthetic [OUT_DIR]`` to (re)write the example images.
"""

from __future__ import annotations

import colorsys
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

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
CLASSES: tuple[str, ...] = ("disc", "ring", "box", "triangle", "star", "cross", "heart")

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

_TEXTURES = ("solid", "stripes", "checker", "dots", "gradient")  # worn by anything
#: The texture each class wears with probability P_CLASS_TEXTURE ("rings": concentric, a
#: bullseye; "hatch": crossed lines). Classes differ in shape *and* texture, as real ones do.
CLASS_TEXTURES: dict[str, str] = {"disc": "rings", "ring": "solid", "box": "checker", "triangle": "stripes",
                                  "star": "gradient", "cross": "hatch", "heart": "dots"}
P_CLASS_TEXTURE = 0.75
_SHIFT = 4  # cv2 fixed-point fraction bits for sub-pixel polygon vertices
_ONE = 1 << _SHIFT
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


# --------------------------------------------------------------------------- colours


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """RGB float32 [3] in 0..255 from HSV in 0..1."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255.0


def _object_colour(rng: np.random.Generator) -> np.ndarray:
    """Any hue: colour never identifies the class."""
    return _hsv(rng.random(), rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.0))


def _second_colour(rng: np.random.Generator, c1: np.ndarray) -> np.ndarray:
    """A texture partner for ``c1``: another hue or the same hue lighter/darker."""
    if rng.random() < 0.5:
        c2 = _object_colour(rng)
    else:
        k = rng.uniform(0.35, 0.65)
        c2 = c1 * k if c1.mean() > 110 else c1 + (255.0 - c1) * k
    if np.abs(c2 - c1).max() < 60:  # keep the texture visible
        c2 = 255.0 - c1
    return c2.astype(np.float32)


def _muted_colour(rng: np.random.Generator) -> np.ndarray:
    return _hsv(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.15, 0.95))


# ------------------------------------------------------------------ shapes (unit frame)


def _circle(n: int = 96, r: float = 1.0) -> np.ndarray:
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def _unit_shape(name: str, rng: np.random.Generator) -> tuple[list[tuple[np.ndarray, bool]], float]:
    """Polygons of class ``name`` normalised to the tight box [-1, 1]^2.

    Returns (polys, max_rotation_deg): polys is a list of (points [K,2] float (x, y), fill)
    where fill=False polygons are holes (the ring's inside); y points down.
    """
    if name == "disc":
        polys, rot = [(_circle(), True)], 180.0
    elif name == "ring":
        inner = rng.uniform(0.45, 0.68)  # radius ratio: stays a ring, never a thin circle
        polys, rot = [(_circle(), True), (_circle(r=inner), False)], 180.0
    elif name == "box":
        polys, rot = [(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float), True)], 12.0
    elif name == "triangle":
        t = np.deg2rad([-90.0, 30.0, 150.0])
        polys, rot = [(np.stack([np.cos(t), np.sin(t)], 1), True)], 180.0
    elif name == "star":
        inner = rng.uniform(0.36, 0.5)
        t = np.deg2rad(-90.0 + 36.0 * np.arange(10))
        r = np.where(np.arange(10) % 2 == 0, 1.0, inner)
        polys, rot = [(np.stack([r * np.cos(t), r * np.sin(t)], 1), True)], 180.0
    elif name == "cross":
        a = rng.uniform(0.28, 0.42)  # half arm width in the unit frame
        pts = [
            [-a, -1],
            [a, -1],
            [a, -a],
            [1, -a],
            [1, a],
            [a, a],
            [a, 1],
            [-a, 1],
            [-a, a],
            [-1, a],
            [-1, -a],
            [-a, -a],
        ]
        polys, rot = [(np.array(pts, float), True)], 20.0
    elif name == "heart":
        t = np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        polys, rot = [(np.stack([x, y], 1), True)], 25.0
    else:  # pragma: no cover - guarded by CLASSES
        raise ValueError(f"unknown class {name!r}; expected one of {CLASSES}")
    outer = np.concatenate([p for p, fill in polys if fill])
    lo, hi = outer.min(0), outer.max(0)
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    return [((p - centre) / half, fill) for p, fill in polys], rot


def _irregular_polygon(rng: np.random.Generator) -> list[tuple[np.ndarray, bool]]:
    """A random star-shaped blob polygon (distractor; deliberately not any class)."""
    # 5-8 vertices at jittered, well-spread angles and radii 0.55-1: a lumpy blob that is
    # never spiky enough to read as a star/cross nor regular enough to read as a disc.
    k = int(rng.integers(5, 9))
    t = (np.arange(k) + rng.uniform(-0.3, 0.3, k)) * (2.0 * np.pi / k) + rng.uniform(0, 2 * np.pi)
    r = rng.uniform(0.55, 1.0, k)
    pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    lo, hi = pts.min(0), pts.max(0)
    return [((pts - (lo + hi) / 2) / np.maximum((hi - lo) / 2, 1e-6), True)]


def _place(polys, w: float, h: float, angle_deg: float) -> list[tuple[np.ndarray, bool]]:
    """Stretch unit polygons to w x h (object frame), then rotate about the centre."""
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return [((p * [w / 2.0, h / 2.0]) @ rot.T, fill) for p, fill in polys]


def _coverage(polys, x0: int, y0: int, pw: int, ph: int) -> np.ndarray:
    """Anti-aliased coverage uint8 [ph, pw] of absolute-coordinate polygons in a patch."""
    cov = np.zeros((ph, pw), np.uint8)
    for pts, fill in polys:
        q = np.round((pts - [x0, y0]) * _ONE).astype(np.int32)
        cv2.fillPoly(cov, [q], 255 if fill else 0, cv2.LINE_AA, _SHIFT)
    return cov


# ------------------------------------------------------------------------- textures


def _texture(rng: np.random.Generator, pw: int, ph: int, size: float, kind: str | None = None) -> np.ndarray:
    """Float32 [ph, pw, 3] RGB texture for an object of typical size ``size`` px; ``kind`` None
    draws one of the common :data:`_TEXTURES`."""
    if kind is None:
        kind = _TEXTURES[int(rng.choice(len(_TEXTURES), p=[0.3, 0.2, 0.15, 0.15, 0.2]))]
    c1 = _object_colour(rng)
    if kind == "solid":
        return np.broadcast_to(c1, (ph, pw, 3)).copy()
    c2 = _second_colour(rng, c1)
    ang = rng.uniform(0.0, np.pi)
    xs = np.arange(pw, dtype=np.float32)[None, :]
    ys = np.arange(ph, dtype=np.float32)[:, None]
    period = float(np.clip(rng.uniform(0.08, 0.25) * size, 4.0, 20.0))
    if kind == "gradient":
        u = xs * math.cos(ang) + ys * math.sin(ang)
        t = (u - u.min()) / max(float(u.max() - u.min()), 1.0)
    else:
        u = xs * math.cos(ang) + ys * math.sin(ang)
        v = -xs * math.sin(ang) + ys * math.cos(ang)
        if kind == "stripes":
            t = (np.mod(u, period) < period * rng.uniform(0.35, 0.65)).astype(np.float32)
        elif kind == "hatch":  # two crossing sets of thin lines
            duty = period * rng.uniform(0.2, 0.3)
            t = ((np.mod(u, period) < duty) | (np.mod(v, period) < duty)).astype(np.float32)
        elif kind == "rings":  # concentric rings about the patch centre
            r = np.hypot(xs - (pw - 1) / 2, ys - (ph - 1) / 2)
            t = (np.mod(r, period) < period * 0.5).astype(np.float32)
        elif kind == "checker":
            t = ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
        else:  # dots
            du = np.mod(u, period) - period / 2
            dv = np.mod(v, period) - period / 2
            t = (du * du + dv * dv < (period * rng.uniform(0.2, 0.35)) ** 2).astype(np.float32)
    return c1 + t[..., None] * (c2 - c1)


# ----------------------------------------------------------------------- background


_NOISE_TILE: np.ndarray | None = None


def _noise(h: int, w: int) -> np.ndarray:
    """Fixed (seed-independent) N(0, 1) noise [h, w] float32, wrapped from a 512^2 tile."""
    global _NOISE_TILE
    if _NOISE_TILE is None:
        _NOISE_TILE = np.random.default_rng(12345).standard_normal((512, 512)).astype(np.float32)
    tile = _NOISE_TILE
    if h > tile.shape[0] or w > tile.shape[1]:
        tile = np.tile(tile, (-(-h // tile.shape[0]), -(-w // tile.shape[1])))
    return tile[:h, :w]


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Cluttered RGB uint8 [h, w, 3]: smooth colour noise or gradient, tiles, lines."""
    if rng.random() < 0.6:  # smooth colour noise: a coarse random grid, bicubic upsampled
        gh, gw = int(rng.integers(2, 9)), int(rng.integers(2, 9))
        grid = np.stack([_muted_colour(rng) for _ in range(gh * gw)]).reshape(gh, gw, 3)
        bg = cv2.resize(_u8(grid), (w, h), interpolation=cv2.INTER_CUBIC)
    else:  # linear gradient between two colours
        grid = np.stack([_muted_colour(rng) for _ in range(4)]).reshape(2, 2, 3)
        bg = cv2.resize(_u8(grid), (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.35:  # tiles / planks
        cell = rng.uniform(24.0, 110.0)
        tw, th = max(1, math.ceil(w / cell)) + 1, max(1, math.ceil(h / cell)) + 1
        plank = rng.random() < 0.4
        idx = (np.arange(th)[:, None] + (0 if plank else np.arange(tw)[None, :])) % 2
        if plank:
            idx = np.broadcast_to(idx, (th, tw))
        cols = np.stack([_muted_colour(rng), _muted_colour(rng)])
        small = _u8(cols[idx])
        tiles = cv2.resize(small, (int(tw * cell), int(th * cell)), interpolation=cv2.INTER_NEAREST)
        ox, oy = int(rng.integers(0, int(cell))), int(rng.integers(0, int(cell)))
        tiles = tiles[oy : oy + h, ox : ox + w]
        if tiles.shape[:2] == (h, w):
            alpha = float(rng.uniform(0.2, 0.55))
            bg = cv2.addWeighted(bg, 1.0 - alpha, np.ascontiguousarray(tiles), alpha, 0.0)
    for _ in range(int(rng.integers(0, 14))):  # long random lines
        p = rng.uniform([0, 0], [w, h], (2, 2)).astype(np.float32)
        d = p[1] - p[0]
        d /= max(float(np.hypot(*d)), 1e-3)
        a, b = p[0] - d * 2 * (w + h), p[0] + d * 2 * (w + h)
        col = tuple(float(c) for c in _muted_colour(rng))
        cv2.line(bg, _fx(a), _fx(b), col, int(rng.integers(1, 4)), cv2.LINE_AA, _SHIFT)
    return bg


def _u8(a: np.ndarray) -> np.ndarray:
    """Round and saturate to uint8."""
    return np.clip(np.asarray(a) + 0.5, 0, 255).astype(np.uint8)


def _fx(p) -> tuple[int, int]:
    """Fixed-point cv2 point from float (x, y)."""
    return int(round(float(p[0]) * _ONE)), int(round(float(p[1]) * _ONE))


def _composite(img: np.ndarray, cov: np.ndarray, tex: np.ndarray, x0: int, y0: int) -> None:
    """Alpha-blend texture [ph,pw,3] into img at (x0, y0) with coverage [ph,pw] uint8."""
    ph, pw = cov.shape
    region = img[y0 : y0 + ph, x0 : x0 + pw]
    a = cov.astype(np.float32)[..., None] * (1.0 / 255.0)
    out = region.astype(np.float32)
    out += a * (tex - out)
    region[:] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _distractors(rng: np.random.Generator, img: np.ndarray) -> None:
    """Draw unlabelled clutter in place: polygons, squiggles, arcs, pies, blobs, strokes."""
    h, w = img.shape[:2]
    short = min(w, h)
    n = int(rng.integers(4, 8 + (w * h) // 12000))
    for _ in range(n):
        kind = int(rng.integers(0, 6))
        col = _object_colour(rng) if rng.random() < 0.7 else _muted_colour(rng)
        colt = tuple(float(c) for c in col)
        c = rng.uniform([0, 0], [w, h])
        r = float(np.exp(rng.uniform(np.log(6.0), np.log(max(7.0, 0.14 * short)))))
        if kind == 0:  # irregular textured polygon, rendered like an object
            polys = _place(_irregular_polygon(rng), 2 * r * rng.uniform(0.6, 1.4), 2 * r, 0.0)
            polys = [(p + c, f) for p, f in polys]
            pts = np.concatenate([p for p, _ in polys])
            x0, y0 = (max(0, int(v) - 1) for v in pts.min(0))
            x1, y1 = int(min(w - 1, pts[:, 0].max() + 2)), int(min(h - 1, pts[:, 1].max() + 2))
            if x1 <= x0 or y1 <= y0:
                continue
            cov = _coverage(polys, x0, y0, x1 - x0 + 1, y1 - y0 + 1)
            tex = _texture(rng, x1 - x0 + 1, y1 - y0 + 1, 2 * r)
            _composite(img, cov, tex, x0, y0)
        elif kind == 1:  # squiggle: thick random-walk polyline
            k = int(rng.integers(3, 8))
            steps = rng.normal(0.0, r * 0.6, (k, 2)).cumsum(0) + c
            pts = np.round(steps * _ONE).astype(np.int32)
            cv2.polylines(img, [pts], False, colt, int(rng.integers(1, 5)), cv2.LINE_AA, _SHIFT)
        elif kind == 2:  # open arc (never a closed ring)
            axes = (int(r), int(r * rng.uniform(0.5, 1.0)))
            start = float(rng.uniform(0, 360))
            cv2.ellipse(
                img,
                (int(c[0]), int(c[1])),
                axes,
                float(rng.uniform(0, 180)),
                start,
                start + float(rng.uniform(60, 220)),
                colt,
                int(rng.integers(2, 6)),
                cv2.LINE_AA,
            )
        elif kind == 3:  # pie slice / "pac-man" (partial disc)
            axes = (int(r), int(r * rng.uniform(0.6, 1.0)))
            start = float(rng.uniform(0, 360))
            cv2.ellipse(
                img,
                (int(c[0]), int(c[1])),
                axes,
                0.0,
                start,
                start + float(rng.uniform(90, 290)),
                colt,
                -1,
                cv2.LINE_AA,
            )
        elif kind == 4:  # small blob, below the smallest object size
            axes = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
            cv2.ellipse(
                img, (int(c[0]), int(c[1])), axes, float(rng.uniform(0, 180)), 0, 360, colt, -1, cv2.LINE_AA
            )
        else:  # short thick stroke
            d = rng.normal(0.0, r, 2)
            cv2.line(img, _fx(c), _fx(c + d), colt, int(rng.integers(2, 7)), cv2.LINE_AA, _SHIFT)


# --------------------------------------------------------------------------- scenes


@dataclass
class _Obj:
    label: int
    polys: list
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
    unit, max_rot = _unit_shape(CLASSES[label], rng)
    short = min(w, h)
    hi = max(MIN_OBJECT_SIZE + 1.0, MAX_OBJECT_FRAC * short)
    # object size sqrt(ow * oh): log-uniform, biased to medium sizes; aspect 0.5..2.0
    size = float(np.exp(rng.uniform(np.log(MIN_OBJECT_SIZE), np.log(hi))))
    aspect = float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    ow, oh = size * math.sqrt(aspect), size / math.sqrt(aspect)
    polys = _place(unit, ow, oh, float(rng.uniform(-max_rot, max_rot)))
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
    cov = _coverage(polys, x0, y0, x1 - x0 + 1, y1 - y0 + 1)
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


def _image_size(rng: np.random.Generator, size) -> tuple[int, int]:
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


def make_scene_with_masks(seed: int, size=None) -> tuple[Scene, np.ndarray]:
    """:func:`make_scene` plus the per-object visible masks, bool ndarray [N, H, W].

    ``boxes[i]`` is exactly the inclusive bounding box of ``masks[i]``.
    """
    return _render(seed, size, want_masks=True)  # type: ignore[return-value]


def make_scene(seed: int, size=None) -> Scene:
    """Render the scene for ``seed`` (deterministic: same seed and size, same bytes).

    seed: non-negative int; see the module docstring for the train / eval seed split.
    size: None for a random size (each side in [240, 800] px, random aspect), an int for
          a square image, or (w, h) in "wh" order.
    Returns a :class:`Scene` (image uint8 [H, W, 3] RGB, boxes float32 [N, 4] inclusive
    (x1, y1, x2, y2) tight around visible pixels, labels int64 [N] into CLASSES), N in 1..6.
    """
    return _render(seed, size, want_masks=False)  # type: ignore[return-value]


def make_scenes(seeds: Iterable[int], size=None) -> list[Scene]:
    """``[make_scene(s, size) for s in seeds]``."""
    return [make_scene(int(s), size) for s in seeds]


def _render(seed: int, size, want_masks: bool, draw_objects: bool = True):
    """Shared renderer; ``draw_objects=False`` (tests only) leaves the objects out but
    consumes the RNG identically, giving the background-only image of the same scene."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    rng = np.random.default_rng(int(seed))
    w, h = _image_size(rng, size)
    img = _background(rng, w, h)
    _distractors(rng, img)
    objs: list[_Obj] = []
    while not objs:  # practically always succeeds first time; loop keeps N >= 1
        objs = _layout(rng, w, h)
    for o in objs:  # the layout is fixed above; textures draw from the stream only after it
        ph, pw = o.cov.shape
        own = rng.random() < P_CLASS_TEXTURE
        tex = _texture(rng, pw, ph, o.size, CLASS_TEXTURES[CLASSES[o.label]] if own else None)
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
            col = _second_colour(rng, fg_mean)
            th = int(np.clip(o.size * rng.uniform(0.04, 0.09), 2, 8))
            for pts, _fill in o.polys:
                q = np.round((pts - [o.x0, o.y0]) * _ONE).astype(np.int32)
                cv2.polylines(tex, [q], True, tuple(float(c) for c in col), th, cv2.LINE_AA, _SHIFT)
        if draw_objects:
            _composite(img, o.cov, tex, o.x0, o.y0)
    if rng.random() < 0.7:  # mild sensor noise over everything (same on R, G and B)
        amp = float(rng.uniform(2.0, 7.0))
        f = img.astype(np.float32)
        f += _noise(h, w)[..., None] * amp
        img = _u8(f)
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
        "generator": "sppviz.model.weights.synthetic.make_scene(seed)",
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
