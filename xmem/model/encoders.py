"""Query (key) encoder, key projection and value encoder (paper §3.1, Fig. 3).

Module names follow the official checkpoints: ``key_encoder.{conv1,bn1,res2,layer2,layer3}``,
``key_proj.{key_proj,d_proj,e_proj}``, ``value_encoder.{conv1,bn1,layer1..3,fuser,hidden_reinforce}``.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from xmem.model.backbones import build_trunk, load_pretrained_trunk, mark_output_stride, run_stem
from xmem.model.blocks import FusionBlock, distribute_to_groups
from xmem.model.config import BackboneConfig, NetworkConfig
from xmem.model.gru import DeepSensoryUpdate


class QueryEncoder(nn.Module):
    """Image [B, 3, H, W] -> (f16, f8, f4) with ``backbone.out_channels`` reversed
    (paper: f16 [B,1024,H/16,W/16], f8 [B,512,H/8,W/8], f4 [B,256,H/4,W/4]; with
    ``output_stride`` 8, f16 is [B, C, H/8, W/8])."""

    def __init__(self, backbone: BackboneConfig):
        super().__init__()
        trunk = build_trunk(backbone)
        self.conv1 = trunk.conv1
        self.bn1 = trunk.bn1
        self.res2 = trunk.layer1
        self.layer2 = trunk.layer2
        self.layer3 = trunk.layer3
        mark_output_stride(self, backbone)

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        f4 = self.res2(run_stem(self.conv1, self.bn1, image))
        f8 = self.layer2(f4)
        f16 = self.layer3(f8)
        return f16, f8, f4

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load torchvision ResNet weights from a local file (see backbones.load_pretrained_trunk)."""
        modules = {"conv1": self.conv1, "bn1": self.bn1, "layer1": self.res2}
        modules.update(layer2=self.layer2, layer3=self.layer3)
        load_pretrained_trunk(modules, path, stage1_name="res2")


class KeyHeads(nn.Module):
    """f16 [B, C16, h, w] -> key [B, CK, h, w], shrinkage [B, 1, h, w] (>= 1), selection [B, CK, h, w] (in (0,1)).

    shrinkage = d_proj(x)^2 + 1, selection = sigmoid(e_proj(x)). A term disabled in the
    configuration has no layer and is always None.
    """

    def __init__(self, in_dim: int, key_dim: int, use_shrinkage: bool = True, use_selection: bool = True):
        super().__init__()

        def head(channels: int) -> nn.Conv2d:  # every head: a 3x3 conv with bias, same-size output
            return nn.Conv2d(in_dim, channels, 3, padding=1)

        self.key_proj = head(key_dim)
        self.d_proj = head(1) if use_shrinkage else None
        self.e_proj = head(key_dim) if use_selection else None
        # then the key head's orthogonal weights and zero bias (the official initialisation, drawn last)
        nn.init.orthogonal_(self.key_proj.weight)
        nn.init.zeros_(self.key_proj.bias)

    def forward(
        self, x: Tensor, need_shrinkage: bool = True, need_selection: bool = True
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        shrinkage = selection = None
        if need_shrinkage and self.d_proj is not None:
            shrinkage = 1 + self.d_proj(x).square()  # >= 1
        if need_selection and self.e_proj is not None:
            selection = self.e_proj(x).sigmoid()  # in (0, 1)
        key = self.key_proj(x)
        return key, shrinkage, selection


class MaskValueEncoder(nn.Module):
    """(image, object masks, key features f16, hidden) -> value [B, N, CV, h, w] and hidden.

    Each object's input is [RGB, its mask, sum of the other objects' masks] (the last channel
    is omitted in single-object mode), encoded by a ResNet trunk with widened conv1, fused
    with the key encoder's f16 and optionally used to deep-update the hidden state.
    """

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.single_object = config.single_object
        trunk = build_trunk(config.value_backbone, extra_in_channels=config.value_extra_channels)
        self.conv1 = trunk.conv1
        self.bn1 = trunk.bn1
        self.layer1 = trunk.layer1
        self.layer2 = trunk.layer2
        self.layer3 = trunk.layer3
        mark_output_stride(self, config.value_backbone)
        f16_dim = config.key_backbone.out_channels[2]
        g16_dim = config.value_backbone.out_channels[2]
        self.fuser = FusionBlock(f16_dim, g16_dim, config.value_dim, config.value_dim)
        self.hidden_reinforce = DeepSensoryUpdate(config.value_dim, config.hidden_dim) if config.hidden_dim > 0 else None

    def forward(
        self, image: Tensor, f16: Tensor, hidden: Tensor | None, masks: Tensor, others: Tensor, deep_update: bool = True
    ) -> tuple[Tensor, Tensor | None]:
        """
        Args:
            image: [B, 3, H, W]; f16: [B, C16, H/16, W/16]; hidden: [B, N, CH, H/16, W/16] or None;
            masks, others: [B, N, H, W] (``others`` is ignored in single-object mode).

        Returns:
            value [B, N, CV, H/16, W/16]; hidden (deep-updated if requested and present, else as given).
        """
        per_object = masks.unsqueeze(2) if self.single_object else torch.stack([masks, others], dim=2)
        g = distribute_to_groups(image, per_object, "cat")  # [B, N, 3 + extra, H, W]
        b, n = g.shape[:2]
        g = run_stem(self.conv1, self.bn1, g.flatten(0, 1))
        g = self.layer3(self.layer2(self.layer1(g)))
        g = self.fuser(f16, g.view(b, n, *g.shape[1:]))
        reinforce = deep_update and hidden is not None and self.hidden_reinforce is not None
        return g, (self.hidden_reinforce(g, hidden) if reinforce else hidden)

    def load_pretrained(self, path: str | os.PathLike) -> None:
        """Load torchvision ResNet weights from a local file; the mask channels of conv1 are
        initialised orthogonally (see backbones.load_pretrained_trunk)."""
        modules = {"conv1": self.conv1, "bn1": self.bn1, "layer1": self.layer1}
        modules.update(layer2=self.layer2, layer3=self.layer3)
        load_pretrained_trunk(modules, path)
