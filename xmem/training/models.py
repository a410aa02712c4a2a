"""Registry of trainable model kinds: ``"xmem"`` and the ``"stcn"`` baseline.

A :class:`ModelKind` couples a network factory (network options from the training config ->
``nn.Module``) with its clip forward (``(network, batch, *, num_ref_frames, generator,
deep_update_prob) -> ClipOutput``). Both kinds train with the same recipe (paper §3.6: "we also
retrain the STCN baseline with the above setting"); STCN has no sensory memory, so it ignores
``deep_update_prob``. ``baselines.stcn`` is imported only when the STCN kind is used.

Single-object networks (static-image pretraining, as in the official code) are converted to
multi-object ones between stages by :func:`transfer_weights`: the extra "other objects" input
channel of the value encoder is orthogonally initialised (official stage transfer).
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch import nn

from xmem.errors import XMemError
from xmem.model.checkpoint import load_state_dict_strict, pad_single_object_weights
from xmem.training.batch import ClipOutput, TrainingBatch

ConfigResolver = Callable[[Mapping[str, Any]], Any]
NetworkFactory = Callable[[Mapping[str, Any], bool, Mapping[str, str]], nn.Module]
ClipForward = Callable[..., ClipOutput]


@dataclass(frozen=True)
class ModelKind:
    """How to build and run one kind of network during training.

    resolve_config(options) -> the architecture dataclass (``to_dict()`` able) the options
        describe; raises XMemError for unknown options (used to validate configs early).
    build_network(options, single_object, pretrained) -> nn.Module: ``options`` is the
        ``network:`` mapping of the training config, ``single_object`` selects the
        one-object value encoder (static stage), ``pretrained`` maps ``key_backbone`` /
        ``value_backbone`` to local torchvision weight files (may be empty).
    clip_forward(network, batch, *, num_ref_frames, generator, deep_update_prob) -> ClipOutput.
    """

    name: str
    resolve_config: ConfigResolver
    build_network: NetworkFactory
    clip_forward: ClipForward


def _xmem_config(options: Mapping[str, Any]):
    from xmem.model.config import NetworkConfig

    return NetworkConfig.from_dict(options)


def _build_xmem(options: Mapping[str, Any], single_object: bool, pretrained: Mapping[str, str]) -> nn.Module:
    from xmem.model.network import XMemNetwork

    config = dataclasses.replace(_xmem_config(options), single_object=single_object)
    return XMemNetwork(
        config,
        key_backbone_weights=pretrained.get("key_backbone"),
        value_backbone_weights=pretrained.get("value_backbone"),
    )


def _xmem_forward(network: nn.Module, batch: TrainingBatch, *, num_ref_frames: int, generator: torch.Generator,
                  deep_update_prob: float) -> ClipOutput:
    from xmem.training.xmem_forward import xmem_clip_forward

    return xmem_clip_forward(network, batch, num_ref_frames=num_ref_frames, generator=generator,
                             deep_update_prob=deep_update_prob)


def _stcn_module(name: str):
    try:
        return importlib.import_module(f"baselines.stcn.{name}")
    except ImportError as exc:
        raise XMemError(f"model: stcn needs the baselines.stcn package ({exc}); install the repository with pip -e .") from None


def _stcn_config(options: Mapping[str, Any]):
    return _stcn_module("config").STCNConfig.from_dict(options)


def _build_stcn(options: Mapping[str, Any], single_object: bool, pretrained: Mapping[str, str]) -> nn.Module:
    config = dataclasses.replace(_stcn_config(options), single_object=single_object)
    return _stcn_module("network").STCNNetwork(
        config,
        key_backbone_weights=pretrained.get("key_backbone"),
        value_backbone_weights=pretrained.get("value_backbone"),
    )


def _stcn_forward(network: nn.Module, batch: TrainingBatch, *, num_ref_frames: int, generator: torch.Generator,
                  deep_update_prob: float) -> ClipOutput:
    del deep_update_prob  # STCN has no sensory memory
    return _stcn_module("training").stcn_clip_forward(network, batch, num_ref_frames=num_ref_frames, generator=generator)


MODEL_KINDS: dict[str, ModelKind] = {
    "xmem": ModelKind("xmem", _xmem_config, _build_xmem, _xmem_forward),
    "stcn": ModelKind("stcn", _stcn_config, _build_stcn, _stcn_forward),
}


def get_model_kind(name: str) -> ModelKind:
    """The registered kind ``name``; XMemError listing the known kinds otherwise."""
    try:
        return MODEL_KINDS[name]
    except KeyError:
        raise XMemError(f"model: unknown kind {name!r}; use one of {sorted(MODEL_KINDS)}") from None


def transfer_weights(state_dict: Mapping[str, torch.Tensor], network: nn.Module, source: str) -> None:
    """Load a previous stage's weights into ``network`` (strictly).

    Single-object weights (4-channel value-encoder input) going into a multi-object network
    get their extra channel orthogonally initialised from torch's global RNG, as the official
    stage transfer does.
    """
    target = network.state_dict().get("value_encoder.conv1.weight")
    if target is not None and target.shape[1] == 5:
        state_dict = pad_single_object_weights(state_dict, orthogonal=True)
    load_state_dict_strict(network, state_dict, source)
