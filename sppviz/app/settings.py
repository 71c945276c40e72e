"""The typed contract between the page and the handlers.

The page's controls are components with names (``"scales"``, ``"custom_scales"``, ``"thresh"`` …).
A handler never sees them: it declares which *settings* it reads (``@handler(reads=…)``), the wiring
sends exactly the components those settings come from (:data:`SOURCES`), and :meth:`Settings.parse`
— the one place that turns raw component values into typed values — builds the :class:`Settings`
the handler gets. A setting the handler did not declare is not sent and cannot be read (reading it
raises :class:`SettingNotRead`), so a control whose value a handler uses cannot silently be left
out of an event (a test checks every event against its handler's declaration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sppviz.analysis.options import MAX_WINDOWS, PROPOSAL_SOURCES
from sppviz.app import schema
from sppviz.app.schema import UserError, echo
from sppviz.i18n import t
from sppviz.method import bins, geometry, pyramid

SCALE_CHOICES = (480, 576, 688, 864, 874, 1200)  # S of paper §4.1, plus the release's 874
DEFAULT_SCALES = pyramid.DEFAULT_PYRAMID  # the page's, the API's and the CLI's default
LEVEL_PRESETS = {"1,2,3,6": (1, 2, 3, 6), "1,2,4": (1, 2, 4), "6,3,2,1": (6, 3, 2, 1)}
CUSTOM = "custom"
SOURCE_LABELS = {"selective-search-fast": "src_ss_fast", "selective-search-quality": "src_ss_quality",
                 "grid": "src_grid", "user": "src_user"}
BACKBONES = ("zf5", "alexnet", "vgg16")
VIEW_CHOICES = ("channel", "mean", "max")

# The components' initial values (the page starts with them; tests start from them too).
DEFAULTS: dict[str, Any] = {
    "image": None, "backbone": "zf5", "scales": list(DEFAULT_SCALES), "custom_scales": "", "levels": "1,2,3,6",
    "custom_levels": "", "bin_rule": "adaptive", "projection": "paper", "scale_rule": "paper",
    "box_scaling": "fast-rcnn",
    "source": "selective-search-fast", "count": 2000, "thresh": 0.5, "iou": 0.3, "classes": None, "fm_scale": 0,
    "fm_channel": 0, "fm_view": "mean", "spp_level": 3, "spp_channel": 0, "draw": False, "win_k": 0, "why_n": 64,
    "state": None, "lang": "en", "lesson_step": 1,
}

# setting -> the components it is parsed from
SOURCES: dict[str, tuple[str, ...]] = {
    "state": ("state",), "lang": ("lang",), "image": ("image",), "backbone": ("backbone",),
    "scales": ("scales", "custom_scales"), "levels": ("levels", "custom_levels"),
    "rules": ("scale_rule", "projection", "bin_rule", "box_scaling"), "source": ("source",), "count": ("count",),
    "thresh": ("thresh",), "iou": ("iou",), "classes": ("classes",), "fm_scale": ("fm_scale",),
    "fm_channel": ("fm_channel",), "fm_view": ("fm_view",), "spp_level": ("spp_level",),
    "spp_channel": ("spp_channel",), "draw": ("draw",), "win_k": ("win_k",), "why_n": ("why_n",),
    "lesson_step": ("lesson_step",),
}


class SettingNotRead(AttributeError):
    """A handler read a setting it did not declare (so the page does not send it)."""


class _NotRead:
    def __repr__(self) -> str:
        return "<not read>"


NOT_READ: Any = _NotRead()


def fail(key: str, lang: str, **fmt) -> None:
    """Raise the user error ``key`` of the i18n tables in ``lang``."""
    raise UserError(t(key, lang, **fmt))


MAX_CHANNEL = 4095  # conv5 channels (VGG16 has 512); the handlers check the model's own count
MAX_WINDOW_INDEX = 10**6  # windows are ≤ MAX_WINDOWS proposals plus drawn boxes; the handlers check the count
MAX_LESSON_STEP = 100


def _ints_from_text(text: Any, key: str, lang: str, param: str) -> list[int]:
    """Whole numbers typed as "480, 688" (commas, semicolons or spaces); a user error naming ``param`` otherwise."""
    text = schema.text(text, param).strip()
    if not text:
        return []
    out = []
    for tok in text.replace(",", " ").replace("，", " ").replace(";", " ").split():
        n = schema.integral(tok)
        if n is None:
            raise UserError(f"{param}: {t(key, lang, text=text[:schema.ECHO_CHARS])}")
        out.append(n)
    return out


def _scale(v: Any, param: str) -> int:
    """One scale: a whole number of pixels in MIN_SCALE..MAX_SCALE (checked before pyramid.validate_scales,
    which would convert a 400-digit integer to float)."""
    n = schema.integral(v)
    if n is None:
        f = v if isinstance(v, float) else None
        what = "must be a whole number of pixels" if f is not None else "is not a number"
        schema.refuse(param, f"{echo(v)} {what}")
    if not pyramid.MIN_SCALE <= n <= pyramid.MAX_SCALE:
        schema.refuse(param, f"{echo(n)} is outside the allowed range {pyramid.MIN_SCALE}..{pyramid.MAX_SCALE} px")
    return n


def parse_scales(checked: Any, text: Any, lang: str = "en") -> tuple[int, ...]:
    """Ticked scales (a list, or text "480, 688" from the API) plus typed ones, deduplicated and sorted;
    validated by pyramid.validate_scales."""
    if isinstance(checked, str):  # the API may send "480, 688"
        checked = _ints_from_text(checked, "err_scales_text", lang, "scales")
    listed = schema.items(checked, "scales", 64, 'give a list of whole numbers such as [688] or text "480, 688"')
    vals = [_scale(v, "scales") for v in listed]
    vals += [_scale(v, "custom_scales") for v in _ints_from_text(text, "err_scales_text", lang, "custom_scales")]
    unique = sorted(set(vals))  # a ticked and typed 688 is one scale
    try:
        return pyramid.validate_scales(unique)
    except ValueError as e:
        raise UserError(f"scales: {schema.short(str(e))}") from None


def _whole(v: Any) -> Any:
    """2, 2.0 or "2" -> 2; anything else is returned as is for bins.check_levels to name."""
    n = schema.integral(v)
    return v if n is None else n


def _levels(vals: list[Any], param: str) -> tuple[int, ...]:
    if any(isinstance(v, bool) for v in vals):
        schema.refuse(param, "each level must be a whole number ≥ 1", next(v for v in vals if isinstance(v, bool)))
    vals = [_whole(v) for v in vals]
    huge = [v for v in vals if isinstance(v, int) and v > 10**6]  # bins would print all of its digits
    if huge:
        schema.refuse(param, f"level {echo(huge[0])} is too large: at most MAX_LEVEL = {bins.MAX_LEVEL} bins per side")
    try:
        return bins.check_levels(vals)
    except ValueError as e:
        raise UserError(f"{param}: {schema.short(str(e))}") from None


def parse_levels(choice: Any, text: Any, lang: str = "en") -> tuple[int, ...]:
    """A preset ("1,2,3,6"), a list of levels or their text (API), or the custom text; validated by
    bins.check_levels."""
    if isinstance(choice, list | tuple):
        return _levels(schema.items(choice, "levels", bins.MAX_LEVEL, ""), "levels")
    if choice is not None and not isinstance(choice, str):
        schema.refuse("levels", 'give a list of whole numbers such as [1, 2, 4] or text "1, 2, 4"', choice)
    if choice in LEVEL_PRESETS:
        return LEVEL_PRESETS[choice]
    if choice not in (CUSTOM, None, ""):
        return _levels(_ints_from_text(choice, "err_levels_text", lang, "levels"), "levels")  # "1, 2, 4" (API)
    vals = _ints_from_text(text, "err_levels_text", lang, "custom_levels")
    if not vals:
        fail("err_levels_custom", lang)
    return _levels(vals, "custom_levels")


class Shown(str):
    """Text that a message template's ``{value!r}`` shows as it is (it is an echo already)."""

    def __repr__(self) -> str:
        return str(self)


def check_choice(value: Any, choices: tuple[str, ...], what: str, lang: str) -> str:
    """``value`` if it is one of ``choices``, else a user error naming the setting and the choices."""
    if not isinstance(value, str) or value not in choices:
        fail("err_setting", lang, what=what, value=Shown(echo(value)), choices=", ".join(choices))
    return value


def _int(value: Any, what: str, lo: int, hi: int, default: Any = schema.REQUIRED) -> int | None:
    return schema.whole(value, what, lo, hi, default)


def _thresholds(thresh: Any, iou: Any) -> tuple[float, float]:
    return (schema.number(thresh, "thresh (the score threshold)", 0.0, 1.0),
            schema.number(iou, "iou (the NMS IoU threshold)", 0.0, 1.0))


def _classes(value: Any) -> list[str] | None:
    if value is None:
        return None
    vals = schema.items(value if isinstance(value, list | tuple) else [value], "classes", 1000, "")
    if not all(isinstance(c, str) and len(c) <= 100 for c in vals):
        schema.refuse("classes", "must be a list of class names", value)
    return vals


@dataclass(frozen=True)
class Settings:
    """What the page's controls say, typed. Fields a handler did not declare hold ``NOT_READ``.

    ``rules`` holds the keyword arguments of the analysis functions: {"scale_rule", "projection",
    "bin_rule", "box_scaling"}. ``state`` is the session's small mutable dict (session id, selected window "k",
    drawn boxes, selected bin, the selection image's layout), a copy the handler may change and return."""

    lang: str = "en"
    state: dict = NOT_READ
    image: str | None = NOT_READ
    backbone: str = NOT_READ
    scales: tuple[int, ...] = NOT_READ
    levels: tuple[int, ...] = NOT_READ
    rules: dict = NOT_READ
    source: str = NOT_READ
    count: int = NOT_READ
    thresh: float = NOT_READ
    iou: float = NOT_READ
    classes: list[str] | None = NOT_READ
    fm_scale: int = NOT_READ
    fm_channel: int = NOT_READ
    fm_view: str = NOT_READ
    spp_level: int | None = NOT_READ
    spp_channel: int | None = NOT_READ
    draw: bool = NOT_READ
    win_k: int = NOT_READ
    why_n: int = NOT_READ
    lesson_step: int = NOT_READ

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if value is NOT_READ:
            raise SettingNotRead(f"setting {name!r} was not declared by this handler, so the page does not send it")
        return value

    @classmethod
    def parse(cls, values: Mapping[str, Any], reads: tuple[str, ...], lang: str = "en") -> Settings:
        """The settings ``reads`` from raw component values (missing components take DEFAULTS)."""
        def raw(name: str) -> Any:
            return values[name] if name in values else DEFAULTS.get(name)

        def pick(name: str, choices: tuple[str, ...], what: str) -> str:
            v = raw(name)
            return DEFAULTS[name] if v is None or v == "" else check_choice(v, choices, what, lang)

        out: dict[str, Any] = {"lang": lang}
        for name in reads:
            if name == "state":  # server-side (gr.State): never sent by the page
                st = raw("state")
                out[name] = dict(st) if isinstance(st, dict) else {}
            elif name == "lang":
                continue
            elif name == "image":
                out[name] = schema.file_path(raw("image"), "image")
            elif name == "backbone":
                out[name] = pick("backbone", BACKBONES, "backbone")
            elif name == "scales":
                out[name] = parse_scales(raw("scales"), raw("custom_scales"), lang)
            elif name == "levels":
                v = raw("levels")
                out[name] = parse_levels(DEFAULTS["levels"] if v is None or v == "" else v, raw("custom_levels"), lang)
            elif name == "rules":
                out[name] = {"scale_rule": pick("scale_rule", pyramid.SCALE_RULES, "scale rule"),
                             "projection": pick("projection", geometry.PROJECTION_RULES, "projection rule"),
                             "bin_rule": pick("bin_rule", bins.BIN_RULES, "bin rule"),
                             "box_scaling": pick("box_scaling", pyramid.BOX_SCALING_RULES, "box scaling")}
            elif name == "source":
                out[name] = pick("source", PROPOSAL_SOURCES, "proposal source")
            elif name == "count":
                out[name] = _int(raw("count"), "count (the number of windows)", 1, MAX_WINDOWS, DEFAULTS["count"])
            elif name in ("thresh", "iou"):
                out["thresh"], out["iou"] = _thresholds(raw("thresh"), raw("iou"))
            elif name == "classes":
                out[name] = _classes(raw("classes"))
            elif name == "fm_scale":
                out[name] = _int(raw(name), "fm_scale (the scale's index)", 0, pyramid.MAX_SCALES - 1, 0)
            elif name == "fm_channel":
                out[name] = _int(raw(name), "fm_channel (the channel)", 0, MAX_CHANNEL, 0)
            elif name == "fm_view":
                out[name] = pick("fm_view", VIEW_CHOICES, "view")
            elif name == "spp_level":
                out[name] = _int(raw(name), "spp_level (the level)", 1, bins.MAX_LEVEL, None)
            elif name == "spp_channel":
                out[name] = _int(raw(name), "spp_channel (the channel)", 0, MAX_CHANNEL, None)
            elif name == "draw":
                out[name] = schema.flag(raw("draw"), "draw")
            elif name == "win_k":
                out[name] = _int(raw("win_k"), "win_k (the window number)", 0, MAX_WINDOW_INDEX)
            elif name == "why_n":
                out[name] = _int(raw("why_n"), "why_n (N)", 1, MAX_WINDOWS, DEFAULTS["why_n"])
            elif name == "lesson_step":
                out[name] = _int(raw("lesson_step"), "lesson_step (the lesson step)", 1, MAX_LESSON_STEP, 1)
            else:  # pragma: no cover - a handler declared a setting this table does not know
                raise KeyError(f"unknown setting {name!r}")
        return cls(**out)


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def components_of(reads: tuple[str, ...]) -> tuple[str, ...]:
    """The components an event must send for a handler that reads these settings (in order, no repeats)."""
    return tuple(dict.fromkeys(c for name in reads for c in SOURCES[name]))
