"""Output buffers of spatial pyramid pooling: large CPU tensors backed by 2 MB pages, and a pool of them
lent out and taken back (``OutputBuffers``), so that repeated pooling passes write into memory in use.

2,000 windows x 12,800 floats (ZF-5 conv5, levels {1, 2, 3, 6}) are 102 MB. Writing them into fresh 4 KB
pages costs ~25,000 page faults (tens of ms on a small VM, about the pooling's own time); with
transparent huge pages ~50; into a buffer already in use, none.
"""

import contextlib
import math
import mmap
import threading
from collections.abc import Iterator, Sequence

import numpy as np
import torch


def empty_buffer(shape: Sequence[int], dtype: torch.dtype, device: torch.device | str,
                 huge_from: int = 1 << 24) -> torch.Tensor:
    """torch.empty(shape), except that large CPU buffers are backed by 2 MB pages.

    A 2,000-window SPP output is 100 MB: with 4 KB pages its first write costs 25,000 page
    faults, which on this kind of VM took longer (~70 ms) than the pooling itself. An anonymous
    mmap with madvise(MADV_HUGEPAGE) (Linux transparent huge pages) makes that ~50 faults.
    Falls back to torch.empty where that is not available."""
    nbytes = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
    if torch.device(device).type != "cpu" or nbytes < huge_from or not hasattr(mmap, "MADV_HUGEPAGE"):
        return torch.empty(shape, dtype=dtype, device=device)
    try:
        np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        buf.madvise(mmap.MADV_HUGEPAGE)
    except (TypeError, OSError, ValueError):  # no numpy dtype (bfloat16), or no THP
        return torch.empty(shape, dtype=dtype, device=device)
    return torch.from_numpy(np.frombuffer(buf, dtype=np_dtype).reshape(shape))  # keeps buf alive


class OutputBuffers:
    """Output buffers lent to ``spatial_pyramid_pool(..., out=...)`` and taken back, so that repeated pooling
    passes (every analysis, every change of rule) write into memory already in use: writing 102 MB into
    fresh pages costs a page fault per page, into pages in use only the memory traffic.

    ``take(shape, dtype, device)`` lends a contiguous [K, D] view of a CPU buffer of at least K * D
    elements (2 MB pages where the system has them, ``empty_buffer``) for the duration of a ``with`` block; at most
    ``keep`` idle buffers are kept (the largest), and a request larger than ``max_bytes`` gets a buffer of
    its own that is not kept. On other devices it is ``torch.empty``. Thread-safe: each block gets its own
    buffer."""

    def __init__(self, keep: int = 2, max_bytes: int = 1 << 28):
        self.keep, self.max_bytes = int(keep), int(max_bytes)
        self._idle: list[torch.Tensor] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def take(self, shape: tuple[int, int], dtype: torch.dtype, device: torch.device | str = "cpu"
             ) -> Iterator[torch.Tensor]:
        n = math.prod(shape)
        if torch.device(device).type != "cpu":
            yield torch.empty(shape, dtype=dtype, device=device)
            return
        with self._lock:
            fits = [i for i, b in enumerate(self._idle) if b.dtype == dtype and b.numel() >= n]
            buf = self._idle.pop(min(fits, key=lambda i: self._idle[i].numel())) if fits else None
        if buf is None:
            with torch.inference_mode(False):  # a normal tensor: later in-place writes are allowed anywhere
                buf = empty_buffer((n,), dtype, "cpu", huge_from=0)
        try:
            yield buf[:n].view(shape)
        finally:
            if buf.numel() * buf.element_size() <= self.max_bytes:
                with self._lock:
                    self._idle.append(buf)
                    self._idle.sort(key=torch.Tensor.numel, reverse=True)
                    del self._idle[self.keep:]

    def clear(self) -> None:
        """Drop the idle buffers (their memory goes back to the system)."""
        with self._lock:
            self._idle.clear()

    @property
    def nbytes(self) -> int:
        """Bytes held by the idle buffers."""
        with self._lock:
            return sum(b.numel() * b.element_size() for b in self._idle)
