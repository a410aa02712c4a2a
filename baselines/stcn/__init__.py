"""The STCN baseline (Cheng, Tai & Tang, NeurIPS 2021), run through XMem's engine and trainer.

Public API:
    STCNConfig, STCN_PROFILES                      (config.py)
    STCNNetwork, STCNKeyFeatures                   (network.py)
    load_stcn_network, save_stcn_network           (checkpoint.py)
    stcn_clip_forward                              (training.py; imported on use)
    STCN_METHOD                                    (method.py: the entry in xmem.methods)
"""

import importlib

from baselines.stcn.method import STCN_METHOD  # registers "stcn" in xmem.methods (no torch import)

#: public name -> submodule; imported on first use, so that registering the method (which planning
#: code does, to look STCN's memory settings up) does not import torch
_LAZY = {
    "STCNConfig": "config", "STCN_PROFILES": "config",
    "STCNNetwork": "network", "STCNKeyFeatures": "network",
    "load_stcn_network": "checkpoint", "save_stcn_network": "checkpoint",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"baselines.stcn.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'baselines.stcn' has no attribute {name!r}")


__all__ = [
    "STCNConfig",
    "STCNKeyFeatures",
    "STCNNetwork",
    "STCN_METHOD",
    "STCN_PROFILES",
    "load_stcn_network",
    "save_stcn_network",
]
