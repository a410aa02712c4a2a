"""ResNet trunks (stem + stages 1-3) in torchvision's layout, with first-conv surgery.

The official XMem uses ResNets whose bottleneck puts the stride in the 3x3 conv (conv2) —
torchvision's ResNet ("v1.5") — and whose TwoConvResidual puts it in conv1, also as torchvision.
torchvision's initialisation (He normal, fan-out; BatchNorm 1/0) equals the official one. The
trunks are assembled from :mod:`xmem.model.resnet_blocks` (torchvision's module names and order,
without importing torchvision; why: that module's docstring), cut after ``layer3``, so their state
dicts are torchvision's minus ``layer4`` / ``fc``.

ImageNet weights cannot be downloaded here: trunks are randomly initialised, and
:func:`load_pretrained_trunk` copies torchvision weights from a local file (for example
``resnet50-0676ba61.pth``), padding the extra input channels of conv1 as the official code
does (orthogonal initialisation).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from xmem.errors import XMemError
from xmem.model.config import OUTPUT_STRIDE_KEY, BackboneConfig
from xmem.model.resnet_blocks import TwoConvResidual, BottleneckResidual, conv1x1, init_like_torchvision

log = logging.getLogger(__name__)

_TRUNK_PREFIXES = ("conv1.", "bn1.", "layer1.", "layer2.", "layer3.")


@dataclass
class ResNetTrunk:
    """The parameterised parts of a ResNet trunk. Stage outputs have ``spec.out_channels``."""

    conv1: nn.Conv2d
    bn1: nn.BatchNorm2d
    layer1: nn.Sequential
    layer2: nn.Sequential
    layer3: nn.Sequential


def _block_class(spec: BackboneConfig) -> type[TwoConvResidual] | type[BottleneckResidual]:
    return BottleneckResidual if spec.block == "bottleneck" else TwoConvResidual


def _make_stage(block: type[nn.Module], in_channels: int, planes: int, blocks: int, stride: int) -> nn.Sequential:
    """A stage laid out as torchvision's ``ResNet._make_layer`` (same module names)."""
    out_channels = planes * block.expansion
    projection = None  # 1x1 conv + BN on the shortcut when the shape changes
    if stride != 1 or in_channels != out_channels:
        projection = nn.Sequential(conv1x1(in_channels, out_channels, stride), nn.BatchNorm2d(out_channels))
    layers = [block(in_channels, planes, stride, projection)]
    layers += [block(out_channels, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


def build_trunk(spec: BackboneConfig, extra_in_channels: int = 0) -> ResNetTrunk:
    """A randomly initialised trunk taking ``3 + extra_in_channels`` input channels: a 7x7/2 stem
    ``spec.width`` wide and three stages of ``spec.layers`` blocks (widths w, 2w, 4w times the
    block's expansion; strides 1, 2, 2, or 1, 2, 1 for ``output_stride`` 8), initialised as
    torchvision's ResNet."""
    block = _block_class(spec)
    w = spec.width
    stem = nn.Conv2d(3, w, kernel_size=7, stride=2, padding=3, bias=False)
    layer1 = _make_stage(block, w, w, spec.layers[0], stride=1)
    layer2 = _make_stage(block, w * block.expansion, 2 * w, spec.layers[1], stride=2)
    layer3 = _make_stage(block, 2 * w * block.expansion, 4 * w, spec.layers[2], stride=spec.output_stride // 8)
    trunk = ResNetTrunk(stem, nn.BatchNorm2d(w), layer1, layer2, layer3)
    for part in (trunk.conv1, trunk.bn1, layer1, layer2, layer3):
        init_like_torchvision(part)
    if extra_in_channels:
        trunk.conv1 = widen_first_conv(trunk.conv1, extra_in_channels)
    return trunk


def mark_output_stride(encoder: nn.Module, spec: BackboneConfig) -> None:
    """Record a non-default output stride in ``encoder``'s state dict (``<prefix>.output_stride``),
    where :func:`~xmem.model.config.backbone_from_state_dict` finds it: the weights' shapes do not
    depend on the stride. Stride 16 (the paper, the released checkpoints) adds nothing."""
    if spec.output_stride != 16:
        # on the CPU even when the network is built on the meta device (shape-only networks): a value, not a shape
        encoder.register_buffer(OUTPUT_STRIDE_KEY, torch.tensor(spec.output_stride, device="cpu"))


def run_stem(conv1: nn.Conv2d, bn1: nn.Module, image: Tensor) -> Tensor:
    """A ResNet stem, stride 4: 7x7/2 conv, BatchNorm, ReLU, 3x3/2 max-pool (ReLU and max-pool
    commute, so the order of the two is immaterial)."""
    return F.max_pool2d(F.relu(bn1(conv1(image))), kernel_size=3, stride=2, padding=1)


def widen_first_conv(conv: nn.Conv2d, extra_in_channels: int) -> nn.Conv2d:
    """A copy of ``conv`` with ``extra_in_channels`` more inputs (new weights: He normal, fan-out)."""
    wide = nn.Conv2d(
        conv.in_channels + extra_in_channels,
        conv.out_channels,
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        bias=conv.bias is not None,
    )
    nn.init.kaiming_normal_(wide.weight, mode="fan_out", nonlinearity="relu")
    with torch.no_grad():
        wide.weight[:, : conv.in_channels] = conv.weight
    return wide


def load_pretrained_trunk(
    modules: dict[str, nn.Module], path: str | os.PathLike, stage1_name: str = "layer1"
) -> None:
    """Copy torchvision ResNet weights from the local file ``path`` into a trunk.

    Args:
        modules: the trunk's modules by torchvision name: conv1, bn1, layer1, layer2, layer3.
        path: a torchvision ResNet state dict (``torch.save(resnetXX().state_dict())`` or a
            file from download.pytorch.org); ``layer4`` / ``fc`` entries are ignored.
        stage1_name: only used in error messages (the key encoder calls stage 1 ``res2``).

    Input channels beyond the file's 3 get orthogonal initial weights (as the official code).
    Raises XMemError naming ``path`` if it is unreadable or does not fit the trunk.
    """
    try:
        source = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise XMemError(
            f"pretrained backbone {path} does not exist: pass the path of a torchvision ResNet .pth"
        ) from None
    except Exception as exc:  # torch.load raises many types for corrupt files
        raise XMemError(f"pretrained backbone {path} is not a readable torch file ({type(exc).__name__})") from None
    if not isinstance(source, dict):
        raise XMemError(f"pretrained backbone {path} is not a state dict")
    for name, module in modules.items():
        wanted = module.state_dict()
        loaded = {}
        for key, target in wanted.items():
            full_key = f"{name}.{key}"
            if full_key not in source:
                if key.endswith("num_batches_tracked"):
                    loaded[key] = target
                    continue
                raise XMemError(
                    f"pretrained backbone {path} lacks {full_key!r} (for {stage1_name if name == 'layer1' else name}):"
                    " is it a torchvision ResNet of the configured depth?"
                )
            value = source[full_key]
            if name == "conv1" and value.ndim == 4 and value.shape[1] < target.shape[1]:
                pad = torch.empty(value.shape[0], target.shape[1] - value.shape[1], *value.shape[2:])
                nn.init.orthogonal_(pad)
                value = torch.cat([value, pad], 1)
            if tuple(value.shape) != tuple(target.shape):
                raise XMemError(
                    f"pretrained backbone {path}: {full_key} has shape {list(value.shape)},"
                    f" the network needs {list(target.shape)}; check the backbone configuration"
                )
            loaded[key] = value
        module.load_state_dict(loaded)
    log.info("loaded pretrained backbone weights from %s", path)
