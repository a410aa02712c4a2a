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

from xmem.model.checkpoint import load_state_dict_strict, pad_single_object_weights, read_state_dict, save_network

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

    Args:
        path: a plain state dict (official ``stcn.pth`` or ours) or an accepted wrapper.
        device: where the returned network lives.
        config: build this architecture instead of inferring it from the file (the file must
            then fit it exactly).
        pad_single_object: zero-pad 4-channel single-object weights into a multi-object
            network (official evaluation behaviour); False builds a single-object network.

    Raises:
        XMemError (one line, naming the file): unreadable / not a checkpoint / an XMem
        checkpoint / missing or unexpected keys / shape mismatches.
    """
    source = f"checkpoint {path}"
    state = read_state_dict(path)
    want_single = config.single_object if config is not None else not pad_single_object
    if not want_single:
        state = pad_single_object_weights(state)
    if config is None:
        config = STCNConfig.from_state_dict(state, source=source)
    net = STCNNetwork(config)
    load_state_dict_strict(net, state, source)
    log.info("loaded STCN %s (key_dim=%d value_dim=%d)", path, config.key_dim, config.value_dim)
    return net.to(device).eval()


def save_stcn_network(net: nn.Module, path: str | os.PathLike) -> None:
    """Write ``net``'s weights atomically as a plain CPU state dict (the official format)."""
    save_network(net, path)
