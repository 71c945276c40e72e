"""sppviz — SPP-net (He et al. 2014) as a small, tested library, a CLI and a Gradio app.

Sub-packages, in the order the data flows (docs/design.md):

- ``method``    the paper's method as pure functions: receptive fields and the window → conv5 cell
                projection (``geometry``), bins (``bins``), spatial pyramid pooling (``pooling``),
                the image pyramid and per-window scale selection (``pyramid``), proposals, multi-scale
- ``model``     conv5 trunks (``backbones``), the SPP-net detector and the R-CNN baseline
                (``detector``), the bundled weights (``weights``), generated scenes (``synthetic``,
                ``scene_draw``), training and evaluation
- ``analysis``  one image through the pipeline with its caches, the detail of one window, reports
- ``steps``     the steps of the method, one figure each, shared by the app and the lesson
- ``figures``   every picture, drawn from plain arrays
- ``i18n``      every user-visible string, English and 简体中文
- ``lesson``    the offline lesson export and handout
- ``app``       the Gradio app
- ``tools``     benchmarks and the load test

The command line is ``python -m sppviz`` (or ``sppviz`` once installed).

Coordinates everywhere (docs/conventions.md): image pixels are 0-based with pixel ``i`` centred
at ``i``; boxes are ``(x1, y1, x2, y2)`` covering pixel centres ``x1..x2`` inclusive; conv5 cells
are 0-based inclusive ``(cx0, cy0, cx1, cy1)``.
"""

__version__ = "0.1.0"
