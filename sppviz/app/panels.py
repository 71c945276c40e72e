"""Figures to files, and every file the app keeps on disk, under byte caps.

The page gets a file path per panel (JPEG), the export buttons get ZIPs. Panels are encoded here as JPEG
(quality 92, 4:4:4) because Gradio's own PNG / WebP encoding of a 1000-px photo panel costs 150–500 ms on
2 CPU cores, JPEG 1–6 ms; "Export" writes lossless PNGs.

One copy of each file: panels and exports are written inside Gradio's upload folder
(``gradio.utils.get_upload_folder()/sppviz``), which Gradio serves as it is (a returned path outside it is
copied into it, so every panel was stored twice). Files are named by their content's hash (the same panel
again is one file) and pruned oldest first to ``PANEL_BYTES``; the uploads Gradio keeps (the same folder,
outside ``sppviz/``) are pruned oldest first to ``UPLOAD_BYTES`` (room is made before an upload arrives).
A file younger than ``MIN_KEEP_S`` (the page may not have fetched it yet) is pruned only when deleting every
older one is not enough: the caps hold.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from gradio import utils as gr_utils

from sppviz.model.weights import cores

JPEG_QUALITY = 92
# OpenCV encodes without Python's lock, so the panels of one event are encoded side by side (a window click's
# four: 28 → 21 ms on 2 cores); one pool for the whole app, as many threads as cores.
ENCODERS = ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="sppviz-encode")
AGE_CHECK_S = 1.0  # files past their age are looked for at most this often
# Uploads above this are refused by Gradio before they reach us: a 50 MP photo is ~25 MB as JPEG,
# and images.MAX_DECODE_PIXELS refuses more pixels than that anyway.
MAX_UPLOAD_BYTES = 25 * 2**20
# Panels and exports on disk. One analysis writes ~0.4 MB of panels, a lesson ZIP ~10 MB.
PANEL_BYTES = int(float(os.environ.get("SPPVIZ_PANEL_MB", "256")) * 2**20)
# Uploads on disk (Gradio keeps them for its delete_cache age): ten 25 MB uploads, and the per-visitor
# budget (gate.UPLOAD_BUDGET_BYTES) keeps one visitor from filling it alone.
UPLOAD_BYTES = int(float(os.environ.get("SPPVIZ_UPLOAD_MB", "256")) * 2**20)
MIN_KEEP_S = 60.0
PANEL_MAX_AGE_S = 1800  # older panels and ZIPs are deleted too (a page that old re-renders anyway)
SUBDIR = "sppviz"


def panel_dir() -> Path:
    """The folder of the app's own files, inside Gradio's upload folder (so Gradio serves them uncopied)."""
    return Path(gr_utils.get_upload_folder()) / SUBDIR


class Store:
    """The files of one folder with their sizes, pruned oldest first to ``cap`` bytes (thread-safe).
    ``files()`` lists what the folder holds (re-read every ``rescan_s`` seconds, since others write there)."""

    def __init__(self, cap: int, files, rescan_s: float = 30.0, clock=time.time):
        self.cap, self._files, self.rescan_s, self.clock = cap, files, rescan_s, clock
        self._index: dict[str, tuple[int, float]] = {}
        self._total = 0  # the bytes of _index, kept as files come and go
        self._scanned = self._aged = -1e18  # when the folder was last listed; when ages were last checked
        self._lock = threading.Lock()

    def _scan(self, now: float) -> None:
        if now - self._scanned < self.rescan_s:
            return
        index = {}
        for p in self._files():
            try:
                st = p.stat()
            except OSError:
                continue
            index[str(p)] = (st.st_size, st.st_mtime)
        self._index, self._scanned = index, now
        self._total = sum(s for s, _ in index.values())

    def add(self, path: Path | str, size: int) -> None:
        """Count a file that was just written (or used again: it becomes the newest)."""
        with self._lock:
            old = self._index.get(str(path))
            self._index[str(path)] = (int(size), self.clock())
            self._total += int(size) - (old[0] if old else 0)

    def total(self) -> int:
        with self._lock:
            self._scan(self.clock())
            return self._total

    def prune(self, protected: frozenset[str] = frozenset(), max_age_s: float | None = None, reserve: int = 0) -> int:
        """Delete the oldest files until the folder holds at most ``cap - reserve`` bytes (and, with
        ``max_age_s``, every file older than that); never one in ``protected``. Files younger than MIN_KEEP_S
        (the page may not have fetched them yet) go only when deleting every older one was not enough, so
        the cap holds. Returns the bytes deleted."""
        with self._lock:
            now = self.clock()
            self._scan(now)
            total = self._total
            target = self.cap - max(0, int(reserve))
            # under the cap, and ages checked within AGE_CHECK_S: nothing to delete (every panel write asks;
            # sorting thousands of files each time cost ~1.3 ms per panel)
            if total <= target and (max_age_s is None or now - self._aged < AGE_CHECK_S):
                return 0
            if max_age_s is not None:
                self._aged = now
            freed = 0
            by_age = sorted(self._index.items(), key=lambda kv: kv[1][1])
            for young in (False, True):  # the older files first; the young ones only as a last resort
                for path, (size, mtime) in by_age:
                    if path not in self._index or path in protected or (now - mtime < MIN_KEEP_S) != young:
                        continue
                    old = max_age_s is not None and now - mtime > max_age_s
                    if total - freed <= target and not old:
                        continue
                    try:
                        os.unlink(path)
                    except FileNotFoundError:
                        pass
                    except OSError:
                        continue
                    del self._index[path]
                    self._total -= size
                    freed += size
            return freed


def _own_files() -> list[Path]:
    d = panel_dir()
    return [p for p in d.iterdir() if p.is_file()] if d.is_dir() else []


def _upload_files() -> list[Path]:
    """Every file in Gradio's upload folder outside the app's own folder: uploads, their orphaned partial
    files (an upload cut off mid-way leaves one behind) and the examples' copies (protected)."""
    root = Path(gr_utils.get_upload_folder())
    if not root.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and SUBDIR in dirnames:
            dirnames.remove(SUBDIR)
        out.extend(Path(dirpath) / f for f in filenames)
    return out


PANELS = Store(PANEL_BYTES, _own_files)
UPLOADS = Store(UPLOAD_BYTES, _upload_files, rescan_s=0.0)
_PROTECTED: dict[str, frozenset[str]] = {"uploads": frozenset()}


def protect_existing_uploads() -> None:
    """Never prune the files already in the upload folder now (the examples' copies made when the page was
    built)."""
    _PROTECTED["uploads"] = frozenset(str(p) for p in _upload_files())


def prune_uploads(reserve: int = 0) -> int:
    """Prune the uploads to UPLOAD_BYTES - ``reserve`` (room for an upload about to arrive), oldest first.
    Returns the bytes deleted."""
    freed = UPLOADS.prune(_PROTECTED["uploads"], reserve=reserve)
    # partial files of uploads that were cut off (Gradio leaves them at the folder's top level)
    root = Path(gr_utils.get_upload_folder())
    now = time.time()
    for p in root.glob("tmp*"):
        try:
            if p.is_file() and now - p.stat().st_mtime > PANEL_MAX_AGE_S:
                p.unlink()
        except OSError:
            pass
    return freed


def storage_bytes() -> dict[str, int]:
    """Bytes on disk now: {"panels": the app's files, "uploads": everything else in Gradio's upload folder}."""
    return {"panels": sum(p.stat().st_size for p in _own_files()),
            "uploads": sum(p.stat().st_size for p in _upload_files() if p.exists())}


def _write(data: bytes, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # the same content again: mark it fresh, or the pruning may delete it right away
        os.utime(path)
    except FileNotFoundError:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    PANELS.add(path, len(data))
    PANELS.prune(max_age_s=PANEL_MAX_AGE_S)
    return str(path)


def store_bytes(data: bytes, name: str) -> str:
    """Keep ``data`` as a file named by its content's hash and ``name``'s extension (an export's ZIP, a
    figure); returns its path. The same content again is the same file."""
    ext = name.rpartition(".")[2] or "bin"
    stem = name.rpartition(".")[0] or "file"
    return _write(data, panel_dir() / f"{stem}_{hashlib.blake2b(data, digest_size=8).hexdigest()}.{ext}")


def store_as(data: bytes, name: str) -> str:
    """Keep ``data`` as the file ``name`` in the app's folder (a name that already says what the content is,
    e.g. a lesson ZIP named by its key); returns its path."""
    return _write(data, panel_dir() / name)


def reuse(name: str) -> str | None:
    """The path of a kept file named ``name`` (as ``store_bytes`` named it) if it is still on disk, marked
    as used now; else None."""
    path = panel_dir() / name
    try:
        os.utime(path)
    except OSError:
        return None
    PANELS.add(path, path.stat().st_size)
    return str(path)


def encode_panel(arr: np.ndarray) -> str:
    """Write a uint8 RGB panel [H, W, 3] as JPEG (no chroma subsampling: thin coloured lines and text
    stay crisp) and return its path."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(arr, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY,
                            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB array
        raise RuntimeError("could not encode a panel")
    data = buf.tobytes()
    return _write(data, panel_dir() / f"{hashlib.blake2b(data, digest_size=12).hexdigest()}.jpg")


def encode_all(out: dict[str, Any]) -> dict[str, Any]:
    """Every array among the outputs as a panel file (side by side in ``ENCODERS`` when there are several);
    everything else unchanged, in the same order."""
    arrays = [k for k, v in out.items() if isinstance(v, np.ndarray)]
    if len(arrays) < 2:
        return {k: (encode_panel(v) if isinstance(v, np.ndarray) else v) for k, v in out.items()}
    paths = dict(zip(arrays, ENCODERS.map(encode_panel, [out[k] for k in arrays]), strict=True))
    return {k: paths.get(k, v) for k, v in out.items()}


def new_file(name: str) -> Path:
    """A fresh path in the app's folder for an export (``name`` gets a random suffix before its extension);
    call :func:`kept` once it is written, so that it counts against PANEL_BYTES."""
    d = panel_dir()
    d.mkdir(parents=True, exist_ok=True)
    stem, _, ext = name.rpartition(".")
    return d / f"{stem}_{uuid.uuid4().hex[:6]}.{ext}"


def kept(path: Path | str) -> str:
    """Count a file written at a ``new_file`` path against PANEL_BYTES (and prune); returns its path."""
    PANELS.add(path, Path(path).stat().st_size)
    PANELS.prune(max_age_s=PANEL_MAX_AGE_S)
    return str(path)
