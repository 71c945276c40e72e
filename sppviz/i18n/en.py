"""Every user-visible string of sppviz in English: plain data, no code (:mod:`sppviz.i18n` builds
``STRINGS``, ``t`` and ``narrative`` from it). Keys must match the other languages' exactly (tests check it).

LABELS: static text built with the page and translated in the browser through ``gr.I18n``.
FORMATS: text a handler writes at run time with ``t(key, lang, **fmt)`` (``str.format`` placeholders).
ERRORS: the messages of the errors shown to the user (also formatted with ``t``).
NARRATIVES: each step's explanation as a record: ``title`` (the bold heading, no Markdown), ``body``
(Markdown with $...$ LaTeX) and ``hint`` (the sentences that ask for a click in the app, '' when none;
a printed handout leaves them out). ``t`` gives ``**title<TITLE_END>** body<SENTENCE_GAP>hint``.
"""

from __future__ import annotations

TITLE_END = "."  # ends a narrative's bold title
SENTENCE_GAP = " "  # between a narrative's body and its hint

LABELS: dict[str, str] = {
    # ---- page ----
    "title": "# sppviz — SPP-net, step by step",
    "intro": ("Spatial pyramid pooling for object detection (He et al., 2014): the image goes through the "
              "convolutional layers **once per scale**, and every window is then pooled from the conv5 map into a "
              "fixed-length vector. Pick an example or upload an image, press **Analyze**, then walk through the "
              "tabs from left to right."),
    "status_idle": "Pick an example or upload an image, then press **Analyze**.",
    "lang_label": "Language · 语言",
    "in_settings": "Image and settings",
    # ---- inputs ----
    "in_image": "Image",
    "in_image_ph": "Drop an image here\n\n– or –\n\nclick to upload, or paste one",
    "in_examples": "Example scenes (click one, then Analyze)",
    "in_backbone": "Backbone (conv1–conv5)",
    "bb_zf5": "ZF-5 · bundled (7 shapes)",
    "bb_alexnet": "AlexNet · ImageNet (1000 classes)",
    "bb_vgg16": "VGG16 · ImageNet (1000 classes)",
    "bb_note_missing": ("AlexNet / VGG16 use torchvision's ImageNet weights behind one SPP level (6×6 / 7×7) and "
                        "label windows with ImageNet classes; their weights were not found on this machine, so "
                        "choosing them explains where to put the files."),
    "bb_note_download": ("AlexNet / VGG16 use torchvision's ImageNet weights behind one SPP level (6×6 / 7×7) and "
                         "label windows with the 1000 ImageNet classes; their files are downloaded on first use "
                         "(AlexNet 233 MB, VGG16 528 MB: the first Analyze with them takes a while)."),
    "bb_note_found": ("AlexNet / VGG16 use torchvision's ImageNet weights (found here) behind one SPP level (6×6 / "
                      "7×7) and label windows with the 1000 ImageNet classes."),
    "in_scales": "Scales s (shorter side, px)",
    "in_scales_info": ("Paper S = {480, 576, 688, 864, 1200}; the release uses 874 instead of 864. One scale is "
                       "fastest."),
    "in_custom_scales": "More scales",
    "in_custom_scales_ph": "e.g. 600, 1000",
    "in_levels": "Pyramid levels n (n×n bins)",
    "in_levels_info": "{1,2,3,6}: detection (paper §4); {6,3,2,1}: classification; {1,2,4}: a small pyramid.",
    "lv_custom": "custom",
    "in_custom_levels": "Custom levels",
    "in_custom_levels_ph": "e.g. 1, 2, 4, 8",
    "in_bin_rule": "Bin rule",
    "in_bin_rule_info": ("adaptive: always n bins (paper App. A) · sliding: ⌈a/n⌉ window, ⌊a/n⌋ stride (paper §2.3) · "
                         "release: the release's float32 bins, maxima from 0"),
    "in_box_scaling": "Box scaling (image → scale s)",
    "in_box_scaling_info": ("fast-rcnn: box · s / min side · release: (x − 1)(s − 1)/(min side − 1) + 1 in 1-based "
                            "pixels (spp_features_convX_to_poolX.m)"),
    "in_presets": "Rule presets (one click sets scales, rules and levels)",
    "in_rules": "Rules: projection, scale selection, bins, box scaling",
    "preset_paper": "Paper",
    "preset_release": "Authors' release",
    "preset_fast-rcnn": "Fast R-CNN",
    "in_proj_rule": "Projection rule (window → cells)",
    "in_proj_rule_info": "paper: App. A · original: the authors' release · fast-rcnn: roi_pool rounding",
    "in_scale_rule": "Scale-selection rule",
    "in_scale_rule_info": "paper: area closest to 224² · original: the release's 208-px side",
    "in_source": "Proposal windows",
    "src_ss_fast": "selective search (fast)",
    "src_ss_quality": "selective search (quality)",
    "src_grid": "regular grid",
    "src_user": "only boxes I draw",
    "in_count": "Number of windows",
    "btn_analyze": "Analyze",
    "levels_note": ("Detections always use the model's own levels (1, 2, 3, 6). The levels chosen here drive the "
                    "pooling panels. Rules and levels apply at once; a new image, scales or windows need **Analyze**."),
    "btn_export": "Export every panel as PNG (.zip)",
    "export_file": "Panels for slides",
    # ---- tabs ----
    "tab_pyramid": "Image pyramid",
    "tab_features": "Feature maps",
    "tab_projection": "Window → cells",
    "tab_spp": "Pyramid pooling",
    "tab_detections": "Detections",
    "tab_why": "Why SPP",
    "tab_compare": "SPP vs RoIPool vs RoIAlign",
    "tab_combine": "Combine scales",
    "tab_lesson": "▶ Lesson mode",
    # ---- image pyramid, feature maps ----
    "pyr_img": "Image pyramid (drawn to scale)",
    "pyr_table": "Scales",
    "fm_scale": "Scale",
    "fm_channel": "Channel",
    "fm_view": "Show",
    "view_channel": "one channel",
    "view_mean": "mean over channels",
    "view_max": "max over channels",
    "fm_map": "conv5 map (cells)",
    "fm_overlay": "conv5 on the image",
    "fm_top": "Strongest channels inside the selected window",
    # ---- window → cells ----
    "win_img": "Windows — click one",
    "win_k": "Window #",
    "win_draw": "Draw a box (two clicks)",
    "win_clear": "Remove drawn boxes",
    "scale_chart": "Scale chosen for this window: scaled area at each s",
    "proj_grid": "Projected cells on conv5 (channel mean)",
    "rf_img": "Receptive-field centres of the cells",
    "rules_title": "#### Projection rules",
    # ---- pyramid pooling, detections ----
    "spp_level": "Level n",
    "spp_channel": "Channel",
    "spp_map": "Bins on the projected window (one channel)",
    "spp_alt": "The same level under the sliding rule",
    "spp_values": "Per-bin maxima (click a bin)",
    "spp_argmax": "Where each maximum comes from (receptive-field centres)",
    "spp_vector": "The fixed-length vector (all channels, all levels)",
    "spp_bins_title": "#### Bins of every level under both rules",
    "det_thresh": "Score threshold",
    "det_iou": "NMS IoU",
    "det_classes": "Classes",
    "det_after": "After NMS",
    "det_before": "Before NMS",
    "det_table": "Detections after NMS",
    # ---- why SPP, compare, combine ----
    "why_n": "N windows for the R-CNN path (the best-scoring ones)",
    "btn_why": "Run the R-CNN path on N windows",
    "why_fig": "Crops as they are (aspect kept) next to R-CNN's 224×224 warp",
    "btn_compare": "Compare",
    "cmp_fig": "What each method reads on conv5 (selected channel)",
    "cmp_table": "Pooled n×n values, difference from SPP over all channels",
    "cmp_idle": "Press **Compare** (after **Analyze**).",
    "cmb_vec": ("The window's vector: best scale only, max over all scales, their difference, and where each maximum "
                "comes from"),
    "cmb_table": "The selected window at every scale",
    "cmb_det_best": "Detections · one best scale per window (paper)",
    "cmb_det_max": "Detections · vectors combined over all scales (same head)",
    # ---- lesson mode and lesson export ----
    "btn_scene": "Try a bundled scene",
    "det_truth": "Detections against the scene's ground truth",
    "btn_back": "◀ Back",
    "btn_next": "Next ▶",
    "lesson_img": "Lesson figure",
    "lesson_idle": "Press **Analyze** first: lesson mode walks through the analysed image.",
    "btn_lesson": "Download the lesson (.zip: PNGs, analysis.json, handout)",
    "lesson_file": "Lesson for slides and handout",
    # ---- notes above a panel (interaction only: not step narratives) ----
    "nar_pick": ("**Click a window** on the image (the smallest window under the click is chosen), type its number, "
                 "or switch on *Draw a box* and click two opposite corners."),
    "nar_lesson": ("**Lesson mode** — the analysed image one step at a time, for presenting: one figure and its "
                   "story per step. **Next ▶** and **◀ Back** (or the ← → keys, and a presenter's PageUp / PageDown) "
                   "walk through the steps; **Present** fills the screen with the step's title, figure and story "
                   "(Esc leaves). It uses the window, levels and rules chosen in the other tabs."),
    "btn_present": "Present",
}

FORMATS: dict[str, str] = {
    # ---- status line ----
    "status_done": "{windows} · scales {scales} · model {model} on {device}",
    "status_windows": "**{windows} windows**",
    "status_windows_drawn": "**{windows} windows** ({proposals} proposals + {drawn} drawn)",
    "status_cost": ("{total:.2f} s: conv5 {conv:.2f} s ({per_scale}) while {windows_from}, then scoring "
                    "{score:.2f} s"),
    "status_scale_cost": "{scale}: {s:.2f} s",
    "status_scale_cached": "{scale}: cached",
    "status_windows_found": "the proposals took {prop:.2f} s",
    "status_windows_cache": "the proposals came from the cache",
    "status_cached": ("**from the cache**: this image was analysed at these scales before, so conv5 and the "
                      "proposals were reused; scoring {score:.2f} s, {total:.2f} s in all"),
    "status_fewer": ("{found} windows, not {asked}: the number of windows is an upper limit, and this image "
                     "has only {found} distinct candidate regions (selective search merges similar regions and "
                     "drops duplicates and tiny ones; larger, busier images give more)."),
    "status_conv": "conv5 at scales {scales} is ready ({conv:.2f} s) · finding and scoring the windows …",
    "status_loading": "Loading the model and the pooling kernels … Analyze waits for them.",
    "status_preset": "rules: **{name}**",
    "preset_custom": "custom",
    "preset_set": ("Preset **{name}**: scales {scales} · projection {projection} · scale selection {scale_rule} · "
                   "box scaling {box_scaling} · bins {bin_rule} · levels {levels}."),
    "preset_rescan": "The preset's scales differ from the analysed ones ({have}): press **Analyze** to use them.",
    "box_h_rule": "box scaling",
    "box_h_box": "scaled box x₁, y₁, x₂, y₂ (px at s)",
    "box_h_cells": "cells ({rule})",
    "box_caption": "Window #{k} at s = {s} under both box-scaling rules",
    "status_notice": "⚠️ {text}",
    "status_user_default": ("No boxes drawn yet: the whole image is the only window. Draw boxes in the "
                            "“Window → cells” tab."),
    # ---- table headers and cells ----
    "pyr_h_scale": "s",
    "pyr_h_image": "image w×h (px)",
    "pyr_h_factor": "factor s/min",
    "pyr_h_conv5": "conv5 w×h (cells)",
    "pyr_h_cells": "cells",
    "pyr_h_time": "conv1–5 (ms)",
    "rules_h_rule": "rule",
    "rules_h_formula": "left / right cell",
    "rules_h_x": "x cells",
    "rules_h_y": "y cells",
    "rules_h_count": "cells",
    "rules_used": "✓ in use",
    "rules_window": "window (continuous)",
    "rules_caption": "Window #{k} at s={s}: conv5 map {w}×{h} cells, stride {stride}, offset {offset:g}.",
    "bins_h_level": "n",
    "bins_h_rule": "rule",
    "bins_h_x": "x bins (cells)",
    "bins_h_y": "y bins (cells)",
    "bins_h_count": "bins",
    "bins_undefined": "undefined (fewer than n cells)",
    "det_h_label": "label",
    "det_h_score": "score",
    "det_h_window": "window",
    "det_h_x1": "x1",
    "det_h_y1": "y1",
    "det_h_x2": "x2",
    "det_h_y2": "y2",
    "cmp_h_method": "method",
    "cmp_h_region": "conv5 cells (x; y)",
    "cmp_h_max": "max |Δ|",
    "cmp_h_mean": "mean |Δ|",
    "cmb_h_scale": "s",
    "cmb_h_cells": "conv5 cells (x; y)",
    "cmb_h_size": "cells",
    "cmb_h_best": "best",
    "cmb_h_share": "share %",
    # ---- info lines under the panels ----
    "fm_info": ("conv5 at s={scale}: **{c} channels × {w}×{h} cells** · stride $S$ = {stride} px · offset $o$ = "
                "{offset:g} px · receptive field {rf} px"),
    "fm_top_info": ("Strongest channels of window #{k} at s={scale}: each tile shows the window's cells and {m} "
                    "cells around them, with the maximum inside the window."),
    "win_info": ("**Window #{k}** ({x1:g}, {y1:g}) – ({x2:g}, {y2:g}), {w:g}×{h:g} px → scale **s = {s}** (×{f:.3f}, "
                 "{sw:.0f}×{sh:.0f} px scaled) → conv5 cells **x {cx0}..{cx1}, y {cy0}..{cy1}** ({rule} rule, "
                 "{aw}×{ah} cells)."),
    "win_user_tag": "drawn box",
    "draw_first": "Corner 1 at ({x}, {y}). Click the opposite corner.",
    "draw_added": "Box #{k} added as an extra window ({x1}, {y1}) – ({x2}, {y2}).",
    "spp_warn_error": "⚠️ **The sliding rule fails for this window:** {error}. The panels show adaptive bins instead.",
    "spp_warn_note": "⚠️ **Level {n}:** {note}.",
    "spp_ok": "Level {n}: {nx}×{ny} bins over {aw}×{ah} cells ({rule} rule). Vector length {d:,} = {c} × {bins}.",
    "bin_picked_zero": ("Bin ({by}, {bx}) of level {n}: every cell of this channel is 0 there (after ReLU), so no "
                        "single cell gives its maximum."),
    "bin_picked": ("Bin ({by}, {bx}) of level {n}: max {v:.3g} at cell ({cx}, {cy}), receptive-field centre "
                   "({px:.0f}, {py:.0f}) px."),
    "det_info": ("**{after}** detections after NMS, **{before}** before (score ≥ {thr:.2f}, IoU {iou:.2f}). Scores "
                 "are cached: no conv5 is recomputed."),
    "det_capped": "The panels draw the top {n} by score.",
    "why_summary": ("**Measured here** ({device}, {model}): the R-CNN path (crop, warp to 224×224, conv1–conv5, SPP, "
                    "fc) took {rcnn_s:.2f} s for {n} windows = **{per_ms:.1f} ms per window**. For all **{k}** "
                    "windows of this analysis that is ≈ **{rcnn_all:.2f} s** (extrapolated from the {n} measured "
                    "windows). SPP-net for all {k} windows: conv5 once per scale {conv:.3f} s + pooling and fc "
                    "{pool:.3f} s = **{spp:.3f} s**. Measured speedup: **{speedup:.1f}×**.  \n**Paper** (ZF-5, GPU, "
                    "~2,000 windows per image): SPP-net is **102×** faster overall at 1 scale and **38×** at 5 "
                    "scales; the conv layers alone take 14.37 s (R-CNN) vs 0.053 s (SPP-net, 1 scale)."),
    "cmp_info": ("Window **#{k}** at s = {s}, level **n = {n}**, channel {c} of {C}; {ms:.0f} ms. RoIAlign box on "
                 "the map (x/S − ½): x {rx0:.2f}..{rx1:.2f}, y {ry0:.2f}..{ry1:.2f}."),
    "cmb_info": ("Window **#{k}**: of the {S} scales, the {rule} rule picks **s\\* = {s}**. The vector combined over "
                 "all scales is larger than the best-scale vector in **{changed:.1f} %** of its {D:,} elements (mean "
                 "increase {mean:.3g}, largest {mx:.3g}); the table gives each scale's share of the maxima. Levels "
                 "{levels} (the model's); {ms:.0f} ms."),
    "cmb_one": ("⚠️ Only one scale was analysed (s = {s}), so both vectors are the same. Tick more scales (e.g. 480, "
                "688 and 1200) and press **Analyze** to compare."),
    "cmb_det_info": ("**{nb}** detections after NMS with one best scale per window, **{nm}** with the vectors "
                     "combined over all scales; **{same}** appear in both (same class, IoU ≥ 0.5). Same head, score "
                     "≥ {thr:.2f}, NMS IoU {iou:.2f}.  \n*Caveat:* this head (fc6–fc8) was fine-tuned on best-scale "
                     "vectors only. Combined vectors are element-wise larger, inputs it never saw: their scores show "
                     "how this head reacts, not how a head trained on combined vectors would do."),
    # ---- captions of the printed handout (the app's labels without their click hint) ----
    "win_img_print": "Windows",
    "spp_values_print": "Per-bin maxima",
    # ---- gotchas (SPP vs RoIPool vs RoIAlign) ----
    "g_title": "### Gotchas",
    "g_sliding": ("**(a) Sliding vs adaptive bins.** The paper's sliding rule (§2.3: window ⌈a/n⌉, stride ⌊a/n⌋) "
                  "does not always give n bins; the adaptive rule (Appendix A) always does. Window #{k} is **a = "
                  "{a}** cells wide ({rule} projection):\n\n{rows}\n\nFixed example: a = 10, n = 6 → window 2, "
                  "stride 1 → **{ex} bins**, not 6 (the paper's own 180-px training size)."),
    "g_sliding_row": ("- n = {n}: sliding gives **{count}** bins{mark} (window {win}, stride {stride}); adaptive "
                      "gives {n}"),
    "g_sliding_undef": "- n = {n}: sliding is **undefined** (a = {a} < n: stride ⌊a/n⌋ = 0); adaptive still gives {n}",
    "g_scale": ("**(b) 864 vs 874.** The paper lists the scales {480, 576, 688, 864, 1200}; the released code uses "
                "**874** instead of 864. Both are offered in the scale list."),
    "g_proj": ("**(c) Paper vs release projection.** Window #{k} at s = {s}: paper cells x {px0}..{px1}, y "
               "{py0}..{py1}; release (\"original\") cells x {ox0}..{ox1}, y {oy0}..{oy1}; shift (original − paper) "
               "left {dl:+d}, top {dt:+d}, right {dr:+d}, bottom {db:+d}. Why: the paper's network pads ⌊p/2⌋ "
               "(offset 0); the release's ZF-5 does not, so cell 0 is centred at pixel **20** (offset 20 vs 0; this "
               "backbone's offset: {o} px, which both rules subtract), and its rule widens the window by **1.5 px** "
               "(the 6.5 px constant) before keeping the cells whose centres lie inside."),
    "g_release": ("**(e) The release's bins are float32.** Its pooling code (spm_pool_caffe_mex.cpp) computes bin "
                  "edges as floor(fl(i/n)·a) .. ceil(fl((i+1)/n)·a) in float32, which at levels 5, 7, 9, 10, 12, 13, "
                  "14, 15 gives other cells than the exact ⌊i·a/n⌋ … ⌈(i+1)·a/n⌉ − 1 for some widths (levels 1, 2, 3, "
                  "4, 6, 8, 11, 16 never differ), and starts every maximum at 0. Window #{k} is {a} × {b} cells:"
                  "\n\n{rows}"),
    "g_release_row": "- **level {n}** on this {a}-cell {axis}: release bin {i} = cells {rs}..{re}, exact {es}..{ee}",
    "g_release_same": "- at the levels pooled here ({levels}) the release's bins equal the exact ones on this window",
    "g_release_would": "- they would differ at level {n}: release bin {i} = cells {rs}..{re}, exact {es}..{ee}",
    "cmp_tv": ("**torchvision `roi_pool`** (the real op, float32 bins, no clamping) on the same box: RoI cells x "
               "{x0}..{x1}, y {y0}..{y1}; {diffs}"),
    "cmp_tv_same": "its bins read the same cells as RoIPool's exact ones.",
    "cmp_tv_diff": "its bins read other cells than RoIPool's exact ones at {parts} (marked red).",
    "axis_x": "axis x (width)",
    "axis_y": "axis y (height)",
    "det_missed": "missed",
    "det_background": "background",
    "det_h_prob": "probability",
    "det_truth_info": ("**{file}** is a bundled scene with {n} objects: **{tp}** found (✓ green), **{fp}** false "
                       "detections (✗ vermillion), **{miss}** missed (sky blue). A detection is right when its box "
                       "overlaps an unclaimed object of its class by IoU ≥ 0.5 (VOC's rule)."),
    "det_notice": ("⚠️ The bundled model knows only **{n} generated shapes**: {classes}. On a real photo every label "
                   "is meaningless (a face may come out as a *disc*): use a bundled scene to judge the detections, "
                   "or ImageNet AlexNet / VGG16 where their weights are installed."),
    "win_probs": "The selected window's class probabilities (softmax over every class and background)",
    "g_yolo": ("**(d) YOLO's \"SPP\" / \"SPPF\" is a different operator.** It runs parallel max-pools with stride 1 "
               "(e.g. 5, 9, 13) and padding, so the output has the **same spatial size** as the input and is "
               "concatenated along channels: no bins, no fixed-length vector, no windows."),
    # ---- lesson mode: counter and step titles; lesson export ----
    "lesson_step": "Step {k} / {n}",
    "ls_t_pyramid": "The image pyramid",
    "ls_t_features": "conv5, once per scale",
    "ls_t_scale": "One scale per window",
    "ls_t_cells": "From a window to conv5 cells",
    "ls_t_rf": "Where the cells look",
    "ls_t_bins": "Pyramid bins: a max per bin",
    "ls_t_vector": "One fixed-length vector",
    "ls_t_det": "Detections",
    "ls_t_why": "Why not warp each window (R-CNN)",
    "ls_t_compare": "SPP vs RoIPool vs RoIAlign",
    "ls_t_combine": "One scale or all scales",
    "lesson_done": ("Lesson of window **#{k}** ({lang_name}): {png} PNGs at projector width (≥ 1,600 px), "
                    "analysis.json and handout.html; {mb:.1f} MB in {sec:.1f} s."),
    "lang_name": "English",
    # ---- plural forms (the key + "_one" when the count is 1; i18n.t_count picks it) ----
    "status_windows_one": "**{windows} window**",
    "spp_ok_one": "Level {n}: {nx}×{ny} bin over {aw}×{ah} cells ({rule} rule). Vector length {d:,} = {c} × {bins}.",
    "g_sliding_row_one": ("- n = {n}: sliding gives **{count}** bin{mark} (window {win}, stride {stride}); adaptive "
                          "gives {n}"),
    # ---- text drawn inside the figures (i18n.figure_words hands them to sppviz.figures without "fig_") ----
    "fig_px": "{w}×{h} px",
    "fig_conv5": "conv5 {w}×{h}",
    "fig_channel": "channel {c}",
    "fig_cbar": "{what}:",
    "fig_fm_window": "window #{k}: cells x {cx0}..{cx1}, y {cy0}..{cy1}",
    "fig_fm_window_at": "window #{k} projected here: cells x {cx0}..{cx1}, y {cy0}..{cy1} (SPP pools it at s = {s})",
    "fig_tile_max": "max {v}",
    "fig_sc_paper": "paper",
    "fig_sc_release": "release",
    "fig_window": "window",
    "fig_pg_window": "window  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_rule": "{rule} rule  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_region": "{rule}  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_centres": "cell centres (the paper rule keeps those strictly inside the window)",
    "fig_rf_inside": "centre inside the window",
    "fig_rf_outside": "centre outside the window",
    "fig_rf_field": "receptive field of a corner cell",
    "fig_bins": "level n={n}: {ny}×{nx} bins on cells x {cx0}..{cx1}, y {cy0}..{cy1}",
    "fig_bins_one": "level n={n}: {ny}×{nx} bin on cells x {cx0}..{cx1}, y {cy0}..{cy1}",
    "fig_bins_max": "each bin's maximum",
    "fig_bv_title": "level n={n}: {ny}×{nx} bins",
    "fig_bv_title_one": "level n={n}: {ny}×{nx} bin",
    "fig_sliding": "sliding rule: {sx}×{sy} bins ≠ {n}×{n}",
    "fig_am_level": "maxima at n={n}",
    "fig_am_rf": "receptive field of the selected maximum",
    "fig_vec_title": "{c} channels × {bins} bins = {d:,} values",
    "fig_vec_title_one": "{c} channels × {bins} bin = {d:,} values",
    "fig_vec_level": "n={n}: {count:,} values",
    "fig_vec_pick": "element #{i} = {v}",
    "fig_vec_where": "element #{i} = {v}  (n={n}, channel {c}, bin ({by}, {bx}))",
    "fig_det_label": "{name} {score:.2f}",
    "fig_det_true": "✓ {name} {score:.2f}",
    "fig_det_false": "✗ {name} {score:.2f}",
    "fig_det_missed": "missed: {name}",
    "fig_det_hidden": "{n} more labels left out (they would overlap the others)",
    "fig_det_hidden_one": "{n} more label left out (it would overlap the others)",
    "fig_crop": "#{k}  {w}×{h} px",
    "fig_warp": "warped to {w}×{h}",
    "fig_cmp": "level n = {n} · green lines: RoIAlign's bins · green dots: its {sx}×{sy} bilinear samples per bin",
    "fig_cmp_tv": "red: bins where torchvision's roi_pool reads other cells",
    "fig_cmb_best": "v_best = SPP(F_s*, w): the best scale only, s* = {s}",
    "fig_cmb_max": "v_max = max_s SPP(F_s, w): the max over s ∈ {{{S}}}",
    "fig_cmb_diff": "v_max − v_best (≥ 0): {p:.1f}% of the elements > 0",
    "fig_cmb_src": "the scale each maximum comes from: argmax_s SPP(F_s, w)",
    # ---- the bundled model's classes (figures and tables; other models' class names are shown as they are) ----
    "cls_disc": "disc",
    "cls_ring": "ring",
    "cls_box": "box",
    "cls_triangle": "triangle",
    "cls_star": "star",
    "cls_cross": "cross",
    "cls_heart": "heart",
    "list_sep": ", ",  # between the items of a list in a sentence
}

ERRORS: dict[str, str] = {
    "err_prefix": "{msg}",
    "err_no_image": "Upload an image or pick an example first.",
    "err_no_analysis": "Press Analyze first (or again: this session's analysis has expired).",
    "err_model": "The detector could not be loaded: {msg}",
    "err_click_outside": "No window contains the point ({x}, {y}). Click inside a window, or switch on Draw a box.",
    "err_levels_custom": "Type the custom levels, e.g. 1, 2, 4.",
    "err_scales_text": "Scales must be whole numbers separated by commas, got {text!r}.",
    "err_levels_text": "Levels must be whole numbers separated by commas, got {text!r}.",
    "err_box_small": "The drawn box has no area: click two different corners.",
    "err_setting": "Unknown {what} {value!r}; choose one of {choices}.",
    "err_window_index": "Window {k} does not exist: this image has {n} windows (0..{last}).",
}

NARRATIVES: dict[str, dict[str, str]] = {
    # ---- the tabs' step narratives ----
    "nar_pyramid": {
        "title": "Image pyramid",
        "body": ("The whole image is resized so that its shorter side equals each scale $s \\in S$, and conv1–conv5 "
                 "run **once per scale** on the whole image (paper §4.1). The conv5 map is about $1/16$ of the image "
                 "on each side: the layers' strides multiply to $S = 16$. The images below are drawn to scale."),
        "hint": "",
    },
    "nar_features": {
        "title": "conv5 feature maps",
        "body": ("Each of the $C$ channels is an $h \\times w$ map of cells. Cell $i$ sees a receptive field centred "
                 "at pixel $o + S\\,i$ of the scaled image; the overlay paints every cell there. The tiles are the "
                 "channels that respond most inside the selected window."),
        "hint": "",
    },
    "nar_projection": {
        "title": "From a window to conv5 cells",
        "body": ("SPP-net never crops the image. Each window picks **one** scale — the paper takes the $s$ whose "
                 "scaled window area is closest to $224^2$: $\\arg\\min_s |w\\,h\\,f_s^2 - 224^2|$ with $f_s = "
                 "s/\\min(W, H)$ — and is projected onto that scale's conv5 map. Paper App. A keeps the cells whose "
                 "centres lie strictly inside the window: $x_0' = \\lfloor (x_0 - o)/S \\rfloor + 1$, $x_1' = "
                 "\\lceil (x_1 - o)/S \\rceil - 1$."),
        "hint": "",
    },
    "nar_rules": {
        "title": "",
        "body": ("The three rules side by side (0-based, inclusive cells at the chosen scale). *original* is the "
                 "authors' release: centres inside the window widened by 1.5 px. *fast-rcnn* is `roi_pool`: "
                 "$\\mathrm{round}(x/S)$ with no offset. The rule in use is marked ✓."),
        "hint": "",
    },
    "nar_rf": {
        "title": "",
        "body": ("Receptive-field centres of the projected cells, back on the image (filled: inside the window). "
                 "Outlined squares: the receptive fields of the corner cells."),
        "hint": "",
    },
    "nar_spp": {
        "title": "Spatial pyramid pooling",
        "body": ("The window's $a_w \\times a_h$ cells are cut into $n \\times n$ bins for every level $n$; each bin "
                 "keeps the **maximum** of each channel. Adaptive bins (paper App. A): bin $i$ covers cells "
                 "$\\lfloor i\\,a/n \\rfloor \\ldots \\lceil (i+1)\\,a/n \\rceil - 1$, always $n$ bins. The sliding "
                 "rule (paper §2.3) uses window $\\lceil a/n \\rceil$, stride $\\lfloor a/n \\rfloor$ and does not "
                 "always give $n$ bins. The release computes the adaptive edges in float32, which moves a bin by "
                 "one cell at some levels (5, 7, 9, 10, 12–15)."),
        "hint": "**Click a bin** to see where its maximum comes from.",
    },
    "nar_vector": {
        "title": "",
        "body": ("All levels together give a vector of fixed length $C \\cdot \\sum n^2$ whatever the window size — "
                 "$256 \\times 50 = 12\\,800$ for the paper's ZF-5 (256 channels) with levels $\\{1, 2, 3, 6\\}$. "
                 "Layout (release): level by level, then channel, then bins row by row. This vector goes to fc6."),
        "hint": "",
    },
    "nar_det": {
        "title": "Detections",
        "body": ("fc6–fc8 score every window's vector once. The threshold, the NMS IoU and the class filter re-use "
                 "those cached scores, so they update at once. Per-class NMS at IoU 0.3 as in paper §4."),
        "hint": "Click a row to inspect its window.",
    },
    "nar_why": {
        "title": "Why SPP-net",
        "body": ("R-CNN crops every window from the image, **warps** it to a fixed size and runs the whole network "
                 "on each crop: its conv cost grows like $n \\cdot 224^2$ for $n \\approx 2000$ windows (this app "
                 "warps to $224 \\times 224$; R-CNN itself used 227). SPP-net "
                 "runs the convolutional layers **once** on the whole image and pools every window from the shared "
                 "conv5 map: about $r \\cdot s^2$ with $r \\approx 4/3$, i.e. roughly $1/160$ of R-CNN's at $s = "
                 "688$ (paper). The warp also distorts the objects (below: each crop next to its warp); SPP-net "
                 "keeps their aspect ratio."),
        "hint": "Press the button to time the R-CNN path on $N$ windows of this image with the same weights.",
    },
    "nar_compare": {
        "title": "SPP vs RoIPool vs RoIAlign",
        "body": ("Three ways to pool the same window at one level n from the same conv5 map: **SPP** (paper cells, "
                 "adaptive bins, max), **RoIPool** (Fast R-CNN: cells = round(x/S), same adaptive bins, max) and "
                 "**RoIAlign** (Mask R-CNN: no rounding, continuous bins, 2×2 bilinear samples per bin, averaged)."),
        "hint": ("It follows the selected window and the level and channel chosen under “Pyramid pooling” "
                 "(level 6 when none is chosen); **Compare** recomputes it."),
    },
    "nar_combine": {
        "title": "Combining scales",
        "body": ("With several scales, a window can be pooled in two ways. The paper (§4.1) picks **one** scale per "
                 "window, $s^* = \\arg\\min_s |w\\,h\\,f_s^2 - 224^2|$, and pools only there: $v = "
                 "\\mathrm{SPP}(F_{s^*}, w)$. The other option of multi-scale extraction pools the window on "
                 "**every** scale's conv5 map and combines the vectors channel by channel, here with a max: $v_j = "
                 "\\max_{s \\in S} \\mathrm{SPP}(F_s, w)_j$. The paper tried pooling all scales channel by channel "
                 "and found the single best scale worked better. Both vectors have the same length $C \\cdot \\sum "
                 "n^2$, so both can go through the same fc layers — but this head was fine-tuned on best-scale "
                 "vectors only."),
        "hint": "",
    },
    # ---- lesson mode's own narratives ----
    "ls_why": {
        "title": "Why not warp",
        "body": ("R-CNN crops each of ~2,000 windows, warps it to 224×224 and runs the whole network on every crop: "
                 "the warp squeezes or stretches the object (each crop next to its warp), and the conv layers run "
                 "~2,000 times. SPP-net runs them once per scale and pools every window from conv5, keeping its "
                 "aspect ratio (paper: 102× faster at one scale on a GPU; the “Why SPP” tab measures it on this "
                 "machine)."),
        "hint": "",
    },
    "ls_compare": {
        "title": "SPP vs RoIPool vs RoIAlign",
        "body": ("The same window pooled three ways from the same conv5 map: SPP keeps the cells whose "
                 "receptive-field centres lie inside the window (paper rule); RoIPool (Fast R-CNN) rounds $x/S$ to "
                 "the nearest cell; RoIAlign (Mask R-CNN) does not round at all and averages bilinear samples in "
                 "each bin (the dots; lines: its bins)."),
        "hint": "",
    },
}
