"""Full training state (``DIR/checkpoint.pth``): save atomically, load, restore RNGs.

Content (all loadable with ``torch.load(weights_only=True)``)::

    {'format': 'xmem-training-state/1',
     'stage_index': int, 'stage': str, 'iteration': int (completed iterations of that stage),
     'network': state dict, 'optimizer': state dict, 'scheduler': state dict,
     'scaler': state dict or None, 'rng': {'python', 'numpy', 'torch', 'cuda'},
     'sampler': {'seed': int, 'stage_index': int, 'next_iteration': int},
     'config': the resolved training config (plain data), 'world_size': int}

The sampler is stateless (``xmem.training.sampling``): its state is the next iteration.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from xmem.errors import XMemError
from xmem.utils.atomic import atomic_path

STATE_FORMAT = "xmem-training-state/1"
STATE_FILE = "checkpoint.pth"


def capture_rng_state() -> dict[str, Any]:
    """Python, numpy, torch (and CUDA) global RNG states as tensors and plain data."""
    np_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {
            "bit_generator": np_state["bit_generator"],
            "key": torch.from_numpy(np_state["state"]["key"].astype(np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`."""
    random.setstate(_as_tuple(state["python"]))
    n = state["numpy"]
    np.random.set_state({
        "bit_generator": n["bit_generator"],
        "state": {"key": n["key"].numpy().astype(np.uint32), "pos": int(n["pos"])},
        "has_gauss": int(n["has_gauss"]),
        "gauss": float(n["gauss"]),
    })
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuple(v) for v in value)
    return value


def save_training_state(path: str | Path, **content: Any) -> None:
    """Write the training state atomically (a crash leaves the previous file intact)."""
    state = {"format": STATE_FORMAT, **content}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_training_state(path: str | Path) -> dict[str, Any]:
    """Read a training state written by :func:`save_training_state`; XMemError if unusable."""
    path = Path(path)
    if not path.is_file():
        raise XMemError(f"{path}: no training state to resume from; run without --resume")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated / corrupt files raise many types
        raise XMemError(f"{path}: corrupt training state ({type(exc).__name__}); delete it to restart") from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise XMemError(f"{path}: not an xmem training state (expected format {STATE_FORMAT})")
    return state
