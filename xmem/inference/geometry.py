"""Frame shapes of the inference pipeline, without tensors (so that planning code need not import torch).

The frame is resized so that its shorter side is ``size`` (:func:`resized_shape`) and padded to a
multiple of 16 (:mod:`xmem.inference.transforms` does both); the memory elements of a frame are
counted by :func:`xmem.memory.regime.elements_per_frame`.
"""

from __future__ import annotations


def resized_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """Shape after resizing the shorter side to ``size`` (torchvision's rule: the longer side is
    int(size * long / short)); ``size`` < 0 keeps the shape."""
    if size < 0:
        return height, width
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)

