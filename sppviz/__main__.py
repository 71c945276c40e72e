"""Command line: ``python -m sppviz {project,detect,train,evaluate,bench,lesson,loadtest} ...``."""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # OpenMP threads asleep between parallel regions (see app.py)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.replace(",", " ").split()]


def resolve(args, defaults: dict) -> dict:
    """Scales, levels, rules and backbone of a command: ``--preset`` first, then every flag given explicitly
    (a flag left out is None), then ``defaults``."""
    from sppviz.method import presets

    out = dict(defaults)
    if getattr(args, "preset", None):
        p = presets.get_preset(args.preset)
        out.update(scales=p.scales, levels=p.levels, backbone=p.backbone, **p.rules())
    for key in out:
        v = getattr(args, key, None)
        if v is not None:
            out[key] = tuple(v) if isinstance(v, list) else v
    return out


RULE_DEFAULTS = {"scale_rule": "paper", "projection": "paper", "bin_rule": "adaptive", "box_scaling": "fast-rcnn"}


def cmd_project(args) -> int:
    from sppviz.analysis import images, report
    from sppviz.method import pyramid

    img, _ = images.load_image(args.image)
    o = resolve(args, {"scales": pyramid.PAPER_SCALES, "levels": (1, 2, 3, 6), "backbone": "zf5", **RULE_DEFAULTS})
    scales = pyramid.validate_scales(o["scales"])
    res = report.window_report((img.shape[1], img.shape[0]), args.box, o["backbone"], scales, o["levels"],
                               o["scale_rule"], o["box_scaling"], o["projection"])
    res["preset"] = args.preset
    print(json.dumps(res, indent=None if args.compact else 2))
    return 0


def cmd_detect(args) -> int:
    from sppviz import analysis
    from sppviz.analysis import images
    from sppviz.method import pyramid
    from sppviz.model.weights import load_detector

    img, notices = images.load_image(args.image)
    o = resolve(args, {"scales": pyramid.DEFAULT_PYRAMID, **RULE_DEFAULTS})
    scales = pyramid.validate_scales(o["scales"])
    det = load_detector(args.backbone)
    a = analysis.analyze(img, det, scales, "selective-search-fast", args.windows, notices=notices)
    rules = {k: o[k] for k in RULE_DEFAULTS}
    _, after = a.detections(args.threshold, args.nms, **rules)
    print(json.dumps({"image_wh": list(a.image_wh), "backbone": args.backbone, "scales": list(scales),
                      "preset": args.preset, "rules": rules,
                      "windows": len(a.windows), "notices": a.notices,
                      "timings_s": {k: round(v, 4) for k, v in a.timings.items()},
                      "detections": after.to_list(det.classes)}, indent=None if args.compact else 2))
    return 0


def add_rule_arguments(p: argparse.ArgumentParser) -> None:
    """``--preset`` and the per-window rules (each overrides the preset's)."""
    from sppviz.method import bins, geometry, presets, pyramid

    p.add_argument("--preset", default=None, choices=presets.PRESET_NAMES,
                   help="paper / release (the authors' code, bit for bit) / fast-rcnn: sets scales, rules, levels")
    p.add_argument("--scale-rule", default=None, choices=pyramid.SCALE_RULES)
    p.add_argument("--projection", default=None, choices=geometry.PROJECTION_RULES)
    p.add_argument("--box-scaling", default=None, choices=pyramid.BOX_SCALING_RULES)
    p.add_argument("--bin-rule", default=None, choices=bins.BIN_RULES)


def build_parser() -> argparse.ArgumentParser:
    from sppviz import __version__, lesson
    from sppviz.method import pyramid
    from sppviz.model import backbones, evaluate, train
    from sppviz.tools import bench, loadtest

    p = argparse.ArgumentParser(prog="python -m sppviz", description="SPP-net, step by step.")
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="cmd", required=True)

    pr = sub.add_parser("project", help="scale, conv5 cells and bins of one window (JSON)")
    pr.add_argument("image")
    pr.add_argument("--box", type=float, nargs=4, required=True, metavar=("X0", "Y0", "X1", "Y1"))
    pr.add_argument("--backbone", default=None, choices=backbones.NAMES, help="default zf5 (or the preset's)")
    pr.add_argument("--scales", type=int, nargs="+", default=None, help=f"default {pyramid.PAPER_SCALES}")
    pr.add_argument("--levels", type=int, nargs="+", default=None, help="default 1 2 3 6")
    add_rule_arguments(pr)
    pr.add_argument("--compact", action="store_true")
    pr.set_defaults(func=cmd_project)

    de = sub.add_parser("detect", help="detections on one image (JSON)")
    de.add_argument("image")
    de.add_argument("--backbone", default="zf5", choices=("zf5", "alexnet", "vgg16"),
                    help="zf5 = the bundled model; alexnet / vgg16 = torchvision ImageNet weights")
    de.add_argument("--scales", type=int, nargs="+", default=None, help="default 480 688 864")
    add_rule_arguments(de)
    de.add_argument("--windows", type=int, default=2000)
    de.add_argument("--threshold", type=float, default=0.5)
    de.add_argument("--nms", type=float, default=0.3)
    de.add_argument("--compact", action="store_true")
    de.set_defaults(func=cmd_detect)

    tr = sub.add_parser("train", help="train the bundled SPP-net on generated scenes")
    train.add_arguments(tr)
    tr.set_defaults(func=lambda a: train.main(a, sys.argv[2:]))

    # subcommands whose module brings its own add_arguments(parser) and main(args)
    for name, module, help_text in (
            ("evaluate", evaluate, "AP@0.5 on held-out scenes: SPP 1 / 5 scales and R-CNN"),
            ("bench", bench, "pooling, pipeline and app latency on this machine"),
            ("lesson", lesson, "offline lesson: PNGs, analysis.json, handout.html, lesson.zip"),
            ("loadtest", loadtest, "concurrent gradio_client sessions against the app on 127.0.0.1")):
        sp = sub.add_parser(name, help=help_text)
        module.add_arguments(sp)
        sp.set_defaults(func=module.main)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
