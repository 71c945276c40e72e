"""The `analyze` and `project` endpoints through gradio_client, against the app served in-process."""

from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from sppviz.analysis import report
from sppviz.analysis.images import load_image
from sppviz.app.tabs import inputs
from sppviz.method import geometry, pyramid
from sppviz.model.weights import load_default_detector

EXAMPLE = str(inputs.EXAMPLES_DIR / "example_3.jpg")


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def test_both_endpoints_are_listed(client):
    named = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/analyze", "/project"} <= set(named)
    assert [p["parameter_name"] for p in named["/project"]["parameters"]] == [
        "image", "box", "scale_rule", "projection"]


@pytest.mark.parametrize("scales, levels", [([480, 688], [1, 2, 4]), ("576, 688", "1,2,3,6")])
def test_analyze(client, scales, levels):
    res = client.predict(handle_file(EXAMPLE), scales, levels, api_name="/analyze")
    img, _ = load_image(EXAMPLE)
    w, h = img.shape[1], img.shape[0]
    want = [480, 688] if scales == [480, 688] else [576, 688]
    assert res["image_wh"] == [w, h] and res["scales"] == want and res["windows"] > 0
    trunk = load_default_detector().net.trunk
    for p, s in zip(res["pyramid"], want, strict=True):
        sw, sh = pyramid.scaled_size(w, h, s)
        assert p["scale"] == s and p["scaled_wh"] == [sw, sh]
        assert tuple(p["conv5_hw"]) == trunk.feature_size((sh, sw))
    assert res["vector_length"] == trunk.out_channels * sum(n * n for n in res["levels"])
    assert res["model_levels"] == [1, 2, 3, 6]
    classes = set(load_default_detector().classes)
    for d in res["detections"]:
        assert set(d) == {"box", "label", "score"} and len(d["box"]) == 4 and d["label"] in classes
        assert 0.5 <= d["score"] <= 1.0 and d["box"][0] <= d["box"][2] and d["box"][1] <= d["box"][3]


@pytest.mark.parametrize("scale_rule, projection", [("paper", "paper"), ("original", "fast-rcnn")])
def test_project_matches_geometry(client, scale_rule, projection):
    box = [120.0, 80.5, 420.0, 300.0]
    res = client.predict(handle_file(EXAMPLE), box, scale_rule, projection, api_name="/project")
    img, _ = load_image(EXAMPLE)
    wh = (img.shape[1], img.shape[0])
    s = pyramid.PAPER_SCALES[pyramid.select_scale(box, wh, pyramid.PAPER_SCALES, rule=scale_rule)]
    f = pyramid.scale_factor(*wh, s)
    sw, sh = pyramid.scaled_size(*wh, s)
    trunk = report.trunk_for_geometry(load_default_detector().net.trunk.name)
    map_hw = trunk.feature_size((sh, sw))
    assert res["scale"] == s and res["projection"] == projection
    for rule in geometry.PROJECTION_RULES:
        want = list(geometry.project_window([v * f for v in box], trunk.geometry, rule, map_hw=map_hw))
        assert res["cells"][rule] == want
    assert res["chosen_cells"] == res["cells"][projection]


@pytest.mark.parametrize("endpoint, args, message", [
    ("/project", ([10, 10, 5, 5], "paper", "paper"), "inverted"),
    ("/project", ([1, 2, 3], "paper", "paper"), "shape"),
    ("/project", ([10, 10, 50, 50], "closest", "paper"), "Unknown scale rule"),
    ("/project", ("not a box", "paper", "paper"), "numbers"),
    ("/analyze", ([20], [1, 2]), "outside the allowed range"),
    ("/analyze", ([688], [0, 1]), "int >= 1"),
])
def test_bad_input_is_a_clear_error(client, endpoint, args, message):
    with pytest.raises(Exception, match=message) as err:
        client.predict(handle_file(EXAMPLE), *args, api_name=endpoint)
    assert "Traceback" not in str(err.value)


def test_a_file_that_is_not_an_image(client, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG but not really")
    with pytest.raises(Exception, match="not an image|damaged"):
        client.predict(handle_file(str(bad)), [688], [1, 2, 3, 6], api_name="/analyze")


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", str(Path(__file__).resolve())])
def test_server_paths_cannot_be_read_through_the_api(client, path):
    import httpx

    base = client.src.rstrip("/") + "/gradio_api"
    r = httpx.post(f"{base}/call/project", json={"data": [{"path": path, "meta": {"_type": "gradio.FileData"}},
                                                           [0, 0, 10, 10], "paper", "paper"]})
    stream = httpx.get(f"{base}/call/project/{r.json()['event_id']}", timeout=60).text
    assert "event: error" in stream and "root:" not in stream and "import" not in stream
    assert httpx.get(f"{client.src.rstrip('/')}/gradio_api/file={path}").status_code in (403, 404)
