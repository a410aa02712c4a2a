"""STCN's value encoder and decoder, built from XMem's blocks where the structure is the same.

What differs from XMem (and therefore lives here):
  * the value encoder's ResNet-18 has a bias in every convolution (STCN's modified ResNet);
  * the value encoder's fusion concatenates (value features, key f16) — XMem puts f16 first;
  * the decoder has no fusion block and no GRU: a residual block ``compress`` maps
    (readout, key_comp(f16)) to the stride-16 width, then XMem's upsampling blocks follow.

Group features have shape [B, N, C, h, w] (N objects); STCN's decoder runs independently on
each object, which is exactly what XMem's group blocks do.

Module names follow the official ``stcn.pth``: ``value_encoder.{conv1,bn1,layer1..3,fuser}``,
``decoder.{compress,up_16_8,up_8_4,pred}``.
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from xmem.model.backbones import ResNetTrunk, build_trunk, load_pretrained_trunk, mark_output_stride, run_stem
from xmem.model.blocks import ObjectResBlock, distribute_to_groups, logits_at_frame_size
from xmem.model.cbam import CBAM
from xmem.model.decoder import SkipUpsampler

from baselines.stcn.config import STCNConfig

_TRUNK_PARTS = ("conv1", "bn1", "layer1", "layer2", "layer3")


def _with_bias(conv: nn.Conv2d) -> nn.Conv2d:
    """A copy of ``conv`` (same weights) with a zero-initialised bias."""
    biased = nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        kernel_size=conv.kernel_size,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=True,
        device=conv.weight.device,
        dtype=conv.weight.dtype,
    )
    with torch.no_grad():
        biased.weight.copy_(conv.weight)
        biased.bias.zero_()
    return biased


def add_conv_biases(module: nn.Module) -> None:
    """Replace every bias-free nn.Conv2d below ``module`` by a biased copy, in place.

    Module names (and hence state-dict keys and their order) are unchanged; each conv gains a
    ``.bias`` entry right after its ``.weight``.
    """
    for parent in module.modules():
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Conv2d) and child.bias is None:
                setattr(parent, name, _with_bias(child))


def build_biased_trunk(config: STCNConfig) -> ResNetTrunk:
    """STCN's value trunk: XMem's trunk (torchvision blocks) with biases in all convolutions.

    torchvision's He-normal (fan-out) initialisation equals the official one; biases start at 0.
    """
    trunk = build_trunk(config.value_backbone, extra_in_channels=config.value_extra_channels)
    trunk.conv1 = _with_bias(trunk.conv1)
    for stage in (trunk.layer1, trunk.layer2, trunk.layer3):
        add_conv_biases(stage)
    return trunk


class ValueFusionBlock(nn.Module):
    """STCN's FusionBlock: value features g [B, N, G, h, w] and key features x [B, X, h, w]
    -> [B, N, out, h, w]: cat(g, x) -> res block -> + CBAM(.) -> res block (g's channels first)."""

    def __init__(self, g_in_dim: int, x_in_dim: int, out_dim: int):
        super().__init__()
        self.block1 = ObjectResBlock(g_in_dim + x_in_dim, out_dim)
        self.attention = CBAM(out_dim)
        self.block2 = ObjectResBlock(out_dim, out_dim)

    def forward(self, g: Tensor, x: Tensor) -> Tensor:
        g = self.block1(distribute_to_groups(x, g, "append"))
        attended = self.attention(g.flatten(0, 1)).view(g.shape)
        return self.block2(g + attended)


class STCNValueEncoder(nn.Module):
    """(image, object masks, key features f16) -> value [B, N, CV, h, w].

    Each object's input is [RGB, its mask, sum of the other objects' masks] (the last channel
    is omitted in single-object mode).
    """

    def __init__(self, config: STCNConfig):
        super().__init__()
        self.single_object = config.single_object
        self.backbone = config.value_backbone
        trunk = build_biased_trunk(config)
        self.conv1 = trunk.conv1
        self.bn1 = trunk.bn1
        self.layer1 = trunk.layer1
        self.layer2 = trunk.layer2
        self.layer3 = trunk.layer3
        mark_output_stride(self, config.value_backbone)
        self.fuser = ValueFusionBlock(
            config.value_backbone.out_channels[2], config.key_backbone.out_channels[2], config.value_dim
        )

    def forward(self, image: Tensor, f16: Tensor, masks: Tensor, others: Tensor) -> Tensor:
        """
        Args:
            image: [B, 3, H, W]; f16: [B, C16, H/16, W/16];
            masks, others: [B, N, H, W] (``others`` is ignored in single-object mode).

        Returns:
            value [B, N, CV, H/16, W/16].
        """
        b, n = masks.shape[:2]
        per_object = masks.unsqueeze(2) if self.single_object else torch.stack([masks, others], dim=2)
        g = torch.cat([image.unsqueeze(1).expand(-1, n, -1, -1, -1), per_object], dim=2)
        g = run_stem(self.conv1, self.bn1, g.flatten(0, 1))
        g = self.layer3(self.layer2(self.layer1(g)))
        return self.fuser(g.view(b, n, *g.shape[1:]), f16)

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load torchvision ResNet weights from a local file into the trunk.

        The file has no conv biases: they stay zero, as in the official code; the mask channels
        of conv1 are initialised orthogonally (see xmem.model.backbones.load_pretrained_trunk).
        """
        plain = build_trunk(self.backbone, extra_in_channels=self.conv1.in_channels - 3)
        modules = {name: getattr(plain, name) for name in _TRUNK_PARTS}
        load_pretrained_trunk(modules, path)
        for name, source in modules.items():
            getattr(self, name).load_state_dict(source.state_dict(), strict=False)  # only biases are absent


class STCNDecoder(nn.Module):
    """(readout, key_comp(f16), f8, f4) -> per-object logits [B, N, H, W], H = 4 * f4 height."""

    def __init__(self, config: STCNConfig):
        super().__init__()
        f4_dim, f8_dim, _ = config.key_backbone.out_channels
        d16, d8, d4 = config.decoder_dims
        self.compress = ObjectResBlock(config.value_dim + config.key_comp_dim, d16)
        self.up_16_8 = SkipUpsampler(f8_dim, d16, d8)
        self.up_8_4 = SkipUpsampler(f4_dim, d8, d4)
        self.pred = nn.Conv2d(d4, 1, kernel_size=3, padding=1)

    def forward(self, readout: Tensor, f16_compact: Tensor, f8: Tensor, f4: Tensor) -> Tensor:
        """
        Args:
            readout: memory readout [B, N, CV, h, w].
            f16_compact: key_comp(f16) [B, CQ, h, w] (the query's own features, shared by objects).
            f8, f4: key-encoder features [B, C8, 2h, 2w], [B, C4, 4h, 4w].

        Returns:
            logits [B, N, 16h, 16w] per object (before sigmoid / soft aggregation).
        """
        b, n = readout.shape[:2]
        g = torch.cat([readout, f16_compact.unsqueeze(1).expand(-1, n, -1, -1, -1)], dim=2)
        g = self.up_8_4(f4, self.up_16_8(f8, self.compress(g)))
        logits = self.pred(F.relu(g.flatten(0, 1)))  # [B*N, 1, 4h, 4w]
        return logits_at_frame_size(logits, b, n)
