"""A page-like client of the app over plain HTTP (what the browser sends), for the load test and the tests.

``gradio_client`` calls only named endpoints; the page's own events (Analyze, a click on a window, a slider)
are private and reached the way the browser reaches them: ``POST /gradio_api/upload`` for a file, then
``POST /gradio_api/queue/join`` with the event's ``fn_index`` and one value per input component, and the
result from the server-sent events of ``GET /gradio_api/queue/data``. :class:`Page` reads ``/config`` to find
an event by its trigger's ``elem_id`` and fills every input with the component's current value.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

API = "/gradio_api"


def upload(base: str, path: str | Path, client: httpx.Client | None = None) -> dict:
    """Upload a file as the page does; returns its FileData ({"path", "orig_name", "meta"})."""
    c = client or httpx.Client(timeout=60)
    with open(path, "rb") as f:
        r = c.post(f"{base.rstrip('/')}{API}/upload", files={"files": (Path(path).name, f)})
    r.raise_for_status()
    return {"path": r.json()[0], "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def join(base: str, fn_index: int, data: Any, event_data: Any = None, session_hash: str | None = None,
         trigger_id: int | None = None, timeout: float = 300.0, body: dict | None = None) -> dict:
    """One event through the queue. Returns {"status": HTTP status of the join, "success", "error" (the
    message the page would show), "data" (the outputs), "text" (a refused join's body)}. ``body`` replaces
    the whole JSON body (for malformed joins)."""
    base = base.rstrip("/")
    sh = session_hash or uuid.uuid4().hex[:12]
    payload = body if body is not None else {"data": data, "event_data": event_data, "fn_index": fn_index,
                                             "trigger_id": trigger_id, "session_hash": sh}
    with httpx.Client(timeout=timeout) as c:  # NaN and Infinity as JavaScript's JSON.stringify never sends them
        r = c.post(f"{base}{API}/queue/join", content=json.dumps(payload, allow_nan=True),
                   headers={"content-type": "application/json"})
        if r.status_code != 200:
            return {"status": r.status_code, "success": False, "error": None, "data": None, "text": r.text}
        with c.stream("GET", f"{base}{API}/queue/data", params={"session_hash": sh}) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    return {"status": 200, "success": bool(msg.get("success")), "error": out.get("error"),
                            "data": out.get("data"), "text": ""}
                if msg.get("msg") == "unexpected_error":
                    return {"status": 200, "success": False, "error": msg.get("message"), "data": None, "text": ""}
    return {"status": 200, "success": False, "error": None, "data": None, "text": "stream closed"}


class Page:
    """The app's page as its config describes it: components by elem_id or label key, events by trigger."""

    def __init__(self, base: str, client: httpx.Client | None = None):
        self.base = base.rstrip("/")
        self.config = (client or httpx.Client(timeout=60)).get(f"{self.base}/config").json()
        self.components = {c["id"]: c for c in self.config["components"]}
        self.by_name: dict[str, int] = {}
        for i, c in self.components.items():  # by the label's translation key ("in_count"), then by elem_id
            label = c["props"].get("label")
            if isinstance(label, str) and label.startswith("__i18n__"):
                try:
                    self.by_name.setdefault(json.loads(label[len("__i18n__"):]).get("key"), i)
                except ValueError:
                    pass
        self.by_name.update({c["props"]["elem_id"]: i for i, c in self.components.items() if c["props"].get("elem_id")})
        self.values = {i: c["props"].get("value") for i, c in self.components.items()}

    def event(self, elem_id: str, name: str = "click") -> dict:
        """The dependency triggered by ``name`` on the component with ``elem_id`` (the first such)."""
        cid = self.by_name[elem_id]
        for dep in self.config["dependencies"]:
            if [cid, name] in [list(t) for t in dep["targets"]] and dep.get("backend_fn"):
                return dep
        raise KeyError(f"no {name!r} event on #{elem_id}")

    def call(self, elem_id: str, name: str = "click", values: dict[str, Any] | None = None, event_data: Any = None,
             session_hash: str | None = None) -> dict:
        """Trigger the event with the current values, ``values`` (elem_id or label key → value) replacing some."""
        dep = self.event(elem_id, name)
        override = {self.by_name[k]: v for k, v in (values or {}).items()}
        data = [override.get(i, self.values.get(i)) for i in dep["inputs"]]
        return join(self.base, dep["id"], data, event_data, session_hash, trigger_id=self.by_name[elem_id])
