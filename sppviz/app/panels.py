"""Figures to files: the page gets a file path per panel (JPEG), the export buttons get ZIPs.

Panels are encoded here as JPEG (quality 92, 4:4:4) because Gradio's own PNG / WebP encoding of a
1000-px photo panel costs 150–500 ms on 2 CPU cores, JPEG 1–6 ms; "Export" writes lossless PNGs.
Files are named by their content's hash (the same panel again is one file) and pruned by age."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import numpy as np

JPEG_QUALITY = 92
PANEL_DIR = Path(tempfile.gettempdir()) / "sppviz-panels"
PANEL_MAX_AGE_S = 1800  # older panels and ZIPs are deleted (a page that old re-renders anyway)
PRUNE_EVERY_S = 120
_PRUNE = {"last": 0.0}
_PRUNE_LOCK = threading.Lock()


def prune_panels() -> None:
    """Delete panels older than PANEL_MAX_AGE_S (at most every PRUNE_EVERY_S)."""
    now = time.time()
    with _PRUNE_LOCK:
        if now - _PRUNE["last"] < PRUNE_EVERY_S:
            return
        _PRUNE["last"] = now
    for p in PANEL_DIR.glob("*"):
        try:
            if now - p.stat().st_mtime > PANEL_MAX_AGE_S:
                p.unlink()
        except OSError:
            pass


def encode_panel(arr: np.ndarray) -> str:
    """Write a uint8 RGB panel [H, W, 3] as JPEG (no chroma subsampling: thin coloured lines and text
    stay crisp) and return its path."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB array
        raise RuntimeError("could not encode a panel")
    data = buf.tobytes()
    PANEL_DIR.mkdir(parents=True, exist_ok=True)
    path = PANEL_DIR / f"{hashlib.blake2b(data, digest_size=12).hexdigest()}.jpg"
    try:  # the same panel again: mark it fresh, or the age-based pruning may delete it right away
        os.utime(path)
    except FileNotFoundError:
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    prune_panels()
    return str(path)


def encode_all(out: dict[str, Any]) -> dict[str, Any]:
    """Every array among the outputs as a panel file; everything else unchanged."""
    return {k: (encode_panel(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}


def new_file(name: str) -> Path:
    """A fresh path in the panel folder for an export (``name`` gets a random suffix before its extension)."""
    PANEL_DIR.mkdir(parents=True, exist_ok=True)
    stem, _, ext = name.rpartition(".")
    return PANEL_DIR / f"{stem}_{uuid.uuid4().hex[:6]}.{ext}"
