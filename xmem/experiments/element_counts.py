"""A profile's memory element counts, for the key stride of the network that runs.

P (prototypes per consolidation), LT_max and their grids count memory elements, and a frame has
E = (h/s)(w/s) of them at key stride s, so a profile scales them as paper value x E/1620 for its
frame size *and* stride. ``inference.memory`` (P and LT_max per dataset kind),
``inference.multiscale.num_prototypes`` and the grids ``prototype_counts`` / ``ltmax_values`` /
``fps_ltmax_values`` are the counts of the profile's main models; ``inference.memory_at_stride``
maps another key stride to a complete set of its own (the default profile: stride 16 for the
ablation-budget networks and released weights, its main models having stride 8).
:func:`key_stride` tells which stride a model of the profile has.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from xmem.experiments.paths import REPO

@dataclass(frozen=True)
class ElementCounts:
    """Element counts for networks of one key stride. ``long_video`` / ``short_video``: the
    :class:`~xmem.memory.config.MemoryConfig` fields a run on that kind of dataset starts from
    (``num_prototypes``, ``max_long_term_elements``; empty = the method's, the paper's values);
    the grids are Table 6's P values, Table S1's and Fig. S7's LT_max values (empty = not given)."""

    long_video: Mapping[str, int]
    short_video: Mapping[str, int]
    multiscale_prototypes: int | None
    prototype_counts: tuple[int, ...]
    ltmax_values: tuple[int, ...]
    fps_ltmax_values: tuple[int, ...]

    @classmethod
    def from_mapping(cls, values: Mapping) -> "ElementCounts":
        return cls(long_video=dict(values.get("long_video") or {}), short_video=dict(values.get("short_video") or {}),
                   multiscale_prototypes=values.get("multiscale_prototypes"),
                   prototype_counts=tuple(int(p) for p in values.get("prototype_counts") or ()),
                   ltmax_values=tuple(int(n) for n in values.get("ltmax_values") or ()),
                   fps_ltmax_values=tuple(int(n) for n in values.get("fps_ltmax_values") or ()))


def element_counts(inference: dict, stride: int | None) -> ElementCounts:
    """The counts of a profile's ``inference`` section for a network of key stride ``stride``:
    ``inference.memory_at_stride[stride]`` where the profile gives it, else the main models'
    (also for ``stride`` None)."""
    at_stride = {int(k): v for k, v in (inference.get("memory_at_stride") or {}).items()}
    if stride in at_stride:
        return ElementCounts.from_mapping(at_stride[stride])
    memory = inference.get("memory") or {}
    return ElementCounts.from_mapping({
        "long_video": memory.get("long_video"), "short_video": memory.get("short_video"),
        "multiscale_prototypes": (inference.get("multiscale") or {}).get("num_prototypes"),
        **{key: inference.get(key) for key in ("prototype_counts", "ltmax_values", "fps_ltmax_values")}})


def key_stride(model: str, config: dict) -> int:
    """Stride of ``model``'s key maps in a profile (the memory elements per frame depend on it):
    from the network of its training config (``training.models``) under ``weights: train``, else
    16 (the released checkpoints; also models the profile does not train)."""
    name = (config.get("training") or {}).get("models", {}).get(model)
    if config.get("weights") == "official" or name is None:
        return 16
    path = Path(config["training"]["config_dir"]) / name
    return _training_config_stride(path if path.is_absolute() else REPO / path)  # relative to the repository


def model_counts(model: str, config: dict) -> ElementCounts:
    """The element counts ``model`` runs with in the profile ``config`` (at its key stride)."""
    return element_counts(config["inference"], key_stride(model, config))


@functools.lru_cache(maxsize=None)
def _training_config_stride(path: Path) -> int:
    from xmem.training.config import load_config
    from xmem.training.models import get_model_kind

    train = load_config(path, check_paths=False)
    return get_model_kind(train.model).resolve_config(train.network).key_stride
