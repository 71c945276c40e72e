"""The choices an analysis takes, as plain data that imports nothing heavy (the app builds its controls from
them before torch is loaded): where the windows come from and how many may be asked for.
``sppviz.analysis.pipeline`` (and so ``sppviz.analysis``) re-exports both."""

# selective search (paper §4: "fast" mode, ~2,000 windows) in either OpenCV mode, a regular grid of windows,
# or the user's own boxes
PROPOSAL_SOURCES = ("selective-search-fast", "selective-search-quality", "grid", "user")
# Windows per image: selective search "fast" gives about 2,000 (paper §4); more only costs time.
MAX_WINDOWS = 3000
