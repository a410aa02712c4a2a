"""The STCN network (Cheng, Tai & Tang, NeurIPS 2021) behind the engine's network protocol.

STCN = XMem without sensory memory, long-term memory, shrinkage and selection (paper
appendix E), plus its own value-encoder fusion and decoder. It implements
:class:`xmem.inference.core.SegmentationNetwork` (``hidden_dim = 0``), so the project's
inference engine runs it unchanged with ``MemoryConfig(strategy="no_long_term", top_k=20)``.

Shapes: B batch, T frames, N objects, H x W image (a multiple of 16), h x w = H/16 x W/16,
CK key_dim, CV value_dim, CQ key_comp_dim, C16/C8/C4 key-encoder widths (paper 1024/512/256).

Per frame (what the engine does)::

    feats = net.encode_key(image)                               # STCNKeyFeatures
    readout = ...                                               # [B, N, CV, h, w] from memory
    out = net.segment(feats.multi_scale, readout, None)         # SegmentOutput (hidden None)
    value, _ = net.encode_value(image, feats.f16, None, out.prob[:, 1:])
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor, nn

from xmem.errors import XMemError
from xmem.memory.similarity import full_affinity_float32
from xmem.memory.similarity import readout as memory_readout
from xmem.model.aggregate import aggregate_objects
from xmem.model.encoders import QueryEncoder, KeyHeads
from xmem.model.network import (
    KeyFeatures,
    SegmentOutput,
    clip_channels_first,
    clip_time_first,
    load_pretrained_backbones,
    split_clip,
)

from baselines.stcn.config import STCN_PROFILES, STCNConfig
from baselines.stcn.modules import STCNDecoder, STCNValueEncoder

__all__ = ["STCNConfig", "STCN_PROFILES", "STCNKeyFeatures", "STCNNetwork", "SegmentOutput"]


@dataclass
class STCNKeyFeatures(KeyFeatures):
    """XMem's :class:`KeyFeatures` (shrinkage and selection always None) plus
    ``f16_compact = key_comp(f16)``: [B, CQ, h, w] per image, [B, T, CQ, h, w] per clip."""

    f16_compact: Tensor

    @property
    def multi_scale(self) -> tuple[Tensor, Tensor, Tensor]:
        """(f16_compact, f8, f4), the ``features`` argument of :meth:`STCNNetwork.segment`."""
        return self.f16_compact, self.f8, self.f4


class STCNNetwork(nn.Module):
    """STCN: key encoder + key projection + key compression, value encoder, decoder.

    Its state dict (key_encoder.*, value_encoder.*, key_proj.*, key_comp.*, decoder.*) has the
    official keys; with the default :class:`STCNConfig` it loads the released ``stcn.pth``.

    Args:
        config: architecture (default: the published network).
        key_backbone_weights / value_backbone_weights: optional local torchvision ResNet
            weight files (ImageNet) for the two trunks; random initialisation otherwise.
    """

    hidden_dim = 0  # no sensory memory: the engine keeps no hidden state

    def __init__(
        self,
        config: STCNConfig | None = None,
        *,
        key_backbone_weights: str | os.PathLike | None = None,
        value_backbone_weights: str | os.PathLike | None = None,
    ):
        super().__init__()
        self.config = config if config is not None else STCNConfig()
        c = self.config
        f16_dim = c.key_backbone.out_channels[2]
        # registration order = the official state-dict order
        self.key_encoder = QueryEncoder(c.key_backbone)
        self.value_encoder = STCNValueEncoder(c)
        self.key_proj = KeyHeads(f16_dim, c.key_dim, use_shrinkage=False, use_selection=False)
        self.key_comp = nn.Conv2d(f16_dim, c.key_comp_dim, kernel_size=3, padding=1)
        self.decoder = STCNDecoder(c)
        load_pretrained_backbones(self, key_backbone_weights, value_backbone_weights)

    @property
    def key_dim(self) -> int:
        return self.config.key_dim

    @property
    def value_dim(self) -> int:
        return self.config.value_dim

    def encode_key(self, image: Tensor, need_shrinkage: bool = True, need_selection: bool = True) -> STCNKeyFeatures:
        """Query encoder, key projection and key compression for images [B, 3, H, W] or clips
        [B, T, 3, H, W]. ``need_*`` are accepted for the engine; STCN has neither term (None).

        Per image: key [B, CK, h, w]; f16 [B, C16, h, w]; f8; f4; f16_compact [B, CQ, h, w].
        Per clip (training; official layout): key [B, CK, T, h, w]; f16/f8/f4/f16_compact [B, T, C, ., .].
        """
        frames, clip = split_clip(image)
        f16, f8, f4 = self.key_encoder(frames)
        key, _, _ = self.key_proj(f16, False, False)
        f16_compact = self.key_comp(f16)
        if clip is None:
            return STCNKeyFeatures(key, None, None, f16, f8, f4, f16_compact)
        return STCNKeyFeatures(clip_channels_first(key, clip), None, None, clip_time_first(f16, clip),
                               clip_time_first(f8, clip), clip_time_first(f4, clip), clip_time_first(f16_compact, clip))

    def encode_value(
        self,
        image: Tensor,
        f16: Tensor,
        hidden: Tensor | None,
        masks: Tensor,
        deep_update: bool = True,
    ) -> tuple[Tensor, None]:
        """Value encoder.

        Args:
            image: [B, 3, H, W]; f16: [B, C16, h, w] from :meth:`encode_key`.
            hidden, deep_update: ignored (the engine's protocol; STCN has no sensory memory).
            masks: [B, N, H, W] per-object masks / probabilities (no background channel).
                Each object also sees the sum of the other objects' masks (zeros when N == 1).

        Returns:
            (value [B, N, CV, h, w], None).
        """
        if masks.ndim != 4 or image.ndim != 4 or masks.shape[0] != image.shape[0] or masks.shape[-2:] != image.shape[-2:]:
            raise XMemError(
                f"encode_value: need image [B, 3, H, W] and masks [B, N, H, W], got {list(image.shape)} and {list(masks.shape)}"
            )
        others = masks.sum(dim=1, keepdim=True) - masks
        return self.value_encoder(image, f16, masks, others), None

    def read_memory(self, query_key: Tensor, memory_key: Tensor, memory_value: Tensor) -> Tensor:
        """Training-time memory read: STCN's L2 similarity, full softmax (no top-k).

        Args:
            query_key: [B, CK, h, w]; memory_key: [B, CK, T, h, w]; memory_value: [B, N, CV, T, h, w].

        Returns:
            readout [B, N, CV, h, w].
        """
        b, n, cv = memory_value.shape[:3]
        if memory_key.shape[0] != b or memory_key.shape[2:] != memory_value.shape[3:]:
            raise XMemError(
                f"read_memory: memory_key {list(memory_key.shape)} does not match memory_value {list(memory_value.shape)}"
            )
        affinity = full_affinity_float32(memory_key, None, query_key, None)  # [B, T*h*w, h*w], float32 under autocast
        out = memory_readout(affinity, memory_value.flatten(1, 2))  # [B, N*CV, h*w]
        return out.view(b, n, cv, *query_key.shape[-2:])

    def segment(
        self,
        features: STCNKeyFeatures | Sequence[Tensor],
        readout: Tensor,
        hidden: Tensor | None = None,
        update_hidden: bool = True,
        selector: Tensor | None = None,
    ) -> SegmentOutput:
        """Decode each object from (readout, f16_compact), then soft-aggregate.

        Args:
            features: (f16_compact, f8, f4) of one frame (4-D tensors), or its STCNKeyFeatures.
            readout: [B, N, CV, h, w].
            hidden, update_hidden: ignored (engine protocol); the output's hidden is None.
            selector: [B, N, 1, 1] 0/1 weights multiplied into the object probabilities before
                aggregation (training: masks objects absent from a sample), or None.

        Returns:
            SegmentOutput(hidden=None, logits, prob) with logits / prob [B, N+1, H, W]
            (background first), H = 4 * f4 height.
        """
        f16_compact, f8, f4 = features.multi_scale if isinstance(features, KeyFeatures) else features
        logits, prob = aggregate_objects(torch.sigmoid(self.decoder(readout, f16_compact, f8, f4)), selector)
        return SegmentOutput(hidden=None, logits=logits, prob=prob)
