"""A tiny deterministic stand-in for the network, recording what the engine asks of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from xmem.model.aggregate import aggregate_probabilities


@dataclass
class StubFeatures:
    key: Tensor
    shrinkage: Tensor | None
    selection: Tensor | None
    f16: Tensor

    @property
    def multi_scale(self):
        return (self.f16,)


@dataclass
class StubOutput:
    hidden: Tensor | None
    logits: Tensor
    prob: Tensor


@dataclass
class StubNetwork:
    """Keys are positions; values are 16x-pooled masks; the decoder upsamples the readout."""

    hidden_dim: int = 2
    calls: list = field(default_factory=list)

    def encode_key(self, image, need_shrinkage=True, need_selection=True):
        self.calls.append(("key", need_shrinkage, need_selection))
        h, w = image.shape[-2] // 16, image.shape[-1] // 16
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        key = 10 * torch.stack([ys, xs])[None]  # [1, 2, h, w]: each position matches itself
        shrinkage = torch.ones_like(key[:, :1]) if need_shrinkage else None
        selection = torch.ones_like(key) if need_selection else None
        return StubFeatures(key, shrinkage, selection, key)

    def encode_value(self, image, f16, hidden, masks, deep_update=True):
        self.calls.append(("value", deep_update))
        value = F.avg_pool2d(masks, 16).unsqueeze(2)  # [1, N, 1, h, w]
        if deep_update and self.hidden_dim:
            hidden = torch.full((1, masks.shape[1], self.hidden_dim, *value.shape[-2:]), float(len(self.calls)))
        return value, hidden

    def segment(self, features, readout, hidden, update_hidden=True):
        self.calls.append(("segment", update_hidden))
        prob = F.interpolate(readout[:, :, 0], scale_factor=16, mode="nearest").clamp(0, 1)
        logits, prob = aggregate_probabilities(prob, dim=1)
        new_hidden = None if not update_hidden or hidden is None else hidden + 1
        return StubOutput(new_hidden, logits, prob)
