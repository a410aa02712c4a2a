"""Registry of trainable model kinds: ``"xmem"`` and the ``"stcn"`` baseline.

A :class:`ModelKind` couples a network factory (network options from the training config ->
``nn.Module``) with its clip forward (``(network, batch, *, num_ref_frames, generator,
deep_update_prob) -> ClipOutput``). Both kinds train with the same recipe (paper §3.6: "we also
retrain the STCN baseline with the above setting"); STCN has no sensory memory, so it ignores
``deep_update_prob``. The kinds come from the method registry (:mod:`xmem.methods`): STCN's is
defined in ``baselines.stcn.training`` and imported only when it is used.

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


XMEM_TRAINING = ModelKind("xmem", _xmem_config, _build_xmem, _xmem_forward)


class ModelKinds(Mapping[str, ModelKind]):
    """The trainable kinds: every registered method (:mod:`xmem.methods`) with a ``training``
    entry, resolved on lookup (a method package is imported only when its kind is used)."""

    def _names(self) -> list[str]:
        from xmem.methods import get_method, method_names

        return [name for name in method_names() if get_method(name).training]

    def __getitem__(self, name: str) -> ModelKind:
        from xmem.methods import get_method

        if name not in self._names():
            raise KeyError(name)
        module, attribute = get_method(name).training.split(":")
        return getattr(importlib.import_module(module), attribute)

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


MODEL_KINDS: Mapping[str, ModelKind] = ModelKinds()


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
