"""The paper's method as pure functions: geometry, bins, pooling, pyramid, proposals."""
