"""Building blocks for per-object ("group") features.

Group features have shape [B, N, C, H, W] (N = objects); every block here treats the N
objects independently and identically (permutation equivariant), folding N into the batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from xmem.model.cbam import CBAM


def resize_groups(g: Tensor, size: tuple[int, int], mode: str) -> Tensor:
    """Resize [B, N, C, H, W] to [B, N, C, *size].

    ``mode`` "bilinear" (align_corners=False) or "area". For the integer ratios the network
    uses (x2 up, /2 and /4 down) this equals resizing by a scale factor as the official code does.
    """
    b, n = g.shape[:2]
    flat = g.flatten(0, 1)
    if mode == "bilinear":
        out = F.interpolate(flat, size=size, mode="bilinear", align_corners=False)
    else:
        out = F.interpolate(flat, size=size, mode=mode)
    return out.view(b, n, *out.shape[1:])


def distribute_to_groups(x: Tensor, g: Tensor, method: str = "cat") -> Tensor:
    """Combine object-independent features x [B, C, H, W] with each object's g [B, N, C', H, W].

    "cat": [B, N, C + C', H, W] with x's channels first; "add": x + g (C == C').
    """
    expanded = x.unsqueeze(1).expand(-1, g.shape[1], -1, -1, -1)
    if method == "cat":
        return torch.cat([expanded, g], dim=2)
    if method == "add":
        return expanded + g
    raise ValueError(f"unknown distribution method {method!r}")


class GroupConv2d(nn.Conv2d):
    """nn.Conv2d applied to each object of [B, N, C, H, W] -> [B, N, C_out, H', W']."""

    def forward(self, g: Tensor) -> Tensor:
        b, n = g.shape[:2]
        out = super().forward(g.flatten(0, 1))
        return out.view(b, n, *out.shape[1:])


class GroupResBlock(nn.Module):
    """Pre-activation residual block: conv2(relu(conv1(relu(g)))) + shortcut(g).

    The shortcut is a 3x3 conv when the width changes, identity otherwise.
    """

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        # registered first so that the state-dict order matches the official checkpoints
        self.downsample = None if in_dim == out_dim else GroupConv2d(in_dim, out_dim, kernel_size=3, padding=1)
        self.conv1 = GroupConv2d(in_dim, out_dim, kernel_size=3, padding=1)
        self.conv2 = GroupConv2d(out_dim, out_dim, kernel_size=3, padding=1)

    def forward(self, g: Tensor) -> Tensor:
        out = self.conv2(F.relu(self.conv1(F.relu(g))))
        shortcut = g if self.downsample is None else self.downsample(g)
        return out + shortcut


class FeatureFusionBlock(nn.Module):
    """Fuse image features x [B, X, h, w] into group features g [B, N, G, h, w] -> [B, N, out, h, w].

    cat(x, g) -> res block -> + CBAM(.) -> res block.
    """

    def __init__(self, image_channels: int, group_channels: int, mid_channels: int, out_channels: int):
        super().__init__()
        self.block1 = GroupResBlock(image_channels + group_channels, mid_channels)
        self.attention = CBAM(mid_channels)
        self.block2 = GroupResBlock(mid_channels, out_channels)

    def forward(self, x: Tensor, g: Tensor) -> Tensor:
        b, n = g.shape[:2]
        g = self.block1(distribute_to_groups(x, g, "cat"))
        attended = self.attention(g.flatten(0, 1)).view(b, n, *g.shape[2:])
        return self.block2(g + attended)
