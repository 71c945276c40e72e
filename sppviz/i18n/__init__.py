"""Every user-visible string of the app, in English and 简体中文, and the functions that pick one.

The strings themselves are plain data, one module per language (:mod:`sppviz.i18n.en`,
:mod:`sppviz.i18n.zh`), each with the same four tables: ``LABELS`` (static text), ``FORMATS`` (run-time
text with ``str.format`` placeholders), ``ERRORS`` and ``NARRATIVES`` (each step's explanation as a
record ``title`` / ``body`` / ``hint``, see :class:`Narrative`). Tests check that both languages have the
same keys and placeholders.

Static text (labels, info, Markdown written when the page is built) goes through Gradio's ``gr.I18n``
(:data:`STRINGS`) and is translated in the browser from its locale. Text that a handler writes at run
time (status lines, tables, error messages) is formatted on the server with :func:`t` in the language
chosen with the page's language switch, or else that of the request's ``Accept-Language`` header
(:func:`pick_lang`), so both halves of the page speak the same language. Code that needs part of a
narrative (the lesson handout drops the click hints) asks :func:`narrative` for the record instead of
taking the composed text apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from sppviz.i18n import en, zh

TABLES = ("LABELS", "FORMATS", "ERRORS", "NARRATIVES")
_LOCALES: dict[str, ModuleType] = {"en": en, "zh": zh}
LANGS = tuple(_LOCALES)


@dataclass(frozen=True)
class Narrative:
    """One step's explanation. ``title``: the bold heading without Markdown ("Step 4 · Spatial pyramid
    pooling"; '' for a paragraph that continues a step). ``body``: Markdown with inline ``$...$`` LaTeX.
    ``hint``: the sentence(s) that ask for an action in the app ("Click a bin …"), '' when none; a printed
    handout leaves them out."""

    title: str
    body: str
    hint: str = ""


def compose(n: Narrative, lang: str = "en", hint: bool = True) -> str:
    """``n`` as the Markdown the app shows: ``**title<end>** body<gap>hint`` with the language's title end
    ("." / "。") and sentence gap (" " / ""); without the heading when ``n.title`` is '' and without the
    hint when ``hint`` is False or ``n.hint`` is ''."""
    loc = _LOCALES.get(lang, en)
    text = f"**{n.title}{loc.TITLE_END}** {n.body}" if n.title else n.body
    return f"{text}{loc.SENTENCE_GAP}{n.hint}" if hint and n.hint else text


NARRATIVES: dict[str, dict[str, Narrative]] = {
    lang: {k: Narrative(**rec) for k, rec in loc.NARRATIVES.items()} for lang, loc in _LOCALES.items()}


def _flat(lang: str) -> dict[str, str]:
    loc = _LOCALES[lang]
    out: dict[str, str] = {}
    for table in (loc.LABELS, loc.FORMATS, loc.ERRORS):
        dup = out.keys() & table.keys()
        if dup:
            raise ValueError(f"keys in two tables of {lang}: {sorted(dup)}")
        out.update(table)
    dup = out.keys() & NARRATIVES[lang].keys()
    if dup:
        raise ValueError(f"keys in two tables of {lang}: {sorted(dup)}")
    out.update({k: compose(n, lang) for k, n in NARRATIVES[lang].items()})
    return out


# {lang: {key: text}}: every key of every table, narratives composed (what gr.I18n and t() read)
STRINGS: dict[str, dict[str, str]] = {lang: _flat(lang) for lang in LANGS}
EN, ZH = STRINGS["en"], STRINGS["zh"]


def t(key: str, lang: str = "en", **fmt: object) -> str:
    """The string ``key`` in ``lang`` (falling back to English), formatted with ``fmt``; a narrative as
    composed Markdown (:func:`compose`, hint included)."""
    text = STRINGS.get(lang, EN).get(key) or EN[key]
    return text.format(**fmt) if fmt else text


def t_count(key: str, count: int, lang: str = "en", /, **fmt: object) -> str:
    """``t(key, lang, **fmt)`` in the singular form ``key + "_one"`` when ``count`` is 1 ("1 bin", not
    "1 bins"; Chinese has one form for both)."""
    return t(f"{key}_one" if int(count) == 1 and f"{key}_one" in EN else key, lang, **fmt)


def figure_words(lang: str = "en") -> dict[str, str]:
    """The templates of the text drawn inside figures (the ``fig_*`` keys, without "fig_") in ``lang``: the
    ``words`` that :mod:`sppviz.figures` fills in (``figures.say``), since figures import nothing from sppviz."""
    table = STRINGS.get(lang, EN)
    return {k[4:]: table.get(k) or v for k, v in EN.items() if k.startswith("fig_")}


def class_name(name: str, lang: str = "en") -> str:
    """A class of the bundled model in ``lang`` ("disc" → "圆盘"); other models' classes as they are."""
    key = f"cls_{name}"
    return t(key, lang) if key in EN else name


def narrative(key: str, lang: str = "en") -> Narrative:
    """The narrative ``key`` ("nar_spp", "ls_why", …) in ``lang`` (falling back to English) as a record:
    its parts without parsing the translated text. KeyError for a key that is not a narrative."""
    table = NARRATIVES.get(lang, NARRATIVES["en"])
    return table[key] if key in table else NARRATIVES["en"][key]


def pick_lang(chosen: str | None, request: object | None = None) -> str:
    """The language of a request: the page's language switch (``chosen``, "en" / "zh") when set, else the
    browser's ``Accept-Language`` (:func:`lang_of`)."""
    return chosen if chosen in LANGS else lang_of(request)


def lang_of(request: object | None) -> str:
    """'zh' when the browser prefers Chinese (Accept-Language), else 'en'. ``request`` may be None."""
    try:
        header = (request.headers.get("accept-language") or "") if request is not None else ""
    except AttributeError:
        header = ""
    first = header.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"
