"""The STCN baseline (Cheng, Tai & Tang, NeurIPS 2021), run through XMem's engine and trainer.

Public API:
    STCNConfig, STCN_PROFILES                      (config.py)
    STCNNetwork, STCNKeyFeatures                   (network.py)
    load_stcn_network, save_stcn_network           (checkpoint.py)
    stcn_clip_forward                              (training.py; imported on use)
    STCN_METHOD                                    (method.py: the entry in xmem.methods)
"""

from baselines.stcn.checkpoint import load_stcn_network, save_stcn_network
from baselines.stcn.config import STCN_PROFILES, STCNConfig
from baselines.stcn.method import STCN_METHOD
from baselines.stcn.network import STCNKeyFeatures, STCNNetwork

__all__ = [
    "STCNConfig",
    "STCNKeyFeatures",
    "STCNNetwork",
    "STCN_METHOD",
    "STCN_PROFILES",
    "load_stcn_network",
    "save_stcn_network",
]
