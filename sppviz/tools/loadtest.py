"""``python -m sppviz loadtest``: concurrent visitors against the app, on this machine only.

Starts ``app.py`` on a free port of 127.0.0.1 (or uses ``--url`` for one already running there),
then runs ``--sessions`` concurrent ``gradio_client`` sessions, each making ``--requests``
requests that alternate the two API endpoints (``/analyze``, ``/project``) on its own example
image and box. Reports the success rate, p50 / p95 latency, the server's RSS (start, after the first
third of the requests when the caches are full, end, peak) and checks that every answer belongs to the session that
asked (its own image size and box). The number of requests is bounded; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.jpg"))


def _rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """Start ``app.py`` on 127.0.0.1:``port`` (output discarded) and return once it accepts
    connections; raises RuntimeError when it exits or takes more than 120 s."""
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port))
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def run(url: str | None = None, sessions: int = 16, requests: int = 10) -> dict:
    """``sessions`` concurrent clients, ``requests`` each, against ``url`` (default: an app started
    here on a free port and stopped afterwards). Returns the success rate, p50 / p95 / max latency
    (s), wall time, the first failures and, for a server started here, its RSS (MB)."""
    proc = None
    if url is None:
        port = _free_port()
        proc = start_server(port)
        url = f"http://127.0.0.1:{port}/"
    pid = proc.pid if proc else None
    try:
        rss0 = _rss_mb(pid)[0] if pid else None
        total = sessions * requests
        warm_at = max(1, total // 3)  # the caches (conv5, proposals) are full by then
        marks: dict = {}
        lock = threading.Lock()
        count = [0]

        def done() -> None:
            with lock:
                count[0] += 1
                if pid and count[0] == warm_at:
                    marks["warm"] = _rss_mb(pid)[0]

        t0 = time.perf_counter()
        with ThreadPoolExecutor(sessions) as pool:
            results = [r for rs in pool.map(lambda i: _session(url, i, requests, done), range(sessions))
                       for r in rs]
        wall = time.perf_counter() - t0
        lat = sorted(r["s"] for r in results)
        ok = [r for r in results if r["ok"]]
        res = {"url": url, "sessions": sessions, "requests": len(results), "success_rate": len(ok) / len(results),
               "p50_s": statistics.median(lat), "p95_s": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
               "max_s": lat[-1], "wall_s": wall, "failures": [r["why"] for r in results if not r["ok"]][:5]}
        if pid:
            end, peak = _rss_mb(pid)
            res.update(rss_start_mb=rss0, rss_warm_mb=marks.get("warm", end), warm_after_requests=warm_at,
                       rss_end_mb=end, rss_peak_mb=peak, rss_growth_after_warmup_mb=end - marks.get("warm", end))
        return res
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m sppviz loadtest``."""
    p.add_argument("--url", default=None, help="an app already running on 127.0.0.1 (default: start one)")
    p.add_argument("--sessions", type=int, default=16)
    p.add_argument("--requests", type=int, default=10, help="requests per session")
    p.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    """``python -m sppviz loadtest``: exit code 0 when every request succeeded, else 1."""
    if args.url and not args.url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        raise ValueError("the load test only targets this machine (127.0.0.1 / localhost)")
    if not 1 <= args.sessions <= 64 or not 1 <= args.requests <= 100:
        raise ValueError("use 1–64 sessions and 1–100 requests per session")
    res = run(args.url, args.sessions, args.requests)
    if args.json:
        print(json.dumps(res))
    else:
        for k, v in res.items():
            print(f"{k}: {round(v, 3) if isinstance(v, float) else v}")
    return 0 if res["success_rate"] == 1.0 else 1
