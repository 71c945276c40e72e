"""The status line under the input panel: what the session's analysis holds (windows, scales, model),
what it cost (conv5 per scale, the proposals beside it, the scoring) or that it came from the cache,
and the notices (fewer windows found than asked for, a preset's name, the model's caveats)."""

from __future__ import annotations

from sppviz.app.settings import Settings
from sppviz.i18n import t, t_count
from sppviz.method import presets


def conv_cost(conv_scales, lang: str) -> str:
    """"480: 0.05 s · 688: 0.10 s · 864: cached" from ``(scale, seconds, cached)`` triples."""
    return " · ".join(t("status_scale_cached", lang, scale=sc) if hit else
                      t("status_scale_cost", lang, scale=sc, s=sec) for sc, sec, hit in conv_scales)


def status(w, st: dict, s: Settings) -> str:
    """The status line of the session's analysis ``w`` (a Workspace; ``st`` the session state with the
    drawn boxes). Reads the settings ``source`` and ``rules``."""
    a, tm, work, det, lang = w.a, w.base.timings, w.base.work, w.a.detector, s.lang
    drawn = len(st.get("boxes") or [])
    n_prop = len(a.windows) - drawn if s.source != "user" else 0
    n = len(a.windows)
    windows = (t("status_windows_drawn", lang, windows=n, proposals=n_prop, drawn=drawn)
               if drawn and s.source != "user" else t_count("status_windows", n, lang, windows=n))
    text = t("status_done", lang, windows=windows, scales=", ".join(map(str, a.scales)), model=det.net.trunk.name,
             device=det.device.type)
    conv_scales = work.get("conv_scales") or ()
    if conv_scales and all(hit for *_, hit in conv_scales) and work.get("windows_cached"):
        text += " · " + t("status_cached", lang, total=tm["total_s"], score=tm["score_s"])
    elif tm:
        text += " · " + t("status_cost", lang, total=tm["total_s"], conv=tm["conv_s"], prop=tm["proposals_s"],
                          score=tm["score_s"], per_scale=conv_cost(conv_scales, lang) or "—",
                          windows_from=t("status_windows_cache" if work.get("windows_cached") else
                                         "status_windows_found", lang, prop=tm["proposals_s"]))
    name = presets.matching_preset(**s.rules)
    text += " · " + t("status_preset", lang, name=t(f"preset_{name}", lang) if name else t("preset_custom", lang))
    notices = list(a.notices)
    found, asked = work.get("found"), work.get("asked")
    if found is not None and asked and found < asked and work.get("source") not in (None, "user"):
        notices.append(t("status_fewer", lang, found=found, asked=asked))
    if s.source == "user" and not st.get("boxes"):
        notices.append(t("status_user_default", lang))
    return text + "".join("  \n" + t("status_notice", lang, text=n) for n in notices)
