"""Text in figures: fonts for Latin and Chinese text, measuring a line, drawing many lines at once.

A figure's text is a list of text_item tuples drawn by draw_texts in one PIL round trip. The
words come from the caller in the page's language (figures import nothing from sppviz: the steps
pass the i18n tables' templates as a ``words`` mapping, and :func:`say` fills one in, or gives the
figure's language-neutral fallback: numbers and symbols only); fonts are large (projector).

Fonts: matplotlib's bundled DejaVu Sans for Latin text and symbols, and a CJK font (Noto Sans CJK
SC, found on the system or named by ``SPPVIZ_CJK_FONT``) for any text with Chinese characters. A
line is drawn in one font when that font has every glyph; otherwise it is split into runs, each in
the font that has its glyphs (Noto Sans CJK lacks ✗ and ⌊, DejaVu lacks every Han character), on
one baseline. So no glyph is ever drawn as a missing-glyph box while a font that has it is installed.

The FreeType faces are shared by every thread of the server, so text is measured and drawn under
one lock. :func:`recording` collects what is drawn (text, bounding box, fonts) for tests.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .palette import FG, as_color, lut

FONT = 22   # captions, legends
SMALL = 18  # tick labels

LATIN, CJK = "latin", "cjk"
# Where Noto Sans CJK lies on common systems ({w}: Regular / Bold); SPPVIZ_CJK_FONT names another font file.
CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-{w}.ttc",        # Debian / Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-{w}.ttc",             # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-{w}.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-{w}.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-{w}.otf",
)
# the Han ideographs, CJK punctuation and full-width forms (a line with any of them is set in the CJK font)
_CJK_RANGES = ((0x2E80, 0x2FDF), (0x3000, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
               (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))
_log = logging.getLogger(__name__)


def _latin_path(bold: bool) -> str:
    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)


@lru_cache(maxsize=4)
def _cjk_face(bold: bool) -> tuple[str, int] | None:
    """(file, face index) of the CJK font, the Simplified Chinese face of a collection; None when none."""
    env = os.environ.get("SPPVIZ_CJK_FONT", "").strip()
    paths = [env] if env else []
    for c in CJK_FONT_CANDIDATES:
        paths += [c.format(w="Bold" if bold else "Regular"), c.format(w="Regular")]
    for path in paths:
        if not os.path.isfile(path):
            continue
        faces = []
        for i in range(16):  # a .ttc holds several faces: take the Simplified Chinese one
            try:
                faces.append((i, " ".join(ImageFont.truetype(path, 12, index=i).getname())))
            except OSError:
                break
        if faces:
            return path, next((i for i, name in faces if " SC" in name), faces[0][0])
    if not bold:
        _log.warning("no CJK font found (install fonts-noto-cjk or set SPPVIZ_CJK_FONT): Chinese text in figures "
                     "will show as boxes")
    return None


def cjk_font_path(bold: bool = False) -> str | None:
    """The file of the font Chinese text is drawn in (None when the system has none)."""
    face = _cjk_face(bold)
    return face[0] if face else None


# FreeType faces are shared by every thread of the server: measure / draw text under one lock.
_TEXT_LOCK = threading.Lock()


# Rendered lines kept for the next figure (tick labels, legends and captions repeat from click to click):
# rendering was a third of a window click's server time. At most this many masks (a few kB each).
MASK_CACHE_SIZE = 4096


class CachedFont(ImageFont.FreeTypeFont):
    """A FreeType font that keeps the masks it rendered and the boxes it measured: PIL's ``ImageDraw.text`` /
    ``textbbox`` call ``getmask2`` / ``getbbox`` with the line, its anchor, ink and sub-pixel start, and the same
    arguments give the same mask, so a line drawn again is pasted, not rendered (the drawn pixels are identical).
    One cache for all fonts (an LRU of :data:`MASK_CACHE_SIZE` entries); callers hold ``_TEXT_LOCK``."""

    _masks: OrderedDict = OrderedDict()
    stats = {"hits": 0, "misses": 0}

    def _cached(self, kind: str, args: tuple, kwargs: dict, compute):
        # the face by its file, index and size, not id(self): a font dropped from _font's cache may hand its id on
        key = (self.path, self.index, self.size, kind, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # a list argument (features): not cached
            return compute()
        masks = CachedFont._masks
        hit = masks.get(key)
        if hit is not None:
            masks.move_to_end(key)
            CachedFont.stats["hits"] += 1
            return hit
        CachedFont.stats["misses"] += 1
        value = masks[key] = compute()
        if len(masks) > MASK_CACHE_SIZE:
            masks.popitem(last=False)
        return value

    def getmask2(self, text, *args, **kwargs):
        return self._cached("mask", (text, *args), kwargs, lambda: super(CachedFont, self).getmask2(text, *args,
                                                                                                     **kwargs))

    def getbbox(self, text, *args, **kwargs):
        return self._cached("bbox", (text, *args), kwargs, lambda: super(CachedFont, self).getbbox(text, *args,
                                                                                                    **kwargs))


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False, script: str = LATIN) -> ImageFont.FreeTypeFont:
    if script == CJK and _cjk_face(bold) is not None:
        path, index = _cjk_face(bold)
        return CachedFont(path, int(size), index=index)
    try:
        return CachedFont(_latin_path(bold), int(size))
    except OSError:  # pragma: no cover - matplotlib always ships DejaVu
        return ImageFont.load_default(size=int(size))


@lru_cache(maxsize=4)
def _coverage(script: str) -> frozenset[int]:
    """The code points the script's font has glyphs for (its cmap; empty when the font is missing)."""
    from fontTools.ttLib import TTFont

    if script == CJK:
        face = _cjk_face(False)
        if face is None:
            return frozenset()
        path, index = face
    else:
        path, index = _latin_path(False), 0
    try:
        with TTFont(path, fontNumber=index, lazy=True) as f:
            return frozenset(f.getBestCmap())
    except Exception:  # pragma: no cover - an unreadable font: assume it has everything
        return frozenset(range(0x110000))


def is_cjk(ch: str) -> bool:
    """Whether the character is a Han ideograph, CJK punctuation or a full-width form."""
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _CJK_RANGES)


def _runs(text: str) -> list[tuple[str, str]]:
    """text as [(run, script)]: the line's own script (CJK when it has a CJK character), and the other
    script for the characters only that one's font has."""
    if text.isascii():
        return [(text, LATIN)] if text else []
    main = CJK if any(is_cjk(ch) for ch in text) else LATIN
    other = LATIN if main == CJK else CJK
    have, alt = _coverage(main), _coverage(other)
    runs: list[tuple[str, str]] = []
    for ch in text:
        s = main if (ord(ch) in have or ord(ch) not in alt or ch.isspace()) else other
        if runs and runs[-1][1] == s:
            runs[-1] = (runs[-1][0] + ch, s)
        else:
            runs.append((ch, s))
    return runs


def missing_glyphs(text: str) -> str:
    """The characters of text that no font here can draw ('' when every one can)."""
    have = _coverage(LATIN) | _coverage(CJK)
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in have))


def text_width(text: str, size: int = FONT, bold: bool = False) -> int:
    """Width of a text line in pixels."""
    runs = _runs(str(text))
    fonts = [_font(size, bold, s) for _, s in runs]
    with _TEXT_LOCK:
        return int(math.ceil(sum(f.getlength(r) for (r, _), f in zip(runs, fonts, strict=True))))


@lru_cache(maxsize=64)
def text_height(size: int = FONT, bold: bool = False) -> int:
    """Height of a Latin text line (ascent + descent) in pixels; a CJK line's glyphs fit in it."""
    font = _font(size, bold)
    with _TEXT_LOCK:
        a, d = font.getmetrics()
    return a + d


def warm_up() -> None:
    """Load the colormaps, fonts and the fonts' glyph tables now (the first figure otherwise pays ~0.4 s)."""
    for cmap in ("viridis", "inferno", "gray"):
        lut(cmap)
    for size in (SMALL, FONT):
        for bold in (False, True):
            text_height(size, bold)
            _font(size, bold, CJK)
    _coverage(LATIN)
    _coverage(CJK)  # the CJK font's cmap: ~0.1 s to read


def text_item(x: float, y: float, text: object, size: int = FONT, color: Sequence[int] = FG, anchor: str = "la",
              bold: bool = False, bg: Sequence[int] | None = None, pad: int = 4) -> tuple:
    """A text item for draw_texts: `text` at figure pixel (x, y), anchored as in PIL ('la', 'mm',
    'rm', 'ms', ...), on a filled rectangle of colour bg with `pad` px margin when bg is given."""
    return (float(x), float(y), str(text), int(size), as_color(color), anchor, bool(bold),
            None if bg is None else as_color(bg), int(pad))


def say(words: Mapping[str, str] | None, key: str, neutral: str | None = None, **fmt: object) -> str | None:
    """The figure text ``key`` of ``words`` (a template of the i18n tables, in the page's language) filled
    with ``fmt``; without that key, ``neutral`` filled the same way (numbers and symbols only) or None."""
    template = (words or {}).get(key, neutral)
    if template is None:
        return None
    return template.format(**fmt) if fmt else template


# ----------------------------------------------------------------------------------------
# laying out and drawing lines of text


@dataclass(frozen=True)
class DrawnText:
    """One line as draw_texts drew it: its text, its ink box (l, t, r, b) in pixels of the array it was
    drawn on, with the tag's padding when it has a background, and the font file of each run."""

    text: str
    bbox: tuple[int, int, int, int]
    fonts: tuple[str, ...]


_RECORDING: ContextVar[list | None] = ContextVar("sppviz_figure_texts", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[DrawnText]]:
    """Collect every line draw_texts draws in this context (this thread / task) as DrawnText records."""
    drawn: list[DrawnText] = []
    token = _RECORDING.set(drawn)
    try:
        yield drawn
    finally:
        _RECORDING.reset(token)


def _place(d: ImageDraw.ImageDraw, x: float, y: float, text: str, size: int, bold: bool, anchor: str,
           box: bool = True) -> tuple[list[tuple[float, float, str, ImageFont.FreeTypeFont, str]], tuple | None]:
    """The runs of one line as [(x, y, run, font, anchor)] and their ink box (l, t, r, b) (None for a
    one-font line when ``box`` is False: measuring costs as much as drawing). Call under the lock."""
    runs = _runs(text)
    if len(runs) <= 1:
        script = runs[0][1] if runs else LATIN
        font = _font(size, bold, script)
        return [(x, y, text, font, anchor)], d.textbbox((x, y), text, font=font, anchor=anchor) if box else None
    fonts = [_font(size, bold, s) for _, s in runs]
    widths = [f.getlength(r) for (r, _), f in zip(runs, fonts, strict=True)]
    total = sum(widths)
    h, v = anchor[0], anchor[1]
    x0 = x - {"l": 0.0, "m": total / 2, "r": total}.get(h, 0.0)
    asc, desc = fonts[0].getmetrics()  # the line's first run sets the vertical anchor
    base = y + {"a": asc, "t": asc, "m": (asc - desc) / 2, "s": 0.0, "d": -desc, "b": -desc}.get(v, asc)
    placed, boxes = [], []
    for (run, _), font, w in zip(runs, fonts, widths, strict=True):
        placed.append((x0, base, run, font, "ls"))
        boxes.append(d.textbbox((x0, base), run, font=font, anchor="ls"))
        x0 += w
    return placed, (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                    max(b[3] for b in boxes))


_MEASURE = ImageDraw.Draw(Image.new("RGB", (1, 1)))


def text_bbox(x: float, y: float, text: object, size: int = FONT, anchor: str = "la", bold: bool = False,
              pad: int = 0) -> tuple[int, int, int, int]:
    """The ink box (l, t, r, b) that draw_texts gives `text` anchored at (x, y), grown by `pad` px (the
    tag of a text item with a background is this box with its pad, r and b inclusive)."""
    with _TEXT_LOCK:
        _, (l, t, r, b) = _place(_MEASURE, float(x), float(y), str(text), int(size), bool(bold), anchor)
    return int(l) - pad, int(t) - pad, int(r) + pad - 1, int(b) + pad - 1


REGION_MARGIN = 4  # px around a line's ink box in the region drawn (glyphs' bearings, anti-aliasing)


def draw_texts(arr: np.ndarray, items: Sequence[tuple]) -> np.ndarray:
    """Draw text items (see text_item) on a copy of arr. Each line goes through PIL on its own region only
    (its ink box and tag, REGION_MARGIN around, and its pen positions): the same pixels as drawing on the
    whole figure, since the region moves every coordinate by whole pixels, without converting the whole
    figure to PIL and back (2-3 ms a figure)."""
    if not items:
        return arr
    out = np.array(arr, dtype=np.uint8, copy=True, order="C")
    h, w = out.shape[:2]
    record = _RECORDING.get()
    m = REGION_MARGIN
    with _TEXT_LOCK:
        for x, y, text, size, color, anchor, bold, bg, pad in items:
            runs, (l, t, r, b) = _place(_MEASURE, x, y, text, size, bold, anchor)
            p = pad if bg is not None else 0
            # the region starts above and left of the ink, the tag and every run's pen position, so that every
            # coordinate PIL is given is >= 0 there (PIL truncates them: the same as floor only for x >= 0)
            x0 = max(0, min(math.floor(l) - p - m, *(math.floor(rx) for rx, *_ in runs)))
            y0 = max(0, min(math.floor(t) - p - m, *(math.floor(ry) for _, ry, *_ in runs)))
            x1, y1 = min(w, math.ceil(r) + p + m), min(h, math.ceil(b) + p + m)
            if x1 > x0 and y1 > y0:
                region = Image.fromarray(out[y0:y1, x0:x1])
                d = ImageDraw.Draw(region)
                if bg is not None:
                    d.rectangle((l - pad - x0, t - pad - y0, r + pad - 1 - x0, b + pad - 1 - y0), fill=bg)
                for rx, ry, run, font, a in runs:
                    d.text((rx - x0, ry - y0), run, font=font, fill=color, anchor=a)
                out[y0:y1, x0:x1] = np.asarray(region)
            if record is not None:
                record.append(DrawnText(text, (int(l) - p, int(t) - p, int(r) + p - 1, int(b) + p - 1),
                                        tuple(getattr(f, "path", "") for *_, f, _a in runs)))
    return out


# ----------------------------------------------------------------------------------------
# numbers


def fmt2(v: float) -> str:
    """Two significant digits, short: 0 -> '0', 5.67 -> '5.7', 0.0123 -> '0.012', 1234 -> '1200'."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    e = math.floor(math.log10(abs(v)))
    if e >= 4 or e <= -4:
        return f"{v:.1e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")
    if e >= 1:
        return str(int(round(v, -(e - 1))))
    s = f"{v:.{1 - e}f}"
    if float(s) != 0 and abs(float(s)) >= 10 ** (e + 1):  # 9.96 -> '10.0' -> '10'
        s = f"{float(s):.{max(0, -e)}f}"
    return s


def fmt_coord(v: float) -> str:
    """A map coordinate: integer when integral, else 2 decimals."""
    v = float(v)
    return str(int(v)) if v == int(v) else f"{v:.2f}"
