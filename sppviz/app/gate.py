"""What a request must pass before a handler runs, and the shape of every refusal it can meet there.

- :class:`RequestLimits` (ASGI middleware, ``launch(app_kwargs=app_kwargs())``): a JSON body is at most
  ``MAX_BODY_BYTES`` (queue joins had no limit: a 100 MB body was read whole); an upload must say its
  length (``Content-Length``), is at most ``MAX_UPLOAD_REQUEST_BYTES`` and counts against its visitor's
  upload budget (``UPLOAD_BUDGET_BYTES`` per ``UPLOAD_WINDOW_S``); before each upload the stored uploads are
  pruned to make room for it under their byte cap (``panels.prune_uploads``).
- :func:`install` wraps the app's ``preprocess_data`` and ``process_api``, which queued events and the light
  events outside the queue (``POST /gradio_api/run/predict``) both pass: a call that sends too few
  values, a malformed file object or a file that was not uploaded here gets a short message naming the
  parameter (Gradio gave a bare "Error" and printed a traceback), and any other failure before or around
  a handler becomes a one-line message without a traceback for the user (the traceback goes to the log).
  A queued event (the heavy work) cannot be called round the queue (``api_open`` off).
- :func:`validation_error`: a request body FastAPI cannot read gets a short 422 without the input echoed.

A visitor is told apart by the first address of ``X-Forwarded-For`` (a Space runs behind a proxy), else the
socket's peer; the budget is per visitor, the byte caps hold for everyone together.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr
from gradio import utils as gr_utils
from starlette.responses import JSONResponse, PlainTextResponse

from sppviz.app import limits, panels
from sppviz.app.schema import echo, short

LOG = logging.getLogger("sppviz")

MAX_BODY_BYTES = 256 * 2**10  # a page event sends a few kB (the gr.State stays on the server); the API far less
UPLOAD_OVERHEAD_BYTES = 64 * 2**10  # multipart headers and boundaries around one file
UPLOAD_BUDGET_BYTES = 100 * 2**20  # per visitor per UPLOAD_WINDOW_S: four 25 MB photos, or ~50 phone photos
UPLOAD_WINDOW_S = 600.0


def client_key(scope: dict) -> str:
    """The visitor of an ASGI request: the first X-Forwarded-For address, else the socket's peer."""
    for k, v in scope.get("headers") or []:
        if k == b"x-forwarded-for":
            first = v.decode("latin-1").split(",")[0].strip()
            if first:
                return first[:64]
    client = scope.get("client")
    return str(client[0]) if client else "?"


class UploadBudget:
    """Bytes uploaded per visitor in a sliding window of ``window_s`` seconds (thread-safe)."""

    def __init__(self, budget: int | None = None, window_s: float | None = None, clock=time.monotonic):
        self.budget = UPLOAD_BUDGET_BYTES if budget is None else int(budget)
        self.window_s = UPLOAD_WINDOW_S if window_s is None else float(window_s)
        self.clock = clock
        self._log: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> collections.deque:
        q = self._log.setdefault(key, collections.deque())
        while q and now - q[0][0] > self.window_s:
            q.popleft()
        return q

    def remaining(self, key: str) -> tuple[int, float]:
        """(bytes this visitor may still upload now, seconds until the oldest upload leaves the window)."""
        with self._lock:
            now = self.clock()
            q = self._trim(key, now)
            used = sum(n for _, n in q)
            wait = self.window_s - (now - q[0][0]) if q else 0.0
            if len(self._log) > 10_000:  # forget idle visitors
                for k in [k for k, v in self._log.items() if not v]:
                    del self._log[k]
            return self.budget - used, max(0.0, wait)

    def charge(self, key: str, n: int) -> None:
        with self._lock:
            self._trim(key, self.clock()).append((self.clock(), int(n)))


class RequestLimits:
    """ASGI middleware: the body limit of every request and the upload budget (module doc)."""

    def __init__(self, app, max_body: int = MAX_BODY_BYTES, budget: UploadBudget | None = None):
        self.app, self.max_body = app, max_body
        self.budget = budget or UploadBudget()

    @staticmethod
    async def _refuse(send, status: int, message: str) -> None:
        await PlainTextResponse(message, status_code=status)({"type": "http"}, None, send)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        upload = scope.get("path", "").rstrip("/").endswith("/upload")
        headers = dict(scope.get("headers") or [])
        try:
            length = int(headers[b"content-length"]) if b"content-length" in headers else None
        except ValueError:
            return await self._refuse(send, 400, "Content-Length is not a number.")
        if upload:
            return await self._upload(scope, receive, send, length)
        if length is not None and length > self.max_body:
            return await self._refuse(send, 413, f"The request body is {length} bytes; the limit is {self.max_body}.")
        seen = {"n": 0, "over": False, "started": False}

        async def counted():
            msg = await receive()
            if msg.get("type") == "http.request":
                seen["n"] += len(msg.get("body", b""))
                if seen["n"] > self.max_body:
                    seen["over"] = True
                    return {"type": "http.disconnect"}
            return msg

        async def guarded_send(msg):
            if seen["over"]:
                return
            seen["started"] = True
            await send(msg)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not seen["over"]:
                raise
        if seen["over"] and not seen["started"]:
            await self._refuse(send, 413, f"The request body is over the limit of {self.max_body} bytes.")

    async def _upload(self, scope, receive, send, length: int | None):
        cap = panels.MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES
        if length is None:
            return await self._refuse(send, 411, "An upload must give its Content-Length.")
        if length > cap:
            return await self._refuse(send, 413, f"The upload is {length / 2**20:.1f} MB; the limit is "
                                                 f"{panels.MAX_UPLOAD_BYTES / 2**20:.0f} MB per file.")
        key = client_key(scope)
        left, wait = self.budget.remaining(key)
        if length > left:
            return await self._refuse(send, 429, f"Upload budget used: {self.budget.budget / 2**20:.0f} MB per "
                                                 f"{self.budget.window_s / 60:.0f} minutes per visitor; try again "
                                                 f"in {wait:.0f} s.")
        self.budget.charge(key, length)
        try:  # room for this upload first, so that the uploads stay under their cap
            import anyio

            await anyio.to_thread.run_sync(panels.prune_uploads, length)
        except Exception:  # pruning is best effort; the upload itself goes on
            LOG.exception("pruning the uploads failed")
        await self.app(scope, receive, send)


async def validation_error(request, exc) -> JSONResponse:
    """FastAPI's RequestValidationError as a short 422: where and what, never the input itself."""
    parts = []
    for err in list(getattr(exc, "errors", lambda: [])())[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{loc or 'body'}: {short(str(err.get('msg', 'invalid')))[:120]}")
    return JSONResponse({"detail": "; ".join(parts) or "the request body is not valid"}, status_code=422)


def app_kwargs() -> dict:
    """``launch(app_kwargs=…)``: the middleware and the validation handler on Gradio's FastAPI app."""
    from fastapi.exceptions import RequestValidationError
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(RequestLimits)], "exception_handlers": {RequestValidationError: validation_error}}


# ------------------------------------------------------------------------------------------------ Gradio


def user_error(message: str) -> gr.Error:
    """A gr.Error for the user that Gradio does not print a traceback for; logged here as one line."""
    message = short(message)
    LOG.info("user error: %s", message)
    return gr.Error(message, print_exception=False)


def _param(block: Any, i: int, names: dict[int, str]) -> str:
    label = getattr(block, "label", None)
    return names.get(id(block)) or (label if isinstance(label, str) and label else f"value {i + 1}")


def check_file(value: Any, param: str, upload_dir: str) -> None:
    """A file object sent for ``param``: a dict whose "path" is a file uploaded to this app (or None)."""
    if value is None:
        return
    if not (isinstance(value, dict) and isinstance(value.get("path"), str) and 0 < len(value["path"]) <= 4096
            and "\x00" not in value["path"]):
        raise user_error(f"{param}: expected an uploaded file (a FileData object with a path), got "
                         f"{'a ' + type(value).__name__ if not isinstance(value, str) else echo(value[:40])}")
    path = value["path"]
    if re.match(r"^https?://", path):
        raise user_error(f"{param}: give the file itself (upload it), not a URL")
    if not gr_utils.is_in_or_equal(path, upload_dir):
        raise user_error(f"{param}: that file was not uploaded to this app; upload it first")
    if not Path(gr_utils.abspath(path)).is_file():
        raise user_error(f"{param}: the uploaded file is no longer on the server; upload it again")


def install(demo: gr.Blocks, names: dict[int, str] | None = None) -> gr.Blocks:
    """Guard ``demo``'s input processing and calls (module doc); ``names``: component id → parameter name
    (the page's components; the API's are named by their labels)."""
    names = dict(names or {})
    preprocess, process = demo.preprocess_data, demo.process_api
    limits.attach(demo)
    # the light events (events.QUIET) skip the queue and come in by POST /gradio_api/run/predict, through the
    # same process_api as queued ones (guarded below); a queued event (the heavy work, with its concurrency
    # limit) cannot be called that way round the queue: Gradio answers such a POST with a 404
    demo.api_open = False
    panels.protect_existing_uploads()  # the examples' copies, made while the page was built

    async def preprocess_data(block_fn, inputs, state, *args, **kwargs):
        blocks = list(block_fn.inputs)
        params = [_param(b, i, names) for i, b in enumerate(blocks)]
        if not isinstance(inputs, list) or len(inputs) < len(blocks):
            n = len(inputs) if isinstance(inputs, list) else 0
            raise user_error(f"this call sent {n} of the {len(blocks)} values it needs ({', '.join(params)})")
        upload_dir = gr_utils.get_upload_folder()
        for i, (b, v) in enumerate(zip(blocks, inputs, strict=False)):
            if isinstance(b, gr.File | gr.Image) and not b.stateful:
                check_file(v, params[i], upload_dir)
        try:
            return await preprocess(block_fn, inputs, state, *args, **kwargs)
        except gr.Error as e:  # a component's own check (e.g. a value not among a Radio's choices)
            raise user_error(e.message) from None
        except Exception as e:
            m = re.search(r"at index (\d+)", str(e))
            which = params[int(m.group(1))] if m and int(m.group(1)) < len(params) else "the request's values"
            LOG.info("could not read %s: %s", which, type(e).__name__)
            raise user_error(f"{which}: could not be read ({type(e).__name__})") from None

    async def process_api(*args, **kwargs):
        try:
            return await process(*args, **kwargs)
        except gr.Error as e:
            if getattr(e, "print_exception", True):  # not one of ours: shorten it, no traceback
                raise user_error(e.message) from None
            raise
        except Exception as e:  # a bug, or a malformed call Gradio itself chokes on: one line for the user
            LOG.exception("request failed")
            raise user_error(f"The request could not be handled ({type(e).__name__}); the error was logged.") from None

    demo.preprocess_data = preprocess_data
    demo.process_api = process_api
    return demo
