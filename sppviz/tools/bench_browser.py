"""``python -m sppviz bench --browser``: what a visitor feels, measured in Chromium.

Starts ``python app.py`` on a free port of 127.0.0.1 and drives Debian's Chromium (``/usr/bin/chromium``,
through Playwright with ``executable_path``; never ``playwright install``). It reports

- start-up: seconds from ``python app.py`` to the first HTTP answer of the page, to the page shown in the
  browser (the Analyze button visible) and to the app ready (the status line no longer says it is loading);
- Analyze → first figure (the pyramid panel shown) and → complete (the status line names the windows), for
  the bundled scenes (each new to the server) and for an uploaded 500 × 375 photo (a new variant each time,
  so that no cache helps);
- click → updated figure per kind of event (window click, window number, level, channel, bin click, rule,
  threshold, feature view): median and p95 of the time from the browser's input event to the figure's new
  image decoded and painted, split into the browser's part before the request, the server (request sent →
  result received) and the browser's part after it (new image fetched, decoded, painted).

Times are taken in the page (``performance.now()``): the input event in the capture phase, the queue's
messages by reading a copy of Gradio's event stream (``/queue/data``), the figure by its ``src`` change and
``img.decode()``, then one animation frame.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
PHOTO_WH = (500, 375)
TIMEOUT_MS = 120_000
REPO = Path(__file__).resolve().parents[2]
STATUS = '#status [data-testid="markdown"]'  # the status line's text (not Gradio's progress overlay on it)

# In the page: the time of the last input event, the queue's messages (a copy of the event stream) and a
# wait for a figure's new image (src changed, decoded, one frame later).
INSTRUMENT_JS = r"""
(() => {
  const B = window.__bench = {msgs: [], actions: [], action: 0, waits: {}};
  for (const type of ["pointerdown", "keydown", "input"]) {  // user input, in the capture phase
    document.addEventListener(type, () => { B.action = performance.now(); B.actions.push(B.action); }, true);
  }
  const origFetch = window.fetch;
  window.fetch = async function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    const sent = performance.now();
    const direct = url.includes("/run/") || url.includes("/api/predict");  // an event outside the queue
    if (direct) B.msgs.push({t: sent, msg: "join_sent", event_id: "direct-" + sent});
    const resp = await origFetch.apply(this, arguments);
    if (direct) B.msgs.push({t: performance.now(), msg: "process_completed", event_id: "direct-" + sent});
    if (url.includes("/queue/join")) {
      const m = {t: sent, msg: "join_sent", event_id: null};
      B.msgs.push(m);
      resp.clone().json().then((j) => { m.event_id = j.event_id; }).catch(() => {});
    }
    if (!url.includes("/queue/data") || !resp.body) return resp;
    const [mine, theirs] = resp.body.tee();
    (async () => {
      const reader = mine.getReader(), dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        const t = performance.now();
        buf += dec.decode(value, {stream: true});
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const chunk = buf.slice(0, i); buf = buf.slice(i + 2);
          for (const line of chunk.split("\n")) {
            if (!line.startsWith("data:")) continue;
            try {
              const m = JSON.parse(line.slice(5));
              B.msgs.push({t, msg: m.msg, event_id: m.event_id, bytes: line.length});
            }
            catch (e) { /* not JSON: a heartbeat */ }
          }
        }
      }
    })();
    return new Response(theirs, {status: resp.status, statusText: resp.statusText, headers: resp.headers});
  };
  const until = (key, check, limit) => {  // resolve with check()'s value, or {timeout: true} after limit ms
    const start = performance.now();
    B.waits[key] = new Promise((resolve) => {
      const tick = async () => {
        const v = await check();
        if (v) resolve(v);
        else if (performance.now() - start > limit) resolve({timeout: true});
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
  };
  B.watch = (key, sel, limit) => {
    const old = (document.querySelector(sel + " img") || {}).src || "";
    until(key, async () => {
      const img = document.querySelector(sel + " img");
      if (!img || !img.src || img.src === old) return null;
      const srcAt = performance.now();
      try { await img.decode(); } catch (e) { /* a broken image still counts as shown */ }
      const decoded = performance.now();
      const res = performance.getEntriesByName(img.src).pop();
      await new Promise((r) => requestAnimationFrame(r));
      return {src_at: srcAt, decoded, painted: performance.now(), fetch: res ? res.responseEnd - res.startTime : null,
              bytes: res ? res.encodedBodySize : null};
    }, limit);
  };
  B.idle = () => {  // every event sent so far has its result
    const done = new Set(B.msgs.filter((m) => m.msg === "process_completed").map((m) => m.event_id));
    return B.msgs.filter((m) => m.msg === "join_sent").every((m) => m.event_id !== null && done.has(m.event_id));
  };
  B.watchText = (key, sel, pattern, limit) => {  // a new text in sel that matches pattern
    const re = new RegExp(pattern), el0 = document.querySelector(sel), old = el0 ? el0.innerText : "";
    until(key, () => {
      const el = document.querySelector(sel);
      return el && el.innerText !== old && re.test(el.innerText) ? {painted: performance.now()} : null;
    }, limit);
  };
})();
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _photo_source() -> np.ndarray | None:
    """A real photo shipped with an installed package (RGB uint8), or None."""
    import importlib.util

    import cv2

    for pkg, rel in (("gradio", "media_assets/images/cheetah.jpg"),  # 502 × 343, a cheetah running on sand
                     ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg")):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.origin:
            continue
        p = Path(spec.origin).parent / rel
        img = cv2.imread(str(p), cv2.IMREAD_COLOR) if p.is_file() else None
        if img is not None:
            return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return None


def _procedural(wh: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A natural-looking image when no photo is installed: smooth colour fields, soft blobs, fine grain."""
    import cv2

    w, h = wh
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for octave in (4, 16, 64):  # coarse to fine colour noise, upsampled smoothly
        small = rng.random((max(2, h // octave), max(2, w // octave), 3)).astype(np.float32)
        img += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * (64.0 / octave ** 0.5)
    for _ in range(12):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.ellipse(img, c, (int(rng.integers(15, w // 4)), int(rng.integers(15, h // 4))), float(rng.uniform(0, 180)),
                    0, 360, rng.uniform(0, 255, 3).tolist(), -1)
    img = cv2.GaussianBlur(img, (0, 0), 2.0) + rng.normal(0, 6, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo_like(path: Path, variant: int = 0, wh: tuple[int, int] = PHOTO_WH) -> Path:
    """Write a ``wh`` (w, h) photo-like JPEG to ``path``: an installed photo cropped to the aspect ratio and
    resized (else a procedural image). Each ``variant`` differs in a few pixels, so the server sees a new
    image (no cached proposals or conv5)."""
    import cv2

    src = _photo_source()
    if src is None:
        img = _procedural(wh)
    else:
        h, w = src.shape[:2]
        aspect = wh[0] / wh[1]
        cw, ch = (w, int(round(w / aspect))) if w / h < aspect else (int(round(h * aspect)), h)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        img = cv2.resize(src[y0:y0 + ch, x0:x0 + cw], wh, interpolation=cv2.INTER_AREA)
    img = img.copy()
    img[variant % img.shape[0], :8] = (variant * 37) % 256  # a new image for the server's caches
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def start_app(port: int, env: dict | None = None, repo: Path = REPO) -> tuple[subprocess.Popen, float, float]:
    """``python app.py`` of the checkout ``repo`` on ``port``; returns (process, t0 = its start on the
    perf_counter clock, seconds to the page's first HTTP 200)."""
    app_py = repo / "app.py"
    if not app_py.is_file():
        raise FileNotFoundError(f"{app_py} not found: run the browser benchmark from a checkout of the repo")
    env = {**os.environ, **(env or {}), "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    log = tempfile.TemporaryFile("w+")  # the app's log (a pipe nobody reads could fill up and stop it)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(app_py)], cwd=str(repo), env=env, stdout=log, stderr=log, text=True)
    proc.log = log
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < TIMEOUT_MS / 1000:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
                if r.status == 200:
                    return proc, t0, time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise TimeoutError("the app did not answer")


@dataclass
class Samples:
    """Latencies (ms) of one kind of event, with their parts."""

    total: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=dict)
    unchanged: int = 0  # inputs after which the figure did not change (not counted)

    def add(self, total: float, **parts: float | None) -> None:
        self.total.append(total)
        for k, v in parts.items():
            if v is not None:
                self.parts.setdefault(k, []).append(v)

    def summary(self) -> dict:
        if not self.total:
            return {"n": 0, "unchanged": self.unchanged}
        return {"n": len(self.total), "unchanged": self.unchanged, "median_ms": round(statistics.median(self.total), 1),
                "p95_ms": round(percentile(self.total, 95), 1),
                "parts_median_ms": {k: round(statistics.median(v), 1) for k, v in self.parts.items()}}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (linear interpolation between order statistics)."""
    return float(np.percentile(np.asarray(values, np.float64), q))


class Driver:
    """One page of the app and the measurements on it."""

    def __init__(self, page):
        self.page = page

    def measure(self, action, sel: str, text: tuple[str, str] | None = None, limit_ms: int = 8000) -> dict | None:
        """Run ``action()`` (a user input) and wait for the figure in ``sel`` to show a new image (or, with
        ``text`` = (selector, regex), for a new text that matches). Returns ms from the input event: ``total``,
        and the parts ``before_request`` (input → request sent), ``server`` (request sent → result received),
        ``after`` (result → image decoded and painted) with ``fetch_ms`` / ``bytes`` of the new image; None
        when nothing changed within ``limit_ms`` (e.g. a click that selects the window already shown)."""
        p = self.page
        p.evaluate("() => { window.__bench.msgs = []; window.__bench.actions = []; window.__bench.action = 0; }")
        if text is None:
            p.evaluate("([s, l]) => window.__bench.watch('w', s, l)", [sel, limit_ms])
        else:
            p.evaluate("([s, r, l]) => window.__bench.watchText('w', s, r, l)", [*text, limit_ms])
        action()
        r = p.evaluate("async () => { const r = await window.__bench.waits.w; "
                       "return {...r, actions: window.__bench.actions, msgs: window.__bench.msgs}; }")
        settle(p)
        if r.get("timeout") or not r["actions"]:
            return None
        return split(r)

    def tab(self, elem_id: str) -> None:
        """Open a tab, and wait for what its opening draws (a tab out of sight is drawn when opened)."""
        self.page.click(f"#{elem_id}-button")
        self.page.wait_for_timeout(200)
        settle(self.page)

    def click_figure(self, sel: str, fx: float, fy: float) -> None:
        """Click at (fx, fy) in [0, 1] of the image shown in ``sel``."""
        img = self.page.locator(f"{sel} img").first
        box = img.bounding_box()
        img.click(position={"x": fx * box["width"], "y": fy * box["height"]})

    def set_number(self, sel: str, value: float) -> None:
        box = self.page.locator(f"{sel} input[type=number]").first
        box.fill(str(value))
        box.press("Enter")


def settle(page, limit_ms: int = 10_000) -> None:
    """Wait until every event sent so far (the chained ones too) has its result, and 150 ms more: the next
    input then meets an idle server, as a visitor who looks at the figure does."""
    page.wait_for_function("() => window.__bench.idle()", timeout=limit_ms)
    page.wait_for_timeout(150)


def split(r: dict) -> dict:
    """The parts of one measurement ``r`` (page times in ms): the input event that caused the first request
    after it (the last input before that request), the request's own result message (by its event id)."""
    msgs, actions = r["msgs"], r["actions"]
    join = next((m for m in msgs if m["msg"] == "join_sent" and m["t"] >= actions[0]), None)
    t0 = max((a for a in actions if join is None or a <= join["t"]), default=actions[0])
    done = None if join is None else next(
        (m for m in msgs if m["msg"] in ("process_completed", "process_generating") and m["t"] >= join["t"]
         and (join["event_id"] is None or m.get("event_id") == join["event_id"])), None)
    return {"total": r["painted"] - t0, "before_request": None if join is None else join["t"] - t0,
            "server": None if done is None else done["t"] - join["t"],
            "after": None if done is None else r["painted"] - done["t"], "fetch_ms": r.get("fetch"),
            "bytes": r.get("bytes")}


def analyze_once(d: Driver, load) -> dict:
    """``load()`` puts an image in the input; then Analyze → first figure (the pyramid panel's new image
    painted) and → complete (the status line names the windows), in ms from the click."""
    p = d.page
    load()
    p.evaluate(f"() => {{ window.__bench.watch('first', '#pyr-img', {TIMEOUT_MS}); "
               f"window.__bench.watchText('done', '{STATUS}', '\\\\d+ (windows|个窗口)', {TIMEOUT_MS}); }}")
    p.evaluate("() => { window.__bench.action = 0; }")
    p.click("#analyze-btn")
    r = p.evaluate("async () => ({first: await window.__bench.waits.first, done: await window.__bench.waits.done, "
                   "action: window.__bench.action})")
    if r["first"].get("timeout") or r["done"].get("timeout"):
        raise TimeoutError(f"Analyze did not finish: {r}")
    settle(p, TIMEOUT_MS)  # the steps chained after Analyze (tabs 10 and 11)
    return {"first_figure_ms": r["first"]["painted"] - r["action"], "complete_ms": r["done"]["painted"] - r["action"]}


def interactions(d: Driver, repeats: int) -> dict[str, Samples]:
    """Each kind of event ``repeats`` times, cycling its values so that each changes the figure."""
    p = d.page
    out: dict[str, Samples] = {}

    def run(kind: str, sel: str, action, text=None) -> None:
        m = d.measure(action, sel, text)
        samples = out.setdefault(kind, Samples())
        if m is None:
            samples.unchanged += 1
            return
        total = m.pop("total")
        samples.add(total, **m)

    d.tab("tab-projection")
    for i in range(repeats):
        fx, fy = ((0.3, 0.35), (0.65, 0.6), (0.45, 0.7), (0.7, 0.3))[i % 4]
        run("window click", "#proj-grid", lambda fx=fx, fy=fy: d.click_figure("#win-img", fx, fy))
    for i in range(repeats):
        run("window number", "#proj-grid", lambda i=i: d.set_number("#win-k", 3 + 7 * i))
    unfold(p, "settings", "rules")
    for i in range(repeats):
        rule = ("original", "fast-rcnn", "paper")[i % 3]
        run("rule (rules table)", "", lambda r=rule: p.locator("#projection label", has_text=r).first.click(),
            text=("#rules-table tr.chosen[data-rule]", f"^{rule}"))  # the figures do not depend on the rule
    d.tab("tab-spp")
    for i in range(repeats):
        n = ("n = 6", "n = 2", "n = 3")[i % 3]
        run("level", "#spp-map", lambda n=n: p.locator("#spp-level label", has_text=n).first.click())
    for i in range(repeats):
        run("channel", "#spp-map", lambda i=i: d.set_number("#spp-channel", (11 * i + 5) % 64))
    for i in range(repeats):
        fx, fy = ((0.3, 0.3), (0.7, 0.7), (0.5, 0.4))[i % 3]
        run("bin click", "#spp-map", lambda fx=fx, fy=fy: d.click_figure("#spp-values", fx, fy))
    d.tab("tab-detections")
    for i in range(repeats):
        run("threshold", "#det-after", lambda i=i: d.set_number("#det-thresh", round(0.2 + 0.05 * (i % 12), 2)))
    d.tab("tab-features")
    for i in range(repeats):
        view = ("one channel", "max", "mean")[i % 3]
        run("feature view", "#fm-map", lambda v=view: p.locator("#tab-features label", has_text=v).first.click())
    return out


def unfold(page, *elem_ids: str) -> None:
    """Open the accordions ``elem_ids`` (outermost first) where they are folded: the page folds the settings
    when an analysis shows its results, and the rules have an accordion of their own inside them."""
    for elem_id in elem_ids:
        header = page.locator(f"#{elem_id} > .label-wrap").first
        if header.count() and "open" not in (header.get_attribute("class") or ""):
            header.click()
            page.wait_for_timeout(100)


def open_settings(page) -> None:
    """The settings unfolded, so that the examples and the image input can be used again."""
    unfold(page, "settings")
    page.wait_for_selector("#examples", state="visible", timeout=TIMEOUT_MS)


def set_scales(page, scales: tuple[int, ...]) -> None:
    """Tick exactly ``scales`` among the page's scale boxes."""
    labels = page.locator("#scales label")
    for i in range(labels.count()):
        lab = labels.nth(i)
        if lab.locator("input").is_checked() != (int(lab.inner_text().strip()) in scales):
            lab.click()


def run(repeats: int = 12, analyses: int = 5, log=print, scales: tuple[int, ...] = (688,), repo: Path = REPO) -> dict:
    """Every measurement on a fresh app process of the checkout ``repo``, Analyze at ``scales``; returns the
    report's numbers."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise FileNotFoundError(f"{CHROMIUM} is missing: install Debian's chromium")
    tmp = Path(tempfile.mkdtemp(prefix="sppviz-bench-"))
    res: dict = {"chromium": CHROMIUM, "cores": len(os.sched_getaffinity(0))}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        port = free_port()
        log("starting app.py …")
        proc, t0, http_s = start_app(port, repo=Path(repo))
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100}, locale="en-US")
            page.add_init_script(INSTRUMENT_JS)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#analyze-btn", timeout=TIMEOUT_MS)
            shown_s = time.perf_counter() - t0
            try:  # the page's load event says whether the warm-up is still running
                page.wait_for_function(f"() => /loading/i.test(document.querySelector('{STATUS}').innerText)",
                                       timeout=3000)
                loading_seen = True
            except Exception:  # no "loading" within 3 s: the warm-up was done (or never said so)
                loading_seen = False
            page.wait_for_function(f"() => !/loading|加载/i.test(document.querySelector('{STATUS}').innerText)",
                                   timeout=TIMEOUT_MS)
            res["loading_shown"] = loading_seen
            res["startup_s"] = {"first_http": round(http_s, 2), "page_shown": round(shown_s, 2),
                                "ready": round(time.perf_counter() - t0, 2)}
            log(f"start-up {res['startup_s']}")
            d = Driver(page)
            set_scales(page, tuple(scales))
            res["scales"] = list(scales)
            n_examples = page.locator("#examples .gallery-item").count()
            scenes = []
            for i in range(min(analyses + 1, n_examples)):
                def load(i=i):
                    open_settings(page)
                    page.locator("#examples .gallery-item").nth(i).click()
                    page.wait_for_selector("#input-image img", timeout=TIMEOUT_MS)
                scenes.append(analyze_once(d, load))
                log(f"scene {i}: {scenes[-1]}")
            res["analyze_first_after_start"] = scenes[0]
            res["analyze_scene"] = summarize(scenes[1:])
            photos = []
            for v in range(analyses):
                path = photo_like(tmp / f"photo_{v}.jpg", v + 1)

                def load(path=path):
                    open_settings(page)
                    page.locator("#input-image button[aria-label='Clear']").first.click(timeout=2000)
                    page.locator("#input-image input[type=file]").first.set_input_files(str(path))
                    page.wait_for_selector("#input-image img", timeout=TIMEOUT_MS)
                try:
                    photos.append(analyze_once(d, load))
                except Exception:  # no clear button (nothing loaded yet): upload directly
                    page.locator("#input-image input[type=file]").first.set_input_files(str(path))
                    page.wait_for_selector("#input-image img", timeout=TIMEOUT_MS)
                    photos.append(analyze_once(d, lambda: None))
                log(f"photo {v}: {photos[-1]}")
            res["analyze_photo"] = summarize(photos)
            res["photo_wh"] = list(PHOTO_WH)
            log("interactions …")
            res["interactions"] = {k: v.summary() for k, v in interactions(d, repeats).items()}
        finally:
            proc.log.seek(0)
            res["warm_up_log"] = next((ln.split("INFO ", 1)[-1].strip() for ln in proc.log
                                       if "warm-up done" in ln), None)
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            browser.close()
    return res


def summarize(runs: list[dict]) -> dict:
    """Median and max of each measured time over runs."""
    keys = runs[0].keys() if runs else ()
    return {k: {"median": round(statistics.median(r[k] for r in runs), 1), "max": round(max(r[k] for r in runs), 1),
                "n": len(runs)} for k in keys}


def format_report(res: dict) -> str:
    """The Markdown report of a :func:`run` result."""
    s = res["startup_s"]
    lines = [f"Chromium, {res['cores']} cores", "",
             f"start-up: first HTTP answer {s['first_http']:.2f} s, page shown {s['page_shown']:.2f} s, "
             f"ready {s['ready']:.2f} s after `python app.py` (status line said it was loading: "
             f"{res.get('loading_shown')}; {res.get('warm_up_log')})", "",
             f"Analyze at scales {', '.join(map(str, res.get('scales', [688])))}:", "",
             "| Analyze | first figure ms (median / max) | complete ms (median / max) | runs |", "|---|---:|---:|---:|"]
    for name, key in (("bundled scene", "analyze_scene"),
                      (f"new {res['photo_wh'][0]}×{res['photo_wh'][1]} photo", "analyze_photo")):
        a = res[key]
        if a:
            lines.append(f"| {name} | {a['first_figure_ms']['median']:.0f} / {a['first_figure_ms']['max']:.0f} | "
                         f"{a['complete_ms']['median']:.0f} / {a['complete_ms']['max']:.0f} | "
                         f"{a['complete_ms']['n']} |")
    f = res["analyze_first_after_start"]
    lines += ["", f"first Analyze after start-up: first figure {f['first_figure_ms']:.0f} ms, "
              f"complete {f['complete_ms']:.0f} ms", "",
              "| event | median ms | p95 ms | before request | server | after (fetch, decode, paint) | n |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, v in res["interactions"].items():
        if not v["n"]:
            lines.append(f"| {kind} | no change seen | | | | | 0 |")
            continue
        p = v["parts_median_ms"]
        lines.append(f"| {kind} | {v['median_ms']:.0f} | {v['p95_ms']:.0f} | {p.get('before_request', 0):.0f} | "
                     f"{p.get('server', 0):.0f} | {p.get('after', 0):.0f} | {v['n']} |")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the browser benchmark (``python -m sppviz bench --browser``)."""
    p.add_argument("--browser-repeats", type=int, default=12, help="samples per kind of event")
    p.add_argument("--browser-analyses", type=int, default=5, help="Analyze runs per kind of image")
    p.add_argument("--browser-scales", type=int, nargs="+", default=[688], help="the scales ticked for Analyze")
    p.add_argument("--browser-checkout", type=Path, default=REPO,
                   help="the checkout whose app.py is measured (another one for an A/B comparison)")


def main(args: argparse.Namespace) -> int:
    """Print the report (one JSON object with ``--json``)."""
    quiet = getattr(args, "json", False)
    res = run(args.browser_repeats, args.browser_analyses, log=(lambda *_: None) if quiet else print,
              scales=tuple(args.browser_scales), repo=getattr(args, "browser_checkout", REPO))
    print(json.dumps(res) if quiet else format_report(res))
    return 0
