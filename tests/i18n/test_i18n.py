"""The string tables (sppviz.i18n.en / .zh) and what sppviz.i18n builds from them."""

import dataclasses
import string

import pytest

from sppviz import i18n
from sppviz.i18n import LANGS, STRINGS, TABLES, Narrative, en, narrative, t, zh

LOCALES = {"en": en, "zh": zh}
# paragraphs that continue a step (under the step's panels): no heading of their own
CONTINUATIONS = {"nar_rules", "nar_rf", "nar_vector"}
# the composed form, spelled out per language (not taken from the code under test)
TITLE_END = {"en": ".", "zh": "。"}
GAP = {"en": " ", "zh": ""}


def _fields(text: str) -> list[tuple[str, str, str]]:
    """The str.format placeholders of ``text``: (name, format spec, conversion), sorted."""
    return sorted((name, spec, conv or "") for _, name, spec, conv in string.Formatter().parse(text)
                  if name is not None)


def test_languages_are_en_and_zh():
    assert LANGS == ("en", "zh") and set(STRINGS) == set(LANGS)


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_the_same_keys_in_both_languages(table):
    keys = {lang: set(getattr(loc, table)) for lang, loc in LOCALES.items()}
    assert keys["en"] and keys["en"] == keys["zh"], keys["en"] ^ keys["zh"]


def test_strings_is_the_union_of_the_tables_without_overlap():
    for lang, loc in LOCALES.items():
        sizes = [len(getattr(loc, table)) for table in TABLES]
        union = set().union(*(getattr(loc, table) for table in TABLES))
        assert set(STRINGS[lang]) == union and len(union) == sum(sizes), lang
    assert all(isinstance(v, str) and v for lang in LANGS for v in STRINGS[lang].values())


@pytest.mark.parametrize("table", ["FORMATS", "ERRORS"])
def test_format_strings_have_the_same_placeholders_in_both_languages(table):
    for key, text in en.__dict__[table].items():
        assert _fields(text) == _fields(zh.__dict__[table][key]), key


def test_format_strings_format():
    assert t("lesson_step", "zh", k=2, n=11) == "第 2 / 11 步"
    assert t("err_window_index", "en", k=9, n=3, last=2) == "Window 9 does not exist: this image has 3 windows (0..2)."
    assert t("err_setting", "en", what="rule", value="x", choices="a, b") == "Unknown rule 'x'; choose one of a, b."
    assert t("err_no_image", "fr") == t("err_no_image", "en") != t("err_no_image", "zh")


def test_every_narrative_has_a_title_and_a_body():
    for lang, loc in LOCALES.items():
        for key, rec in loc.NARRATIVES.items():
            assert set(rec) == {"title", "body", "hint"}, (lang, key)
            n = narrative(key, lang)
            assert n.body and n.body == n.body.strip(), (lang, key)
            if key in CONTINUATIONS:
                assert n.title == "", (lang, key)
            else:
                assert n.title and n.title == n.title.strip(), (lang, key)
                assert "*" not in n.title and n.title[-1] not in ".。:：", (lang, key)
            assert n.hint == n.hint.strip() and "\n" not in n.hint, (lang, key)
            # both languages agree on which narratives have a title and a hint
            other = narrative(key, "zh" if lang == "en" else "en")
            assert (bool(n.title), bool(n.hint)) == (bool(other.title), bool(other.hint)), key
    assert set(en.NARRATIVES) >= CONTINUATIONS


@pytest.mark.parametrize("lang", LANGS)
def test_t_of_a_narrative_is_bold_title_body_hint(lang):
    for key in LOCALES[lang].NARRATIVES:
        n = narrative(key, lang)
        head = f"**{n.title}{TITLE_END[lang]}** " if n.title else ""
        tail = f"{GAP[lang]}{n.hint}" if n.hint else ""
        assert t(key, lang) == STRINGS[lang][key] == head + n.body + tail, key
        assert i18n.compose(n, lang, hint=False) == head + n.body, key


def test_hints_are_the_click_sentences():
    assert narrative("nar_spp").hint == "**Click a bin** to see where its maximum comes from."
    assert narrative("nar_spp", "zh").hint.startswith("**点击一个 bin**")
    assert narrative("nar_det").hint.startswith("Click a row") and narrative("nar_det", "zh").hint.startswith("点击")
    assert t("nar_spp").endswith("(5, 7, 9, 10, 12–15). **Click a bin** to see where its maximum comes from.")
    assert narrative("nar_pyramid") == Narrative("Image pyramid", narrative("nar_pyramid").body, "")
    assert t("nar_pyramid").startswith("**Image pyramid.** The whole image is resized")
    assert t("nar_pyramid", "zh").startswith("**图像金字塔。** 把整张图")


def test_narrative_records_are_frozen_and_fall_back_to_english():
    n = narrative("nar_spp", "zh")
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.hint = ""  # type: ignore[misc]
    assert narrative("nar_spp", "fr") == narrative("nar_spp", "en") != n
    with pytest.raises(KeyError):
        narrative("title")  # a label, not a narrative
    with pytest.raises(KeyError):
        narrative("no_such_key")


def test_handout_captions_drop_the_click_hint_of_the_app_labels():
    for lang in LANGS:
        assert t("win_img", lang).startswith(t("win_img_print", lang))
        assert t("spp_values", lang).startswith(t("spp_values_print", lang))
        for key in ("win_img_print", "spp_values_print"):
            assert "click" not in t(key, lang).lower() and "点击" not in t(key, lang)
