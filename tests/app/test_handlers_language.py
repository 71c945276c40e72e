"""Languages, lesson mode and the lesson ZIP, through the handlers."""

import re
import zipfile
from pathlib import Path

import gradio as gr
import pytest
from handler_helpers import entry

from sppviz import steps
from sppviz.app import language, settings
from sppviz.app.tabs import lesson as lesson_tab
from sppviz.app.tabs import why
from sppviz.i18n import EN, ZH, lang_of, t

# ---------------------------------------------------------------------------------- i18n


def test_both_languages_have_the_same_keys_and_placeholders():
    assert EN.keys() == ZH.keys()
    for k in EN:
        assert set(re.findall(r"{(\w+)", EN[k])) == set(re.findall(r"{(\w+)", ZH[k])), k


def test_language_follows_accept_language():
    class R:
        def __init__(self, h):
            self.headers = {"accept-language": h}

    assert lang_of(R("zh-CN,zh;q=0.9,en;q=0.8")) == "zh"
    assert lang_of(R("en-US,en;q=0.9")) == "en"
    assert lang_of(None) == "en"
    assert t("err_no_image", "zh") != t("err_no_image", "en")

# ---------------------------------------------------------------------------------- the language switch


def test_the_language_switch_wins_over_accept_language():
    from sppviz.i18n import pick_lang

    class R:
        def __init__(self, h):
            self.headers = {"accept-language": h}

    assert pick_lang("zh", R("en-US,en;q=0.9")) == "zh"
    assert pick_lang("en", R("zh-CN,zh;q=0.9")) == "en"
    assert pick_lang(None, R("zh-CN,zh;q=0.9")) == "zh" and pick_lang("", R("en")) == "en"
    assert pick_lang("fr", None) == "en"
    assert language.initial_language("zh", R("en")) == "zh" and language.initial_language("", R("zh-CN")) == "zh"


def test_switching_the_language_rewrites_every_handler_text(done):
    v, _ = done
    why.compare_rcnn({**v, "why_n": 8})  # a "why SPP" summary to re-word (not re-measure)
    zh = language.switch_language(v, "zh")
    assert set(zh) <= set(language.LANG_OUT) and {"status", "win_info", "spp_info", "det_info", "fm_info",
                                                  "why_summary", "cmp_info", "cmb_info", "cmb_det_info",
                                                  "lesson_counter"} <= set(zh)
    assert "个窗口" in zh["status"] and "窗口" in zh["win_info"] and "层级" in zh["spp_info"]
    assert "检测" in zh["det_info"] and "步长" in zh["fm_info"] and "实测加速" in zh["why_summary"]
    assert "规则" in zh["rules_table"] and "方法" in zh["cmp_table"]["headers"]
    assert zh["pyr_table"]["headers"][1] == t("pyr_h_image", "zh") and zh["det_table"]["headers"][0] == "类别"
    assert "窗口" in zh["cmb_info"] and "注意" in zh["cmb_det_info"] and zh["lesson_counter"].startswith("### 第 1 / ")
    en = language.switch_language(v, "en")
    assert "windows" in en["status"] and "Measured speedup" in en["why_summary"] and "Caveat" in en["cmb_det_info"]
    # the same numbers in both languages (re-worded, not re-measured)
    num = re.compile(r"\*\*([\d.]+)×\*\*")
    assert num.findall(zh["why_summary"]) == num.findall(en["why_summary"])
    # no analysis yet: only the lesson tab's message changes, no error
    idle = language.switch_language(dict(settings.DEFAULTS, state={}), "zh")
    assert idle["lesson_counter"] == t("lesson_idle", "zh") and "status" not in idle


def test_a_language_picked_while_analyze_ran_is_caught_up_after_it(model):
    """Analyze draws in the language of the click; the step chained after it redraws in the page's language
    when that changed meanwhile (the switch found no analysis then), and does nothing when they match."""
    from handler_helpers import analyzed

    v, out = analyzed(model)  # drawn in English
    assert v["state"]["drawn_lang"] == "en" and "windows" in out["status"]
    assert language.catch_up_language(v, "en") == {}
    zh = language.catch_up_language(v, "zh")  # the page is in Chinese now
    assert "个窗口" in zh["status"] and "窗口" in zh["win_info"] and "规则" in zh["rules_table"]
    v["state"] = zh["state"]  # what the page keeps
    assert v["state"]["drawn_lang"] == "zh" and language.catch_up_language(v, "zh") == {}
    assert language.catch_up_language(dict(settings.DEFAULTS, state={}), "zh") == {}  # no analysis: nothing


def test_the_class_filter_names_the_classes_in_the_page_s_language(done):
    v, out = done
    classes = list(entry(v).a.detector.classes)
    assert out["classes"]["choices"] == [(c, c) for c in classes]  # English: the model's own names
    zh = language.switch_language(v, "zh")["classes"]
    assert [value for _, value in zh["choices"]] == classes  # the values the filter sends stay the model's
    names = dict((value, label) for label, value in zh["choices"])
    assert names["disc"] == "圆盘" and names["heart"] == "心形" and all(names[c] != c for c in classes)
    assert "value" not in zh  # the ticked classes stay as they were

# ---------------------------------------------------------------------------------- lesson mode


def test_lesson_mode_walks_every_step_with_back_and_next(done):
    v, _ = done
    n = len(steps.STEPS)
    step, images = 1, set()
    first = lesson_tab.lesson_show({**v, "lesson_step": 1})
    assert first["lesson_back"]["interactive"] is False and first["lesson_next"]["interactive"] is True
    for k in range(1, n + 1):
        out = lesson_tab.lesson_show({**v, "lesson_step": step}, delta=0 if k == 1 else 1)
        step = out["lesson_step"]
        assert step == k and out["lesson_counter"].startswith(f"### Step {k} / {n} · ")
        title = steps.STEPS[k - 1].title
        assert t(title) in out["lesson_counter"] and out["lesson_text"]
        assert "Click" not in out["lesson_text"] and Path(out["lesson_img"]).is_file()
        assert not out["lesson_text"].startswith("**Step")
        images.add(out["lesson_img"])
        assert out["lesson_back"]["interactive"] is (k > 1) and out["lesson_next"]["interactive"] is (k < n)
    assert len(images) == n  # one different figure per step
    assert lesson_tab.lesson_show({**v, "lesson_step": n}, delta=1)["lesson_step"] == n  # clamped at the ends
    back = lesson_tab.lesson_show({**v, "lesson_step": 2}, delta=-1)
    assert back["lesson_step"] == 1 and back["lesson_img"] == first["lesson_img"]
    zh = lesson_tab.lesson_show({**v, "lesson_step": 6}, lang="zh")
    assert zh["lesson_counter"].startswith(f"### 第 6 / {n} 步") and "每个 bin 对每个通道取" in zh["lesson_text"]
    assert not zh["lesson_text"].startswith("**第")  # the tab's own "Step 4" heading: the counter replaces it
    assert "点击" not in zh["lesson_text"]
    idle = lesson_tab.lesson_show(dict(settings.DEFAULTS, state={}))
    assert "Analyze" in idle["lesson_counter"] and idle["lesson_img"] is None
    with pytest.raises(gr.Error, match="lesson step"):
        lesson_tab.lesson_show({**v, "lesson_step": "two"})


# ---------------------------------------------------------------------------------- the lesson ZIP


@pytest.mark.slow  # several seconds: `make test` runs it, `make check` does not
def test_lesson_zip_is_the_lesson_export_of_the_current_settings(done, tmp_path):
    import json

    from sppviz import lesson

    v, _ = done
    k = v["state"]["k"]
    vv = {**v, "projection": "original", "levels": "1,2,4", "thresh": 0.3}
    path, info = lesson_tab.export_lesson_zip(vv, "zh")
    assert f"#{k}" in info and "简体中文" in info
    with zipfile.ZipFile(path) as z:
        z.extractall(tmp_path / "app")
        names = set(z.namelist())
    data = json.loads((tmp_path / "app" / "analysis.json").read_text(encoding="utf-8"))
    assert data["lang"] == "zh" and data["selected_window"]["index"] == k
    assert data["selected_window"]["projection_rule"] == "original" and [lv["n"] for lv in data["levels"]] == [1, 2, 4]
    assert data["detections"]["score_thresh"] == 0.3 and data["rules"]["projection"] == "original"
    html = (tmp_path / "app" / "handout.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]+)"', html)  # every step's figure, inline: the file stands alone
    figs = sorted(n for n in names if n.endswith((".png", ".jpg")))  # compact: photo-like figures as JPEG
    assert len(srcs) == len(steps.STEPS) == len(figs)
    for s, name in zip(srcs, figs, strict=True):
        assert s.startswith("data:image/jpeg;base64," if name.endswith(".jpg") else "data:image/png;base64,")
    assert '<html lang="zh-Hans">' in html
    # the same files as lesson.write_lesson on the same analysis (the CLI's lesson, compact, conv5 reused)
    res = lesson.write_lesson(entry(v).a, tmp_path / "lib", "zh", (1, 2, 4), k, projection="original",
                              score_thresh=0.3, compact=True)
    assert names == set(res["files"])
    with pytest.raises(gr.Error, match="Analyze first"):
        lesson_tab.export_lesson_zip(dict(settings.DEFAULTS, state={}))


def test_bold_markers_pair_up_in_both_languages():
    """CommonMark does not close ** after a full-width bracket followed by a Han character (e.g. "**拉伸（warp）**到"),
    which turned half a paragraph bold: every ** must open or close a <strong>, never nest."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for lang, strings in (("en", EN), ("zh", ZH)):
        for key, text in strings.items():
            src = re.sub(r"\$[^$]*\$", "M", text)  # LaTeX is not Markdown
            html = md.render(src)
            assert "**" not in html and 2 * html.count("<strong>") == src.count("**"), (lang, key)
            assert not re.search(r"<strong>(?:(?!</strong>).)*<strong>", html), (lang, key)
