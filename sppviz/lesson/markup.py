"""The narratives' Markdown as HTML for the printed handout, with their ``$...$`` LaTeX as plain text.

Markdown goes through markdown-it-py (CommonMark, raw HTML off) with one extra inline rule,
``math_inline``, that takes a ``$...$`` formula out of the text before Markdown sees it (so a formula's
``*`` or ``\\,`` is not emphasis or an escape). The handout has no scripts (no KaTeX) and raw source such
as ``\\lfloor i\\,a/n \\rfloor`` reads badly on paper, so :func:`tex_html` writes a formula as text:
the commands the narratives use as symbols, ``^`` / ``_`` as ``<sup>`` / ``<sub>``, groups ``{...}``
without their braces. A command it does not know is an error (tests render every narrative).
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# TeX commands -> text (only what the narratives use; \mathrm{X} is X)
TEX_SYMBOLS = {
    "arg": "arg", "min": "min", "max": "max", "mathrm": "", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "ldots": "…", "times": "×", "cdot": "·", "approx": "≈", "sum": "Σ", "in": "∈",
    "{": "{", "}": "}", ",": "\u2009",
}


def _command(src: str, i: int) -> tuple[str, int]:
    """The command starting at ``src[i] == "\\"``: its name (letters, or one other character) and the
    index after it."""
    j = i + 1
    while j < len(src) and src[j].isascii() and src[j].isalpha():
        j += 1
    if j == i + 1:  # \, \{ \}: one character
        j = min(i + 2, len(src))
    name = src[i + 1:j]
    if name not in TEX_SYMBOLS:
        raise ValueError(f"no plain-text form for the TeX command \\{name} (in {src!r}); add it to TEX_SYMBOLS")
    return name, j


def _tex(src: str, i: int, close: bool) -> tuple[str, int]:
    """HTML of ``src[i:]`` up to the end, or up to the ``}`` closing a group when ``close``."""
    out: list[str] = []
    while i < len(src):
        c = src[i]
        if c == "}" and close:
            return "".join(out), i + 1
        if c == "{":
            text, i = _tex(src, i + 1, True)
        elif c in "^_":
            arg, i = _atom(src, i + 1)
            tag = "sup" if c == "^" else "sub"
            text = f"<{tag}>{arg}</{tag}>"
        elif c == "\\":
            name, i = _command(src, i)
            text = TEX_SYMBOLS[name]
        elif src.startswith(" - ", i):  # a binary minus
            text, i = " − ", i + 3
        else:
            text, i = html.escape(c, quote=False), i + 1
        out.append(text)
    if close:
        raise ValueError(f"unbalanced braces in the formula {src!r}")
    return "".join(out), i


def _atom(src: str, i: int) -> tuple[str, int]:
    """The argument of ``^`` / ``_`` at ``src[i]``: a group, a command or one character."""
    if i >= len(src) or src[i].isspace() or src[i] == "}":
        raise ValueError(f"^ or _ without an argument in the formula {src!r}")
    if src[i] == "{":
        return _tex(src, i + 1, True)
    if src[i] == "\\":
        name, j = _command(src, i)
        return TEX_SYMBOLS[name], j
    return html.escape(src[i], quote=False), i + 1


def tex_html(tex: str) -> str:
    """One inline formula (the TeX between ``$`` and ``$``) as HTML text in a ``<span class="math">``:
    ``s^*`` -> ``s<sup>*</sup>``, ``F_{s^*}`` -> ``F<sub>s<sup>*</sup></sub>``, ``\\lfloor`` -> ⌊,
    ``\\mathrm{round}(x/S)`` -> round(x/S), `` - `` -> `` − ``. Text is HTML-escaped."""
    return f'<span class="math">{_tex(tex, 0, False)[0]}</span>'


def _math_inline(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: ``$...$`` (not empty, on one line) becomes a ``math_inline`` token."""
    start = state.pos
    if state.src[start] != "$":
        return False
    end = state.src.find("$", start + 1)
    if end < 0 or end == start + 1 or "\n" in state.src[start + 1:end]:
        return False
    if not silent:
        token = state.push("math_inline", "span", 0)
        token.content = state.src[start + 1:end]
        token.markup = "$"
    state.pos = end + 1
    return True


def _render_math(self, tokens, idx, options, env) -> str:  # markdown-it's render-rule signature
    return tex_html(tokens[idx].content)


MD = MarkdownIt("commonmark", {"html": False})
MD.inline.ruler.before("escape", "math_inline", _math_inline)
MD.add_render_rule("math_inline", _render_math)


def inline_html(markdown: str) -> str:
    """One paragraph of the narratives' Markdown (bold, italic, code, ``$...$`` formulas) as inline HTML
    (no ``<p>``); raw HTML in the text is escaped."""
    return MD.renderInline(markdown)


def heading_text(markdown: str) -> str:
    """The Markdown source of the first heading's text in ``markdown`` ("# sppviz — …" -> "sppviz — …");
    ``markdown`` itself, stripped, when it has no heading."""
    tokens = MD.parse(markdown)
    for open_, inline in zip(tokens, tokens[1:], strict=False):
        if open_.type == "heading_open" and inline.type == "inline":
            return inline.content
    return markdown.strip()
