"""The two residual blocks of a ResNet, laid out as torchvision's (same module names, same order).

Why not ``torchvision.models.resnet``: importing torchvision imports ``torchvision.ops``, which
imports ``torch._dynamo`` (and sympy) — 2-4 s per process on a 2-core CPU, paid by every inference
job of the workflow although no operator of it is used (``benchmarks`` and the tests compare these
blocks with torchvision's). The blocks are the standard ones:

* :class:`TwoConvResidual` (ResNet-18/34): 3x3 conv (stride here) -> BN -> ReLU -> 3x3 conv -> BN,
  plus the shortcut, then ReLU.
* :class:`BottleneckResidual` (ResNet-50, "v1.5"): 1x1 conv -> BN -> ReLU -> 3x3 conv (stride here) ->
  BN -> ReLU -> 1x1 conv to ``4 * planes`` -> BN, plus the shortcut, then ReLU.

``downsample`` is the projection shortcut (1x1 conv + BN) when the shape changes, else None.
Submodules are created in torchvision's order, so seeded construction draws the same default
initial weights; :func:`init_like_torchvision` then applies torchvision ResNet's initialisation.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution, padding 1, no bias."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False)


class TwoConvResidual(nn.Module):
    """Two 3x3 convolutions; ``x [B, in_channels, H, W] -> [B, planes, H/stride, W/stride]``."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(in_channels, planes, stride), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
        self.downsample = downsample  # torchvision's name for the projection shortcut (state-dict keys)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + shortcut)


class BottleneckResidual(nn.Module):
    """1x1 -> 3x3 -> 1x1 convolutions; ``x [B, in_channels, H, W] -> [B, 4 planes, H/stride, W/stride]``."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        wide = planes * self.expansion
        self.conv1, self.bn1 = conv1x1(in_channels, planes), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = conv3x3(planes, planes, stride), nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = conv1x1(planes, wide), nn.BatchNorm2d(wide)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + shortcut)


def init_like_torchvision(module: nn.Module) -> None:
    """torchvision ResNet's initialisation of every conv (He normal, fan-out) and batch norm
    (weight 1, bias 0) in ``module``, visited in registration order."""
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
