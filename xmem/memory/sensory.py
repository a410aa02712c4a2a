"""Sensory memory (paper §3.5): the per-object hidden state h_t of the decoder's GRU."""

from __future__ import annotations

import torch
from torch import Tensor


class SensoryMemory:
    """Holds h_t [1, num_objects, CH, h, w]; new objects start from zeros."""

    def __init__(self, hidden_dim: int):
        self.hidden_dim = hidden_dim
        self.hidden: Tensor | None = None

    @property
    def enabled(self) -> bool:
        return self.hidden_dim > 0

    def ensure_objects(self, num_objects: int, like: Tensor) -> None:
        """Grow the state to ``num_objects`` objects (zeros), shaped after ``like`` [1, C, h, w]."""
        if not self.enabled:
            return
        h, w = like.shape[-2:]
        have = 0 if self.hidden is None else self.hidden.shape[1]
        if num_objects < have:
            raise ValueError(f"sensory memory holds {have} objects; cannot shrink to {num_objects}")
        if num_objects > have:
            zeros = like.new_zeros(1, num_objects - have, self.hidden_dim, h, w)
            self.hidden = zeros if self.hidden is None else torch.cat([self.hidden, zeros], 1)

    def nbytes(self) -> int:
        return 0 if self.hidden is None else self.hidden.numel() * self.hidden.element_size()
