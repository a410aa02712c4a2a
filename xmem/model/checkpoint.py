"""Saving and strictly loading XMem network weights.

Format: a plain state dict {key: tensor} exactly as the official code saves its networks
(``torch.save(model.state_dict(), path)``), including BatchNorm ``num_batches_tracked``
entries (the released checkpoints have them). The architecture is inferred from the keys and
shapes (:meth:`NetworkConfig.from_state_dict`), so no side file is needed; the paper
architecture saved here loads in the official code and vice versa. The one architecture fact
shapes cannot carry, a key stride of 8 (``BackboneConfig.output_stride``), is an integer buffer
``key_encoder.output_stride`` / ``value_encoder.output_stride``, absent at the paper's 16.

Accepted on loading (documented wrappers):
  * ``{'network': state_dict, ...}`` — the official *training* checkpoint (with optimizer
    and scheduler states, which are ignored), and ``{'state_dict': ...}`` / ``{'model': ...}``;
  * keys prefixed with ``module.`` (saved from a DistributedDataParallel wrapper);
  * missing ``num_batches_tracked`` entries (older torchvision files; filled with 0, as torch does);
  * single-object weights (value_encoder.conv1 with 4 input channels): zero-padded to 5 so a
    multi-object network is built — the official evaluation loader does the same and the
    result equals running the single-object network on each object — unless
    ``pad_single_object=False``, which builds a single-object network instead.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import Tensor, nn

from xmem.errors import XMemError
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork
from xmem.utils.atomic import atomic_path

log = logging.getLogger(__name__)

WRAPPER_KEYS = ("network", "state_dict", "model")
DDP_PREFIX = "module."
_LIST_LIMIT = 5  # keys shown per category in mismatch messages


def unwrap_state_dict(obj: Any, source: str) -> "OrderedDict[str, Tensor]":
    """The plain state dict inside ``obj`` (see the module docstring for accepted wrappers)."""
    if isinstance(obj, Mapping):
        for wrapper in WRAPPER_KEYS:
            if wrapper in obj and isinstance(obj[wrapper], Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, Tensor) for v in obj.values()):
        raise XMemError(
            f"{source} is not a network checkpoint (expected a state dict of tensors, got {type(obj).__name__})"
        )
    state = OrderedDict((str(k), v) for k, v in obj.items())
    if all(k.startswith(DDP_PREFIX) for k in state):
        state = OrderedDict((k[len(DDP_PREFIX) :], v) for k, v in state.items())
    return state


def read_state_dict(path: str | os.PathLike) -> "OrderedDict[str, Tensor]":
    """Read and unwrap a checkpoint file onto the CPU; XMemError naming the file if unusable."""
    path = Path(path)
    if not path.is_file():
        raise XMemError(f"checkpoint {path} does not exist: pass the path of a .pth weight file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt zip / pickle / truncated file: many exception types
        if "Unsupported global" in str(exc):  # a valid pickle holding arbitrary objects
            raise XMemError(
                f"checkpoint {path} contains objects other than tensors (a full training checkpoint?);"
                " save its network state dict alone with `xmem.model.save_network`"
            ) from None
        raise XMemError(
            f"checkpoint {path} is corrupt or not a torch file ({type(exc).__name__}); re-download or re-save it"
        ) from None
    return unwrap_state_dict(obj, f"checkpoint {path}")


def pad_single_object_weights(state_dict: Mapping[str, Tensor], orthogonal: bool = False) -> "OrderedDict[str, Tensor]":
    """Give single-object weights the 'other objects' input channel of the value encoder.

    value_encoder.conv1.weight [C, 4, k, k] -> [C, 5, k, k]; the new channel is zero (official
    evaluation: the network then ignores the other objects) or orthogonally initialised
    (official stage-0 -> stage-3 training transfer). Other state dicts are returned unchanged.
    """
    state = OrderedDict(state_dict)
    key = "value_encoder.conv1.weight"
    weight = state.get(key)
    if weight is not None and weight.shape[1] == 4:
        pad = torch.zeros(weight.shape[0], 1, *weight.shape[2:], dtype=weight.dtype)
        if orthogonal:
            nn.init.orthogonal_(pad)
        state[key] = torch.cat([weight, pad], dim=1)
    return state


def _listing(keys: list[str]) -> str:
    shown = ", ".join(keys[:_LIST_LIMIT])
    more = f", ... +{len(keys) - _LIST_LIMIT} more" if len(keys) > _LIST_LIMIT else ""
    return f"[{shown}{more}]"


def load_state_dict_strict(net: nn.Module, state_dict: Mapping[str, Tensor], source: str) -> None:
    """Load ``state_dict`` into ``net``, requiring identical keys and shapes.

    Only absent ``num_batches_tracked`` entries are tolerated (kept at the network's value).
    On mismatch raises one XMemError line naming ``source`` with the missing and unexpected
    keys (first few, with counts) and the shape mismatches.
    """
    expected = net.state_dict()
    missing = [k for k in expected if k not in state_dict and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state_dict if k not in expected]
    wrong_shape = [
        f"{k} {list(state_dict[k].shape)} vs network {list(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or wrong_shape:
        problems = []
        if missing:
            problems.append(f"{len(missing)} missing keys {_listing(missing)}")
        if unexpected:
            problems.append(f"{len(unexpected)} unexpected keys {_listing(unexpected)}")
        if wrong_shape:
            problems.append(f"{len(wrong_shape)} shape mismatches {_listing(wrong_shape)}")
        raise XMemError(f"{source} does not match the network: " + "; ".join(problems))
    complete = OrderedDict((k, state_dict.get(k, v)) for k, v in expected.items())
    net.load_state_dict(complete, strict=True)


def load_checkpoint(
    path: str | os.PathLike,
    network_class: Callable[[Any], nn.Module],
    config_from_state_dict: Callable[..., Any],
    device: str | torch.device = "cpu",
    *,
    config: Any = None,
    pad_single_object: bool = True,
) -> tuple[nn.Module, Any]:
    """Build a network from a checkpoint file and load it strictly (eval mode, on ``device``):
    the loader of every method (XMem here, STCN in ``baselines.stcn``).

    Args:
        path: a plain state dict or an accepted wrapper (see the module docstring).
        network_class: architecture config -> network.
        config_from_state_dict: (state_dict, source=...) -> the architecture the file describes.
        config: build this architecture instead of inferring it from the file (then the file
            must fit it exactly).
        pad_single_object: zero-pad 4-channel single-object weights into a multi-object
            network (official evaluation behaviour); False builds a single-object network.

    Returns (network, its architecture config). Raises XMemError (one line naming the file).
    """
    source = f"checkpoint {path}"
    state = read_state_dict(path)
    want_single = config.single_object if config is not None else not pad_single_object
    if not want_single:
        state = pad_single_object_weights(state)
    if config is None:
        config = config_from_state_dict(state, source=source)
    net = network_class(config)
    load_state_dict_strict(net, state, source)
    return net.to(device).eval(), config


def load_network(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    *,
    config: NetworkConfig | None = None,
    pad_single_object: bool = True,
) -> XMemNetwork:
    """Build an :class:`XMemNetwork` from a checkpoint file and load it strictly (eval mode);
    arguments as :func:`load_checkpoint`."""
    net, config = load_checkpoint(path, XMemNetwork, NetworkConfig.from_state_dict, device, config=config,
                                  pad_single_object=pad_single_object)
    log.info("loaded %s: %s", path, config)
    return net


def save_network(net: nn.Module, path: str | os.PathLike) -> None:
    """Write ``net``'s weights atomically as a plain CPU state dict (the official format)."""
    module = getattr(net, "module", net)  # unwrap DistributedDataParallel / DataParallel
    state = OrderedDict((k, v.detach().cpu()) for k, v in module.state_dict().items())
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
