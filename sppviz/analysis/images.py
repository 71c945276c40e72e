"""Reading user images safely: EXIF orientation, any mode → 8-bit RGB, named size limits.

Every function returns / takes ``uint8`` arrays [H, W, 3] in RGB order.
"""

from __future__ import annotations

import io
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


def load_image(source) -> tuple[np.ndarray, list[str]]:
    """Decode a path, bytes or PIL image into uint8 RGB [H, W, 3]; returns (array, notices).

    Applies the EXIF orientation, takes the first frame of animations, flattens alpha onto
    white, converts any mode (palette, 16-bit, CMYK, grayscale) to 8-bit RGB, downscales images
    larger than ``MAX_WORKING_SIDE`` and upscales ones smaller than ``MIN_SIDE``."""
    notices: list[str] = []
    try:
        if isinstance(source, Image.Image):
            img = source
        else:
            data = source if isinstance(source, bytes | bytearray) else open(source, "rb").read()
            if not data:
                raise ImageError("The file is empty.")
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(io.BytesIO(data))
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
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # PIL's own bomb guard (raised from the header, before any pixel is decoded)
        raise ImageError(f"The image is too large to decode safely ({e}); the limit is "
                         f"{MAX_DECODE_PIXELS / 1e6:.0f} MP.") from None
    except UnidentifiedImageError as e:
        raise ImageError(f"This file is not an image that can be read ({type(e).__name__}).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ImageError(f"The image file is damaged or truncated ({e}).") from None
    if frames > 1:
        notices.append("Animated image: only the first frame is used.")
    img = _to_rgb(img)
    arr = np.array(img, dtype=np.uint8)  # a writable copy (torch.from_numpy needs one)
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
