"""Every user-visible string of sppviz in 简体中文: plain data, no code (:mod:`sppviz.i18n` builds
``STRINGS``, ``t`` and ``narrative`` from it). Keys must match the other languages' exactly (tests check it).

LABELS: static text built with the page and translated in the browser through ``gr.I18n``.
FORMATS: text a handler writes at run time with ``t(key, lang, **fmt)`` (``str.format`` placeholders).
ERRORS: the messages of the errors shown to the user (also formatted with ``t``).
NARRATIVES: each step's explanation as a record: ``title`` (the bold heading, no Markdown), ``body``
(Markdown with $...$ LaTeX) and ``hint`` (the sentences that ask for a click in the app, '' when none;
a printed handout leaves them out). ``t`` gives ``**title<TITLE_END>** body<SENTENCE_GAP>hint``.
"""

from __future__ import annotations

TITLE_END = "。"  # ends a narrative's bold title
SENTENCE_GAP = ""  # between a narrative's body and its hint

LABELS: dict[str, str] = {
    # ---- page ----
    "title": "# sppviz — 一步一步看懂 SPP-net",
    "intro": ("用于目标检测的空间金字塔池化（He 等，2014）：每个尺度的整张图只过**一次**卷积层，之后每个窗口都直接从 "
              "conv5 特征图上池化成固定长度的向量。选一个示例或上传图片，点 **分析**，"
              "然后从左到右依次查看各个标签页。"),
    "status_idle": "请选择一个示例或上传图片，然后点 **分析**。",
    "lang_label": "Language · 语言",
    "in_settings": "图片与设置",
    # ---- inputs ----
    "in_image": "图片",
    "in_image_ph": "把图片拖到这里\n\n– 或 –\n\n点击上传，或直接粘贴",
    "in_examples": "示例场景（点一个，再点“分析”）",
    "in_backbone": "主干网络（conv1–conv5）",
    "bb_zf5": "ZF-5 · 内置（7 种图形）",
    "bb_alexnet": "AlexNet · ImageNet（1000 类）",
    "bb_vgg16": "VGG16 · ImageNet（1000 类）",
    "bb_note_missing": ("AlexNet / VGG16 使用 torchvision 的 ImageNet 权重，后接单层 SPP（6×6 / 7×7），用 ImageNet "
                        "类别标注窗口；本机没有找到这些权重，选择它们时会说明应把文件放在哪里。"),
    "bb_note_download": ("AlexNet / VGG16 使用 torchvision 的 ImageNet 权重，后接单层 SPP（6×6 / 7×7），用 1000 个 "
                         "ImageNet 类别标注窗口；首次使用时下载权重文件（AlexNet 233 MB，VGG16 528 MB，"
                         "所以第一次用它们分析会慢一些）。"),
    "bb_note_found": ("AlexNet / VGG16 使用 torchvision 的 ImageNet 权重（本机已找到），后接单层 SPP（6×6 / 7×7），"
                      "用 1000 个 ImageNet 类别标注窗口。"),
    "in_scales": "尺度 s（短边像素数）",
    "in_scales_info": "论文 S = {480, 576, 688, 864, 1200}；官方代码用 874 代替 864。单尺度最快。",
    "in_custom_scales": "更多尺度",
    "in_custom_scales_ph": "例如 600, 1000",
    "in_levels": "金字塔层级 n（n×n 个格子）",
    "in_levels_info": "{1,2,3,6}：检测（论文 §4）；{6,3,2,1}：分类；{1,2,4}：小金字塔。",
    "lv_custom": "自定义",
    "in_custom_levels": "自定义层级",
    "in_custom_levels_ph": "例如 1, 2, 4, 8",
    "in_bin_rule": "分格规则",
    "in_bin_rule_info": ("adaptive：总是 n 格（论文附录 A）· sliding：窗口 ⌈a/n⌉、步长 ⌊a/n⌋（论文 §2.3）· "
                         "release：官方代码的 float32 分格，最大值从 0 起"),
    "in_box_scaling": "框的缩放（原图 → 尺度 s）",
    "in_box_scaling_info": ("fast-rcnn：框 · s / 短边 · release：(x − 1)(s − 1)/(短边 − 1) + 1，1 起始像素"
                            "（spp_features_convX_to_poolX.m）"),
    "in_presets": "规则预设（一键设置尺度、规则和层级）",
    "in_rules": "规则：投影、尺度选择、分格、框的缩放",
    "preset_paper": "论文",
    "preset_release": "作者发布的代码",
    "preset_fast-rcnn": "Fast R-CNN",
    "in_proj_rule": "投影规则（窗口 → 特征格）",
    "in_proj_rule_info": "paper：论文附录 A · original：作者发布的代码 · fast-rcnn：roi_pool 的取整方式",
    "in_scale_rule": "尺度选择规则",
    "in_scale_rule_info": "paper：缩放后面积最接近 224² · original：官方代码的 208 像素边长",
    "in_source": "候选窗口",
    "src_ss_fast": "选择性搜索（快速）",
    "src_ss_quality": "选择性搜索（高质量）",
    "src_grid": "规则网格",
    "src_user": "只用我画的框",
    "in_count": "窗口数量",
    "btn_analyze": "分析",
    "levels_note": ("检测结果始终使用模型自己的层级（1, 2, 3, 6），这里选的层级只用于池化面板的演示。"
                    "规则和层级会立即生效；换图片、尺度或窗口需要重新点 **分析**。"),
    "btn_export": "把所有面板导出为 PNG（.zip）",
    "export_file": "用于幻灯片的面板",
    # ---- tabs ----
    "tab_pyramid": "图像金字塔",
    "tab_features": "特征图",
    "tab_projection": "窗口 → 特征格",
    "tab_spp": "金字塔池化",
    "tab_detections": "检测结果",
    "tab_why": "为什么用 SPP",
    "tab_compare": "SPP、RoIPool 与 RoIAlign",
    "tab_combine": "多尺度合并",
    "tab_lesson": "▶ 课堂模式",
    # ---- image pyramid, feature maps ----
    "pyr_img": "图像金字塔（按真实比例）",
    "pyr_table": "各尺度",
    "fm_scale": "尺度",
    "fm_channel": "通道",
    "fm_view": "显示",
    "view_channel": "单个通道",
    "view_mean": "各通道平均",
    "view_max": "各通道最大",
    "fm_map": "conv5 特征图（格子）",
    "fm_overlay": "conv5 叠加在图像上",
    "fm_top": "所选窗口内响应最强的通道",
    # ---- window → cells ----
    "win_img": "窗口——点击选择",
    "win_k": "窗口编号",
    "win_draw": "画框（点两下）",
    "win_clear": "删除画的框",
    "scale_chart": "为该窗口选的尺度：各尺度下缩放后的面积",
    "proj_grid": "conv5 上投影得到的格子（通道平均）",
    "rf_img": "这些格子的感受野中心",
    "rules_title": "#### 投影规则",
    # ---- pyramid pooling, detections ----
    "spp_level": "层级 n",
    "spp_channel": "通道",
    "spp_map": "投影窗口上的分格（单个通道）",
    "spp_alt": "同一层级在滑动分格规则下",
    "spp_values": "每个 bin 的最大值（点击一个 bin）",
    "spp_argmax": "每个最大值来自哪里（感受野中心）",
    "spp_vector": "固定长度的向量（所有通道、所有层级）",
    "spp_bins_title": "#### 两种规则下各层级的分格",
    "det_thresh": "分数阈值",
    "det_iou": "NMS IoU",
    "det_classes": "类别",
    "det_after": "NMS 之后",
    "det_before": "NMS 之前",
    "det_table": "NMS 之后的检测结果",
    # ---- why SPP, compare, combine ----
    "why_n": "R-CNN 路径的窗口数 N（分数最高的 N 个）",
    "btn_why": "在 N 个窗口上运行 R-CNN 的做法",
    "why_fig": "原样的裁块（保持长宽比）与 R-CNN 拉伸成的 224×224",
    "btn_compare": "比较",
    "cmp_fig": "每种方法在 conv5 上读取的区域（所选通道）",
    "cmp_table": "池化得到的 n×n 值：所有通道上与 SPP 的差",
    "cmp_idle": "请（在**分析**之后）点**比较**。",
    "cmb_vec": "窗口的向量：只用最佳尺度、所有尺度取最大值、两者之差，以及每个最大值来自哪个尺度",
    "cmb_table": "所选窗口在各个尺度上",
    "cmb_det_best": "检测结果 · 每个窗口一个最佳尺度（论文）",
    "cmb_det_max": "检测结果 · 所有尺度合并后的向量（同一个检测头）",
    # ---- lesson mode and lesson export ----
    "btn_scene": "试试自带的场景",
    "det_truth": "检测结果与场景真实标注的对照",
    "btn_back": "◀ 上一步",
    "btn_next": "下一步 ▶",
    "lesson_img": "课堂图示",
    "lesson_idle": "请先点 **分析**：课堂模式会逐步讲解分析过的图片。",
    "btn_lesson": "下载课件（.zip：PNG、analysis.json、讲义）",
    "lesson_file": "用于幻灯片和讲义的课件",
    # ---- notes above a panel (interaction only: not step narratives) ----
    "nar_pick": "**点击图上的窗口**（选中点击处最小的窗口），或输入窗口编号，或打开“画框”后点击两个对角。",
    "nar_lesson": ("**课堂模式**——把分析过的图片一步一步地讲，适合上课演示：每一步一幅图和它的讲解。用 **下一步 ▶** "
                   "和 **◀ 上一步**（或 ← → 键、翻页笔的 PageUp / PageDown）切换；**演示**让这一步的标题、图和讲解铺满"
                   "屏幕（Esc 退出）。它使用其他标签页中选定的窗口、层级和规则。"),
    "btn_present": "全屏演示",
}

FORMATS: dict[str, str] = {
    # ---- status line ----
    "status_done": "{windows} · 尺度 {scales} · 模型 {model}（{device}）",
    "status_windows": "**{windows} 个窗口**",
    "status_windows_drawn": "**{windows} 个窗口**（{proposals} 个候选 + {drawn} 个手画框）",
    "status_cost": ("用时 {total:.2f} 秒：conv5 {conv:.2f} 秒（{per_scale}），同时{windows_from}；"
                    "随后打分 {score:.2f} 秒"),
    "status_scale_cost": "{scale}：{s:.2f} 秒",
    "status_scale_cached": "{scale}：缓存",
    "status_windows_found": "候选窗口用了 {prop:.2f} 秒",
    "status_windows_cache": "候选窗口取自缓存",
    "status_cached": ("**取自缓存**：这张图已在这些尺度上分析过，conv5 和候选窗口直接复用；打分 {score:.2f} 秒，"
                      "共 {total:.2f} 秒"),
    "status_fewer": ("{found} 个窗口，而不是 {asked} 个：窗口数只是上限，这张图只有 {found} 个不同的候选区域"
                     "（选择性搜索会合并相似区域，并去掉重复的和过小的；图越大、越复杂，区域越多）。"),
    "status_conv": "尺度 {scales} 的 conv5 已完成（{conv:.2f} 秒）· 正在寻找候选窗口并打分 …",
    "status_loading": "正在加载模型和池化内核 … 分析会等它们就绪。",
    "status_preset": "规则：**{name}**",
    "preset_custom": "自定义",
    "preset_set": ("预设 **{name}**：尺度 {scales} · 投影 {projection} · 尺度选择 {scale_rule} · "
                   "框的缩放 {box_scaling} · 分格 {bin_rule} · 层级 {levels}。"),
    "preset_rescan": "预设的尺度与已分析的尺度（{have}）不同：请按**分析**使用它们。",
    "box_h_rule": "框的缩放",
    "box_h_box": "缩放后的框 x₁, y₁, x₂, y₂（尺度 s 下的像素）",
    "box_h_cells": "特征格（{rule}）",
    "box_caption": "窗口 #{k} 在 s = {s} 下两种框缩放规则的结果",
    "status_notice": "⚠️ {text}",
    "status_user_default": "还没有画框：整张图是唯一的窗口。请在“窗口 → 特征格”标签页中画框。",
    # ---- table headers and cells ----
    "pyr_h_scale": "s",
    "pyr_h_image": "图像 宽×高（像素）",
    "pyr_h_factor": "缩放 s/短边",
    "pyr_h_conv5": "conv5 宽×高（格）",
    "pyr_h_cells": "格子数",
    "pyr_h_time": "conv1–5（毫秒）",
    "rules_h_rule": "规则",
    "rules_h_formula": "左 / 右格子",
    "rules_h_x": "x 方向格子",
    "rules_h_y": "y 方向格子",
    "rules_h_count": "格子数",
    "rules_used": "✓ 使用中",
    "rules_window": "窗口（连续坐标）",
    "rules_caption": "窗口 #{k}，s={s}：conv5 特征图 {w}×{h} 格，步长 {stride}，偏移 {offset:g}。",
    "bins_h_level": "n",
    "bins_h_rule": "规则",
    "bins_h_x": "x 方向 bin（格子）",
    "bins_h_y": "y 方向 bin（格子）",
    "bins_h_count": "bin 数",
    "bins_undefined": "无定义（格子数少于 n）",
    "det_h_label": "类别",
    "det_h_score": "分数",
    "det_h_window": "窗口",
    "det_h_x1": "x1",
    "det_h_y1": "y1",
    "det_h_x2": "x2",
    "det_h_y2": "y2",
    "cmp_h_method": "方法",
    "cmp_h_region": "conv5 上的区域（x；y）",
    "cmp_h_max": "最大 |Δ|",
    "cmp_h_mean": "平均 |Δ|",
    "cmb_h_scale": "s",
    "cmb_h_cells": "conv5 特征格（x；y）",
    "cmb_h_size": "格子数",
    "cmb_h_best": "最佳",
    "cmb_h_share": "占比 %",
    # ---- info lines under the panels ----
    "fm_info": ("s={scale} 时的 conv5：**{c} 个通道 × {w}×{h} 个格子** · 步长 $S$ = {stride} 像素 · 偏移 $o$ = "
                "{offset:g} 像素 · 感受野 {rf} 像素"),
    "fm_top_info": ("窗口 #{k} 在 s={scale} 时响应最强的通道：每张小图显示窗口内的格子及其周围 {m} 格，"
                    "下方是窗口内的最大值。"),
    "win_info": ("**窗口 #{k}** ({x1:g}, {y1:g}) – ({x2:g}, {y2:g})，{w:g}×{h:g} 像素 → 尺度 **s = {s}**（×{f:.3f}，"
                 "缩放后 {sw:.0f}×{sh:.0f} 像素）→ conv5 格子 **x {cx0}..{cx1}，y {cy0}..{cy1}**（{rule} 规则，"
                 "{aw}×{ah} 个格子）。"),
    "win_user_tag": "画的框",
    "draw_first": "第一个角在 ({x}, {y})。请点击对角。",
    "draw_added": "已把框 #{k} 加为额外窗口 ({x1}, {y1}) – ({x2}, {y2})。",
    "spp_warn_error": "⚠️ **滑动分格规则对这个窗口不适用：** {error}。面板改为显示自适应分格。",
    "spp_warn_note": "⚠️ **层级 {n}：** {note}。",
    "spp_ok": "层级 {n}：{aw}×{ah} 个格子上的 {nx}×{ny} 个 bin（{rule} 规则）。向量长度 {d:,} = {c} × {bins}。",
    "bin_picked_zero": ("层级 {n} 的 bin ({by}, {bx})：这个通道在这里的每个格子都是 0（ReLU 之后），"
                        "没有哪个格子单独给出最大值。"),
    "bin_picked": ("层级 {n} 的 bin ({by}, {bx})：最大值 {v:.3g}，来自格子 ({cx}, {cy})，感受野中心 ({px:.0f}, "
                   "{py:.0f}) 像素。"),
    "det_info": ("NMS 之后 **{after}** 个检测，之前 **{before}** 个（分数 ≥ {thr:.2f}，IoU {iou:.2f}）。分数已缓存："
                 "不会重新计算 conv5。"),
    "det_capped": "两幅图只画分数最高的 {n} 个。",
    "why_summary": ("**本机实测**（{device}，{model}）：R-CNN 路径（裁剪、拉伸到 224×224、conv1–conv5、SPP、全连接）"
                    "处理 {n} 个窗口用了 {rcnn_s:.2f} 秒 = **每个窗口 {per_ms:.1f} 毫秒**。本次分析的全部 **{k}** "
                    "个窗口约需 **{rcnn_all:.2f} 秒**（由实测的 {n} 个窗口外推）。SPP-net 处理全部 {k} 个窗口："
                    "每个尺度一次 conv5 {conv:.3f} 秒 + 池化与全连接 {pool:.3f} 秒 = **{spp:.3f} 秒**。实测加速："
                    "**{speedup:.1f}×**。  \n**论文**（ZF-5，GPU，每张图约 2000 个窗口）：SPP-net 整体快 **102×**（1 "
                    "个尺度）和 **38×**（5 个尺度）；仅卷积层就是 14.37 秒（R-CNN）对 0.053 秒（SPP-net，1 个尺度）。"),
    "cmp_info": ("窗口 **#{k}**，尺度 s = {s}，层级 **n = {n}**，通道 {c}（共 {C} 个）；耗时 {ms:.0f} 毫秒。RoIAlign "
                 "在特征图上的框（x/S − ½）：x {rx0:.2f}..{rx1:.2f}，y {ry0:.2f}..{ry1:.2f}。"),
    "cmb_info": ("窗口 **#{k}**：在 {S} 个尺度中，{rule} 规则选出最佳尺度 **s\\* = {s}**。所有尺度合并后的向量在其 "
                 "{D:,} 个元素中有 **{changed:.1f} %** 大于最佳尺度的向量（平均增大 {mean:.3g}，最大 {mx:.3g}）；"
                 "各尺度在最大值中的占比见表格。层级 {levels}（模型自己的）；耗时 {ms:.0f} 毫秒。"),
    "cmb_one": ("⚠️ 只分析了一个尺度（s = {s}），所以两种向量完全相同。请多勾选几个尺度（例如 480、688 和 1200）再点 "
                "**分析** 进行比较。"),
    "cmb_det_info": ("每个窗口只用一个最佳尺度时，NMS 之后有 **{nb}** 个检测；用所有尺度合并的向量时有 **{nm}** 个；"
                     "两者共有 **{same}** 个（类别相同，IoU ≥ 0.5）。同一个检测头，分数 ≥ {thr:.2f}，NMS IoU "
                     "{iou:.2f}。  \n*注意：* 这个检测头（fc6–fc8）只用最佳尺度的向量微调过。合并后的向量逐元素更大，"
                     "是它从未见过的输入：这些分数只说明这个检测头的反应，不代表用合并向量训练的检测头会怎样。"),
    # ---- captions of the printed handout (the app's labels without their click hint) ----
    "win_img_print": "窗口",
    "spp_values_print": "每个 bin 的最大值",
    # ---- gotchas (SPP vs RoIPool vs RoIAlign) ----
    "g_title": "### 容易踩的坑",
    "g_sliding": ("**(a) 滑动分箱与自适应分箱。** 论文的滑动规则（§2.3：窗口 ⌈a/n⌉，步长 ⌊a/n⌋）不一定得到 n 个箱；"
                  "自适应规则（附录 A）总是得到 n 个。窗口 #{k} 宽 **a = {a}** 个特征格（{rule} 投影）："
                  "\n\n{rows}\n\n固定示例：a = 10，n = 6 → 窗口 2，步长 1 → **{ex} 个箱**，而不是 6 "
                  "个（正是论文自己的 180 像素训练尺寸）。"),
    "g_sliding_row": ("- n = {n}：滑动规则得到 **{count}** 个箱{mark}（窗口 {win}，步长 {stride}）；自适应规则得到 "
                      "{n} 个"),
    "g_sliding_undef": "- n = {n}：滑动规则**无定义**（a = {a} < n：步长 ⌊a/n⌋ = 0）；自适应规则仍得到 {n} 个箱",
    "g_scale": ("**(b) 864 还是 874。** 论文列出的尺度是 {480, 576, 688, 864, 1200}；作者发布的代码用的是 **874** "
                "而不是 864。两者都在尺度列表里。"),
    "g_proj": ("**(c) 论文投影与发布代码投影。** 窗口 #{k}，尺度 s = {s}：论文规则的特征格 x {px0}..{px1}，y "
               "{py0}..{py1}；发布代码（\"original\"）的特征格 x {ox0}..{ox1}，y {oy0}..{oy1}；偏移（original − "
               "paper）左 {dl:+d}、上 {dt:+d}、右 {dr:+d}、下 {db:+d}。原因：论文的网络按 ⌊p/2⌋ 填充（偏移 0）；"
               "发布的 ZF-5 没有，所以第 0 个特征格的中心在像素 **20**（偏移 20 对 0；当前骨干网络的偏移为 {o} 像素，"
               "两条规则都会减去它）；而且它的规则先把窗口放宽 **1.5 像素**（常数 6.5），"
               "再保留中心落在窗口内的特征格。"),
    "g_release": ("**(e) 官方代码的分格是 float32。** 它的池化代码（spm_pool_caffe_mex.cpp）用 float32 计算分格"
                  "边界 floor(fl(i/n)·a) .. ceil(fl((i+1)/n)·a)，在层级 5、7、9、10、12、13、14、15 上，某些宽度会"
                  "得到与精确的 ⌊i·a/n⌋ … ⌈(i+1)·a/n⌉ − 1 不同的格子（层级 1、2、3、4、6、8、11、16 从不不同），"
                  "并且每个最大值都从 0 开始。窗口 #{k} 为 {a} × {b} 个特征格：\n\n{rows}"),
    "g_release_row": "- 在这个 {a} 格宽的{axis}上，**层级 {n}**：官方分格 {i} = 格子 {rs}..{re}，精确规则 {es}..{ee}",
    "g_release_same": "- 在这里池化的层级（{levels}）上，官方代码的分格与精确规则在此窗口上相同",
    "g_release_would": "- 在层级 {n} 上会不同：官方分格 {i} = 格子 {rs}..{re}，精确规则 {es}..{ee}",
    "cmp_tv": ("**torchvision `roi_pool`**（真实算子，float32 分格，不截断）作用于同一个框：RoI 格子 x {x0}..{x1}，"
               "y {y0}..{y1}；{diffs}"),
    "cmp_tv_same": "它的分格读取的格子与 RoIPool 的精确分格相同。",
    "cmp_tv_diff": "它的分格在 {parts} 读取的格子与 RoIPool 的精确分格不同（红色标出）。",
    "axis_x": "x 轴（宽）",
    "axis_y": "y 轴（高）",
    "det_missed": "漏检",
    "det_background": "背景",
    "det_h_prob": "概率",
    "det_truth_info": ("**{file}** 是自带的场景，共 {n} 个物体：找到 **{tp}** 个（✓ 绿色），误检 **{fp}** 个"
                       "（✗ 朱红），漏检 **{miss}** 个（天蓝）。检测框与同类、尚未被匹配的物体 IoU ≥ 0.5 即为正确"
                       "（VOC 的规则）。"),
    "det_notice": ("⚠️ 自带的模型只认识 **{n} 种生成的形状**：{classes}。在真实照片上，每个标签都没有意义"
                   "（人脸可能被认成 *圆盘*）：请用自带的场景来判断检测结果，或在装有权重时选用 ImageNet AlexNet / "
                   "VGG16。"),
    "win_probs": "所选窗口的类别概率（对所有类别和背景做 softmax）",
    "g_yolo": ("**(d) YOLO 的“SPP”/“SPPF”是另一种算子。** 它并行做步长为 1、带填充的最大池化（如 5、9、13），"
               "输出与输入**空间尺寸相同**，再沿通道拼接：没有分箱，没有定长向量，也没有窗口。"),
    # ---- lesson mode: counter and step titles; lesson export ----
    "lesson_step": "第 {k} / {n} 步",
    "ls_t_pyramid": "图像金字塔",
    "ls_t_features": "每个尺度只算一次 conv5",
    "ls_t_scale": "每个窗口选一个尺度",
    "ls_t_cells": "从窗口到 conv5 特征格",
    "ls_t_rf": "这些格子看到哪里",
    "ls_t_bins": "金字塔分格：每格取最大值",
    "ls_t_vector": "一个定长向量",
    "ls_t_det": "检测结果",
    "ls_t_why": "为什么不把每个窗口拉伸（R-CNN）",
    "ls_t_compare": "SPP、RoIPool 与 RoIAlign",
    "ls_t_combine": "一个尺度还是所有尺度",
    "lesson_done": ("窗口 **#{k}** 的课件（{lang_name}）：{png} 张投影宽度的 PNG（≥ 1600 像素）、analysis.json 和 "
                    "handout.html；共 {mb:.1f} MB，用时 {sec:.1f} 秒。"),
    "lang_name": "简体中文",
    # ---- plural forms (the key + "_one" when the count is 1; i18n.t_count picks it) ----
    "status_windows_one": "**{windows} 个窗口**",
    "spp_ok_one": "层级 {n}：{aw}×{ah} 个格子上的 {nx}×{ny} 个 bin（{rule} 规则）。向量长度 {d:,} = {c} × {bins}。",
    "g_sliding_row_one": ("- n = {n}：滑动规则得到 **{count}** 个箱{mark}（窗口 {win}，步长 {stride}）；自适应规则得到 "
                          "{n} 个"),
    # ---- text drawn inside the figures (i18n.figure_words hands them to sppviz.figures without "fig_") ----
    "fig_px": "{w}×{h} 像素",
    "fig_conv5": "conv5 {w}×{h} 格",
    "fig_channel": "通道 {c}",
    "fig_cbar": "{what}：",
    "fig_fm_window": "窗口 #{k}：特征格 x {cx0}..{cx1}，y {cy0}..{cy1}",
    "fig_fm_window_at": "窗口 #{k} 投影到此尺度：特征格 x {cx0}..{cx1}，y {cy0}..{cy1}（SPP 在 s = {s} 上池化它）",
    "fig_tile_max": "最大 {v}",
    "fig_sc_paper": "论文",
    "fig_sc_release": "官方代码",
    "fig_window": "窗口",
    "fig_pg_window": "窗口  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_rule": "{rule} 规则  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_region": "{rule}  x {x0}..{x1}  y {y0}..{y1}",
    "fig_pg_centres": "特征格中心（论文规则只保留中心严格落在窗口内的格子）",
    "fig_rf_inside": "中心在窗口内",
    "fig_rf_outside": "中心在窗口外",
    "fig_rf_field": "角上特征格的感受野",
    "fig_bins": "层级 n={n}：特征格 x {cx0}..{cx1}，y {cy0}..{cy1} 上的 {ny}×{nx} 个分格",
    "fig_bins_one": "层级 n={n}：特征格 x {cx0}..{cx1}，y {cy0}..{cy1} 上的 {ny}×{nx} 个分格",
    "fig_bins_max": "每个分格的最大值",
    "fig_bv_title": "层级 n={n}：{ny}×{nx} 个分格",
    "fig_bv_title_one": "层级 n={n}：{ny}×{nx} 个分格",
    "fig_sliding": "滑动分格规则：{sx}×{sy} 个分格 ≠ {n}×{n}",
    "fig_am_level": "n={n} 的最大值",
    "fig_am_rf": "所选最大值的感受野",
    "fig_vec_title": "{c} 个通道 × {bins} 个分格 = {d:,} 个值",
    "fig_vec_title_one": "{c} 个通道 × {bins} 个分格 = {d:,} 个值",
    "fig_vec_level": "n={n}：{count:,} 个值",
    "fig_vec_pick": "元素 #{i} = {v}",
    "fig_vec_where": "元素 #{i} = {v}（n={n}，通道 {c}，分格 ({by}, {bx})）",
    "fig_det_label": "{name} {score:.2f}",
    "fig_det_true": "✓ {name} {score:.2f}",
    "fig_det_false": "✗ {name} {score:.2f}",
    "fig_det_missed": "漏检：{name}",
    "fig_det_hidden": "另有 {n} 个标签未画出（会与其他标签重叠）",
    "fig_det_hidden_one": "另有 {n} 个标签未画出（会与其他标签重叠）",
    "fig_crop": "#{k}  {w}×{h} 像素",
    "fig_warp": "拉伸为 {w}×{h}",
    "fig_cmp": "层级 n = {n} · 绿线：RoIAlign 的分格 · 绿点：每个分格内 {sx}×{sy} 个双线性采样点",
    "fig_cmp_tv": "红框：torchvision 的 roi_pool 读取了其他特征格的分格",
    "fig_cmb_best": "v_best = SPP(F_s*, w)：只用最佳尺度 s* = {s}",
    "fig_cmb_max": "v_max = max_s SPP(F_s, w)：在 s ∈ {{{S}}} 上逐元素取最大",
    "fig_cmb_diff": "v_max − v_best（≥ 0）：{p:.1f}% 的元素 > 0",
    "fig_cmb_src": "每个最大值来自哪个尺度：argmax_s SPP(F_s, w)",
    # ---- the bundled model's classes (figures and tables; other models' class names are shown as they are) ----
    "cls_disc": "圆盘",
    "cls_ring": "圆环",
    "cls_box": "方块",
    "cls_triangle": "三角形",
    "cls_star": "星形",
    "cls_cross": "十字",
    "cls_heart": "心形",
    "list_sep": "、",  # between the items of a list in a sentence
}

ERRORS: dict[str, str] = {
    "err_prefix": "输入有误：{msg}",
    "err_no_image": "请先上传图片或选择一个示例。",
    "err_no_analysis": "请先点“分析”（如果已经分析过：本会话的结果已过期，请重新分析）。",
    "err_model": "无法加载检测器：{msg}",
    "err_click_outside": "没有窗口包含点 ({x}, {y})。请点击某个窗口内部，或打开“画框”。",
    "err_levels_custom": "请输入自定义层级，例如 1, 2, 4。",
    "err_scales_text": "尺度必须是用逗号分隔的整数，收到的是 {text!r}。",
    "err_levels_text": "层级必须是用逗号分隔的整数，收到的是 {text!r}。",
    "err_box_small": "画的框没有面积：请点击两个不同的角。",
    "err_setting": "未知的{what} {value!r}；可选：{choices}。",
    "err_window_index": "窗口 {k} 不存在：这张图共有 {n} 个窗口（0..{last}）。",
}

NARRATIVES: dict[str, dict[str, str]] = {
    # ---- the tabs' step narratives ----
    "nar_pyramid": {
        "title": "图像金字塔",
        "body": ("把整张图缩放到短边等于每个尺度 $s \\in S$，然后对每个尺度的整张图**只跑一次** conv1–conv5（论文 "
                 "§4.1）。各层步长相乘得 $S = 16$，所以 conv5 特征图每条边约为原图的 $1/16$。下面的图按真实比例绘制。"),
        "hint": "",
    },
    "nar_features": {
        "title": "conv5 特征图",
        "body": ("$C$ 个通道各是一张 $h \\times w$ 的特征格图。第 $i$ 个格子的感受野中心位于缩放后图像的 $o + S\\,i$ "
                 "像素处；叠加图把每个格子画在它的感受野中心。小图是所选窗口内响应最强的几个通道。"),
        "hint": "",
    },
    "nar_projection": {
        "title": "从窗口到 conv5 特征格",
        "body": ("SPP-net 从不裁剪图像。每个窗口只选**一个**尺度——论文选缩放后窗口面积最接近 $224^2$ 的 $s$："
                 "$\\arg\\min_s |w\\,h\\,f_s^2 - 224^2|$，其中 $f_s = s/\\min(W, H)$——再投影到该尺度的 conv5 "
                 "特征图上。论文附录 A 保留感受野中心严格位于窗口内的格子：$x_0' = \\lfloor (x_0 - o)/S \\rfloor + "
                 "1$，$x_1' = \\lceil (x_1 - o)/S \\rceil - 1$。"),
        "hint": "",
    },
    "nar_rules": {
        "title": "",
        "body": ("三种规则并排对比（所选尺度下从 0 开始、首尾都包含的格子编号）。*original* 是作者发布的代码："
                 "中心落在向外扩 1.5 像素的窗口内。*fast-rcnn* 即 `roi_pool`：$\\mathrm{round}(x/S)$，不减偏移。"
                 "当前使用的规则标有 ✓。"),
        "hint": "",
    },
    "nar_rf": {
        "title": "",
        "body": "投影得到的各格子的感受野中心，画回原图上（实心：在窗口内）。方框：四个角上格子的感受野。",
        "hint": "",
    },
    "nar_spp": {
        "title": "空间金字塔池化",
        "body": ("把窗口的 $a_w \\times a_h$ 个格子在每个层级 $n$ 上切成 $n \\times n$ 个格子（bin），每个 bin "
                 "对每个通道取**最大值**。自适应分格（论文附录 A）：第 $i$ 个 bin 覆盖第 $\\lfloor i\\,a/n "
                 "\\rfloor \\ldots \\lceil (i+1)\\,a/n \\rceil - 1$ 个格子，总是 $n$ 个。滑动分格（论文 §2.3）用窗口 "
                 "$\\lceil a/n \\rceil$、步长 $\\lfloor a/n \\rfloor$，并不总能得到 $n$ 个。官方代码用 float32 "
                 "计算自适应分格的边界，在某些层级（5、7、9、10、12–15）上会让一个 bin 移动一格。"),
        "hint": "**点击一个 bin**，看它的最大值来自哪里。",
    },
    "nar_vector": {
        "title": "",
        "body": ("所有层级拼起来，无论窗口多大，都得到长度固定为 $C \\cdot \\sum n^2$ 的向量——论文的 ZF-5（256 "
                 "个通道）取层级 $\\{1, 2, 3, 6\\}$ 时为 $256 \\times 50 = 12\\,800$。排列方式（官方代码）："
                 "先按层级，再按通道，最后按 bin 逐行。这个向量送入 fc6。"),
        "hint": "",
    },
    "nar_det": {
        "title": "检测结果",
        "body": ("fc6–fc8 对每个窗口的向量只打一次分。下面的阈值、NMS IoU 和类别筛选都复用这些缓存的分数，"
                 "所以会立即更新。按类别做 NMS，IoU 取 0.3（论文 §4）。"),
        "hint": "点击表格中的一行可查看对应窗口。",
    },
    "nar_why": {
        "title": "为什么用 SPP-net",
        "body": ("R-CNN 把每个窗口从图像中裁出来，**拉伸**（warp）到固定尺寸，再对每个裁块跑一遍整个网络："
                 "卷积开销约为 $n \\cdot 224^2$，$n \\approx 2000$ 个窗口（本应用拉伸到 $224 \\times 224$；"
                 "R-CNN 原文用 227）。SPP-net 只在整张图上跑**一次**卷积层，"
                 "再从共享的 conv5 特征图上池化每个窗口：开销约为 $r \\cdot s^2$，$r \\approx 4/3$，在 $s = 688$ "
                 "时约为 R-CNN 的 $1/160$（论文）。拉伸还会让物体变形（下图：每个裁块旁边是它的拉伸结果）；SPP-net "
                 "保持原来的长宽比。"),
        "hint": "点按钮，用同样的权重在这张图的 $N$ 个窗口上实测 R-CNN 的做法。",
    },
    "nar_compare": {
        "title": "SPP、RoIPool 与 RoIAlign",
        "body": ("在同一张 conv5 特征图上，用三种方法把同一个窗口池化到第 n 层：**SPP**（论文的特征格、自适应分箱、"
                 "取最大值），**RoIPool**（Fast R-CNN：特征格 = round(x/S)，同样的自适应分箱，取最大值），"
                 "**RoIAlign**（Mask R-CNN：不取整，连续分箱，每个箱 2×2 个双线性采样点取平均）。"),
        "hint": "它跟随当前选中的窗口，以及“金字塔池化”中选的层级和通道（没有选层级时为 6）；点**比较**可重新计算。",
    },
    "nar_combine": {
        "title": "多尺度合并",
        "body": ("有多个尺度时，一个窗口可以用两种方式池化。论文（§4.1）为每个窗口只选**一个**尺度 $s^* = "
                 "\\arg\\min_s |w\\,h\\,f_s^2 - 224^2|$，只在该尺度上池化：$v = \\mathrm{SPP}(F_{s^*}, w)$。"
                 "多尺度提取的另一种做法是在**每个**尺度的 conv5 特征图上池化这个窗口，再逐通道合并这些向量，"
                 "这里取最大值：$v_j = \\max_{s \\in S} \\mathrm{SPP}(F_s, w)_j$。论文试过把所有尺度逐通道池化，"
                 "发现只用一个最佳尺度效果更好。两种向量长度相同，都是 $C \\cdot \\sum n^2$，"
                 "都可以送入同一组全连接层——但这个检测头只用最佳尺度的向量微调过。"),
        "hint": "",
    },
    # ---- lesson mode's own narratives ----
    "ls_why": {
        "title": "为什么不拉伸",
        "body": ("R-CNN 把约 2000 个窗口逐个裁出来，拉伸到 224×224，再对每个裁块跑一遍整个网络："
                 "拉伸会把物体压扁或拉长（每个裁块旁边是它的拉伸结果），卷积层也要跑约 2000 次。SPP-net "
                 "每个尺度只跑一次卷积层，再从 conv5 上池化每个窗口，保持其长宽比（论文：单尺度下在 GPU 上快 102 倍；"
                 "“为什么用 SPP”标签页在本机实测）。"),
        "hint": "",
    },
    "ls_compare": {
        "title": "SPP、RoIPool 与 RoIAlign",
        "body": ("在同一张 conv5 特征图上用三种方式池化同一个窗口：SPP 保留感受野中心落在窗口内的特征格（论文规则）；"
                 "RoIPool（Fast R-CNN）把 $x/S$ 四舍五入到最近的格子；RoIAlign（Mask R-CNN）完全不取整，"
                 "在每个箱里对双线性采样点取平均（圆点；线条是它的箱）。"),
        "hint": "",
    },
}
