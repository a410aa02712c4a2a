"""Frame preprocessing exactly as the paper's code did it.

Frames: ToTensor → ImageNet normalisation → (optional) resize of the shorter side with
bilinear interpolation **without antialiasing** on the normalised tensor (torchvision's tensor
default before 0.17; today's default antialiases and changes results). Masks: nearest.
Probabilities go back to the output size bilinearly. Everything is padded to a multiple of 16.
Shapes (no tensors): :mod:`xmem.inference.geometry`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_to_tensor(image: np.ndarray) -> Tensor:
    """[H, W, 3] uint8 RGB → normalised float tensor [3, H, W]."""
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div_(255)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (t - mean) / std


def resize_image(image: Tensor, shape: tuple[int, int]) -> Tensor:
    """Bilinear resize of [C, H, W] (or [B, C, H, W]) without antialiasing."""
    if tuple(image.shape[-2:]) == tuple(shape):
        return image
    batched = image if image.dim() == 4 else image.unsqueeze(0)
    out = F.interpolate(batched, size=shape, mode="bilinear", align_corners=False, antialias=False)
    return out if image.dim() == 4 else out[0]


def resize_masks(masks: Tensor, shape: tuple[int, int]) -> Tensor:
    """Nearest-neighbour resize of [N, H, W] masks."""
    if tuple(masks.shape[-2:]) == tuple(shape):
        return masks
    return F.interpolate(masks.unsqueeze(0), size=shape, mode="nearest")[0]


def resize_probabilities(prob: Tensor, shape: tuple[int, int]) -> Tensor:
    """Bilinear resize of [N, H, W] probabilities to the output shape."""
    if tuple(prob.shape[-2:]) == tuple(shape):
        return prob
    return F.interpolate(prob.unsqueeze(1), size=shape, mode="bilinear", align_corners=False)[:, 0]


def pad_to_multiple(x: Tensor, multiple: int = 16) -> tuple[Tensor, tuple[int, int, int, int]]:
    """Zero-pad the last two dims to a multiple of ``multiple``, split evenly (extra on the
    bottom/right). Returns the padded tensor and (left, right, top, bottom)."""
    h, w = x.shape[-2:]
    ph = (multiple - h % multiple) % multiple
    pw = (multiple - w % multiple) % multiple
    pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if ph == 0 and pw == 0:
        return x, pad
    return F.pad(x, pad), pad


def unpad(x: Tensor, pad: tuple[int, int, int, int]) -> Tensor:
    """Undo :func:`pad_to_multiple` on the last two dims."""
    left, right, top, bottom = pad
    h, w = x.shape[-2:]
    return x[..., top : h - bottom, left : w - right]
