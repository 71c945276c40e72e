"""One image through the pipeline, with its caches; the detail of one window; the loader.

The names below are the package's public API (``from sppviz import analysis``); they, and the package's
modules, are imported on first use (:mod:`sppviz.lazy`)."""

from sppviz.lazy import package_getattr

__all__ = ["FEATURES", "MAX_WINDOWS", "PROPOSAL_SOURCES", "PROPOSALS", "Analysis", "LevelDetail", "LRUCache",
           "WindowDetail", "Workspace", "analyze", "get_features", "get_windows", "image_id", "model_id",
           "window_detail", "with_boxes"]
_DEFINED_IN = {**dict.fromkeys(__all__, "pipeline"), "MAX_WINDOWS": "options", "PROPOSAL_SOURCES": "options",
               "Workspace": "workspace", "with_boxes": "workspace"}
__getattr__ = package_getattr(__name__, _DEFINED_IN)
