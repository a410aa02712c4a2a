"""Saving and strictly loading STCN network weights (the official ``stcn.pth`` format).

Format: a plain state dict {key: tensor}, exactly as the official code saves its networks
(``torch.save(model.state_dict(), path)``). The architecture is inferred from the keys and
shapes (:meth:`STCNConfig.from_state_dict`), so our retrained small models reload without
any side file, and the paper architecture saved here loads in the official code.

Accepted on loading (the same wrappers as XMem's loader, :mod:`xmem.model.checkpoint`):
  * ``{'network': state_dict, ...}`` (official training checkpoint), ``{'state_dict': ...}``,
    ``{'model': ...}``, and ``module.``-prefixed keys (DistributedDataParallel);
  * missing ``num_batches_tracked`` entries;
  * STCN's single-object weights (static-image pretraining, ``value_encoder.conv1`` with 4
    input channels, official class ``ValueEncoderSO``): zero-padded to 5 channels so a
    multi-object network is built, as the official evaluation scripts do — unless
    ``pad_single_object=False``, which builds a single-object network instead.
"""

from __future__ import annotations

import logging
import os

import torch
from torch import nn

from xmem.model.checkpoint import load_checkpoint, save_network

from baselines.stcn.config import STCNConfig
from baselines.stcn.network import STCNNetwork

log = logging.getLogger(__name__)


def load_stcn_network(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    *,
    config: STCNConfig | None = None,
    pad_single_object: bool = True,
) -> STCNNetwork:
    """Build an :class:`STCNNetwork` from a checkpoint file and load it strictly (eval mode).

    Arguments as :func:`xmem.model.checkpoint.load_checkpoint`. Raises XMemError (one line,
    naming the file): unreadable / not a checkpoint / an XMem checkpoint / missing or
    unexpected keys / shape mismatches.
    """
    net, config = load_checkpoint(path, STCNNetwork, STCNConfig.from_state_dict, device, config=config,
                                  pad_single_object=pad_single_object)
    log.info("loaded STCN %s (key_dim=%d value_dim=%d)", path, config.key_dim, config.value_dim)
    return net


def save_stcn_network(net: nn.Module, path: str | os.PathLike) -> None:
    """Write ``net``'s weights atomically as a plain CPU state dict (the official format)."""
    save_network(net, path)
