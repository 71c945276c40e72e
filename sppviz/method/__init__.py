"""The paper's method as pure functions: geometry, bins, pooling, pyramid, proposals. Its modules are imported
on first use (``sppviz.lazy``)."""

from sppviz.lazy import package_getattr

__getattr__ = package_getattr(__name__)
