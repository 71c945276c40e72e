"""Uploads through the page reach the library untouched (issue 17, finding 2): the same checks and messages
as through the API, the decode limit checked from the header, 16-bit and transparent images as the
library reads them, and the preview still shows the upload."""

import io
import struct
import time
import zipfile
import zlib

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from sppviz.analysis.images import load_image
from sppviz.app import api, session

from .conftest import open_page, open_settings

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _bomb() -> bytes:
    data = bytearray(_png(Image.new("L", (8, 8))))
    data[16:24] = struct.pack(">II", 30000, 30000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "hello")
    return buf.getvalue()


def _big_text_chunk() -> bytes:
    png = _png(Image.new("RGB", (64, 48), (0, 90, 0)))
    return png[:33] + _chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"x" * (8 * 2**20))) + png[33:]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("uploads")
    ramp = np.tile(np.linspace(0, 40000, 320), (160, 1)).astype(np.uint16)  # 16-bit grey, max 40000
    Image.fromarray(ramp).save(d / "ramp16.png")
    rgba = np.zeros((120, 160, 4), np.uint8)  # transparent black, an opaque red square
    rgba[40:80, 60:100] = (220, 20, 20, 255)
    Image.fromarray(rgba, "RGBA").save(d / "transparent.png")
    (d / "notes.png").write_bytes(b"hello, this is a text file\n" * 20)
    (d / "doc.png").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")
    (d / "archive.png").write_bytes(_zip())
    (d / "bomb.png").write_bytes(_bomb())
    (d / "text_chunk.png").write_bytes(_big_text_chunk())
    big = _png(Image.new("L", (9000, 9000), 128))  # 81 MP, a few hundred kB
    (d / "81mp.png").write_bytes(big)
    (d / "81mp.webp").write_bytes(big)
    return d


@pytest.fixture(scope="module")
def page(browser, app_url):
    errors: list = []
    p = open_page(browser, app_url, errors)
    yield p
    p.close()
    # a broken preview of a non-image is the browser's to show; a script error is not
    assert not [e for e in errors if e.startswith("pageerror")], errors


@pytest.fixture
def analysed(monkeypatch):
    """The image each Analyze stores for its session (the app runs in this process)."""
    seen = {}
    store = session.store

    def spy(sid, base, a, **kw):
        seen["image"] = a.image.copy()
        return store(sid, base, a, **kw)

    monkeypatch.setattr(session, "store", spy)
    return seen


def upload(page, path) -> None:
    open_settings(page)  # the settings (the image among them) fold once an analysis arrives
    remove = page.locator("#input-image button[aria-label='Remove Image']")
    if remove.count():
        remove.first.click()
    page.locator("#input-image input[type=file]").set_input_files(str(path))
    page.wait_for_selector("#input-image img", timeout=TIMEOUT)


def analyze_message(page, message: str) -> tuple[str, float]:
    """Press Analyze; the text of the toast that says ``message`` and the seconds it took (the toasts from
    before are closed first)."""
    has = f"() => [...document.querySelectorAll('.toast-body')].some(t => t.innerText.includes({message!r}))"
    page.evaluate("() => document.querySelectorAll('.toast-close').forEach(b => b.click())")
    page.wait_for_function(f"() => !({has})()", timeout=TIMEOUT)
    t0 = time.perf_counter()
    page.click("#analyze-btn")
    page.wait_for_function(has, timeout=TIMEOUT)
    seconds = time.perf_counter() - t0
    bodies = page.locator(".toast-body")
    texts = [bodies.nth(i).inner_text() for i in range(bodies.count())]
    return next(t for t in texts if message in t), seconds


def analyze_ok(page, analysed: dict) -> None:
    """Press Analyze and wait until the analysis is stored and the page shows its status."""
    analysed.clear()
    page.click("#analyze-btn")
    deadline = time.time() + TIMEOUT / 1000
    while "image" not in analysed and time.time() < deadline:
        page.wait_for_timeout(100)
    assert "image" in analysed
    page.wait_for_function("() => /\\d+ windows ·/.test(document.querySelector('#status').innerText) && "
                           "!document.querySelector('#status .progress-text, #status .eta-bar')", timeout=TIMEOUT)


def test_a_16_bit_image_is_scaled_as_the_library_scales_it(page, files, analysed):
    upload(page, files / "ramp16.png")
    w = page.evaluate("() => document.querySelector('#input-image img').naturalWidth")
    assert w == 320  # the preview shows the upload
    analyze_ok(page, analysed)
    lib, _ = load_image(str(files / "ramp16.png"))
    assert np.array_equal(analysed["image"], lib)
    assert abs(analysed["image"].mean() - 127.5) < 1.0  # Gradio's RGB conversion made it near white (~250)


def test_a_transparent_background_is_white(page, files, analysed):
    upload(page, files / "transparent.png")
    analyze_ok(page, analysed)
    img = analysed["image"]
    assert img[0, 0].tolist() == [255, 255, 255] and img[60, 80].tolist() == [220, 20, 20]
    assert np.array_equal(img, load_image(str(files / "transparent.png"))[0])


BAD = [("notes.png", "not an image that can be read"), ("doc.png", "not an image that can be read"),
       ("archive.png", "not an image that can be read"), ("bomb.png", "claims 900 MP; the limit is 50 MP"),
       ("text_chunk.png", "damaged or truncated"), ("81mp.png", "9000×9000 = 81 MP; the limit is 50 MP"),
       ("81mp.webp", "9000×9000 = 81 MP; the limit is 50 MP")]


@pytest.mark.parametrize("name, message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_upload_gets_the_api_s_message(page, files, name, message):
    with pytest.raises(gr.Error) as e:
        api.api_analyze(str(files / name), [688], "1,2,3,6")
    assert message in e.value.message
    upload(page, files / name)
    text, seconds = analyze_message(page, e.value.message)
    assert e.value.message in text, text
    assert "Error" == text.split("\n")[0].strip() and len(text) < 300  # the title, then the message
    if name.startswith("81mp"):
        assert seconds < 5.0  # refused from the header: nothing is decoded
