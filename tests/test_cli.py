"""`python -m sppviz project` and the window report behind it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sppviz.__main__ import main
from sppviz.analysis import report
from sppviz.method import geometry, pyramid
from sppviz.model import backbones

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "assets" / "examples" / "example_1.jpg"


@pytest.mark.slow  # a fresh interpreter: imports torch and OpenCV again
def test_project_cli_prints_the_report_as_json():
    out = subprocess.run([sys.executable, "-m", "sppviz", "project", str(EXAMPLE), "--box", "100", "40", "300", "200",
                          "--backbone", "zf5-release", "--levels", "1", "2", "3", "6", "--compact"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    res = json.loads(out)
    from PIL import Image

    w, h = Image.open(EXAMPLE).size
    box = [100.0, 40.0, 300.0, 200.0]
    i = pyramid.select_scale(box, (w, h), pyramid.PAPER_SCALES, "paper")
    assert res["scale"] == pyramid.PAPER_SCALES[i]
    assert res["scale_selection"]["original"]["scale"] == pyramid.PAPER_SCALES[
        pyramid.select_scale(box, (w, h), pyramid.PAPER_SCALES, "original")]
    g = backbones.build("zf5-release").geometry
    f = pyramid.scale_factor(w, h, res["scale"])
    for rule in geometry.PROJECTION_RULES:
        assert res["cells"][rule] == list(geometry.project_window([v * f for v in box], g, rule,
                                                                  map_hw=tuple(res["conv5_hw"])))
    assert res["geometry"] == {"stride": 16, "offset": 20.0, "receptive_field": 139}
    assert res["vector_length"] == 256 * 50
    assert set(res["bins"]["adaptive"]) == {"1", "2", "3", "6"}
    assert all(v["ok"] for v in res["bins"]["adaptive"].values())


def test_report_flags_sliding_levels_that_do_not_give_n_bins():
    # a window of exactly 10 × 10 cells at scale 688 with the paper geometry (offset 0, stride 16):
    # cells 1..10 → pixels whose centres 16..160 lie strictly inside (8, 168)
    res = report.window_report((688, 688), (8, 8, 168, 168), "zf5", scales=(688,), levels=(1, 2, 3, 6))
    assert res["window_cells_wh"] == [10, 10]
    assert res["bins"]["sliding"]["6"]["count"] == [9, 9] and not res["bins"]["sliding"]["6"]["ok"]
    assert res["bins"]["adaptive"]["6"]["ok"]


def test_cli_reports_bad_input_without_a_traceback(capsys, tmp_path):
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    assert main(["project", str(bad), "--box", "0", "0", "10", "10"]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err
    assert main(["project", str(EXAMPLE), "--box", "0", "0", "10", "10", "--scales", "0"]) == 2
    assert "outside the allowed range" in capsys.readouterr().err
    assert main(["project", str(EXAMPLE), "--box", "50", "50", "10", "10"]) == 2


@pytest.mark.parametrize("levels", [(1, 2, 4), (6, 3, 2, 1)])
def test_report_levels_in_given_order(levels):
    res = report.window_report((500, 400), (10, 10, 300, 300), "zf5", levels=levels)
    assert res["levels"] == list(levels)
    assert res["vector_length"] == 256 * sum(n * n for n in levels)


def test_detect_with_imagenet_backbone_but_no_weights_says_where_to_put_them(capsys, tmp_path, monkeypatch):
    from sppviz.model.weights import load_imagenet_detector

    monkeypatch.setenv("SPPVIZ_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.delenv("SPPVIZ_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.setattr("torch.hub.get_dir", lambda: str(tmp_path / "hub"))
    load_imagenet_detector.cache_clear()
    assert main(["detect", str(EXAMPLE), "--backbone", "vgg16"]) == 2
    err = capsys.readouterr().err
    assert "vgg16-397923af.pth" in err and "SPPVIZ_WEIGHTS_DIR" in err and "Traceback" not in err


def test_detect_prints_detections(capsys, tiny_model_path, monkeypatch):
    from sppviz.model.weights import load_default_detector

    monkeypatch.setenv("SPPVIZ_MODEL", tiny_model_path)
    load_default_detector.cache_clear()
    assert main(["detect", str(EXAMPLE), "--threshold", "0.0", "--windows", "50", "--compact"]) == 0
    res = json.loads(capsys.readouterr().out)
    load_default_detector.cache_clear()
    assert 0 < res["windows"] <= 50 and res["scales"] == [480, 688, 864]  # the default pyramid
    assert all(set(d) == {"box", "label", "score", "window"} for d in res["detections"])


def test_preset_release_sets_scales_rules_levels_and_backbone(capsys):
    from sppviz.method import presets

    assert main(["project", str(EXAMPLE), "--box", "222", "179", "495", "189", "--preset", "release",
                 "--compact"]) == 0
    res = json.loads(capsys.readouterr().out)
    p = presets.get_preset("release")
    assert res["preset"] == "release" and res["scales"] == list(p.scales) and 874 in res["scales"]
    assert res["scale_rule"] == "original" and res["backbone"] == "zf5-release"
    from PIL import Image

    want = report.window_report(Image.open(EXAMPLE).size, [222, 179, 495, 189], "zf5-release", p.scales, p.levels,
                                "original", "release", "original")
    assert res["cells"] == json.loads(json.dumps(want["cells"])) and res["scale"] == want["scale"]
    # an explicit flag overrides the preset's choice
    assert main(["project", str(EXAMPLE), "--box", "222", "179", "495", "189", "--preset", "release",
                 "--box-scaling", "fast-rcnn", "--compact"]) == 0
    over = json.loads(capsys.readouterr().out)
    assert over["scale_rule"] == "original" and over != res
    with pytest.raises(SystemExit):
        main(["project", str(EXAMPLE), "--box", "1", "1", "9", "9", "--preset", "yolo"])
