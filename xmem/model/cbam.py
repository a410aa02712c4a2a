"""CBAM: Convolutional Block Attention Module (Woo et al., ECCV 2018), as used by XMem's
feature-fusion blocks. Module names (``ChannelGate.mlp.1``, ``SpatialGate.spatial.conv``)
match the official checkpoints.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ChannelAttention(nn.Module):
    """x * sigmoid(MLP(avgpool(x)) + MLP(maxpool(x))) with a shared bottleneck MLP; x: [B, C, H, W]."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = channels // reduction
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))

    def forward(self, x: Tensor) -> Tensor:
        pooled_avg = F.adaptive_avg_pool2d(x, 1)
        pooled_max = F.adaptive_max_pool2d(x, 1)
        attention = self.mlp(pooled_avg) + self.mlp(pooled_max)  # [B, C]
        return x * torch.sigmoid(attention)[:, :, None, None]


class _SpatialConv(nn.Module):
    """Holds the 7x7 conv (2 -> 1 channels) under the name ``conv``."""

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)  # odd kernel: same size

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x)


class SpatialAttention(nn.Module):
    """x * sigmoid(conv7x7([max_c x, mean_c x])); x: [B, C, H, W]."""

    def __init__(self, kernel_size: int = 7):
        super().__init__()
        self.spatial = _SpatialConv(kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(pooled))


class CBAM(nn.Module):
    """Channel gate followed by spatial gate; [B, C, H, W] -> [B, C, H, W]."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        self.ChannelGate = ChannelAttention(channels, reduction)  # attribute names: checkpoint keys
        self.SpatialGate = SpatialAttention()

    def forward(self, x: Tensor) -> Tensor:
        return self.SpatialGate(self.ChannelGate(x))
