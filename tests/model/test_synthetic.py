"""Tests for sppviz.model.synthetic and its drawing primitives (sppviz.model.scene_draw): determinism,
ground-truth validity and box tightness."""

from __future__ import annotations

import json
from functools import lru_cache

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sppviz.model import scene_draw
from sppviz.model import synthetic as syn
from sppviz.model.synthetic import (
    CLASSES,
    EVAL_SEED_BASE,
    EXAMPLE_SEEDS,
    MAX_SIDE,
    MIN_BOX_SIDE,
    MIN_SIDE,
    TRAIN_SEED_BASE,
    TRAIN_SEED_COUNT,
    Scene,
    make_scene,
    make_scene_with_masks,
    make_scenes,
    write_examples,
)

N_SEEDS = 200


@lru_cache(maxsize=1)
def _scenes() -> tuple[Scene, ...]:
    return tuple(make_scenes(range(N_SEEDS)))


def _mask_bbox(mask: np.ndarray) -> list[float]:
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return [float(cols[0]), float(rows[0]), float(cols[-1]), float(rows[-1])]


def _check_scene(sc: Scene) -> None:
    h, w, c = sc.image.shape
    assert c == 3 and sc.image.dtype == np.uint8 and sc.image.flags["C_CONTIGUOUS"]
    assert sc.boxes.dtype == np.float32 and sc.boxes.ndim == 2 and sc.boxes.shape[1] == 4
    assert sc.labels.dtype == np.int64 and sc.labels.shape == (len(sc.boxes),)
    assert 1 <= len(sc.labels) <= syn.MAX_OBJECTS
    assert np.all((sc.labels >= 0) & (sc.labels < len(CLASSES)))
    x1, y1, x2, y2 = sc.boxes.T
    assert np.all(x1 >= 0) and np.all(y1 >= 0) and np.all(x2 <= w - 1) and np.all(y2 <= h - 1)
    assert np.all(x1 <= x2) and np.all(y1 <= y2)
    assert np.all(sc.boxes == np.round(sc.boxes))  # whole pixels: tight around visible pixels
    # inclusive convention: width = x2 - x1 + 1
    assert np.all(x2 - x1 + 1 >= MIN_BOX_SIDE) and np.all(y2 - y1 + 1 >= MIN_BOX_SIDE)


# ------------------------------------------------------------------ determinism


def test_same_seed_same_scene():
    a, b = make_scene(1234), make_scene(1234)
    assert a.image.tobytes() == b.image.tobytes()
    np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.seed == b.seed == 1234


def test_determinism_does_not_depend_on_call_history():
    first = make_scene(77)
    make_scene(5, size=(1500, 1200))  # a large call in between (noise tile wrapping)
    again = make_scene(77)
    assert first.image.tobytes() == again.image.tobytes()


def test_different_seeds_differ():
    a, b = make_scene(1), make_scene(2)
    assert a.image.shape != b.image.shape or a.image.tobytes() != b.image.tobytes()
    same_size = [make_scene(s, size=(320, 240)).image.tobytes() for s in range(5)]
    assert len(set(same_size)) == 5


def test_make_scenes_matches_make_scene():
    for sc, s in zip(make_scenes([3, 4]), [3, 4], strict=True):
        assert sc.seed == s
        assert sc.image.tobytes() == make_scene(s).image.tobytes()


def test_no_global_rng_use():
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    make_scene(11)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# ------------------------------------------------------------ ground-truth validity


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_scenes_are_valid():
    for sc in _scenes():
        _check_scene(sc)


def test_image_sizes_in_range_and_varied():
    hw = np.array([sc.image.shape[:2] for sc in _scenes()])
    assert hw.min() >= MIN_SIDE and hw.max() <= MAX_SIDE
    assert len({tuple(x) for x in hw}) > N_SEEDS // 2
    ratio = hw[:, 1] / hw[:, 0]
    assert ratio.min() < 0.7 and ratio.max() > 1.4  # portrait and landscape


def test_every_class_appears_and_is_roughly_balanced():
    labels = np.concatenate([sc.labels for sc in _scenes()])
    counts = np.bincount(labels, minlength=len(CLASSES))
    assert np.all(counts > 0.05 * len(labels)), dict(zip(CLASSES, counts, strict=True))


def test_object_counts_and_sizes_are_varied():
    counts = np.array([len(sc.labels) for sc in _scenes()])
    assert counts.min() == 1 and counts.max() == syn.MAX_OBJECTS
    rel = np.concatenate(
        [
            np.sqrt((sc.boxes[:, 2] - sc.boxes[:, 0] + 1) * (sc.boxes[:, 3] - sc.boxes[:, 1] + 1))
            / min(sc.image.shape[:2])
            for sc in _scenes()
        ]
    )
    assert rel.min() < 0.08 and rel.max() > 0.6  # small and large objects
    assert 0.1 < np.median(rel) < 0.4  # biased towards medium sizes


def test_some_objects_overlap():
    def inter(a, b):
        return max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1) * max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)

    n = sum(
        inter(sc.boxes[i], sc.boxes[j]) > 0
        for sc in _scenes()
        for i in range(len(sc.boxes))
        for j in range(i + 1, len(sc.boxes))
    )
    assert n >= 10


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**63 - 1))
def test_any_seed_gives_a_valid_scene(seed):
    _check_scene(make_scene(seed))


# ---------------------------------------------------------------------- tightness


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5, 8, 13, 21, EVAL_SEED_BASE, EXAMPLE_SEEDS[0]])
def test_boxes_are_tight_around_visible_masks(seed):
    sc, masks = make_scene_with_masks(seed)
    plain = make_scene(seed)
    assert sc.image.tobytes() == plain.image.tobytes()
    np.testing.assert_array_equal(sc.boxes, plain.boxes)
    assert masks.shape == (len(sc.labels),) + sc.image.shape[:2] and masks.dtype == bool
    for box, m in zip(sc.boxes, masks, strict=True):
        assert box.tolist() == _mask_bbox(m)
    # visible masks are disjoint (each pixel shows at most one object)
    assert masks.sum(0).max() <= 1


@pytest.mark.parametrize("seed", [0, 4, 6, 9, EVAL_SEED_BASE + 1])
def test_objects_are_drawn_exactly_where_the_masks_say(seed):
    """Against the background-only render of the same scene: objects change (almost) every
    pixel of their visible mask and nothing outside the masks' 2-px fringe (anti-aliasing)."""
    sc, masks = make_scene_with_masks(seed)
    bg = syn._render(seed, None, want_masks=False, draw_objects=False).image
    diff = np.abs(sc.image.astype(int) - bg.astype(int)).sum(2)
    for m in masks:
        assert np.mean(diff[m] > 0) > 0.9
    # anti-aliased coverage below 50 % (not in any mask) reaches <= 2 px beyond the masks,
    # e.g. at a star's sharp tips
    union = masks.any(0).astype(np.uint8)
    fringe = cv2.dilate(union, np.ones((5, 5), np.uint8)) > 0
    assert np.all(diff[~fringe] == 0)


# ------------------------------------------------------------------- arguments


def test_size_argument():
    assert make_scene(3, size=(320, 240)).image.shape == (240, 320, 3)  # (w, h)
    assert make_scene(3, size=300).image.shape == (300, 300, 3)
    _check_scene(make_scene(3, size=(1000, 90)))


@pytest.mark.parametrize("size", [(10, 300), (300, 5000), (1, 2, 3)])
def test_bad_size_raises(size):
    with pytest.raises(ValueError, match="size|sides"):
        make_scene(0, size=size)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_raises(seed):
    with pytest.raises(ValueError, match="seed"):
        make_scene(seed)


def test_seed_splits_are_disjoint():
    assert TRAIN_SEED_BASE == 0 and TRAIN_SEED_COUNT == 100_000
    assert EVAL_SEED_BASE == 10_000_000 >= TRAIN_SEED_BASE + TRAIN_SEED_COUNT
    assert all(s >= EVAL_SEED_BASE + TRAIN_SEED_COUNT for s in EXAMPLE_SEEDS)


def test_names_property():
    sc = make_scene(9)
    assert sc.names == [CLASSES[i] for i in sc.labels]


# --------------------------------------------------------------------- examples


def test_write_examples(tmp_path):
    seeds = (EXAMPLE_SEEDS[0], EXAMPLE_SEEDS[1])
    paths = write_examples(tmp_path, seeds=seeds)
    assert [p.name for p in paths] == ["example_1.jpg", "example_2.jpg", "examples.json"]
    meta = json.loads((tmp_path / "examples.json").read_text())
    assert meta["classes"] == list(CLASSES)
    for rec, seed in zip(meta["examples"], seeds, strict=True):
        sc = make_scene(seed)
        assert rec["seed"] == seed and rec["labels"] == sc.labels.tolist()
        assert rec["boxes"] == sc.boxes.tolist()
        assert (rec["width"], rec["height"]) == (sc.image.shape[1], sc.image.shape[0])
        assert rec["names"] == sc.names
        assert (tmp_path / rec["file"]).stat().st_size < 300_000


# ------------------------------------------------------------------------ class textures


def test_every_class_has_its_own_texture():
    assert set(syn.CLASS_TEXTURES) == set(CLASSES)
    assert len(set(syn.CLASS_TEXTURES.values())) == len(CLASSES)  # texture tells classes apart
    assert 0.0 < syn.P_CLASS_TEXTURE < 1.0  # ... but not always: shape still has to decide


@pytest.mark.parametrize("kind", sorted(set(syn.CLASS_TEXTURES.values())))
def test_textures_render_as_two_tone_patterns(kind):
    tex = scene_draw.texture(np.random.default_rng(5), 90, 70, 120.0, kind)
    assert tex.shape == (70, 90, 3) and tex.dtype == np.float32
    assert np.all((tex >= 0) & (tex <= 255))
    n_colours = len(np.unique(tex.reshape(-1, 3).round(1), axis=0))
    assert n_colours == 1 if kind == "solid" else n_colours >= 2


def test_rings_are_concentric_and_hatch_crosses():
    rings = scene_draw.texture(np.random.default_rng(1), 81, 81, 200.0, "rings")[..., 0]
    # a function of the distance to the centre: symmetric under mirrors and the transpose ...
    assert np.array_equal(rings, rings[::-1]) and np.array_equal(rings, rings[:, ::-1])
    assert np.array_equal(rings, rings.T)
    ray = rings[40, 40:]  # ... that alternates along a ray (several rings)
    assert np.count_nonzero(np.diff(ray) != 0) >= 4
    hatch = scene_draw.texture(np.random.default_rng(2), 120, 120, 200.0, "hatch")[..., 0]
    on = hatch != np.median(hatch)
    # crossing line sets: a pixel row and a pixel column both cut through several lines
    assert np.count_nonzero(np.diff(on[60].astype(int)) != 0) >= 4
    assert np.count_nonzero(np.diff(on[:, 60].astype(int)) != 0) >= 4


def test_class_textures_change_pixels_but_not_the_layout(monkeypatch):
    """Textures are drawn after the layout: boxes and labels do not depend on them."""
    monkeypatch.setattr(syn, "P_CLASS_TEXTURE", 1.0)
    a = make_scene(7)
    monkeypatch.setattr(syn, "P_CLASS_TEXTURE", 0.0)
    b = make_scene(7)
    assert np.array_equal(a.boxes, b.boxes) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, b.image)
