"""Handlers that show their results in steps: a generator handler yields partial outputs, and the page
shows each as soon as it is ready (Gradio streams a generator's yields to the page).

``stream(reads=…, outputs=…)`` declares a generator handler like ``events.handler`` declares a plain one:
it parses the settings once, and runs every step of the generator inside ``events.handler``'s own error
handling, so a bad input or a failure at any step reaches the user as the same short message.
``spec(C, h, kind)`` is ``events.spec`` for such a handler: the same inputs, outputs and event options
(raw values, the heavy slot and its time budget for ``concurrency_id=limits.HEAVY``), with a generator
as the event's function. Analyze uses it: the pyramid and conv5 panels come while the windows are
still being found and scored.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import gradio as gr

from sppviz.app import events, limits
from sppviz.app.gate import user_error
from sppviz.app.settings import Settings, UserError, components_of
from sppviz.i18n import pick_lang

_DONE = object()


def stream(*, reads: tuple[str, ...], outputs: tuple[str, ...]) -> Callable:
    """Declare a generator handler ``fn(s: Settings, **kw) -> Iterator[dict]`` (each dict: output name →
    value, a subset of ``outputs``). The decorated handler takes raw component values (or a Settings) like
    any handler and returns an iterator of those dicts."""

    def deco(gen_fn: Callable[..., Iterator[dict]]) -> Callable[..., Iterator[dict]]:
        @events.handler(reads=reads, outputs=outputs)
        def start(s: Settings, **kw) -> Iterator[dict]:  # parses the settings; nothing of gen_fn runs yet
            return gen_fn(s, **kw)

        @events.handler(reads=(), outputs=outputs)
        def step(s: Settings, it: Iterator[dict] | None = None) -> Any:  # one step, errors as any handler's
            return next(it, _DONE)

        @functools.wraps(gen_fn)
        def wrapped(v: Mapping[str, Any] | Settings, lang: str = "en", **kw) -> Iterator[dict]:
            it = start(v, lang, **kw)
            parsed = Settings(lang=lang)  # step needs no settings of its own (it resumes the generator)
            while (out := step(parsed, lang, it=it)) is not _DONE:
                yield out

        wrapped.reads, wrapped.outputs = start.reads, start.outputs
        return wrapped
    return deco


def spec(C: dict, h: Callable, kind: str = "plain", **kw) -> dict:
    """The keyword arguments of a Gradio event that runs the generator handler ``h`` (``stream``), each
    yield sent to the page as it comes. ``kind``: "plain" or "progress" (passes a ``gr.Progress``, wrapped
    in the heavy slot's budget for a heavy event, as ``events.spec`` does)."""
    if kind not in ("plain", "progress") or {"args", "adapt", "when_analyzed"} & kw.keys():
        raise TypeError("progressive.spec supports kind 'plain' / 'progress' and no args, adapt or when_analyzed")
    ev = events.spec(C, h, kind, **kw)  # inputs, outputs and the event options, as for a plain handler
    by_id = {id(C[n]): n for n in components_of(h.reads)}
    heavy = ev.get("concurrency_id") == limits.HEAVY

    def run(data: dict, request: gr.Request | None, **extra) -> Iterator[dict]:
        raw = {by_id[id(c)]: v for c, v in data.items() if id(c) in by_id}
        lang = raw.get("lang")
        lang = pick_lang(lang if isinstance(lang, str) else None, request)
        slot = (limits.heavy(h.__name__.replace("_", " "), getattr(request, "session_hash", None),
                             extra.get("progress")) if heavy else contextlib.nullcontext(extra.get("progress")))
        try:
            with slot as budget:
                if "progress" in extra:
                    extra["progress"] = budget
                for out in h(raw, lang, **extra):
                    if out:
                        yield {C[k]: out[k] for k in h.outputs if k in out}
        except UserError as e:  # no slot free in time (the handler's own errors are gr.Errors already)
            raise user_error(str(e)) from None

    if kind == "progress":
        def fn(data: dict, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
            yield from run(data, request, progress=progress)
    else:
        def fn(data: dict, request: gr.Request):
            yield from run(data, request)
    fn.sppviz_handler = h
    ev["fn"] = fn
    return ev
