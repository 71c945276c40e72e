"""Handlers and their wiring: ``@handler(reads=…, outputs=…)`` declares what a handler reads and
writes; :func:`spec` turns that declaration into an event's inputs and outputs.

A handler is a plain function ``fn(s: Settings, **kw) -> dict`` (output name → value), testable
without a browser: call it with a dict of component values, or with a Settings. Bad input becomes
a ``gr.Error`` with a short message naming the parameter (``schema``), logged as one line and never
with a traceback; the page shows it as a toast.

A light event (``QUIET``: outside Gradio's queue) that fails answers with its message in the NOTICE output, which
a queued relay raises again as the page's error toast (``relay_notice``).

Events take the raw component values (``preprocess=False``): :meth:`Settings.parse` is the one place
they become typed values (Gradio's own checks echoed whole inputs, or failed with a bare "Error").
Heavy events (``concurrency_id=limits.HEAVY``) run inside ``limits.heavy``: one of the app's heavy
slots, and a time budget that also stops a request nobody waits for any more. Light events (``QUIET``) run
outside Gradio's queue, inside ``limits.light``.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import gradio as gr

from sppviz.analysis.images import ImageError
from sppviz.app import limits, schema, session
from sppviz.app.gate import user_error
from sppviz.app.settings import MAX_WINDOW_INDEX, Settings, UserError, components_of
from sppviz.i18n import pick_lang, t

# Light events: private, no progress overlay, the last of a burst of inputs, and outside Gradio's queue (the page
# posts them to /gradio_api/run/predict and has the answer in one round trip; the queue's join, event stream and
# scheduling added 50-65 ms to each). They cannot stream or report progress; ``limits.light`` bounds them.
QUIET = {"api_visibility": "private", "show_progress": "hidden", "trigger_mode": "always_last", "queue": False}
# Steps that run in the page only (``fn=None``, a ``js`` function): private, no progress, no request.
JS_ONLY = {"api_visibility": "private", "show_progress": "hidden", "queue": False}
# The page shows no message for an event outside the queue that fails (Gradio 6 drops it, and answers HTTP 500):
# a light event's gr.Error comes back as this output instead (JSON: the message and a serial number), and a
# queued event on its change raises it again, which the page shows as Gradio's own error toast.
NOTICE = "notice"
# A light event's .success chain still runs after its failure (the page saw an answer): the chained events'
# same message to the same session within this many seconds is not sent again (one toast, not three).
NOTICE_REPEAT_S = 3.0
LOG = logging.getLogger("sppviz")
_SERIAL = itertools.count(1)
_SENT: dict[str, tuple[str, float]] = {}  # session -> (the last message sent, when)
_SENT_LOCK = threading.Lock()


def handler(*, reads: tuple[str, ...], outputs: tuple[str, ...]) -> Callable:
    """Declare a handler: the settings it reads and the outputs it may return (a subset each time); every
    handler may also send a message (:data:`NOTICE`, filled in by :func:`spec` for a light event's error)."""
    reads = tuple(dict.fromkeys(("lang", *reads)))
    outputs = tuple(dict.fromkeys((*outputs, NOTICE)))

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapped(v: Mapping[str, Any] | Settings, lang: str = "en", **kw):
            try:
                s = v if isinstance(v, Settings) else Settings.parse(v, reads, lang)
                return fn(s, **kw)
            except gr.Error:
                raise
            except UserError as e:
                raise user_error(str(e)) from None
            except (ValueError, ImageError, FileNotFoundError) as e:
                raise user_error(t("err_prefix", lang, msg=schema.short(str(e)))) from None

        wrapped.reads, wrapped.outputs = reads, tuple(outputs)
        return wrapped
    return deco


class RawEvent(gr.EventData):
    """An event's data as the client sent it (``raw``), checked by :func:`click_point` / :func:`table_row`
    (``gr.SelectData`` reads ``data["index"]`` itself and fails with a bare "Error" when it is missing)."""

    def __init__(self, target: Any, data: Any):
        super().__init__(target, data)
        self.raw = data if isinstance(data, dict) else {}


MAX_CLICK = 1e7  # figure pixels: a panel is a few thousand pixels wide


def click_point(evt: RawEvent | None) -> tuple[float, float]:
    """The (x, y) figure pixel of a click on an image, or a gr.Error for the user."""
    p = evt.raw.get("index") if evt is not None else None
    ok = (isinstance(p, list | tuple) and len(p) == 2
          and all(isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= MAX_CLICK  # NaN fails too
                  for v in p))
    if not ok:
        raise user_error(f"click: expected a point [x, y] on the image, got {schema.echo(p)}")
    return float(p[0]), float(p[1])


def table_row(evt: RawEvent | None) -> list | None:
    """The clicked row of the detections table (its last cell is the window number), None for a click that
    is not on a row, or a gr.Error for the user (a malformed row)."""
    row = evt.raw.get("row_value") if evt is not None else None
    if row is None:
        return None
    if not (isinstance(row, list) and 0 < len(row) <= 32
            and schema.integral(row[-1]) is not None and 0 <= schema.integral(row[-1]) <= MAX_WINDOW_INDEX):
        raise user_error(f"row: expected a row of the detections table (its last cell is the window number), "
                         f"got {schema.echo(row)}")
    return row


def notice_value(message: str, session: str | None = None) -> Any:
    """The NOTICE output that carries ``message`` (a new serial number each time, so that the same message
    again is a change), or no change when ``session`` was sent the same message less than NOTICE_REPEAT_S ago."""
    now = time.monotonic()
    with _SENT_LOCK:
        if session is not None:
            last = _SENT.get(session)
            if last is not None and last[0] == message and now - last[1] < NOTICE_REPEAT_S:
                return gr.update()
            _SENT[session] = (message, now)
            if len(_SENT) > 4096:  # forget the oldest sessions
                for key in sorted(_SENT, key=lambda k: _SENT[k][1])[:2048]:
                    del _SENT[key]
    return json.dumps({"message": message, "serial": next(_SERIAL)})


def relay_notice(value: Any) -> None:
    """The queued event on a change of the NOTICE output: raises its message as a gr.Error, which the page
    shows as an error toast (already logged once, as the light event failed)."""
    try:
        message = json.loads(value)["message"] if isinstance(value, str) and value else None
    except (ValueError, TypeError, KeyError):
        message = None
    if isinstance(message, str) and message:
        raise gr.Error(schema.short(message), print_exception=False)


def notice_output(C: dict) -> Any:
    """The hidden NOTICE component and its relay (made with the first event, inside the page's Blocks)."""
    if NOTICE not in C:
        C[NOTICE] = gr.Textbox(visible=False, elem_id="notice")
        C[NOTICE].change(relay_notice, C[NOTICE], None, api_visibility="private", show_progress="hidden",
                         trigger_mode="always_last")
    return C[NOTICE]


def spec(C: dict, h: Callable, kind: str = "plain", **kw) -> dict:
    """The keyword arguments of a Gradio event (``fn``, ``inputs``, ``outputs`` and ``kw``) that runs
    handler ``h``: the inputs are exactly the components of the settings ``h`` reads. ``kind``:
    "plain"; "select" (passes the click's ``point=evt.index``); "row" (``row=evt.row_value``);
    "progress" (passes a ``gr.Progress``). Extra handler arguments go in ``kw["args"]``; ``kw["adapt"]``
    turns a handler's value that is not a dict of outputs (an export's file path) into one;
    ``kw["when_analyzed"]`` runs the handler only when the session has an analysis (else nothing changes)."""
    args = kw.pop("args", {})
    adapt = kw.pop("adapt", None)
    when_analyzed = kw.pop("when_analyzed", False)
    names = components_of(h.reads)
    by_id = {id(C[n]): n for n in names}
    notice = notice_output(C)
    outside_queue = kw.get("queue") is False

    heavy = kw.get("concurrency_id") == limits.HEAVY
    if heavy:
        kw.setdefault("concurrency_limit", limits.HEAVY_CONCURRENCY)
    kw.setdefault("preprocess", False)

    def call(raw: dict, lang: str, request: gr.Request | None, extra: dict) -> dict:
        if not heavy:
            with limits.light(h.__name__.replace("_", " ")):
                return h(raw, lang, **args, **extra)
        with limits.heavy(h.__name__.replace("_", " "), getattr(request, "session_hash", None),
                          extra.get("progress")) as budget:
            if "progress" in extra:
                extra["progress"] = budget
            return h(raw, lang, **args, **extra)

    def run(data: dict, request: gr.Request | None, **extra) -> dict:
        raw = {by_id[id(c)]: v for c, v in data.items() if id(c) in by_id}
        if when_analyzed and session.find(raw.get("state") or {}) is None:
            return {C[h.outputs[0]]: gr.update()}  # nothing to refresh yet: change nothing, say nothing
        lang = raw.get("lang")
        try:
            out = call(raw, pick_lang(lang if isinstance(lang, str) else None, request), request, extra)
        except UserError as e:  # no slot free in time (the handler's own errors are gr.Errors already)
            raise user_error(str(e)) from None
        if adapt is not None:
            out = adapt(out)
        if not out:  # Gradio takes an empty dict for a value of the first output
            return {C[h.outputs[0]]: gr.update()}
        return {C[k]: out[k] for k in h.outputs if k in out}

    def answer(request: gr.Request | None, compute: Callable[[], dict]) -> dict:
        """The event's outputs; outside the queue a failure is the NOTICE output (the page would show nothing)."""
        if not outside_queue:
            return compute()
        session = getattr(request, "session_hash", None)
        try:
            return compute()
        except gr.Error as e:  # the user's message, logged where it was raised
            return {notice: notice_value(e.message, session)}
        except Exception as e:  # a bug: the traceback to the log, one line for the user (as gate.install does)
            LOG.exception("request failed")
            return {notice: notice_value(f"The request could not be handled ({type(e).__name__}); "
                                         "the error was logged.", session)}

    if kind == "select":
        def fn(data: dict, request: gr.Request, evt: RawEvent = None):
            return answer(request, lambda: run(data, request, point=click_point(evt)))
    elif kind == "row":
        def fn(data: dict, request: gr.Request, evt: RawEvent = None):
            return answer(request, lambda: run(data, request, row=table_row(evt)))
    elif kind == "progress":
        def fn(data: dict, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
            return answer(request, lambda: run(data, request, progress=progress))
    else:
        def fn(data: dict, request: gr.Request):
            return answer(request, lambda: run(data, request))
    fn.sppviz_handler = h
    return {"fn": fn, "inputs": {C[n] for n in names}, "outputs": [C[k] for k in h.outputs], **kw}
