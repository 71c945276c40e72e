"""The pyramid's bound (issue 17, finding 1): a 2000×32 image is within the documented limits, but at
s = 1600 it became 100,000 × 1,600 (160 MP, 17.6 GB peak RSS). Every scaled image is now bounded
(pyramid.MAX_SCALED_PIXELS) and a request's memory is estimated before it runs (analysis.memory)."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import gradio as gr
import pytest
from torch import nn

from sppviz.analysis import memory
from sppviz.app import limits, settings
from sppviz.app.schema import UserError
from sppviz.app.tabs import inputs
from sppviz.method import pyramid
from sppviz.model import backbones

RSS_LIMIT_MB = 2048
ROOT = Path(__file__).resolve().parents[1]


def test_every_photo_up_to_2_to_1_keeps_every_allowed_scale():
    for wh in ((2000, 1000), (1000, 2000), (2000, 1500), (1600, 1200), (2000, 1125)):
        pyramid.check_scaled_size(wh, [pyramid.MIN_SCALE, pyramid.SINGLE_SCALE, pyramid.MAX_SCALE])
    assert pyramid.MAX_SCALED_PIXELS == 2 * pyramid.MAX_SCALE**2


@pytest.mark.parametrize("wh, s, largest", [((2000, 32), 1600, 286), ((2000, 32), 287, 286), ((32, 2000), 688, 286),
                                            ((2001, 1000), 1600, 1599), ((2000, 100), 1600, 505)])
def test_a_scale_past_the_bound_names_the_largest_one(wh, s, largest):
    with pytest.raises(ValueError, match=rf"scale {s}: this {wh[0]}×{wh[1]} image would become") as e:
        pyramid.check_scaled_size(wh, [pyramid.MIN_SCALE, s])
    assert f"the largest scale for this image is {largest})" in str(e.value)
    pyramid.check_scaled_size(wh, [largest])  # and that one passes
    sw, sh = pyramid.scaled_size(*wh, largest + 1)
    assert sw * sh > pyramid.MAX_SCALED_PIXELS


class FakeTrunk(nn.Module):
    def __init__(self, c1: int, stride: int, lrn: bool, c5: int):
        super().__init__()
        mods = [nn.Conv2d(3, c1, 3, stride=stride)] + ([nn.LocalResponseNorm(5)] if lrn else [])
        self.layers, self.out_channels, self.name = nn.Sequential(*mods), c5, "fake"


def test_the_estimate_follows_the_measured_peaks():
    """MB per scaled MP measured with ru_maxrss (analysis.memory's table); the estimate is an upper bound
    within 15 %."""
    measured = {"zf5": 395, "alexnet": 55, "vgg16": 517}
    for name, mb in measured.items():
        trunk = backbones.build(name) if name != "vgg16" else FakeTrunk(64, 1, False, 512)  # VGG16's conv1
        est = memory.activation_bytes_per_pixel(trunk)
        assert mb * 1.0 <= est / 1.048576 <= mb * 1.15, (name, est)


def test_a_request_over_the_memory_limit_is_refused_before_it_runs():
    vgg = FakeTrunk(64, 1, False, 512)  # VGG16's conv1: 544 bytes per scaled pixel
    limits.check_request((2000, 1500), vgg, [688, 1200], 2000)  # 2.4 MP: 1.3 GB
    with pytest.raises(UserError, match=r"fake at scale 1600 on this 2000×1000 image would need about 3\.0 GB; "
                                        r"the limit is 2\.0 GB"):
        limits.check_request((2000, 1000), vgg, [1600], 2000)  # 5.1 MP: 2.7 GB
    with pytest.raises(UserError, match="the largest scale for this image is 286"):
        limits.check_request((2000, 32), vgg, [1600], 2000)


CHILD = textwrap.dedent("""
    import json, os, resource, sys, tempfile, time
    import numpy as np
    from PIL import Image
    import gradio as gr
    from sppviz.app import settings
    from sppviz.app.tabs import inputs
    from sppviz.model.weights import load_default_detector, setup_threads
    setup_threads()
    load_default_detector()
    path = os.path.join(tempfile.mkdtemp(), "thin.png")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 2000, 3), dtype=np.uint8)).save(path)
    out = {}
    t0 = time.perf_counter()
    try:
        inputs.analyze_image(dict(settings.DEFAULTS, image=path, scales=[int(sys.argv[1])], state={}))
    except gr.Error as e:
        out["refused"] = e.message
    out["refuse_s"] = time.perf_counter() - t0
    res = inputs.analyze_image(dict(settings.DEFAULTS, image=path, scales=[int(sys.argv[2])], state={}))
    out["status"] = res["status"]
    # VmHWM: this process's own peak (ru_maxrss would carry over the forking pytest's RSS through fork + exec)
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    out["peak_mb"] = (int(hwm[0].split()[1]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    print("RESULT " + json.dumps(out))
""")


def test_the_thin_image_at_the_largest_scale_stays_under_2_gb(tmp_path):
    """In a child process with the bundled model: s = MAX_SCALE (1600) is refused at once, the largest
    scale the bound allows this image (286) runs Analyze with every panel, and the child's peak RSS stays
    under 2 GB (it reached 17.6 GB)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    t0 = time.perf_counter()
    env = {k: v for k, v in os.environ.items() if k != "SPPVIZ_MODEL"}  # the bundled model
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    # numba compiles the pooling kernels once per checkout (then they live in its disk cache, and the app
    # warms them at start-up): the same request at a small scale compiles them in a child of its own, so the
    # peak measured next is the request's, not the compiler's
    subprocess.run([sys.executable, str(script), str(pyramid.MAX_SCALE), "64"], capture_output=True, timeout=300,
                   env=env, cwd=ROOT, check=True)
    proc = subprocess.run([sys.executable, str(script), str(pyramid.MAX_SCALE), "286"], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(next(line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")))
    assert "scale 1600: this 2000×32 image would become 100000×1600" in out["refused"]
    assert "the largest scale for this image is 286" in out["refused"] and out["refuse_s"] < 1.0
    assert "scales 286" in out["status"]
    assert out["peak_mb"] < RSS_LIMIT_MB, out
    assert time.perf_counter() - t0 < 120


def test_the_page_and_the_api_refuse_it_alike(model, tmp_path):
    import numpy as np
    from PIL import Image

    from sppviz.app import api

    path = tmp_path / "thin.png"
    Image.fromarray(np.full((32, 2000, 3), 90, np.uint8)).save(path)
    for call in (lambda: inputs.analyze_image(dict(settings.DEFAULTS, image=str(path), scales=[688], state={})),
                 lambda: api.api_analyze(str(path), [688], "1,2,3,6")):
        with pytest.raises(gr.Error, match="scale 688: this 2000×32 image would become 43000×688") as e:
            call()
        assert "largest scale for this image is 286" in e.value.message and len(e.value.message) < 200
