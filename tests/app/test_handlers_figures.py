"""The figures through the handlers: drawn in the page's language (the language switch redraws them), and
the feature maps following the selected window."""

import re

from handler_helpers import entry, expected_cells

from sppviz import figures
from sppviz.app import language
from sppviz.app.tabs import features as features_tab
from sppviz.app.tabs import why
from sppviz.app.tabs import window as window_tab
from sppviz.i18n import EN, ZH, t
from sppviz.method import pyramid

HAN = re.compile(r"[\u4e00-\u9fff]")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z_'-]+", re.sub(r"\{[^{}]*\}", " ", text)))


def _figure_words(table: dict) -> set[str]:
    return set().union(*(_words(v) for k, v in table.items() if k.startswith(("fig_", "cls_"))))


EN_ONLY = _figure_words(EN) - _figure_words(ZH) - {"paper", "original", "fast-rcnn", "roialign"}


def test_switching_to_chinese_redraws_every_figure_in_chinese(done):
    v, _ = done
    why.compare_rcnn({**v, "why_n": 8})  # the warped crops are redrawn too (captions), not re-measured
    with figures.recording() as rec:
        zh = language.switch_language(v, "zh")
    assert "why_fig" in zh and {"pyr_img", "fm_map", "fm_overlay", "scale_chart", "proj_grid", "rf_img", "spp_map",
                                "spp_values", "spp_vector", "det_after", "cmp_fig", "cmb_vec"} <= set(zh)
    texts = [r.text for r in rec]
    assert sum(bool(HAN.search(s)) for s in texts) > 20
    assert not {w for s in texts for w in _words(s)} & EN_ONLY
    assert t("fig_warp", "zh", w=224, h=224) in texts  # the "why SPP" figure's captions
    with figures.recording() as rec:
        language.switch_language(v, "en")
    assert t("fig_warp", "en", w=224, h=224) in [r.text for r in rec]


def test_the_feature_maps_follow_the_selected_window(done):
    v, _ = done
    a = entry(v).a
    fm_scale = 1  # s = 688
    seen = set()
    for k in (0, len(a.windows) // 2, len(a.windows) - 1):
        st = window_tab.select_window({**v, "win_k": k})["state"]  # the page chains the feature maps after it
        assert st["k"] == k
        with figures.recording() as rec:
            out = features_tab.change_features({**v, "state": st, "fm_scale": fm_scale})
        cells = expected_cells(a, k)["paper"]
        si = pyramid.select_scale(a.windows[k].tolist(), a.image_wh, a.scales, rule="paper")
        xy = dict(k=k, cx0=cells[0], cy0=cells[1], cx1=cells[2], cy1=cells[3])
        texts = [r.text for r in rec]
        if si == fm_scale:  # the window's own scale: its cells, as the rules table gives them
            assert texts.count(t("fig_fm_window", "en", **xy)) == 2  # on the map and on the overlay
        else:  # another scale: the same window projected there, and where SPP pools it
            notes = [s for s in texts if s.startswith(f"window #{k} projected here: ")]
            assert len(notes) == 2 and f"(SPP pools it at s = {a.scales[si]})" in notes[0]
        seen.add(out["fm_map"])
    assert len(seen) == 3  # three windows, three maps
