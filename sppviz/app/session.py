"""The server-side session store: one :class:`Workspace` per browser session, keyed by a random id
that the page's ``gr.State`` holds (with the selected window, drawn boxes and selected bin).

Sessions are dropped after ``SESSION_TTL_S`` unused (a visitor who left) or, least recently used
first, when the store holds ``SESSION_ENTRIES`` sessions or ``SESSION_BYTES`` bytes."""

from __future__ import annotations

import os

from sppviz.analysis.cache import LRUCache
from sppviz.analysis.pipeline import Analysis
from sppviz.analysis.workspace import Workspace
from sppviz.app.settings import fail

# Each holds conv5 maps and per-window scores (~100 MB for 2,000 windows, dominated by the pooled vectors).
SESSION_ENTRIES = int(os.environ.get("SPPVIZ_SESSIONS", "16"))
SESSION_BYTES = int(os.environ.get("SPPVIZ_SESSION_CACHE_MB", "1536")) * 2**20
SESSION_TTL_S = float(os.environ.get("SPPVIZ_SESSION_TTL_S", "1800"))
SESSIONS = LRUCache(SESSION_ENTRIES, SESSION_BYTES, sizeof=lambda w: w.nbytes, ttl=SESSION_TTL_S)
# small per-session facts: sid -> the image's file name (for the lesson handout); sid -> the last
# "why SPP" measurement (re-worded, not re-measured, when the language changes)
IMAGE_NAMES = LRUCache(256)
WHY_RESULTS = LRUCache(256)


def store(sid: str, base: Analysis, a: Analysis) -> Workspace:
    """Keep a new workspace for session ``sid``."""
    w = Workspace(base, a)
    SESSIONS.put(sid, w)
    return w


def touch(sid: str, w: Workspace) -> None:
    """Re-account a workspace whose analysis grew (new rules scored)."""
    SESSIONS.put(sid, w)


def workspace(state: dict, lang: str) -> Workspace:
    """The session's workspace, or the user error "press Analyze first"."""
    sid = (state or {}).get("sid")
    w = SESSIONS.get(sid) if sid else None
    if w is None:
        fail("err_no_analysis", lang)
    return w


def find(state: dict) -> Workspace | None:
    """The session's workspace, or None."""
    sid = (state or {}).get("sid")
    return SESSIONS.get(sid) if sid else None
