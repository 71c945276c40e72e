"""Backbones, weights, the detector, training, evaluation and the generated scenes. Its modules are imported
on first use (``sppviz.lazy``)."""

from sppviz.lazy import package_getattr

__getattr__ = package_getattr(__name__)
