"""A page-like client of the app over plain HTTP (what the browser sends), for the load test and the tests.

``gradio_client`` calls only named endpoints; the page's own events (Analyze, a click on a window, a slider)
are private and reached the way the browser reaches them: ``POST /gradio_api/upload`` for a file, then, for
an event in Gradio's queue (the heavy work), ``POST /gradio_api/queue/join`` with the event's ``fn_index`` and
one value per input component and the result from the server-sent events of ``GET /gradio_api/queue/data``
(:func:`join`); for an event outside the queue (``"queue": false`` in the config: the light events) one
``POST /gradio_api/run/predict`` with the same body, answered with the result (:func:`predict`); :func:`send`
takes the event's own route. :class:`Page` reads ``/config`` to find
an event by its trigger's ``elem_id`` and fills every input with the component's current value;
:class:`Visitor` is one tab of the page: its inputs follow the outputs, and one user action sends every event
the page would (each trigger's events and their ``.success`` chains, and, where a chain has the page's own step
that draws the panels in view (``app.follow``), the events of the buttons it presses for the tab the visitor
has open).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx

API = "/gradio_api"
FIRST_TAB = "tab-pyramid"  # the tab a new page shows


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


def predict(base: str, fn_index: int, data: Any, event_data: Any = None, session_hash: str | None = None,
            trigger_id: int | None = None, timeout: float = 300.0, body: dict | None = None,
            notice: int | None = None) -> dict:
    """One event outside the queue, as the page sends it (``POST /gradio_api/run/predict``). Returns what
    :func:`join` returns: "status" is 200 when the server answered (with the outputs, or with a message for the
    user: in the output at index ``notice``, the app's ``events.NOTICE``, or else as Gradio's HTTP 500 answer),
    else the refused request's HTTP status (with its body in "text")."""
    base = base.rstrip("/")
    sh = session_hash or uuid.uuid4().hex[:12]
    payload = body if body is not None else {"data": data, "event_data": event_data, "fn_index": fn_index,
                                             "trigger_id": trigger_id, "session_hash": sh}
    with httpx.Client(timeout=timeout) as c:
        r = c.post(f"{base}{API}/run/predict", content=json.dumps(payload, allow_nan=True),
                   headers={"content-type": "application/json"})
    try:
        answer = r.json()
    except ValueError:
        answer = None
    if r.status_code == 200 and isinstance(answer, dict):
        outputs = answer.get("data") or []
        message = notice_message(outputs[notice]) if notice is not None and notice < len(outputs) else None
        if message is not None:
            return {"status": 200, "success": False, "error": message, "data": outputs, "text": ""}
        return {"status": 200, "success": True, "error": None, "data": outputs, "text": ""}
    if r.status_code == 500 and isinstance(answer, dict) and "error" in answer:
        return {"status": 200, "success": False, "error": answer.get("error"), "data": None, "text": ""}
    return {"status": r.status_code, "success": False, "error": None, "data": None, "text": r.text}


def notice_message(value: Any) -> str | None:
    """The message in a value of the app's NOTICE output (JSON {"message", "serial"}), or None."""
    if isinstance(value, dict) and value.get("__type__") == "update":
        value = value.get("value")
    try:
        message = json.loads(value).get("message") if isinstance(value, str) and value else None
    except (ValueError, AttributeError):
        return None
    return message if isinstance(message, str) else None


NOTICE_ELEM_ID = "notice"  # the elem_id of the app's NOTICE output


def send(base: str, dep: dict, data: Any, event_data: Any = None, session_hash: str | None = None,
         trigger_id: int | None = None, timeout: float = 300.0, notice_id: int | None = None) -> dict:
    """The event ``dep`` (a dependency of the config) by the page's route: :func:`predict` for one outside the
    queue (its message, if any, in the output of component ``notice_id``), else :func:`join`."""
    if dep.get("queue") is False:
        at = dep["outputs"].index(notice_id) if notice_id in dep["outputs"] else None
        return predict(base, dep["id"], data, event_data, session_hash, trigger_id=trigger_id, timeout=timeout,
                       notice=at)
    return join(base, dep["id"], data, event_data, session_hash, trigger_id=trigger_id, timeout=timeout)


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
        """Trigger the event with the current values, ``values`` (elem_id or label key → value) replacing some,
        by the event's own route (:func:`send`)."""
        dep = self.event(elem_id, name)
        override = {self.by_name[k]: v for k, v in (values or {}).items()}
        data = [override.get(i, self.values.get(i)) for i in dep["inputs"]]
        return send(self.base, dep, data, event_data, session_hash, trigger_id=self.by_name[elem_id],
                    notice_id=self.by_name.get(NOTICE_ELEM_ID))

    def roots(self, elem_id: str, name: str = "click") -> list[dict]:
        """Every dependency with a server function that ``name`` on ``elem_id`` triggers (the page sends them all)."""
        cid = self.by_name[elem_id]
        deps = [d for d in self.config["dependencies"] if [cid, name] in [list(t) for t in d["targets"]]
                and d.get("backend_fn")]
        if not deps:
            raise KeyError(f"no {name!r} event on #{elem_id}")
        return deps

    def chain(self, dep: dict) -> list[dict]:
        """Every dependency the page runs after ``dep`` succeeds, steps in the page (no server function) too."""
        return [d for d in self.config["dependencies"] if d.get("trigger_after") == dep["id"]
                and not d.get("trigger_only_on_failure")]

    def examples(self) -> list[dict]:
        """The FileData of each bundled example as the page's Examples hold it (a click puts it in the image)."""
        for c in self.config["components"]:
            if c["type"] == "dataset":
                return [s[0] for s in c["props"].get("samples") or [] if s and isinstance(s[0], dict)]
        return []


# the page's step after a change (app.follow.press_js) names, in its JS, each button it may press with the tabs
# that show that button's panels: [['follow-pool', ['tab-spp', 'tab-features']], ...]
PRESS = re.compile(r"\['(follow-[\w-]+)', \[([^\]]*)\]\]")


def presses(dep: dict) -> list[tuple[str, tuple[str, ...]]]:
    """The (button elem_id, the tabs that show its panels) that the page's step ``dep`` presses where one of
    those tabs is shown; [] for any other dependency."""
    return [(button, tuple(re.findall(r"'([^']+)'", tabs))) for button, tabs in PRESS.findall(dep.get("js") or "")]


def output(page: Page, dep: dict, data: list | None, elem_id: str) -> Any:
    """The value ``dep`` sent to the component ``elem_id`` (an update's "value"), or None."""
    cid = page.by_name[elem_id]
    for i, v in zip(dep["outputs"], data or [], strict=False):
        if i == cid:
            return v.get("value") if isinstance(v, dict) and v.get("__type__") == "update" else v
    return None


class Visitor:
    """One browser tab of the page: its session and the current values of its inputs, which follow the outputs
    of every event (as the page's do). ``act`` does what one user action makes the page send: every event the
    trigger starts, each followed by its ``.success`` chain, one after another."""

    def __init__(self, page: Page, session_hash: str | None = None, shown: str = FIRST_TAB):
        self.page = page
        self.shown = shown  # the elem_id of the tab this visitor has open
        self.session_hash = session_hash or uuid.uuid4().hex[:12]
        self.values = dict(page.values)
        self.stateful = {i for i, c in page.components.items() if c["type"] == "state"}

    def set(self, values: dict[str, Any]) -> None:
        """Set inputs (elem_id or label key → value), as the user does before triggering an event."""
        self.values.update({self.page.by_name[k]: v for k, v in values.items()})

    def _join(self, dep: dict, event_data: Any, trigger: int | None) -> dict:
        data = [self.values.get(i) for i in dep["inputs"]]
        res = send(self.page.base, dep, data, event_data, self.session_hash, trigger_id=trigger,
                   notice_id=self.page.by_name.get(NOTICE_ELEM_ID))
        if res.get("success"):
            for i, v in zip(dep["outputs"], res.get("data") or [], strict=False):
                if i in self.stateful:
                    continue
                if isinstance(v, dict) and v.get("__type__") == "update":
                    if "value" in v:
                        self.values[i] = v["value"]
                else:
                    self.values[i] = v
        return res

    def after(self, dep: dict) -> list[tuple[dict, int | None]]:
        """What the page sends after ``dep`` succeeds, in order, as (dependency, trigger): its ``.success``
        chain, where a step in the page that presses buttons (``presses``) becomes the events of the buttons
        whose tabs include the one shown, followed by that step's own chain."""
        out = []
        for d in self.page.chain(dep):
            if d.get("backend_fn"):
                out.append((d, None))
                continue
            for button, tabs in presses(d):
                if self.shown in tabs:
                    out.extend((root, self.page.by_name[button]) for root in self.page.roots(button, "click"))
            out.extend(self.after(d))
        return out

    def act(self, elem_id: str, name: str = "click", values: dict[str, Any] | None = None,
            event_data: Any = None) -> dict:
        """Set ``values``, trigger ``name`` on ``elem_id`` and run what follows. Returns {"success" (every event
        succeeded), "error" (the first message the page would show), "joins" (events sent), "first" (the first
        event's result) and "dep" (its dependency)}."""
        if values:
            self.set(values)
        trigger = self.page.by_name[elem_id]
        out = {"success": True, "error": None, "joins": 0, "first": None, "dep": None}
        for root in self.page.roots(elem_id, name):
            todo = [(root, event_data, trigger)]
            while todo:
                dep, evt, trig = todo.pop(0)
                res = self._join(dep, evt, trig)
                out["joins"] += 1
                if out["first"] is None:
                    out["first"], out["dep"] = res, dep
                if not res.get("success"):
                    out["success"] = False
                    out["error"] = out["error"] or res.get("error") or res.get("text") or "failed"
                    break
                todo = [(d, None, t) for d, t in self.after(dep)] + todo
        return out

    def open(self, tab: str) -> dict:
        """Open the tab with elem_id ``tab``, as a click on its button does: it becomes the tab shown, and its
        select events are sent (what a tab out of sight draws when opened). Returns as ``act`` ({"joins": 0}
        and success for a tab that sends nothing when opened)."""
        self.shown = tab
        try:
            return self.act(tab, "select")
        except KeyError:  # no select event with a server function on this tab
            return {"success": True, "error": None, "joins": 0, "first": None, "dep": None}
