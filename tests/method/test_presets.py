"""The presets (sppviz.method.presets): valid rule names, the values their sources give, and round trips."""

import dataclasses

import pytest

from sppviz.method import presets, pyramid
from sppviz.model import backbones


def test_presets_are_the_documented_choices():
    assert presets.PRESET_NAMES == ("paper", "release", "fast-rcnn")
    paper, release, fast = (presets.get_preset(n) for n in presets.PRESET_NAMES)
    assert paper.scales == (480, 576, 688, 864, 1200) and release.scales == (480, 576, 688, 874, 1200)
    assert paper.rules() == {"scale_rule": "paper", "projection": "paper", "bin_rule": "adaptive",
                             "box_scaling": "fast-rcnn"}
    assert release.rules() == {"scale_rule": "original", "projection": "original", "bin_rule": "release",
                               "box_scaling": "release"}
    assert fast.rules() == {"scale_rule": "paper", "projection": "fast-rcnn", "bin_rule": "adaptive",
                            "box_scaling": "fast-rcnn"}
    assert paper.levels == release.levels == fast.levels == (1, 2, 3, 6)
    assert release.backbone == "zf5-release" and backbones.build(release.backbone, width=0.125).geometry.offset == 20
    for p in presets.PRESETS.values():
        assert p.sources and all(isinstance(s, str) and s for s in p.sources)
        assert p.backbone in backbones.NAMES
        assert presets.matching_preset(**p.rules()) == p.name
    assert any("spp_features_convX_to_poolX.m" in s for s in release.sources)
    assert presets.matching_preset("paper", "original", "adaptive") is None


def test_bad_presets_are_refused():
    with pytest.raises(ValueError, match="paper, release, fast-rcnn"):
        presets.get_preset("rcnn")
    for field, value in [("scale_rule", "x"), ("box_scaling", "x"), ("projection", "x"), ("bin_rule", "x"),
                         ("levels", (1, 1)), ("scales", ())]:
        with pytest.raises(ValueError):
            dataclasses.replace(presets.PAPER, **{field: value})
    assert pyramid.validate_scales(presets.RELEASE.scales) == presets.RELEASE.scales
