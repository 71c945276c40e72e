"""``python -m sppviz loadtest``: concurrent visitors against the app, on this machine only.

Starts ``app.py`` on a free port of 127.0.0.1 (or uses ``--url`` for one already running there),
then runs ``--sessions`` concurrent sessions, each making ``--requests`` requests. API visitors
(``gradio_client``) alternate the two endpoints (``/analyze``, ``/project``) on their own example
image and box; page visitors (``--page-share`` of the sessions, over plain HTTP as the browser does:
``rawclient``) upload their own copy of an example, press Analyze, pick windows, move the threshold and
now and then download the lesson ZIP. Reports the success rate, p50 / p95 latency, the server's RSS
(start, after the first third of the requests when the caches are full, end, peak), the bytes in the
server's temporary folder (sampled; for a server started here, which gets a fresh folder) against their
cap, and checks that every answer belongs to the session that asked (its own image size and box). The
number of requests is bounded; nothing leaves loopback.

``--classroom`` (``--scenario classroom``) runs a class following the teacher instead (``tools.classroom``):
40 students through the page's own events, mostly on the teacher's scene, with think time between actions;
it reports p50 / p95 per kind of action, evictions and the server's RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def folder_bytes(root: str | Path) -> int:
    """Bytes of every file under ``root`` (files that vanish while counting are skipped)."""
    total = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            try:
                total += os.stat(os.path.join(dirpath, n)).st_size
            except OSError:
                pass
    return total


def start_server(port: int, temp_dir: str | None = None, env_extra: dict[str, str] | None = None,
                 log_path: str | Path | None = None) -> subprocess.Popen:
    """Start ``app.py`` on 127.0.0.1:``port`` (output discarded, or its log, stderr, written to ``log_path``;
    ``temp_dir``: its GRADIO_TEMP_DIR) and return once it accepts connections; raises RuntimeError when it
    exits or takes more than 120 s."""
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), **(env_extra or {}))
    if temp_dir:
        env["GRADIO_TEMP_DIR"] = temp_dir
    err = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115 - the child holds it
    try:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    finally:
        if log_path:
            err.close()
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(1.0)
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the app exited while starting") from None
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the app did not start within 120 s")


def _session(url: str, i: int, n_requests: int, done: Callable[[], None] | None = None) -> list[dict]:
    from gradio_client import Client, handle_file

    from sppviz.analysis.images import load_image

    path = EXAMPLES[i % len(EXAMPLES)]
    img, _ = load_image(str(path))
    w, h = img.shape[1], img.shape[0]
    client = Client(url, verbose=False)
    out = []
    for r in range(n_requests):
        box = [10 + (7 * i + r) % 50, 10 + (3 * i) % 40, w // 2 + i % 30, h // 2 + r % 20]
        t0 = time.perf_counter()
        ok, why = True, ""
        try:
            if r % 2 == 0:
                res = client.predict(handle_file(str(path)), [688], "1,2,3,6", api_name="/analyze")
                ok = res["image_wh"] == [w, h] and res["windows"] > 0
                why = "" if ok else f"session {i} got image {res['image_wh']} instead of {[w, h]}"
            else:
                res = client.predict(handle_file(str(path)), box, "paper", "paper", api_name="/project")
                ok = [round(v) for v in res["box"]] == box and res["image_wh"] == [w, h]
                why = "" if ok else f"session {i} got box {res['box']} instead of {box}"
        except Exception as e:  # a failed request is counted, never fatal
            ok, why = False, f"{type(e).__name__}: {e}"[:200]
        out.append({"session": i, "ok": ok, "why": why, "s": time.perf_counter() - t0})
        if done:
            done()
    return out


def own_copy(path: Path, i: int, folder: Path) -> Path:
    """The example with one pixel changed: each page visitor uploads a file of its own (no shared upload)."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    img.putpixel((0, 0), (i % 256, (i // 256) % 256, 7))
    out = folder / f"visitor{i}_{path.name.replace('.jpg', '.png')}"
    img.save(out)
    return out


def _page_session(url: str, i: int, n_requests: int, folder: Path, done: Callable[[], None] | None = None
                  ) -> list[dict]:
    """One browser-like visitor: upload, Analyze, then window numbers, the threshold and (every fifth request)
    the lesson ZIP, in its own session."""
    from sppviz.tools import rawclient

    page = rawclient.Page(url)
    sh = f"load{i}"
    out = []
    path = own_copy(EXAMPLES[i % len(EXAMPLES)], i, folder)
    for r in range(n_requests):
        t0 = time.perf_counter()
        ok, why = True, ""
        try:
            if r == 0:
                fd = rawclient.upload(url, path)
                res = page.call("analyze-btn", "click", {"input-image": fd, "scales": [480, 688]}, session_hash=sh)
            elif r % 5 == 4:
                res = page.call("lesson-btn", "click", {}, session_hash=sh)
            elif r % 2:
                res = page.call("win-k", "submit", {"win-k": (3 * i + r) % 20}, session_hash=sh)
            else:
                res = page.call("det-thresh", "input", {"det-thresh": 0.3 + 0.05 * (r % 8)}, session_hash=sh)
            ok = bool(res.get("success"))
            why = "" if ok else f"page session {i} request {r}: {res.get('error') or res.get('text')}"[:200]
        except Exception as e:  # a failed request is counted, never fatal
            ok, why = False, f"{type(e).__name__}: {e}"[:200]
        out.append({"session": i, "ok": ok, "why": why, "s": time.perf_counter() - t0, "kind": "page"})
        if done:
            done()
    return out


def run(url: str | None = None, sessions: int = 16, requests: int = 10, page_share: float = 0.0,
        env_extra: dict[str, str] | None = None) -> dict:
    """``sessions`` concurrent clients, ``requests`` each, against ``url`` (default: an app started
    here on a free port with a fresh temporary folder and ``env_extra``, stopped afterwards); the first
    ``page_share`` of the sessions are page visitors. Returns the success rate, p50 / p95 / max latency
    (s), wall time, the first failures and, for a server started here, its RSS (MB) and the most bytes
    its temporary folder held (sampled every 0.2 s) with their cap (panels + uploads)."""
    proc, temp_dir = None, None
    if url is None:
        port = free_port()
        temp_dir = tempfile.mkdtemp(prefix="sppviz-loadtest-")
        proc = start_server(port, temp_dir, env_extra)
        url = f"http://127.0.0.1:{port}/"
    pid = proc.pid if proc else None
    n_page = round(sessions * page_share)
    stop = threading.Event()
    temp_max = [0]

    def sample() -> None:
        while temp_dir and not stop.wait(0.2):
            temp_max[0] = max(temp_max[0], folder_bytes(temp_dir))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    copies = Path(tempfile.mkdtemp(prefix="sppviz-loadtest-images-"))
    try:
        rss0 = rss_mb(pid)[0] if pid else None
        total = sessions * requests
        warm_at = max(1, total // 3)  # the caches (conv5, proposals) are full by then
        marks: dict = {}
        lock = threading.Lock()
        count = [0]

        def done() -> None:
            with lock:
                count[0] += 1
                if pid and count[0] == warm_at:
                    marks["warm"] = rss_mb(pid)[0]

        t0 = time.perf_counter()
        def visitor(i: int) -> list[dict]:
            if i < n_page:
                return _page_session(url, i, requests, copies, done)
            return _session(url, i, requests, done)

        with ThreadPoolExecutor(sessions) as pool:
            results = [r for rs in pool.map(visitor, range(sessions)) for r in rs]
        wall = time.perf_counter() - t0
        lat = sorted(r["s"] for r in results)
        ok = [r for r in results if r["ok"]]
        res = {"url": url, "sessions": sessions, "requests": len(results), "success_rate": len(ok) / len(results),
               "p50_s": statistics.median(lat), "p95_s": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
               "max_s": lat[-1], "wall_s": wall, "failures": [r["why"] for r in results if not r["ok"]][:5]}
        res["page_sessions"] = n_page
        if pid:
            end, peak = rss_mb(pid)
            res.update(rss_start_mb=rss0, rss_warm_mb=marks.get("warm", end), warm_after_requests=warm_at,
                       rss_end_mb=end, rss_peak_mb=peak, rss_growth_after_warmup_mb=end - marks.get("warm", end))
        if temp_dir:
            stop.set()
            sampler.join()
            env = {**os.environ, **(env_extra or {})}
            cap = sum(float(env.get(k, "256")) for k in ("SPPVIZ_PANEL_MB", "SPPVIZ_UPLOAD_MB")) * 2**20
            res.update(temp_bytes_max=max(temp_max[0], folder_bytes(temp_dir)), temp_bytes_end=folder_bytes(temp_dir),
                       temp_cap_bytes=int(cap))
        return res
    finally:
        stop.set()
        shutil.rmtree(copies, ignore_errors=True)
        if proc:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m sppviz loadtest``."""
    p.add_argument("--url", default=None, help="an app already running on 127.0.0.1 (default: start one)")
    p.add_argument("--scenario", choices=("visitors", "classroom"), default="visitors",
                   help="visitors: API and page visitors at once; classroom: a class following the teacher")
    p.add_argument("--classroom", dest="scenario", action="store_const", const="classroom",
                   help="the same as --scenario classroom")
    p.add_argument("--sessions", type=int, default=None, help="16 visitors, or 40 students")
    p.add_argument("--requests", type=int, default=10, help="requests per session (visitors)")
    p.add_argument("--events", type=int, default=12, help="actions per student, Analyze first (classroom)")
    p.add_argument("--ramp-s", type=float, default=15.0, help="the students start within this many seconds")
    p.add_argument("--think-s", type=float, default=3.0, help="a student's mean pause between actions")
    p.add_argument("--seed", type=int, default=0, help="the class's plan (images, values, pauses)")
    p.add_argument("--page-share", type=float, default=0.5, help="fraction of the sessions that act as the page")
    p.add_argument("--panel-mb", type=float, default=None, help="the started server's panel cap (SPPVIZ_PANEL_MB)")
    p.add_argument("--upload-mb", type=float, default=None, help="the started server's upload cap (SPPVIZ_UPLOAD_MB)")
    p.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    """``python -m sppviz loadtest``: exit code 0 when every request succeeded, else 1."""
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError("the load test only targets this machine (127.0.0.1 / localhost)")
    classroom = args.scenario == "classroom"
    sessions = args.sessions or (40 if classroom else 16)
    if not 1 <= sessions <= 64 or not 1 <= args.requests <= 100:
        raise ValueError("use 1–64 sessions and 1–100 requests per session")
    if not 0.0 <= args.page_share <= 1.0:
        raise ValueError("--page-share is a fraction in 0..1")
    if not 1 <= args.events <= 60 or not 0 <= args.ramp_s <= 600 or not 0 <= args.think_s <= 60:
        raise ValueError("use 1–60 events per student, a ramp of 0–600 s and a think time of 0–60 s")
    env = {k: str(v) for k, v in (("SPPVIZ_PANEL_MB", args.panel_mb), ("SPPVIZ_UPLOAD_MB", args.upload_mb))
           if v is not None}
    if classroom:
        from sppviz.tools import classroom as scenario

        res = scenario.run(args.url, sessions, args.events, args.ramp_s, args.think_s, args.seed, env)
        print(json.dumps(res) if args.json else "\n".join(scenario.report_lines(res)))
        return 0 if res["success_rate"] == 1.0 and res["evictions"]["total"] == 0 else 1
    res = run(args.url, sessions, args.requests, args.page_share, env)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {round(v, 3) if isinstance(v, float) else v}")
    return 0 if res["success_rate"] == 1.0 else 1
