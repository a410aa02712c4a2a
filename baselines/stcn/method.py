"""STCN's entry in the method registry (:mod:`xmem.methods`)."""

from __future__ import annotations

import os

import torch
from torch import nn

from xmem.memory.config import STRATEGIES, MemoryConfig
from xmem.methods import Method, register

from baselines.stcn.checkpoint import load_stcn_network


def _load(path: str | os.PathLike, device: torch.device) -> nn.Module:
    return load_stcn_network(path, device=device)


#: STCN keeps every memory frame (no long-term memory) and filters the affinity with top-20
STCN_METHOD = register(Method(
    "stcn", _load, MemoryConfig(top_k=20, strategy="no_long_term"),
    strategies=tuple(s for s in STRATEGIES if s not in ("consolidation", "eager_compression")), label="STCN",
    training="baselines.stcn.training:STCN_TRAINING",
))
