"""Frame shapes of the inference pipeline, without tensors (so that planning code need not import torch).

The frame is resized so that its shorter side is ``size`` (:func:`resized_shape`), padded to a
multiple of :data:`KEY_STRIDE`, and the networks' key maps are 1/16 of the padded frame
(:func:`key_grid_shape`). :mod:`xmem.inference.transforms` does the resizing and padding.
"""

from __future__ import annotations

KEY_STRIDE = 16  # the networks' key maps are at 1/16 of the padded frame


def resized_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """Shape after resizing the shorter side to ``size`` (torchvision's rule: the longer side is
    int(size * long / short)); ``size`` < 0 keeps the shape."""
    if size < 0:
        return height, width
    if width <= height:
        return int(size * height / width), size
    return size, int(size * width / height)


def key_grid_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """(h/16, w/16) of the key maps of a ``height`` x ``width`` frame processed at ``size``:
    the resized frame padded to a multiple of :data:`KEY_STRIDE`."""
    h, w = resized_shape(height, width, size)
    return -(-h // KEY_STRIDE), -(-w // KEY_STRIDE)
