"""Drawing primitives of the synthetic scenes (:mod:`sppviz.model.synthetic`): colours, class shapes
in a unit frame, textures, cluttered backgrounds and unlabelled distractors.

Every function draws from the ``numpy.random.Generator`` it is given, in a fixed order, so a scene
stays a pure function of its seed; changing the order of the draws here changes every scene.

Coordinates follow docs/conventions.md: pixel ``i`` has its centre at coordinate ``i``; points are
``(x, y)`` float with ``y`` pointing down; patches are ``[h, w]`` (rows, columns). Polygons are drawn
with OpenCV's anti-aliased fixed-point rasteriser (:data:`SHIFT` fraction bits).
"""

from __future__ import annotations

import colorsys
import math

import cv2
import numpy as np

#: The drawable class shapes, in the order of :data:`sppviz.model.synthetic.CLASSES`.
SHAPES: tuple[str, ...] = ("disc", "ring", "box", "triangle", "star", "cross", "heart")
#: Textures worn by anything (objects without their class texture, and distractors).
COMMON_TEXTURES: tuple[str, ...] = ("solid", "stripes", "checker", "dots", "gradient")
SHIFT = 4  #: cv2 fixed-point fraction bits for sub-pixel polygon vertices
ONE = 1 << SHIFT  #: 1.0 in cv2 fixed point

#: A shape as drawn: polygons (points [K, 2] float (x, y)) each with fill=True, or False for a hole.
Polys = list[tuple[np.ndarray, bool]]


# --------------------------------------------------------------------------- colours


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """RGB float32 [3] in 0..255 from HSV in 0..1."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255.0


def _object_colour(rng: np.random.Generator) -> np.ndarray:
    """Any hue: colour never identifies the class."""
    return _hsv(rng.random(), rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.0))


def second_colour(rng: np.random.Generator, c1: np.ndarray) -> np.ndarray:
    """A texture (or outline) partner for the RGB colour ``c1`` (float [3], 0..255): another hue or
    the same hue lighter / darker, at least 60 apart on some channel. Returns float32 [3]."""
    if rng.random() < 0.5:
        c2 = _object_colour(rng)
    else:
        k = rng.uniform(0.35, 0.65)
        c2 = c1 * k if c1.mean() > 110 else c1 + (255.0 - c1) * k
    if np.abs(c2 - c1).max() < 60:  # keep the texture visible
        c2 = 255.0 - c1
    return c2.astype(np.float32)


def _muted_colour(rng: np.random.Generator) -> np.ndarray:
    """A background colour: any hue, low saturation."""
    return _hsv(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.15, 0.95))


# ------------------------------------------------------------------ shapes (unit frame)


def _circle(n: int = 96, r: float = 1.0) -> np.ndarray:
    """``n`` points [n, 2] (x, y) on the circle of radius ``r`` about the origin."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return np.stack([r * np.cos(t), r * np.sin(t)], 1)


def unit_shape(name: str, rng: np.random.Generator) -> tuple[Polys, float]:
    """Polygons of the shape ``name`` (one of :data:`SHAPES`) normalised to the tight box [-1, 1]^2.

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
        raise ValueError(f"unknown class {name!r}; expected one of {SHAPES}")
    outer = np.concatenate([p for p, fill in polys if fill])
    lo, hi = outer.min(0), outer.max(0)
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0
    return [((p - centre) / half, fill) for p, fill in polys], rot


def _irregular_polygon(rng: np.random.Generator) -> Polys:
    """A random star-shaped blob polygon (distractor; deliberately not any class)."""
    # 5-8 vertices at jittered, well-spread angles and radii 0.55-1: a lumpy blob that is
    # never spiky enough to read as a star/cross nor regular enough to read as a disc.
    k = int(rng.integers(5, 9))
    t = (np.arange(k) + rng.uniform(-0.3, 0.3, k)) * (2.0 * np.pi / k) + rng.uniform(0, 2 * np.pi)
    r = rng.uniform(0.55, 1.0, k)
    pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    lo, hi = pts.min(0), pts.max(0)
    return [((pts - (lo + hi) / 2) / np.maximum((hi - lo) / 2, 1e-6), True)]


def place(polys: Polys, w: float, h: float, angle_deg: float) -> Polys:
    """Stretch unit-frame polygons to ``w`` x ``h`` px (object frame, centred on the origin), then
    rotate them by ``angle_deg`` about the centre (clockwise on screen, as y points down)."""
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return [((p * [w / 2.0, h / 2.0]) @ rot.T, fill) for p, fill in polys]


def coverage(polys: Polys, x0: int, y0: int, pw: int, ph: int) -> np.ndarray:
    """Anti-aliased coverage uint8 [ph, pw] (255 = inside) of image-coordinate polygons in the patch
    whose top-left pixel is ``(x0, y0)``; holes (fill=False) clear what earlier polygons set."""
    cov = np.zeros((ph, pw), np.uint8)
    for pts, fill in polys:
        q = np.round((pts - [x0, y0]) * ONE).astype(np.int32)
        cv2.fillPoly(cov, [q], 255 if fill else 0, cv2.LINE_AA, SHIFT)
    return cov


# ------------------------------------------------------------------------- textures


def texture(rng: np.random.Generator, pw: int, ph: int, size: float, kind: str | None = None) -> np.ndarray:
    """Float32 [ph, pw, 3] RGB texture (0..255) for an object of typical size ``size`` px.

    kind: "solid", "stripes", "checker", "dots", "gradient", "hatch" (crossed lines) or "rings"
    (concentric about the patch centre); None draws one of :data:`COMMON_TEXTURES`."""
    if kind is None:
        kind = COMMON_TEXTURES[int(rng.choice(len(COMMON_TEXTURES), p=[0.3, 0.2, 0.15, 0.15, 0.2]))]
    c1 = _object_colour(rng)
    if kind == "solid":
        return np.broadcast_to(c1, (ph, pw, 3)).copy()
    c2 = second_colour(rng, c1)
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


def noise(h: int, w: int) -> np.ndarray:
    """Fixed (seed-independent) N(0, 1) noise float32 [h, w], wrapped from a 512^2 tile (the
    sensor noise of every scene: same pattern, scene-dependent amplitude)."""
    global _NOISE_TILE
    if _NOISE_TILE is None:
        _NOISE_TILE = np.random.default_rng(12345).standard_normal((512, 512)).astype(np.float32)
    tile = _NOISE_TILE
    if h > tile.shape[0] or w > tile.shape[1]:
        tile = np.tile(tile, (-(-h // tile.shape[0]), -(-w // tile.shape[1])))
    return tile[:h, :w]


def background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A cluttered RGB uint8 [h, w, 3] background: smooth colour noise or a gradient, optional tiles
    or planks, up to 13 long lines."""
    if rng.random() < 0.6:  # smooth colour noise: a coarse random grid, bicubic upsampled
        gh, gw = int(rng.integers(2, 9)), int(rng.integers(2, 9))
        grid = np.stack([_muted_colour(rng) for _ in range(gh * gw)]).reshape(gh, gw, 3)
        bg = cv2.resize(u8(grid), (w, h), interpolation=cv2.INTER_CUBIC)
    else:  # linear gradient between two colours
        grid = np.stack([_muted_colour(rng) for _ in range(4)]).reshape(2, 2, 3)
        bg = cv2.resize(u8(grid), (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.35:  # tiles / planks
        cell = rng.uniform(24.0, 110.0)
        tw, th = max(1, math.ceil(w / cell)) + 1, max(1, math.ceil(h / cell)) + 1
        plank = rng.random() < 0.4
        idx = (np.arange(th)[:, None] + (0 if plank else np.arange(tw)[None, :])) % 2
        if plank:
            idx = np.broadcast_to(idx, (th, tw))
        cols = np.stack([_muted_colour(rng), _muted_colour(rng)])
        small = u8(cols[idx])
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
        cv2.line(bg, _fx(a), _fx(b), col, int(rng.integers(1, 4)), cv2.LINE_AA, SHIFT)
    return bg


def u8(a: np.ndarray) -> np.ndarray:
    """Round half up and saturate to uint8 (any shape)."""
    return np.clip(np.asarray(a) + 0.5, 0, 255).astype(np.uint8)


def _fx(p: np.ndarray) -> tuple[int, int]:
    """Fixed-point cv2 point from float (x, y)."""
    return int(round(float(p[0]) * ONE)), int(round(float(p[1]) * ONE))


def composite(img: np.ndarray, cov: np.ndarray, tex: np.ndarray, x0: int, y0: int) -> None:
    """Alpha-blend ``tex`` float [ph, pw, 3] into ``img`` uint8 [H, W, 3] (in place) over the patch
    whose top-left pixel is ``(x0, y0)``, with coverage uint8 [ph, pw] as alpha (255 = opaque)."""
    ph, pw = cov.shape
    region = img[y0 : y0 + ph, x0 : x0 + pw]
    a = cov.astype(np.float32)[..., None] * (1.0 / 255.0)
    out = region.astype(np.float32)
    out += a * (tex - out)
    region[:] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def distractors(rng: np.random.Generator, img: np.ndarray) -> None:
    """Draw unlabelled clutter into ``img`` uint8 [H, W, 3] in place: textured irregular polygons,
    squiggles, open arcs, pie slices, small blobs and strokes (none of them any class's shape)."""
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
            polys = place(_irregular_polygon(rng), 2 * r * rng.uniform(0.6, 1.4), 2 * r, 0.0)
            polys = [(p + c, f) for p, f in polys]
            pts = np.concatenate([p for p, _ in polys])
            x0, y0 = (max(0, int(v) - 1) for v in pts.min(0))
            x1, y1 = int(min(w - 1, pts[:, 0].max() + 2)), int(min(h - 1, pts[:, 1].max() + 2))
            if x1 <= x0 or y1 <= y0:
                continue
            cov = coverage(polys, x0, y0, x1 - x0 + 1, y1 - y0 + 1)
            tex = texture(rng, x1 - x0 + 1, y1 - y0 + 1, 2 * r)
            composite(img, cov, tex, x0, y0)
        elif kind == 1:  # squiggle: thick random-walk polyline
            k = int(rng.integers(3, 8))
            steps = rng.normal(0.0, r * 0.6, (k, 2)).cumsum(0) + c
            pts = np.round(steps * ONE).astype(np.int32)
            cv2.polylines(img, [pts], False, colt, int(rng.integers(1, 5)), cv2.LINE_AA, SHIFT)
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
            cv2.line(img, _fx(c), _fx(c + d), colt, int(rng.integers(2, 7)), cv2.LINE_AA, SHIFT)


