"""Limits a request meets before and while it runs (issue 17, findings 3 and 6), against the app served
in-process: the body limit, the upload rules and budget, the byte caps of the files the app keeps (one
copy of each), one heavy slot pool for page and API, the time budget, and a request nobody waits for."""

import hashlib
import json
import os
import time
from pathlib import Path

import httpx
import pytest

from sppviz.app import gate, limits, panels
from sppviz.app.tabs import inputs
from sppviz.tools import rawclient

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_5.jpg")
SMALL_BUDGET = 3 * 2**20


@pytest.fixture(scope="module", autouse=True)
def small_upload_budget():
    """The app of this module gives each visitor SMALL_BUDGET bytes (read when its middleware is built)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(gate, "UPLOAD_BUDGET_BYTES", SMALL_BUDGET)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def api(app_url):
    return app_url.rstrip("/") + "/gradio_api"


def short_text(r: httpx.Response) -> str:
    assert len(r.text) < 300 and "Traceback" not in r.text, r.text[:300]
    return r.text


def test_a_json_body_over_the_limit_is_refused(api):
    big = b'{"data": [' + b"1," * 200_000 + b'1], "fn_index": 0, "session_hash": "x"}'
    r = httpx.post(f"{api}/queue/join", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit is 262144" in short_text(r)

    def chunks():  # no Content-Length: counted while it arrives
        yield b'{"data": ['
        for _ in range(60):
            yield b"1," * 5000
        yield b"1]}"
    r = httpx.post(f"{api}/queue/join", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit" in short_text(r)
    r = httpx.post(f"{api}/queue/join", content=b'{"data": [1], "fn_index": 0, "session_hash": "x"' + b" " * 1000,
                   headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in short_text(r)


@pytest.mark.parametrize("body, where", [({"data": "x" * 100_000, "fn_index": 0}, "data"),
                                         ({"data": [], "fn_index": "abc"}, "fn_index"),
                                         ({"data": [], "fn_index": 0, "session_hash": ["x" * 90_000]}, "session_hash"),
                                         ({"data": [], "fn_index": 0, "event_data": None, "trigger_id": "t"},
                                          "trigger_id")])
def test_a_body_fastapi_cannot_read_gets_a_short_422(api, body, where):
    r = httpx.post(f"{api}/queue/join", json=body)
    assert r.status_code == 422
    detail = json.loads(short_text(r))["detail"]
    assert detail.startswith(where) and "xxxxxxxx" not in detail


def _multipart(name: str, size: int) -> tuple[bytes, str]:
    boundary = "sppvizboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + b"\0" * size + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_uploads_say_their_length_and_stay_under_the_file_limit(api):
    body, ctype = _multipart("x.png", 1000)
    r = httpx.post(f"{api}/upload", content=iter([body]), headers={"content-type": ctype})  # chunked
    assert r.status_code == 411 and "Content-Length" in short_text(r)
    body, ctype = _multipart("big.png", panels.MAX_UPLOAD_BYTES + 2**20)
    r = httpx.post(f"{api}/upload", content=body, headers={"content-type": ctype, "x-forwarded-for": "10.0.0.9"})
    assert r.status_code == 413 and "the limit is 25 MB per file" in short_text(r)


def test_each_visitor_has_an_upload_budget(api):
    body, ctype = _multipart("one.png", 2**20)
    codes = []
    for i in range(5):
        body = body.replace(b"\0" * 8, str(i).encode() * 8, 1)  # other content each time
        r = httpx.post(f"{api}/upload", content=body, headers={"content-type": ctype, "x-forwarded-for": "10.0.0.1"})
        codes.append(r.status_code)
    assert codes[:2] == [200, 200] and codes[-1] == 429, codes
    assert "per visitor" in short_text(r) and "try again in" in r.text
    r = httpx.post(f"{api}/upload", content=body, headers={"content-type": ctype, "x-forwarded-for": "10.0.0.2"})
    assert r.status_code == 200  # another visitor


def test_the_budget_slides():
    now = [0.0]
    b = gate.UploadBudget(100, 10.0, clock=lambda: now[0])
    b.charge("a", 60)
    assert b.remaining("a")[0] == 40 and b.remaining("b")[0] == 100
    now[0] = 5.0
    b.charge("a", 40)
    assert b.remaining("a") == (0, 5.0)
    now[0] = 10.5
    assert b.remaining("a")[0] == 60


def test_the_store_prunes_oldest_first_to_its_cap(tmp_path, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(panels, "MIN_KEEP_S", 10.0)
    store = panels.Store(300, lambda: [p for p in tmp_path.iterdir()], rescan_s=1e9, clock=lambda: now[0])

    def write(name: str, size: int) -> Path:
        p = tmp_path / name
        p.write_bytes(b"x" * size)
        os.utime(p, (now[0], now[0]))
        store.add(p, size)
        return p

    files = []
    for i in range(5):
        files.append(write(f"f{i}", 100))
        now[0] += 20
    assert store.prune(protected=frozenset({str(files[0])})) == 200  # f1, f2 go; f0 is protected
    assert [p.exists() for p in files] == [True, False, False, True, True]
    young = write("young", 100)
    assert store.prune() == 100 and not files[0].exists() and young.exists()  # the oldest goes, not the newest
    big = write("big", 250)
    # the older files are not enough: the young one goes too (oldest first), the cap holds
    assert store.prune() == 300 and sorted(p.name for p in tmp_path.iterdir()) == ["big"]
    assert store.total() <= 300
    assert store.prune(reserve=100) == 250 and not big.exists()  # room for 100 more bytes
    write("later", 10)
    now[0] += 1e4
    assert store.prune(max_age_s=3600) == 10 and not list(tmp_path.iterdir())  # and by age


def _cache_files() -> list[Path]:
    root = Path(os.environ["GRADIO_TEMP_DIR"])
    return [p for p in root.rglob("*") if p.is_file()]


def test_one_copy_of_each_panel_and_the_lesson_zip_reused(app_url):
    page = rawclient.Page(app_url)
    fd = rawclient.upload(app_url, EXAMPLE)
    sh = "one-copy"
    r = page.call("analyze-btn", "click", {"input-image": fd, "scales": [480], "source": "grid", "in_count": 40},
                  session_hash=sh)
    assert r["success"], r
    paths = [v["path"] for v in r["data"] if isinstance(v, dict) and isinstance(v.get("path"), str)]
    assert len(paths) >= 8 and all(Path(p).parent == panels.panel_dir() for p in paths)
    digests = [hashlib.blake2b(p.read_bytes()).hexdigest() for p in _cache_files()]
    assert len(digests) == len(set(digests)), "a file is stored twice"
    before = {p.name for p in panels.panel_dir().iterdir() if p.suffix == ".zip"}  # other tests' lessons too
    zips = []
    for _ in range(3):
        r = page.call("lesson-btn", "click", {}, session_hash=sh)
        assert r["success"], r
        zips.append(next(v["value"]["path"] for v in r["data"] if isinstance(v, dict) and "value" in v
                         and isinstance(v["value"], dict) and str(v["value"].get("path", "")).endswith(".zip")))
    assert len(set(zips)) == 1 and Path(zips[0]).parent == panels.panel_dir()  # made once, then handed out again
    assert {p.name for p in panels.panel_dir().iterdir() if p.suffix == ".zip"} - before == {Path(zips[0]).name}
    assert Path(zips[0]).stat().st_size < 8 * 2**20


def test_uploads_are_pruned_to_their_cap(app_url, monkeypatch):
    monkeypatch.setattr(panels, "MIN_KEEP_S", 0.0)
    monkeypatch.setattr(panels.UPLOADS, "cap", 600_000)
    body, ctype = _multipart("u.png", 200_000)
    for i in range(8):
        body = body.replace(b"\0" * 8, str(i).encode() * 8, 1)
        r = httpx.post(f"{app_url.rstrip('/')}/gradio_api/upload", content=body,
                       headers={"content-type": ctype, "x-forwarded-for": f"10.1.0.{i}"})
        assert r.status_code == 200
        time.sleep(0.01)
    examples = sum(p.stat().st_size for p in _cache_files() if p.name.startswith("example_"))  # protected
    assert panels.storage_bytes()["uploads"] <= 600_000 + examples


def test_heavy_work_has_one_time_budget(app_url, monkeypatch):
    monkeypatch.setattr(limits, "REQUEST_SECONDS", 0.0)
    page = rawclient.Page(app_url)
    fd = rawclient.upload(app_url, EXAMPLE)
    r = page.call("analyze-btn", "click", {"input-image": fd, "scales": [480]})
    assert r["success"] is False and "stopped after its time budget of 0 s" in r["error"], r
    dep = next(d for d in page.config["dependencies"] if d.get("api_name") == "analyze")
    r = rawclient.join(app_url, dep["id"], [fd, [480], None])
    assert r["success"] is False and r["error"].startswith("/analyze: stopped after its time budget"), r


def test_page_and_api_share_the_heavy_slots_and_take_raw_values(app_url):
    page = rawclient.Page(app_url)
    heavy = [d for d in page.config["dependencies"] if d.get("api_name") in ("analyze", "project")]
    assert len(heavy) == 2
    from sppviz.app import build_app

    demo = build_app()
    ids = {fn.concurrency_id for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "api_analyze"
           or getattr(getattr(fn.fn, "sppviz_handler", None), "__name__", "") in
           ("analyze_image", "compare_rcnn", "export_lesson_zip", "export_panels")}
    assert ids == {limits.HEAVY}
    assert {fn.concurrency_id for fn in demo.fns.values() if fn.concurrency_id == limits.HEAVY and
            getattr(fn.fn, "__name__", "") == "api_project"} == set()  # a decode and arithmetic: light
    assert all(fn.concurrency_limit == limits.HEAVY_CONCURRENCY for fn in demo.fns.values()
               if fn.concurrency_id == limits.HEAVY)
    # every handler and endpoint takes the raw values (Settings.parse / the API check them), and the upload
    # is not converted: Gradio re-encoded a 16-bit or RGBA image to RGB
    ours = [fn for fn in demo.fns.values() if hasattr(fn.fn, "sppviz_handler")
            or getattr(fn.fn, "__name__", "") in ("api_analyze", "api_project")]
    assert len(ours) > 30 and not [fn.name for fn in ours if fn.preprocess]
    assert demo.sppviz_components["image"].image_mode is None


def test_a_request_nobody_waits_for_stops(app_url, monkeypatch):
    """The client goes away while the proposals are computed: the analysis stops at its next stage (the
    proposals here wait until Gradio has noticed, as a slow selective search would)."""
    from sppviz.analysis import pipeline

    real = pipeline.get_windows
    seen = {}

    def slow_windows(*a, **kw):
        t0 = time.time()
        while limits.client_waiting("goes-away") and time.time() - t0 < 20:
            time.sleep(0.05)
        seen["noticed_s"] = time.time() - t0
        return real(*a, **kw)

    monkeypatch.setattr(pipeline, "get_windows", slow_windows)
    page = rawclient.Page(app_url)
    fd = rawclient.upload(app_url, str(inputs.EXAMPLES_DIR / "example_4.jpg"))
    dep = page.event("analyze-btn")
    values = {page.by_name["input-image"]: fd, page.by_name["scales"]: [480, 688]}
    data = [values.get(i, page.values.get(i)) for i in dep["inputs"]]
    before, sh = limits.ABANDONED["count"], "goes-away"
    base = app_url.rstrip("/") + "/gradio_api"
    with httpx.Client(timeout=60) as c:
        assert c.post(f"{base}/queue/join", json={"data": data, "fn_index": dep["id"], "session_hash": sh,
                                                   "event_data": None, "trigger_id": None}).status_code == 200
        with c.stream("GET", f"{base}/queue/data", params={"session_hash": sh}) as s:
            for line in s.iter_lines():
                if '"process_starts"' in line:
                    break
    deadline = time.time() + 30
    while limits.ABANDONED["count"] == before and time.time() < deadline:
        time.sleep(0.1)
    assert limits.ABANDONED["count"] == before + 1 and seen["noticed_s"] < 15, seen


def test_the_store_keeps_its_total_and_checks_ages_at_most_once_a_second(tmp_path):
    """Every panel write asks the store to prune: under its cap it answers from a running total, and looks
    for files past their age at most once per AGE_CHECK_S, so a file that ages is still deleted."""
    now = [1000.0]
    store = panels.Store(10_000, lambda: [p for p in tmp_path.iterdir()], rescan_s=1e9, clock=lambda: now[0])
    for i in range(3):
        (tmp_path / f"f{i}").write_bytes(b"x" * 100)
        os.utime(tmp_path / f"f{i}", (now[0], now[0]))
        store.add(tmp_path / f"f{i}", 100)
    store.add(tmp_path / "f0", 100)  # the same file again is not counted twice
    assert store.total() == 300
    assert store.prune(max_age_s=60) == 0
    now[0] += 100  # every file is now past its age, but ages were looked at just now ...
    store._aged = now[0] - panels.AGE_CHECK_S / 2
    assert store.prune(max_age_s=60) == 0 and len(list(tmp_path.iterdir())) == 3
    now[0] += panels.AGE_CHECK_S  # ... and are looked at again a second later
    assert store.prune(max_age_s=60) == 300 and not list(tmp_path.iterdir()) and store.total() == 0
