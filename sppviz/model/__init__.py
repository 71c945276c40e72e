"""Backbones, weights, the detector, training, evaluation and the generated scenes."""
