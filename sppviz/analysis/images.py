"""Reading user images safely: EXIF orientation, any mode → 8-bit RGB, named size limits.

Every function returns / takes ``uint8`` arrays [H, W, 3] in RGB order.
"""

from __future__ import annotations

import io
import os
import re
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Decompression-bomb guard: refuse images that decode to more than this many pixels
# (a 16 GB Space can hold it, but conv5 at 5 scales of such an image cannot run interactively).
MAX_DECODE_PIXELS = 50_000_000
# Larger images are downscaled to this longer side before anything else (the pyramid's largest
# scale is 1200 for the shorter side, so nothing is lost for the method).
MAX_WORKING_SIDE = 2000
# conv5 of a ZF-5 / AlexNet trunk needs a few dozen pixels; smaller images are upscaled to this.
MIN_SIDE = 32


class ImageError(ValueError):
    """A user image that cannot be used; the message is meant for the user."""


def _reason(e: BaseException) -> str:
    """A decoder's complaint, short and without server paths or errno text (the user sees it)."""
    text = " ".join(str(e).split())
    if not text or "Errno" in text or "/" in text or "\\" in text:
        return type(e).__name__
    return text if len(text) <= 80 else text[:79] + "…"


def _read(source: str | os.PathLike) -> bytes:
    try:
        with open(source, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ImageError("The image file was not found (uploads are kept for a limited time: "
                         "upload it again).") from None
    except OSError:  # a directory, no permission ...: never echo the path or the errno text
        raise ImageError("The image file could not be read.") from None


def _bomb_message(e: BaseException) -> str:
    m = re.search(r"\((\d+) pixels\)", str(e))
    claimed = f" claims {int(m.group(1)) / 1e6:.0f} MP;" if m else " is too large to decode safely;"
    return f"The image{claimed} the limit is {MAX_DECODE_PIXELS / 1e6:.0f} MP."


def load_image(source: str | os.PathLike | bytes | bytearray | Image.Image) -> tuple[np.ndarray, list[str]]:
    """Decode a path, bytes or PIL image into uint8 RGB [H, W, 3]; returns (array, notices).

    The size is checked from the header (``Image.open`` reads only the header) before any pixel is
    decoded: more than ``MAX_DECODE_PIXELS`` is refused. Then applies the EXIF orientation, takes the
    first frame of animations, flattens alpha onto white, converts any mode (palette, 16-bit scaled by
    its maximum, CMYK, grayscale) to 8-bit RGB, downscales images larger than ``MAX_WORKING_SIDE`` and
    upscales ones smaller than ``MIN_SIDE``. Every failure is an :class:`ImageError` whose message is
    short and holds no server path or errno text."""
    notices: list[str] = []
    try:
        if isinstance(source, Image.Image):
            img = source
        else:
            data = source if isinstance(source, bytes | bytearray) else _read(source)
            if not data:
                raise ImageError("The file is empty.")
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(data))  # the header only
        w, h = img.size
        if w * h > MAX_DECODE_PIXELS:
            raise ImageError(f"The image is {w}×{h} = {w * h / 1e6:.0f} MP; the limit is "
                             f"{MAX_DECODE_PIXELS / 1e6:.0f} MP.")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img.seek(0)
            img.load()
            frames = getattr(img, "n_frames", 1)  # exif_transpose returns a copy without frames
            img = ImageOps.exif_transpose(img)
            img = _to_rgb(img)
            arr = np.array(img, dtype=np.uint8)  # a writable copy (torch.from_numpy needs one)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # PIL's own bomb guard (raised from the header, before any pixel is decoded)
        raise ImageError(_bomb_message(e)) from None
    except UnidentifiedImageError as e:
        raise ImageError(f"This file is not an image that can be read ({type(e).__name__}).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageError(f"The image file is damaged or truncated ({_reason(e)}).") from None
    except MemoryError:
        raise ImageError("The image is too large to decode here.") from None
    except Exception as e:  # crafted files make decoders raise anything (struct.error, IndexError ...)
        raise ImageError(f"The image file could not be decoded ({type(e).__name__}).") from None
    if frames > 1:
        notices.append("Animated image: only the first frame is used.")
    return _fit_size(arr, notices), notices


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        hi = a.max() if a.size and a.max() > 0 else 1.0
        img = Image.fromarray((a * (255.0 / hi)).clip(0, 255).astype(np.uint8))
    elif img.mode == "F":
        a = np.asarray(img, dtype=np.float64)
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 1.0)
        img = Image.fromarray(((a - lo) * (255.0 / max(hi - lo, 1e-12))).astype(np.uint8))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    return img.convert("RGB")


def _fit_size(arr: np.ndarray, notices: list[str]) -> np.ndarray:
    import cv2

    h, w = arr.shape[:2]
    if max(h, w) > MAX_WORKING_SIDE:
        f = MAX_WORKING_SIDE / max(h, w)
        arr = cv2.resize(arr, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        notices.append(f"Large image {w}×{h} downscaled to {arr.shape[1]}×{arr.shape[0]} "
                       f"(working limit {MAX_WORKING_SIDE} px).")
    h2, w2 = arr.shape[:2]
    if min(h2, w2) < MIN_SIDE:
        f = MIN_SIDE / min(h2, w2)
        if max(h2, w2) * f > MAX_WORKING_SIDE:
            raise ImageError(f"The image is {w2}×{h2}: too thin to analyse (aspect ratio above "
                             f"{MAX_WORKING_SIDE // MIN_SIDE}:1).")
        arr = cv2.resize(arr, (round(w2 * f), round(h2 * f)), interpolation=cv2.INTER_NEAREST)
        notices.append(f"Small image {w2}×{h2} upscaled to {arr.shape[1]}×{arr.shape[0]} "
                       f"(minimum side {MIN_SIDE} px).")
    return np.ascontiguousarray(arr)
