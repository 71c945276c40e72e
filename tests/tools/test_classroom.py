"""The classroom load test (``python -m sppviz loadtest --classroom``): a small class against ``app.py`` started
on a free port, through the page's own events — every action succeeds and no student is told to press
Analyze again, also when memory pressure drops the shared analyses."""

import pytest

from sppviz.tools import classroom


def test_the_plan_mixes_the_teachers_scene_other_scenes_and_own_photos():
    p = classroom.plan(sessions=40, events=12, ramp_s=15, think_s=3, seed=1)
    kinds = [w["image"] for w in p]
    assert (kinds.count("teacher"), kinds.count("scene"), kinds.count("photo")) == (28, 6, 6)
    assert all(0 <= w["start_s"] <= 15 for w in p)
    steps = p[0]["steps"]
    assert [s["kind"] for s in steps[:6]] == list(classroom.KINDS) and len(steps) == 12
    for w in p:
        levels = (1, 2, 3, 6)
        for s in w["steps"]:
            if s["kind"] == "levels":
                levels = tuple(int(n) for n in s["levels"].split(","))
            if s["kind"] == "level":
                assert s["n"] in levels  # the level shown is one of the chosen levels
    assert classroom.plan(40, 12, 15, 3, seed=1) == p  # the same class again


def check(res, sessions, events):
    assert res["success_rate"] == 1.0, res["failures"]
    assert res["requests"] == sessions * events and res["joins"] > res["requests"]  # chained events sent too
    assert set(res["events"]) == set(classroom.KINDS)
    for kind, e in res["events"].items():
        assert e["ok"] == e["n"] > 0 and 0 < e["p50_s"] <= e["p95_s"] <= e["max_s"], kind
    ev = res["evictions"]
    assert ev["no_analysis_answers"] == 0 and ev["total"] == 0
    assert ev["server"] is not None and ev["server"]["evicted"] == 0 and ev["server"]["lost"] == 0
    r = res["rss_mb"]
    assert 0 < r["start"] <= r["peak"] and r["end"] <= r["peak"] <= r["peak_process"]
    assert 0 < res["server_cpu_s"]
    assert sum(res["mix"].values()) == sessions and all(res["mix"].values())


@pytest.mark.slow
def test_a_small_class_succeeds_without_evictions(tiny_model_path):
    res = classroom.run(sessions=4, events=6, ramp_s=1.0, think_s=0.2, seed=0,
                        env_extra={"SPPVIZ_MODEL": tiny_model_path})
    check(res, 4, 6)
    assert res["evictions"]["server"]["rebuilt"] == 0  # room for every analysis: none dropped
    assert any(line.startswith("  analyze ") for line in classroom.report_lines(res))


@pytest.mark.slow
def test_analyses_dropped_under_memory_pressure_are_rebuilt_unseen(tiny_model_path):
    # room for about one analysis: the students' events keep rebuilding each other's
    res = classroom.run(sessions=4, events=6, ramp_s=0.5, think_s=0.2, seed=2,
                        env_extra={"SPPVIZ_MODEL": tiny_model_path, "SPPVIZ_ANALYSIS_CACHE_MB": "3",
                                   "SPPVIZ_FEATURE_CACHE_MB": "1"})
    check(res, 4, 6)
    assert res["evictions"]["server"]["rebuilt"] > 0
