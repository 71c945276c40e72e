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

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sppviz.analysis.pipeline import MAX_WINDOWS, PROPOSAL_SOURCES
from sppviz.i18n import t
from sppviz.method import bins, geometry, pyramid

SCALE_CHOICES = (480, 576, 688, 864, 874, 1200)  # S of paper §4.1, plus the release's 874
DEFAULT_SCALES = (pyramid.SINGLE_SCALE,)
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
    "source": "selective-search-fast", "count": 2000, "thresh": 0.5, "iou": 0.3, "classes": None, "fm_scale": 0,
    "fm_channel": 0, "fm_view": "mean", "spp_level": 3, "spp_channel": 0, "draw": False, "win_k": 0, "why_n": 64,
    "state": None, "lang": "en", "lesson_step": 1,
}

# setting -> the components it is parsed from
SOURCES: dict[str, tuple[str, ...]] = {
    "state": ("state",), "lang": ("lang",), "image": ("image",), "backbone": ("backbone",),
    "scales": ("scales", "custom_scales"), "levels": ("levels", "custom_levels"),
    "rules": ("scale_rule", "projection", "bin_rule"), "source": ("source",), "count": ("count",),
    "thresh": ("thresh",), "iou": ("iou",), "classes": ("classes",), "fm_scale": ("fm_scale",),
    "fm_channel": ("fm_channel",), "fm_view": ("fm_view",), "spp_level": ("spp_level",),
    "spp_channel": ("spp_channel",), "draw": ("draw",), "win_k": ("win_k",), "why_n": ("why_n",),
    "lesson_step": ("lesson_step",),
}


class UserError(ValueError):
    """A message for the user, already in the user's language."""


class SettingNotRead(AttributeError):
    """A handler read a setting it did not declare (so the page does not send it)."""


class _NotRead:
    def __repr__(self) -> str:
        return "<not read>"


NOT_READ: Any = _NotRead()


def fail(key: str, lang: str, **fmt) -> None:
    """Raise the user error ``key`` of the i18n tables in ``lang``."""
    raise UserError(t(key, lang, **fmt))


def _ints_from_text(text: Any, key: str, lang: str) -> list[int]:
    text = (text or "").strip() if isinstance(text, str) else text
    if not text:
        return []
    if not isinstance(text, str):
        fail(key, lang, text=str(text)[:80])
    out = []
    for tok in text.replace(",", " ").replace("，", " ").replace(";", " ").split():
        try:
            f = float(tok)
        except ValueError:
            fail(key, lang, text=text[:80])
        if not math.isfinite(f) or f != int(f):
            fail(key, lang, text=text[:80])
        out.append(int(f))
    return out


def parse_scales(checked: Any, text: Any, lang: str = "en") -> tuple[int, ...]:
    """Ticked scales plus typed ones, deduplicated and sorted; validated by pyramid.validate_scales."""
    if isinstance(checked, str):  # the API may send "480, 688"
        checked = _ints_from_text(checked, "err_scales_text", lang)
    vals = [*(checked or []), *_ints_from_text(text, "err_scales_text", lang)]
    unique = {pyramid.validate_scales([v])[0] for v in vals}  # a ticked and typed 688 is one scale
    return pyramid.validate_scales(sorted(unique))


def _whole(v: Any) -> Any:
    """2, 2.0 or "2" -> 2; anything else is returned as is for bins.check_levels to name."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str | float):
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if math.isfinite(f) and f == int(f) else v
    return v


def parse_levels(choice: Any, text: Any, lang: str = "en") -> tuple[int, ...]:
    """A preset ("1,2,3,6"), or the custom text; validated by bins.check_levels."""
    if isinstance(choice, list | tuple):
        return bins.check_levels([_whole(v) for v in choice])
    if choice in LEVEL_PRESETS:
        return LEVEL_PRESETS[choice]
    if choice not in (CUSTOM, None, ""):
        vals = _ints_from_text(choice, "err_levels_text", lang)  # "1, 2, 4" from the API
    else:
        vals = _ints_from_text(text, "err_levels_text", lang)
        if not vals:
            fail("err_levels_custom", lang)
    return bins.check_levels(vals)


def check_choice(value: Any, choices: tuple[str, ...], what: str, lang: str) -> str:
    """``value`` if it is one of ``choices``, else a user error naming the setting and the choices."""
    if value not in choices:
        fail("err_setting", lang, what=what, value=str(value)[:80], choices=", ".join(choices))
    return value


def _int(value: Any, what: str, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise ValueError
        return int(f)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be an integer, got {str(value)[:80]!r}") from None


def _thresholds(thresh: Any, iou: Any) -> tuple[float, float]:
    try:
        thr, nms = float(thresh), float(iou)
    except (TypeError, ValueError):
        raise ValueError(f"the threshold and the IoU must be numbers, got {str(thresh)[:80]!r} and "
                         f"{str(iou)[:80]!r}") from None
    if not (0.0 <= thr <= 1.0 and 0.0 <= nms <= 1.0):
        raise ValueError(f"the threshold and the IoU must lie in 0..1, got {thr} and {nms}")
    return thr, nms


@dataclass(frozen=True)
class Settings:
    """What the page's controls say, typed. Fields a handler did not declare hold ``NOT_READ``.

    ``rules`` holds the keyword arguments of the analysis functions: {"scale_rule", "projection",
    "bin_rule"}. ``state`` is the session's small mutable dict (session id, selected window "k",
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

        out: dict[str, Any] = {"lang": lang}
        for name in reads:
            if name == "state":
                out[name] = dict(raw("state") or {})
            elif name == "lang":
                continue
            elif name == "image":
                out[name] = raw("image") or None
            elif name == "backbone":
                out[name] = check_choice(raw("backbone") or "zf5", BACKBONES, "backbone", lang)
            elif name == "scales":
                out[name] = parse_scales(raw("scales"), raw("custom_scales"), lang)
            elif name == "levels":
                out[name] = parse_levels(raw("levels") or "1,2,3,6", raw("custom_levels"), lang)
            elif name == "rules":
                out[name] = {
                    "scale_rule": check_choice(raw("scale_rule") or "paper", pyramid.SCALE_RULES, "scale rule", lang),
                    "projection": check_choice(raw("projection") or "paper", geometry.PROJECTION_RULES,
                                               "projection rule", lang),
                    "bin_rule": check_choice(raw("bin_rule") or "adaptive", bins.BIN_RULES, "bin rule", lang)}
            elif name == "source":
                out[name] = check_choice(raw("source") or "selective-search-fast", PROPOSAL_SOURCES,
                                         "proposal source", lang)
            elif name == "count":
                out[name] = min(max(_int(raw("count"), "the number of windows", 2000), 1), MAX_WINDOWS)
            elif name in ("thresh", "iou"):
                out["thresh"], out["iou"] = _thresholds(raw("thresh"), raw("iou"))
            elif name == "classes":
                c = raw("classes")
                out[name] = None if c is None else [str(x) for x in (c if isinstance(c, list | tuple) else [c])]
            elif name in ("fm_scale", "fm_channel"):
                out[name] = _int(raw(name), f"the {name.replace('fm_', '')}", 0)
            elif name == "fm_view":
                out[name] = check_choice(raw("fm_view") or "mean", VIEW_CHOICES, "view", lang)
            elif name in ("spp_level", "spp_channel"):
                out[name] = _int(raw(name), "the level" if name == "spp_level" else "the channel")
            elif name == "draw":
                out[name] = bool(raw("draw"))
            elif name == "win_k":
                out[name] = _int(raw("win_k"), "the window number")
                if out[name] is None:
                    raise ValueError("the window number must be an integer, got None")
            elif name == "why_n":
                out[name] = _int(raw("why_n"), "N", 64)
            elif name == "lesson_step":
                out[name] = _int(raw("lesson_step"), "the lesson step", 1)
            else:  # pragma: no cover - a handler declared a setting this table does not know
                raise KeyError(f"unknown setting {name!r}")
        return cls(**out)


SETTING_NAMES = tuple(f.name for f in fields(Settings))


def components_of(reads: tuple[str, ...]) -> tuple[str, ...]:
    """The components an event must send for a handler that reads these settings (in order, no repeats)."""
    return tuple(dict.fromkeys(c for name in reads for c in SOURCES[name]))
