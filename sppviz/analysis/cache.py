"""Byte-capped LRU caches (conv5 maps, proposals, sessions, figure arrays), on top of cachetools.

cachetools gives the eviction order (least recently used first) and the time-to-live; this module
adds what the app needs around it: a cap on the number of entries *and* on the bytes held (conv5
maps of a 1200-px image are ~10 MB each, so a count alone would not bound memory), a lock (Gradio
calls handlers from several threads), and a TTL that restarts on every use, so an entry is dropped
only when nobody touched it for ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import cachetools


class _Store(cachetools.TLRUCache):
    """cachetools' TLRU cache with an entry cap on top of its size cap (``maxsize`` = bytes)."""

    def __init__(self, max_entries: int, max_bytes: int, sizeof: Callable[[Any], int], ttl: float | None,
                 timer: Callable[[], float]):
        self.max_entries = max_entries
        self.ttl = ttl
        super().__init__(max_bytes, ttu=self._expiry, timer=timer, getsizeof=sizeof)

    def _expiry(self, _key, _value, now: float) -> float:
        return float("inf") if self.ttl is None else now + self.ttl

    def __setitem__(self, key, value, cache_setitem=cachetools.TLRUCache.__setitem__):
        cache_setitem(self, key, value)
        while len(self) > self.max_entries:
            self.popitem()


class LRUCache:
    """A thread-safe LRU cache bounded by entries, by bytes (``sizeof(value)``) and optionally by time:
    entries unused for ``ttl`` seconds are dropped (every ``get`` or ``put`` restarts an entry's clock).

    ``timer`` is the clock in seconds (``time.monotonic``; tests pass their own). A value larger than
    ``max_bytes`` on its own is not stored."""

    def __init__(self, max_entries: int, max_bytes: int = 1 << 62, sizeof: Callable[[Any], int] = lambda v: 0,
                 ttl: float | None = None, timer: Callable[[], float] = time.monotonic):
        self._store = _Store(max_entries, max_bytes, lambda v: max(0, int(sizeof(v))), ttl, timer)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        """The value under ``key`` (and mark it used), or None."""
        with self._lock:
            value = self._store.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            if self._store.ttl is not None:
                self._store[key] = value  # restart its time to live
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` under ``key``, evicting the least recently used entries beyond the caps."""
        with self._lock:
            try:
                self._store[key] = value
            except ValueError:  # larger than the whole cache: keep nothing under this key
                self._store.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._store.expire()
            return len(self._store)

    @property
    def nbytes(self) -> int:
        """Bytes held (the sum of ``sizeof`` over the entries)."""
        with self._lock:
            self._store.expire()
            return int(self._store.currsize)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
