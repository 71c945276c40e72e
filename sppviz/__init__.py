"""sppviz — SPP-net (He et al. 2014) as a small, tested library, a CLI and a Gradio app.

Modules are named after the paper's concepts:

- ``geometry``   receptive fields and the window → conv5 cell projection (paper / release / Fast R-CNN)
- ``spp``        bins and spatial pyramid pooling (adaptive / sliding), batched over windows
- ``pyramid``    the image pyramid and per-window scale selection
- ``backbones``  conv5 trunks (ZF-5, AlexNet, VGG16) with their computed geometry
- ``proposals``  selective search, grids and user boxes
- ``detector``   the SPP-net detector and the R-CNN (crop-and-warp) baseline

Coordinates everywhere: image pixels are 0-based with pixel ``i`` centred at ``i``; boxes are
``(x1, y1, x2, y2)`` covering pixel centres ``x1..x2`` inclusive; conv5 cells are 0-based
inclusive ``(cx0, cy0, cx1, cy1)``.
"""

__version__ = "0.1.0"
