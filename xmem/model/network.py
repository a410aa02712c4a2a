"""The XMem network (paper §3, Fig. 3) with a typed, mode-free API.

Shapes: B batch, T frames, N objects, H x W image (a multiple of 16), h x w = H/16 x W/16,
CK key_dim, CV value_dim, CH hidden_dim, C16/C8/C4 key-encoder widths (paper 1024/512/256).

Typical use per frame (inference; the memory stores live in ``xmem.memory``)::

    feats = net.encode_key(image)                              # KeyFeatures
    readout = ...                                              # [B, N, CV, h, w] from memory
    out = net.segment(feats.multi_scale, readout, hidden)      # SegmentOutput
    value, hidden = net.encode_value(image, feats.f16, out.hidden, out.prob[:, 1:])
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
from xmem.model.config import NetworkConfig
from xmem.model.decoder import Decoder
from xmem.model.encoders import QueryEncoder, KeyHeads, MaskValueEncoder


@dataclass
class KeyFeatures:
    """Output of :meth:`XMemNetwork.encode_key`.

    For an image batch [B, 3, H, W]:
        key [B, CK, h, w]; shrinkage [B, 1, h, w] or None; selection [B, CK, h, w] or None;
        f16 [B, C16, h, w]; f8 [B, C8, 2h, 2w]; f4 [B, C4, 4h, 4w].
    For a clip [B, T, 3, H, W] (training; the official layout):
        key [B, CK, T, h, w]; shrinkage [B, 1, T, h, w]; selection [B, CK, T, h, w];
        f16 [B, T, C16, h, w]; f8 [B, T, C8, 2h, 2w]; f4 [B, T, C4, 4h, 4w].
    """

    key: Tensor
    shrinkage: Tensor | None
    selection: Tensor | None
    f16: Tensor
    f8: Tensor
    f4: Tensor

    @property
    def multi_scale(self) -> tuple[Tensor, Tensor, Tensor]:
        """(f16, f8, f4), the ``features`` argument of :meth:`XMemNetwork.segment`."""
        return self.f16, self.f8, self.f4


@dataclass
class SegmentOutput:
    """Output of :meth:`XMemNetwork.segment`.

    hidden: updated sensory memory [B, N, CH, h, w], or None (not requested / hidden_dim 0).
    logits: [B, N+1, H, W] soft-aggregated logits, background at index 0 (cross-entropy input).
    prob:   [B, N+1, H, W] softmax of ``logits``, background at index 0.
    """

    hidden: Tensor | None
    logits: Tensor
    prob: Tensor


def load_pretrained_backbones(network: nn.Module, key_weights: str | os.PathLike | None,
                              value_weights: str | os.PathLike | None) -> None:
    """Initialise the key / value encoders' trunks from local torchvision weight files (if given)."""
    if key_weights is not None:
        network.key_encoder.load_pretrained(key_weights)
    if value_weights is not None:
        network.value_encoder.load_pretrained(value_weights)


def split_clip(image: Tensor) -> tuple[Tensor, tuple[int, int] | None]:
    """Frames of images [B, 3, H, W] (as given) or of clips [B, T, 3, H, W] ([B*T, 3, H, W]),
    and (B, T) for clips; XMemError for any other shape. Shared by every method's encode_key."""
    if image.ndim not in (4, 5) or image.shape[-3] != 3:
        raise XMemError(f"encode_key: image must be [B, 3, H, W] or [B, T, 3, H, W], got {list(image.shape)}")
    if image.ndim == 4:
        return image, None
    return image.flatten(0, 1), (image.shape[0], image.shape[1])


def clip_time_first(x: Tensor, clip: tuple[int, int]) -> Tensor:
    """[B*T, C, h, w] -> [B, T, C, h, w]."""
    return x.view(*clip, *x.shape[1:])


def clip_channels_first(x: Tensor | None, clip: tuple[int, int]) -> Tensor | None:
    """[B*T, C, h, w] -> [B, C, T, h, w] (the official key layout of clips); None stays None."""
    return None if x is None else clip_time_first(x, clip).transpose(1, 2).contiguous()


class XMemNetwork(nn.Module):
    """XMem's network: key encoder + key projection, value encoder, decoder.

    Its state dict (key_encoder.*, value_encoder.*, key_proj.*, decoder.*) has the official
    keys; with the default :class:`NetworkConfig` it loads the released checkpoints.

    Args:
        config: architecture (default: the paper's network).
        key_backbone_weights / value_backbone_weights: optional local torchvision ResNet
            weight files (ImageNet) for the two trunks; random initialisation otherwise.
    """

    def __init__(
        self,
        config: NetworkConfig | None = None,
        *,
        key_backbone_weights: str | os.PathLike | None = None,
        value_backbone_weights: str | os.PathLike | None = None,
    ):
        super().__init__()
        self.config = config if config is not None else NetworkConfig()
        c = self.config
        # registration order = the official state-dict order
        self.key_encoder = QueryEncoder(c.key_backbone)
        self.value_encoder = MaskValueEncoder(c)
        self.key_proj = KeyHeads(c.key_backbone.out_channels[2], c.key_dim, c.use_shrinkage, c.use_selection)
        self.decoder = Decoder(c)
        load_pretrained_backbones(self, key_backbone_weights, value_backbone_weights)

    @property
    def key_dim(self) -> int:
        return self.config.key_dim

    @property
    def value_dim(self) -> int:
        return self.config.value_dim

    @property
    def hidden_dim(self) -> int:
        return self.config.hidden_dim

    def zero_hidden(self, batch_size: int, num_objects: int, size: tuple[int, int]) -> Tensor | None:
        """Initial sensory memory: zeros [B, N, CH, h, w] (the network's device and dtype), or None if CH == 0."""
        if self.hidden_dim == 0:
            return None
        reference = self.key_proj.key_proj.weight
        return reference.new_zeros(batch_size, num_objects, self.hidden_dim, *size)

    def encode_key(self, image: Tensor, need_shrinkage: bool = True, need_selection: bool = True) -> KeyFeatures:
        """Query encoder + key projection for images [B, 3, H, W] or clips [B, T, 3, H, W].

        Shrinkage / selection are None when not needed or disabled in the configuration.
        See :class:`KeyFeatures` for the output shapes of both layouts.
        """
        frames, clip = split_clip(image)
        f16, f8, f4 = self.key_encoder(frames)
        key, shrinkage, selection = self.key_proj(f16, need_shrinkage=need_shrinkage, need_selection=need_selection)
        if clip is None:
            return KeyFeatures(key, shrinkage, selection, f16, f8, f4)
        return KeyFeatures(
            clip_channels_first(key, clip), clip_channels_first(shrinkage, clip), clip_channels_first(selection, clip),
            clip_time_first(f16, clip), clip_time_first(f8, clip), clip_time_first(f4, clip),
        )

    def encode_value(
        self,
        image: Tensor,
        f16: Tensor,
        hidden: Tensor | None,
        masks: Tensor,
        deep_update: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        """Value encoder.

        Args:
            image: [B, 3, H, W]; f16: [B, C16, h, w] from :meth:`encode_key`.
            hidden: [B, N, CH, h, w], or None (zeros are used for a deep update when CH > 0).
            masks: [B, N, H, W] per-object masks / probabilities (no background channel).
                Each object also sees the sum of the other objects' masks (zeros when N == 1),
                computed as total - own (equal to the official explicit sum up to rounding).
            deep_update: refresh the hidden state with the value features (paper §3.3).

        Returns:
            value [B, N, CV, h, w]; hidden [B, N, CH, h, w] — deep-updated, or the input
            unchanged when ``deep_update`` is False (None stays None; always None when CH == 0).
        """
        same_frame = (masks.shape[0], *masks.shape[-2:]) == (image.shape[0], *image.shape[-2:])
        if masks.ndim != 4 or image.ndim != 4 or not same_frame:
            raise XMemError(
                "encode_value: need image [B, 3, H, W] and masks [B, N, H, W],"
                f" got {list(image.shape)} and {list(masks.shape)}"
            )
        others = masks.sum(dim=1, keepdim=True) - masks
        if self.hidden_dim == 0:
            hidden = None
        elif hidden is None and deep_update:
            hidden = self.zero_hidden(masks.shape[0], masks.shape[1], tuple(f16.shape[-2:]))
        return self.value_encoder(image, f16, hidden, masks, others, deep_update)

    def read_memory(
        self,
        query_key: Tensor,
        query_selection: Tensor | None,
        memory_key: Tensor,
        memory_shrinkage: Tensor | None,
        memory_value: Tensor,
    ) -> Tensor:
        """Training-time memory read (full softmax over all memory elements, no top-k).

        Args:
            query_key: [B, CK, h, w]; query_selection: [B, CK, h, w] or None.
            memory_key: [B, CK, T, h, w]; memory_shrinkage: [B, 1, T, h, w] or None.
            memory_value: [B, N, CV, T, h, w].

        Returns:
            readout [B, N, CV, h, w].
        """
        b, n, cv = memory_value.shape[:3]
        if memory_key.shape[0] != b or memory_key.shape[2:] != memory_value.shape[3:]:
            raise XMemError(
                f"read_memory: memory_key {list(memory_key.shape)} does not match"
                f" memory_value {list(memory_value.shape)} (need [B, CK, T, h, w] and [B, N, CV, T, h, w])"
            )
        # float32 also under autocast (see full_affinity_float32); the readout product autocasts
        affinity = full_affinity_float32(memory_key, memory_shrinkage, query_key, query_selection)  # [B, T*h*w, h*w]
        out = memory_readout(affinity, memory_value.flatten(1, 2))  # [B, N*CV, h*w]
        return out.view(b, n, cv, *query_key.shape[-2:])

    def segment(
        self,
        features: KeyFeatures | Sequence[Tensor],
        readout: Tensor,
        hidden: Tensor | None,
        update_hidden: bool = True,
        selector: Tensor | None = None,
    ) -> SegmentOutput:
        """Decode masks from the memory readout.

        Args:
            features: (f16, f8, f4) of one frame (4-D tensors), or its KeyFeatures.
            readout: [B, N, CV, h, w].
            hidden: [B, N, CH, h, w] (None allowed only when hidden_dim == 0).
            update_hidden: also compute the new hidden state.
            selector: [B, N, 1, 1] 0/1 weights multiplied into the object probabilities before
                aggregation (training: masks objects absent from a sample), or None.

        Returns:
            SegmentOutput with logits / prob [B, N+1, H, W] (background first), H = 4 * f4 height.
        """
        f16, f8, f4 = features.multi_scale if isinstance(features, KeyFeatures) else features
        if self.hidden_dim > 0 and hidden is None:
            raise XMemError("segment: hidden state is None but the network has sensory memory (use zero_hidden)")
        hidden, object_logits = self.decoder(f16, f8, f4, hidden, readout, update_hidden)
        # aggregation in fp32 even under autocast: bf16 probabilities tie far too often (fp64 stays fp64)
        object_logits = object_logits.to(torch.promote_types(object_logits.dtype, torch.float32))
        logits, prob = aggregate_objects(torch.sigmoid(object_logits), selector)
        return SegmentOutput(hidden=hidden, logits=logits, prob=prob)
