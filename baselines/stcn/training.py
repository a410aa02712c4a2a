"""STCN's training forward on a clip, with XMem's training recipe (paper §3.6 and appendix E).

Follows the official STCN training pass (``model/model.py``): encode every frame's key once;
memorise frame 0 from its ground truth; segment frame t from the memory of earlier frames
(full softmax, no top-k) and memorise it with its *predicted* soft masks. With XMem's clips
of T = 8 frames the memory of frame t holds all previous frames while t <= num_ref_frames,
otherwise frame 0 plus num_ref_frames - 1 randomly chosen other previous frames (XMem's
trainer); for the official T = 3 both rules coincide. There is no sensory memory and hence
no deep update.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import torch

from xmem.errors import XMemError
from xmem.training.batch import ClipOutput, TrainingBatch
from xmem.training.xmem_forward import take_frames, reference_indices

from xmem.training.models import ModelKind

from baselines.stcn.config import STCNConfig
from baselines.stcn.network import STCNNetwork


def stcn_clip_forward(
    network: STCNNetwork,
    batch: TrainingBatch,
    *,
    num_ref_frames: int,
    generator: torch.Generator,
) -> ClipOutput:
    """Predict frames 1..T-1 of each clip from frame 0's ground truth.

    Args:
        network: an :class:`STCNNetwork` (multi-object, or single-object when N == 1).
        batch: images [B, T, 3, H, W], masks [B, T, N, H, W], selector [B, N].
        num_ref_frames: maximum number of memory frames per query (XMem's recipe: 3).
        generator: CPU generator for the choice of memory frames
            (:func:`xmem.training.xmem_forward.reference_indices`).

    Returns:
        ClipOutput with T-1 logits [B, N+1, H, W] and object probabilities [B, N, H, W].
    """
    if num_ref_frames < 1:
        raise XMemError(f"num_ref_frames must be >= 1 (got {num_ref_frames})")
    if network.config.single_object and batch.num_slots != 1:
        raise XMemError(f"a single-object STCN network needs batches with N = 1 object slot, got {batch.num_slots}")
    images = batch.images
    b, t_total = images.shape[:2]
    selector = batch.selector.to(images.dtype).view(b, -1, 1, 1)

    feats = network.encode_key(images)  # key [B, CK, T, h, w]; f16/f8/f4/f16_compact [B, T, C, ., .]
    value, _ = network.encode_value(images[:, 0], feats.f16[:, 0], None, batch.masks[:, 0].to(images.dtype))
    values = value.unsqueeze(3)  # [B, N, CV, 1, h, w]

    logits_out, masks_out = [], []
    for t in range(1, t_total):
        indices = reference_indices(t, num_ref_frames, b, generator)
        readout = network.read_memory(
            feats.key[:, :, t], take_frames(feats.key, indices, 2, t), take_frames(values, indices, 3, t)
        )
        out = network.segment((feats.f16_compact[:, t], feats.f8[:, t], feats.f4[:, t]), readout, None, selector=selector)
        object_prob = out.prob[:, 1:]
        if t < t_total - 1:  # the last frame is never memorised
            value, _ = network.encode_value(images[:, t], feats.f16[:, t], None, object_prob)
            values = torch.cat([values, value.unsqueeze(3)], dim=3)
        logits_out.append(out.logits)
        masks_out.append(object_prob)
    return ClipOutput(logits=tuple(logits_out), masks=tuple(masks_out))


def _config(options: Mapping[str, Any]) -> STCNConfig:
    return STCNConfig.from_dict(options)


def _build(options: Mapping[str, Any], single_object: bool, pretrained: Mapping[str, str]) -> STCNNetwork:
    config = dataclasses.replace(_config(options), single_object=single_object)
    return STCNNetwork(config, key_backbone_weights=pretrained.get("key_backbone"),
                       value_backbone_weights=pretrained.get("value_backbone"))


def _forward(network: STCNNetwork, batch: TrainingBatch, *, num_ref_frames: int, generator: torch.Generator,
             deep_update_prob: float) -> ClipOutput:
    del deep_update_prob  # STCN has no sensory memory
    return stcn_clip_forward(network, batch, num_ref_frames=num_ref_frames, generator=generator)


#: STCN's trainable kind (xmem.training.models), named by its registry entry (method.py)
STCN_TRAINING = ModelKind("stcn", _config, _build, _forward)
