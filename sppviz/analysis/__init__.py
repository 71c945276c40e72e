"""One image through the pipeline, with its caches; the detail of one window; the loader.

The names below are the package's public API (``from sppviz import analysis``)."""

from sppviz.analysis.pipeline import (
    FEATURES,
    MAX_WINDOWS,
    PROPOSAL_SOURCES,
    PROPOSALS,
    Analysis,
    LevelDetail,
    LRUCache,
    WindowDetail,
    analyze,
    get_features,
    get_windows,
    image_id,
    model_id,
    window_detail,
)

__all__ = ["FEATURES", "MAX_WINDOWS", "PROPOSAL_SOURCES", "PROPOSALS", "Analysis", "LevelDetail", "LRUCache",
           "WindowDetail", "analyze", "get_features", "get_windows", "image_id", "model_id", "window_detail"]
