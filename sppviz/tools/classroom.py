"""``python -m sppviz loadtest --classroom``: a class following the teacher, through the page's own events.

Each of ``sessions`` students (40) is one tab of the page over plain HTTP (``rawclient.Visitor``: every
event a user action makes the page send, each followed by its ``.success`` chain, with the inputs following
the outputs). The students start within ``ramp_s`` (15 s) of each other and think 0.5–1.5 × ``think_s``
(3 s) between actions. The mix (:data:`MIX`): 70 % the teacher's scene (the page's first bundled example,
picked from the Examples: no upload), 15 % another bundled scene, 15 % a photo of their own (a bundled scene
with one pixel changed, uploaded: new to the server). Actions: Analyze, then in turn a window number
(``win-k``), a click on the window image (``win-img``), the pyramid levels (``levels``: 1,2,4 and back to
1,2,3,6), the pyramid level shown (``spp-level``) and the detection threshold (``det-thresh``). A student
first opens the tab an action is on (:data:`TAB_OF`), which sends what opening it sends, counted in the
action; what follows a change is drawn for the tab the student has open (``app.follow``).

Reports the success rate, p50 / p95 per kind of action (the time until every event it sent is done),
evictions (answers saying "Press Analyze first", and, for a server started here, the session store's own
counters read from its log: sessions dropped within their TTL, images lost, analyses rebuilt), and the
server's RSS (ready before the class, peak, end). Nothing leaves loopback.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sppviz.i18n import t
from sppviz.tools import loadtest, rawclient

MIX = (("teacher", 0.70), ("scene", 0.15), ("photo", 0.15))
ACTIONS = ("window", "click", "levels", "level", "thresh")  # after Analyze, in this order, round and round
KINDS = ("analyze", *ACTIONS)
# the tab each action is on (the levels and Analyze are above the tabs: the tab open stays)
TAB_OF = {"window": "tab-projection", "click": "tab-projection", "level": "tab-spp", "thresh": "tab-detections"}
NO_ANALYSIS = tuple(t("err_no_analysis", lang).split("(")[0].split("（")[0].strip() for lang in ("en", "zh"))
STORE_LINE = "session store:"


def plan(sessions: int = 40, events: int = 12, ramp_s: float = 15.0, think_s: float = 3.0, seed: int = 0
         ) -> list[dict]:
    """Who does what when: per student its image ("teacher" / "scene" / "photo", :data:`MIX`: the photo and
    scene shares rounded, the rest the teacher's), its start (s after the class begins) and ``events`` actions
    (Analyze, then :data:`ACTIONS` in turn), each with its think time before it and its values."""
    rng = random.Random(seed)
    n_photo, n_scene = round(MIX[2][1] * sessions), round(MIX[1][1] * sessions)
    kinds = ["photo"] * n_photo + ["scene"] * n_scene + ["teacher"] * (sessions - n_photo - n_scene)
    rng.shuffle(kinds)
    out = []
    for i, image in enumerate(kinds):
        levels, steps = (1, 2, 3, 6), [{"kind": "analyze", "think_s": 0.0}]
        for j in range(events - 1):
            kind = ACTIONS[j % len(ACTIONS)]
            step = {"kind": kind, "think_s": think_s * rng.uniform(0.5, 1.5)}
            if kind == "window":
                step["k"] = rng.randrange(0, 20)
            elif kind == "click":
                step["at"] = (rng.uniform(0.35, 0.65), rng.uniform(0.35, 0.65))  # of the figure's width, height
            elif kind == "levels":
                levels = (1, 2, 4) if levels == (1, 2, 3, 6) else (1, 2, 3, 6)
                step["levels"] = ",".join(map(str, levels))
            elif kind == "level":
                step["n"] = rng.choice(levels)
            else:
                step["thresh"] = round(rng.uniform(0.2, 0.8), 2)
            steps.append(step)
        out.append({"student": i, "image": image, "start_s": rng.uniform(0.0, ramp_s), "steps": steps})
    return out


def _image_value(url: str, page: rawclient.Page, who: dict, folder: Path) -> dict:
    """The FileData the student's Analyze sends: a bundled example as the Examples hold it, or an upload."""
    examples = page.examples()
    if who["image"] == "photo":
        own = loadtest.own_copy(loadtest.EXAMPLES[who["student"] % len(loadtest.EXAMPLES)], 1000 + who["student"],
                                folder)
        return rawclient.upload(url, own)
    if who["image"] == "scene":
        return examples[1 + who["student"] % (len(examples) - 1)]
    return examples[0]


def _figure_size(value: dict | None) -> tuple[int, int] | None:
    """(w, h) of an image output (downloaded, as the page does), or None."""
    import httpx
    from PIL import Image

    if not isinstance(value, dict) or not value.get("url"):
        return None
    try:
        return Image.open(io.BytesIO(httpx.get(value["url"], timeout=60).content)).size
    except Exception:
        return None


def student(url: str, page: rawclient.Page, who: dict, folder: Path, t0: float) -> list[dict]:
    """One student's actions (``plan``): [{"student", "image", "kind", "ok", "s", "joins", "no_analysis", "why"}]."""
    v = rawclient.Visitor(page, f"class{who['student']}")
    size = None
    out = []
    time.sleep(max(0.0, t0 + who["start_s"] - time.perf_counter()))
    for step in who["steps"]:
        time.sleep(step["think_s"])
        kind = step["kind"]
        t1 = time.perf_counter()
        try:
            opened = v.open(TAB_OF[kind]) if TAB_OF.get(kind, v.shown) != v.shown else None
            if opened is not None and not opened["success"]:
                res = opened
            elif kind == "analyze":
                res = v.act("analyze-btn", "click", {"input-image": _image_value(url, page, who, folder)})
            elif kind == "window":
                res = v.act("win-k", "submit", {"win-k": step["k"]})
            elif kind == "click":
                w, h = size or (400, 300)
                point = [round(step["at"][0] * w), round(step["at"][1] * h)]
                res = v.act("win-img", "select", event_data={"index": point, "value": None, "selected": True})
            elif kind == "levels":
                res = v.act("levels", "input", {"levels": step["levels"]})
            elif kind == "level":
                res = v.act("spp-level", "input", {"spp-level": step["n"]})
            else:
                res = v.act("det-thresh", "input", {"det-thresh": step["thresh"]})
            ok, why = bool(res["success"]), str(res["error"] or "")
            joins = res["joins"] + (opened["joins"] if opened is not None and res is not opened else 0)
        except Exception as e:  # a failed action is counted, never fatal
            ok, why, joins, res = False, f"{type(e).__name__}: {e}", 0, None
        s = time.perf_counter() - t1
        if kind == "analyze" and ok:
            size = _figure_size(rawclient.output(page, res["dep"], res["first"]["data"], "win-img"))
        out.append({"student": who["student"], "image": who["image"], "kind": kind, "ok": ok, "s": s, "joins": joins,
                    "no_analysis": any(m in why for m in NO_ANALYSIS),
                    "why": "" if ok else f"student {who['student']} {kind}: {why}"[:200]})
    return out


def server_counters(log_path: Path | None) -> dict | None:
    """The session store's counters from the server's log (the JSON at the end of its last "session store:"
    line; every change of evicted / expired / lost / rebuilt writes one), zeros when it wrote none; None
    without a log."""
    if log_path is None or not log_path.exists():
        return None
    last = {"evicted": 0, "expired": 0, "lost": 0, "rebuilt": 0}
    for line in log_path.read_text(errors="replace").splitlines():
        if STORE_LINE in line and "{" in line:
            try:
                last.update(json.loads(line[line.index("{"):]))
            except ValueError:
                pass
    return last


def _wait_ready(log_path: Path, proc, timeout: float = 180.0) -> None:
    """Wait until the started server's warm-up is done (its log says so), as before a class."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if "warm-up done" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.5)


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def summarize(results: list[dict]) -> dict:
    """Per kind of action: n, ok, p50_s, p95_s, max_s."""
    out = {}
    for kind in KINDS:
        rs = [r for r in results if r["kind"] == kind]
        if rs:
            lat = [r["s"] for r in rs]
            out[kind] = {"n": len(rs), "ok": sum(r["ok"] for r in rs), "p50_s": statistics.median(lat),
                         "p95_s": _pct(lat, 0.95), "max_s": max(lat)}
    return out


def run(url: str | None = None, sessions: int = 40, events: int = 12, ramp_s: float = 15.0, think_s: float = 3.0,
        seed: int = 0, env_extra: dict[str, str] | None = None) -> dict:
    """The class against ``url`` (default: an app started here on a free port, with a fresh temporary folder,
    its log kept and ``env_extra``; stopped afterwards). Returns the report (module doc)."""
    proc, temp_dir, log_path = None, None, None
    if url is None:
        temp_dir = tempfile.mkdtemp(prefix="sppviz-classroom-")
        log_path = Path(temp_dir) / "server.log"
        port = loadtest.free_port()
        (Path(temp_dir) / "gradio").mkdir()
        proc = loadtest.start_server(port, str(Path(temp_dir) / "gradio"), env_extra, log_path)
        url = f"http://127.0.0.1:{port}/"
    folder = Path(tempfile.mkdtemp(prefix="sppviz-classroom-photos-"))
    stop = threading.Event()
    peak = [0.0]

    def sample() -> None:
        while proc is not None and not stop.wait(0.5):
            try:
                peak[0] = max(peak[0], loadtest.rss_mb(proc.pid)[0])
            except OSError:
                return

    try:
        if proc is not None:
            _wait_ready(log_path, proc)
        rss_start = loadtest.rss_mb(proc.pid)[0] if proc is not None else None
        cpu_start = cpu_s(proc.pid) if proc is not None else None
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        page = rawclient.Page(url)
        class_plan = plan(sessions, events, ramp_s, think_s, seed)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(sessions) as pool:
            results = [r for rs in pool.map(lambda who: student(url, page, who, folder, t0), class_plan) for r in rs]
        wall = time.perf_counter() - t0
        ok = [r for r in results if r["ok"]]
        counters = server_counters(log_path)
        no_analysis = sum(r["no_analysis"] for r in results)
        res = {"scenario": "classroom", "url": url, "sessions": sessions, "events_per_session": events,
               "ramp_s": ramp_s, "think_s": think_s, "seed": seed,
               "mix": {k: sum(w["image"] == k for w in class_plan) for k, _ in MIX},
               "requests": len(results), "joins": sum(r["joins"] for r in results),
               "success_rate": len(ok) / len(results), "events": summarize(results),
               "evictions": {"no_analysis_answers": no_analysis, "server": counters,
                             "total": no_analysis + (counters["evicted"] + counters["lost"] if counters else 0)},
               "wall_s": wall, "failures": [r["why"] for r in results if not r["ok"]][:5]}
        if proc is not None:
            stop.set()  # the last sample before the process's own peak is read (a later one could exceed it)
            sampler.join()
            end, hwm = loadtest.rss_mb(proc.pid)
            res["rss_mb"] = {"start": rss_start, "peak": max(peak[0], end), "end": end, "peak_process": hwm}
            res["server_cpu_s"] = cpu_s(proc.pid) - cpu_start  # / wall_s: the cores the class kept busy
        return res
    finally:
        stop.set()
        shutil.rmtree(folder, ignore_errors=True)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(20)
            except Exception:
                proc.kill()
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)


def report_lines(res: dict) -> list[str]:
    """The report as text."""
    lines = [f"classroom: {res['sessions']} students ({', '.join(f'{v} {k}' for k, v in res['mix'].items())}), "
             f"{res['events_per_session']} actions each, start within {res['ramp_s']:g} s, think ~{res['think_s']:g} s",
             f"actions: {res['requests']} ({res['joins']} events), success {100 * res['success_rate']:.1f} %, "
             f"wall {res['wall_s']:.1f} s"]
    for kind, e in res["events"].items():
        lines.append(f"  {kind:8s} n={e['n']:4d} ok={e['ok']:4d} p50 {e['p50_s']:.3f} s  p95 {e['p95_s']:.3f} s  "
                     f"max {e['max_s']:.3f} s")
    ev = res["evictions"]
    lines.append(f"evictions: {ev['total']} (\"Press Analyze first\" answers {ev['no_analysis_answers']}; server "
                 f"{ev['server'] if ev['server'] is not None else 'not read: a server not started here'})")
    if "rss_mb" in res:
        r = res["rss_mb"]
        lines.append(f"RSS: start {r['start']:.0f} MB, peak {r['peak']:.0f} MB, end {r['end']:.0f} MB "
                     f"(process peak since start-up {r['peak_process']:.0f} MB)")
        lines.append(f"server CPU: {res['server_cpu_s']:.1f} s in {res['wall_s']:.1f} s "
                     f"({res['server_cpu_s'] / res['wall_s']:.2f} cores busy on average)")
    lines += [f"failure: {f}" for f in res["failures"]]
    return lines
