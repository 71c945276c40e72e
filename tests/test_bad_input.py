"""A corpus of bad inputs (issue 7): each one through the library AND through the app's handlers.

The library must raise ValueError / ImageError with a message meant for the user; the handlers
(`api.api_analyze`, `api.api_project`, `inputs.analyze_image`) must turn it into a gr.Error with the same
core text, never a traceback. Every file is generated in tmp_path here (no binary fixtures).
Images that are odd but usable (tiny, huge, 16-bit, CMYK, animated, EXIF-rotated ...) must load,
with a notice where something was changed.
"""

import io
import math
import re
import struct
import time
import zlib

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from sppviz import analysis
from sppviz.analysis.images import MAX_DECODE_PIXELS, MAX_WORKING_SIDE, MIN_SIDE, ImageError, load_image
from sppviz.app import api, settings
from sppviz.app.tabs import inputs
from sppviz.method import bins, proposals, pyramid

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_3.jpg")
EXAMPLE_WH = (lambda a: (a.shape[1], a.shape[0]))(load_image(EXAMPLE)[0])
GOOD_BOX = [40, 30, 200, 160]



def clear(msg: str) -> None:
    assert msg.strip() and "Traceback" not in msg and "File \"" not in msg, msg


# ------------------------------------------------------------------------------------- files


def _rgb(w=64, h=48, mode="RGB"):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).convert(mode)


def _png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _jpeg_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _bomb_png(w=30000, h=30000) -> bytes:
    """A tiny PNG whose IHDR claims w x h pixels (CRC fixed, so only the size check can stop it)."""
    data = bytearray(_png_bytes(Image.new("L", (8, 8))))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", w, h)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def write(path, maker):
    out = maker(path)
    if isinstance(out, bytes):
        path.write_bytes(out)
    return str(path)


BAD_FILES = [  # id, file name, maker(path) -> bytes or None (saved itself), message regex
    ("empty-file", "empty.png", lambda p: b"", "empty"),
    ("truncated-png", "cut.png", lambda p: _png_bytes(_rgb())[:300], "damaged or truncated"),
    ("truncated-jpeg", "cut.jpg", lambda p: _jpeg_bytes(_rgb(200, 150))[:700], "damaged or truncated"),
    ("corrupt-bytes", "noise.jpg", lambda p: np.random.default_rng(1).bytes(5000), "not an image"),
    ("png-header-then-junk", "junk.png", lambda p: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an image|damaged"),
    ("text-named-png", "notes.png", lambda p: b"hello, this is a text file\n" * 20, "not an image"),
    ("pdf-named-png", "doc.png", lambda p: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
     "not an image"),
    ("decompression-bomb-30000x30000", "bomb.png", lambda p: _bomb_png(), "limit is 50 MP"),
    ("bomb-just-over-limit", "bomb2.png", lambda p: _bomb_png(10000, 5001), "limit is 50 MP"),
    ("too-thin-4000x2", "thin.png", lambda p: _png_bytes(Image.new("RGB", (4000, 2), (9, 9, 9))), "too thin"),
]


@pytest.mark.parametrize("name, maker, message", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file(model, tmp_path, name, maker, message):
    path = write(tmp_path / name, maker)
    t0 = time.perf_counter()
    with pytest.raises(ImageError, match=message) as lib:
        load_image(path)
    assert time.perf_counter() - t0 < 5  # a bomb is refused from its header, not decoded
    clear(str(lib.value))
    core = str(lib.value)
    calls = [lambda: api.api_analyze(path, [688], "1,2,3,6"),
             lambda: api.api_project(path, GOOD_BOX, "paper", "paper"),
             lambda: inputs.analyze_image(dict(settings.DEFAULTS, image=path, state={}))]
    for call in calls:
        with pytest.raises(gr.Error) as app:
            call()
        assert core in app.value.message
        clear(app.value.message)


def _save(img, fmt="PNG", **kw):
    def maker(path):
        img().save(path, fmt, **kw)
    return maker


def _animated(path):
    frames = [Image.new("RGB", (60, 40), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def _exif_rotated(path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    _rgb(80, 50).save(path, "JPEG", exif=exif)


def _p_transparent(path):
    img = _rgb(64, 48).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img.save(path, "PNG", transparency=0)


def _i16(path):
    a = (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) * 20)
    Image.fromarray(a).save(path, "PNG")
    assert Image.open(path).mode.startswith("I")


def _i32(path):
    a = np.arange(64 * 48, dtype=np.int32).reshape(48, 64) * 1000
    Image.fromarray(a, "I").save(path, "TIFF")


def _f32(path):
    a = np.linspace(-3.5, 7.25, 64 * 48, dtype=np.float32).reshape(48, 64)
    Image.fromarray(a, "F").save(path, "TIFF")


ODD_FILES = [  # id, file name, maker, expected (w, h) after loading, notice regex or None
    ("1x1", "dot.png", _save(lambda: Image.new("RGB", (1, 1), (200, 10, 10))), (32, 32), "Small image 1×1 upscaled"),
    ("5x3", "tiny.png", _save(lambda: _rgb(5, 3)), (53, 32), "Small image 5×3 upscaled"),
    ("huge-5000x3000", "huge.png", _save(lambda: Image.new("RGB", (5000, 3000), (10, 120, 200))),
     (2000, 1200), "Large image 5000×3000 downscaled to 2000×1200"),
    ("grayscale-L", "gray.png", _save(lambda: _rgb(mode="L")), (64, 48), None),
    ("gray-alpha-LA", "la.png", _save(lambda: _rgb(mode="LA")), (64, 48), None),
    ("RGBA", "rgba.png", _save(lambda: _rgb(mode="RGBA")), (64, 48), None),
    ("palette-with-transparency", "p.png", _p_transparent, (64, 48), None),
    ("1-bit", "bw.png", _save(lambda: _rgb(mode="1")), (64, 48), None),
    ("16-bit-png-I;16", "i16.png", _i16, (64, 48), None),
    ("32-bit-I-tiff", "i32.tif", _i32, (64, 48), None),
    ("float-F-tiff", "f.tif", _f32, (64, 48), None),
    ("CMYK-jpeg", "cmyk.jpg", _save(lambda: _rgb(mode="CMYK"), "JPEG"), (64, 48), None),
    ("animated-gif", "anim.gif", _animated, (60, 40), "Animated image: only the first frame"),
    ("exif-rotated-jpeg", "rot.jpg", _exif_rotated, (50, 80), None),
]


@pytest.mark.parametrize("name, maker, wh, notice", [c[1:] for c in ODD_FILES], ids=[c[0] for c in ODD_FILES])
def test_odd_but_usable_file(model, tmp_path, name, maker, wh, notice):
    path = write(tmp_path / name, maker)
    img, notices = load_image(path)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert (img.shape[1], img.shape[0]) == wh
    assert MIN_SIDE <= min(wh) and max(wh) <= MAX_WORKING_SIDE
    if notice is None:
        assert notices == []
    else:
        assert any(re.search(notice, n) for n in notices), notices
    if notice and "upscaled" in notice:
        assert min(img.shape[:2]) == MIN_SIDE
    if name == "dot.png":
        assert (img == [200, 10, 10]).all()
    if name == "anim.gif":
        assert (img[..., 0] > 200).all() and (img[..., 1] < 50).all()  # the red first frame
    res = api.api_project(path, [1, 1, wh[0] - 2, wh[1] - 2], "paper", "paper")
    assert tuple(res["image_wh"]) == wh
    assert res["notices"] == notices


# ------------------------------------------------------------------------------------- scales

BAD_SCALES = [  # id, scales, library message, app message (api_analyze / analyze_image)
    ("scale-0", [0], "outside the allowed range", "outside the allowed range"),
    ("scale-negative", [-480], "outside the allowed range", "outside the allowed range"),
    ("scale-5000", [5000], "outside the allowed range", "outside the allowed range"),
    ("scale-abc", ["abc"], "not a number", "not a number"),
    ("scale-600.5", [600.5], "whole number", "whole number"),
    ("scale-nan", [math.nan], "whole number", "whole number"),
    ("scale-inf", [math.inf], "whole number", "whole number"),
    ("scales-empty", [], "at least one scale", "at least one scale"),
    ("scales-too-many-9", [480, 500, 520, 540, 560, 580, 600, 620, 640], "at most 8 scales", "at most 8 scales"),
    ("scales-text-junk", "480, abc", "not a number", "whole numbers"),
]


@pytest.mark.parametrize("scales, lib_msg, app_msg", [c[1:] for c in BAD_SCALES], ids=[c[0] for c in BAD_SCALES])
def test_bad_scales(model, scales, lib_msg, app_msg):
    lib_in = scales.replace(",", " ").split() if isinstance(scales, str) else scales
    with pytest.raises(ValueError, match=lib_msg) as lib:
        pyramid.validate_scales(lib_in)
    clear(str(lib.value))
    with pytest.raises(gr.Error, match=app_msg) as app:
        api.api_analyze(EXAMPLE, scales, "1,2,3,6")
    clear(app.value.message)
    text = ", ".join(str(s) for s in scales) if isinstance(scales, list) else scales
    typed_msg = f"{app_msg}|whole numbers" if scales else "at least one scale"  # typed text: own parser
    with pytest.raises(gr.Error, match=typed_msg) as app:
        inputs.analyze_image(dict(settings.DEFAULTS, image=EXAMPLE, scales=[], custom_scales=text, state={}))
    clear(app.value.message)


def test_duplicate_scales(model):
    """The library refuses a repeated scale; the app merges a ticked and a typed 688 into one."""
    with pytest.raises(ValueError, match="must not repeat"):
        pyramid.validate_scales([688, 688])
    assert settings.parse_scales([688], "688, 480") == (480, 688)


# ------------------------------------------------------------------------------------- levels

BAD_LEVELS = [  # id, levels, message (library and app)
    ("levels-empty", [], "must not be empty|at least|custom levels|int >= 1"),
    ("level-0", [0, 1], "int >= 1"),
    ("level-negative", [1, -2], "int >= 1"),
    ("levels-duplicate", [1, 2, 2], "must not repeat"),
    ("level-a", [1, "a"], "int >= 1, got 'a'"),
    ("level-100", [1, 100], "too large: at most MAX_LEVEL = 16"),
    ("level-2.5", [1, 2.5], "int >= 1, got 2.5"),
    ("levels-nested-junk", [[1, 2], {"x": 3}], "int >= 1, got \\[1, 2\\]"),
    ("levels-none-inside", [1, None], "int >= 1, got None"),
]


@pytest.mark.parametrize("levels, message", [c[1:] for c in BAD_LEVELS], ids=[c[0] for c in BAD_LEVELS])
def test_bad_levels(model, levels, message):
    with pytest.raises(ValueError, match=message) as lib:
        bins.check_levels(levels)
    clear(str(lib.value))
    if levels:  # an empty list means "the default levels" in the API
        with pytest.raises(gr.Error, match=message) as app:
            api.api_analyze(EXAMPLE, [688], levels)
        assert str(lib.value) in app.value.message
        clear(app.value.message)


def test_levels_not_a_sequence():
    for junk in (5, None, object()):
        with pytest.raises(ValueError, match="sequence of ints"):
            bins.check_levels(junk)


def test_max_level_is_allowed():
    assert bins.check_levels([1, bins.MAX_LEVEL]) == (1, bins.MAX_LEVEL)
    assert settings.parse_levels(["1", 2.0, 4], "") == (1, 2, 4)


# ------------------------------------------------------------------------------------- boxes

BAD_BOXES = [  # id, box, message (library and app)
    ("box-degenerate-after-clip", [0.2, 0, 0.8, 5], "degenerate"),
    ("box-zero-size-at-edge", [-10, -10, -0.5, 20], "outside|degenerate"),
    ("box-inverted", [100, 100, 50, 50], "inverted"),
    ("box-outside", [5000, 5000, 6000, 6000], "entirely outside"),
    ("box-nan", [10, math.nan, 50, 50], "NaN or infinity"),
    ("box-inf", [10, 10, math.inf, 50], "NaN or infinity"),
    ("box-3-numbers", [1, 2, 3], "shape"),
    ("box-non-numeric", ["a", "b", "c", "d"], "numbers"),
    ("box-ragged", [[1, 2, 3, 4], [1, 2]], "numbers|shape"),
]


@pytest.mark.parametrize("box, message", [c[1:] for c in BAD_BOXES], ids=[c[0] for c in BAD_BOXES])
def test_bad_box(model, box, message):
    with pytest.raises(ValueError, match=message) as lib:
        proposals.validate_boxes(box, EXAMPLE_WH)
    clear(str(lib.value))
    with pytest.raises(gr.Error, match=message) as app:
        api.api_project(EXAMPLE, box, "paper", "paper")
    assert str(lib.value) in app.value.message
    clear(app.value.message)


# ------------------------------------------------------------------------------------- proposals


def test_zero_user_boxes():
    img = np.zeros((48, 64, 3), np.uint8)
    with pytest.raises(ValueError, match="draw at least one box"):
        analysis.get_windows(img, "user", 10, user_boxes=[])


def test_selective_search_finds_nothing(model, monkeypatch):
    monkeypatch.setattr(proposals, "selective_search", lambda *a, **k: np.zeros((0, 4), np.float32))
    img = np.full((48, 64, 3), 7, np.uint8)
    with pytest.raises(ValueError, match="no proposal windows") as lib:
        analysis.get_windows(img, "selective-search-fast", 100)
    clear(str(lib.value))
    analysis.PROPOSALS.clear()
    try:
        with pytest.raises(gr.Error, match="no proposal windows") as app:
            api.api_analyze(EXAMPLE, [480], "1,2")
        clear(app.value.message)
    finally:
        analysis.PROPOSALS.clear()


def test_the_app_still_serves_after_bad_requests(model, tmp_path):
    bomb = write(tmp_path / "bomb.png", lambda p: _bomb_png())
    for call in (lambda: api.api_analyze(bomb, [688], "1,2,3,6"),
                 lambda: api.api_analyze(EXAMPLE, ["abc"], "1,2,3,6"),
                 lambda: api.api_project(EXAMPLE, [1, 2, 3], "paper", "paper")):
        with pytest.raises(gr.Error):
            call()
    res = api.api_analyze(EXAMPLE, [480], "1,2,3,6")
    assert res["image_wh"] == list(EXAMPLE_WH) and res["scales"] == [480] and res["windows"] > 0
    assert api.api_project(EXAMPLE, GOOD_BOX, "paper", "paper")["scale"] in pyramid.PAPER_SCALES


def test_limits_are_named():
    assert MAX_DECODE_PIXELS == 50_000_000 and bins.MAX_LEVEL == 16


# ------------------------------------------------------------------------------------- no server details


def test_messages_hold_no_server_path_or_errno(model, tmp_path):
    """A directory or a vanished upload given as the image: the message says what is wrong, not where
    (it used to read "[Errno 21] Is a directory: '…/gradio/<hash>'")."""
    gone = tmp_path / "uploads" / "abc123" / "photo.png"
    for path, message in ((tmp_path, "could not be read"), (gone, "was not found")):
        with pytest.raises(ImageError, match=message) as lib:
            load_image(str(path))
        for call in (lambda p=path: api.api_analyze(str(p), [688], "1,2,3,6"),
                     lambda p=path: inputs.analyze_image(dict(settings.DEFAULTS, image=str(p), state={}))):
            with pytest.raises(gr.Error) as app:
                call()
            assert str(lib.value) in app.value.message
            assert "Errno" not in app.value.message and str(tmp_path) not in app.value.message
            assert "abc123" not in app.value.message and "photo.png" not in app.value.message
