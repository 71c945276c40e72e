"""Command line: ``python -m sppviz {project,detect,train,evaluate,bench,lesson,loadtest} ...``."""

from __future__ import annotations

import argparse
import json
import sys


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.replace(",", " ").split()]


def cmd_project(args) -> int:
    from sppviz.analysis import images, report
    from sppviz.method import pyramid

    img, _ = images.load_image(args.image)
    scales = tuple(args.scales) if args.scales else pyramid.PAPER_SCALES
    pyramid.validate_scales(scales)
    res = report.window_report((img.shape[1], img.shape[0]), args.box, args.backbone, scales,
                               tuple(args.levels), args.scale_rule)
    print(json.dumps(res, indent=None if args.compact else 2))
    return 0


def cmd_detect(args) -> int:
    from sppviz import analysis
    from sppviz.analysis import images
    from sppviz.method import pyramid
    from sppviz.model.weights import load_detector

    img, notices = images.load_image(args.image)
    scales = pyramid.validate_scales(args.scales or [pyramid.SINGLE_SCALE])
    det = load_detector(args.backbone)
    a = analysis.analyze(img, det, scales, "selective-search-fast", args.windows, notices=notices)
    _, after = a.detections(args.threshold, args.nms)
    print(json.dumps({"image_wh": list(a.image_wh), "backbone": args.backbone, "scales": list(scales),
                      "windows": len(a.windows), "notices": a.notices,
                      "timings_s": {k: round(v, 4) for k, v in a.timings.items()},
                      "detections": after.to_list(det.classes)}, indent=None if args.compact else 2))
    return 0


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
    pr.add_argument("--backbone", default="zf5", choices=backbones.NAMES)
    pr.add_argument("--scales", type=int, nargs="+", default=None, help=f"default {pyramid.PAPER_SCALES}")
    pr.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3, 6])
    pr.add_argument("--scale-rule", default="paper", choices=pyramid.SCALE_RULES)
    pr.add_argument("--compact", action="store_true")
    pr.set_defaults(func=cmd_project)

    de = sub.add_parser("detect", help="detections on one image (JSON)")
    de.add_argument("image")
    de.add_argument("--backbone", default="zf5", choices=("zf5", "alexnet", "vgg16"),
                    help="zf5 = the bundled model; alexnet / vgg16 = torchvision ImageNet weights")
    de.add_argument("--scales", type=int, nargs="+", default=None)
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
