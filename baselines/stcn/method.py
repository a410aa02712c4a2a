"""STCN's entry in the method registry (:mod:`xmem.methods`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from xmem.memory.config import STRATEGIES, MemoryConfig
from xmem.methods import Method, register

if TYPE_CHECKING:
    import torch
    from torch import nn


def _load(path: str | os.PathLike, device: torch.device) -> nn.Module:
    from baselines.stcn.checkpoint import load_stcn_network  # torch: imported when a network is loaded

    return load_stcn_network(path, device=device)


#: STCN keeps every memory frame (no long-term memory) and filters the affinity with top-20
STCN_METHOD = register(Method(
    "stcn", _load, MemoryConfig(top_k=20, strategy="no_long_term"),
    strategies=tuple(s for s in STRATEGIES if s not in ("consolidation", "eager_compression")), label="STCN",
    training="baselines.stcn.training:STCN_TRAINING",
))
