"""Handlers and their wiring: ``@handler(reads=…, outputs=…)`` declares what a handler reads and
writes; :func:`spec` turns that declaration into an event's inputs and outputs.

A handler is a plain function ``fn(s: Settings, **kw) -> dict`` (output name → value), testable
without a browser: call it with a dict of component values, or with a Settings. Bad input becomes
a ``gr.Error`` with a clear message (never a traceback); the page shows it as a toast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr

from sppviz.analysis.images import ImageError
from sppviz.app.settings import Settings, UserError, components_of
from sppviz.i18n import pick_lang, t

QUIET = {"api_visibility": "private", "show_progress": "hidden", "trigger_mode": "always_last"}


def handler(*, reads: tuple[str, ...], outputs: tuple[str, ...]) -> Callable:
    """Declare a handler: the settings it reads and the outputs it may return (a subset each time)."""
    reads = tuple(dict.fromkeys(("lang", *reads)))

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(v: Mapping[str, Any] | Settings, lang: str = "en", **kw):
            try:
                s = v if isinstance(v, Settings) else Settings.parse(v, reads, lang)
                return fn(s, **kw)
            except gr.Error:
                raise
            except UserError as e:
                raise gr.Error(str(e)) from None
            except (ValueError, ImageError, FileNotFoundError) as e:
                raise gr.Error(t("err_prefix", lang, msg=str(e))) from None

        wrapped.reads, wrapped.outputs = reads, tuple(outputs)
        return wrapped
    return deco


def spec(C: dict, h: Callable, kind: str = "plain", **kw) -> dict:
    """The keyword arguments of a Gradio event (``fn``, ``inputs``, ``outputs`` and ``kw``) that runs
    handler ``h``: the inputs are exactly the components of the settings ``h`` reads. ``kind``:
    "plain"; "select" (passes the click's ``point=evt.index``); "row" (``row=evt.row_value``);
    "progress" (passes a ``gr.Progress``). Extra handler arguments go in ``kw["args"]``; ``kw["adapt"]``
    turns a handler's value that is not a dict of outputs (an export's file path) into one."""
    args = kw.pop("args", {})
    adapt = kw.pop("adapt", None)
    names = components_of(h.reads)
    by_id = {id(C[n]): n for n in names}

    def run(data: dict, request: gr.Request | None, **extra) -> dict:
        raw = {by_id[id(c)]: v for c, v in data.items() if id(c) in by_id}
        out = h(raw, pick_lang(raw.get("lang"), request), **args, **extra)
        if adapt is not None:
            out = adapt(out)
        return {C[k]: out[k] for k in h.outputs if k in out}

    if kind == "select":
        def fn(data: dict, evt: gr.SelectData, request: gr.Request):
            return run(data, request, point=evt.index)
    elif kind == "row":
        def fn(data: dict, evt: gr.SelectData, request: gr.Request):
            return run(data, request, row=evt.row_value)
    elif kind == "progress":
        def fn(data: dict, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
            return run(data, request, progress=progress)
    else:
        def fn(data: dict, request: gr.Request):
            return run(data, request)
    fn.sppviz_handler = h
    return {"fn": fn, "inputs": {C[n] for n in names}, "outputs": [C[k] for k in h.outputs], **kw}
