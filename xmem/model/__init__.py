"""The XMem network, state-dict compatible with the released checkpoints.

Public API:
    NetworkConfig, BackboneConfig, NAMED_BACKBONES, PROFILES      (config.py)
    XMemNetwork, KeyFeatures, SegmentOutput                       (network.py)
    aggregate_probabilities                                       (aggregate.py)
    load_network, save_network, read_state_dict,
    load_state_dict_strict, pad_single_object_weights             (checkpoint.py)
"""

from xmem.model.aggregate import aggregate_probabilities
from xmem.model.checkpoint import (
    load_network,
    load_state_dict_strict,
    pad_single_object_weights,
    read_state_dict,
    save_network,
)
from xmem.model.config import NAMED_BACKBONES, PROFILES, BackboneConfig, NetworkConfig
from xmem.model.network import KeyFeatures, SegmentOutput, XMemNetwork

__all__ = [
    "BackboneConfig",
    "KeyFeatures",
    "NAMED_BACKBONES",
    "NetworkConfig",
    "PROFILES",
    "SegmentOutput",
    "XMemNetwork",
    "aggregate_probabilities",
    "load_network",
    "load_state_dict_strict",
    "pad_single_object_weights",
    "read_state_dict",
    "save_network",
]
