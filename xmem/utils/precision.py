"""Mixed precision: which autocast a run uses, decided from the setting and the device.

A precision setting (training ``runtime.amp``, the workflow's ``inference.amp``) is ``true``,
``false`` or ``"auto"``. ``true`` is float16 autocast on CUDA (with gradient scaling in training:
the official trainer's and evaluator's default) and bfloat16 autocast on CPU; ``"auto"`` is
``true`` on CUDA and on a CPU with native bfloat16 kernels (AVX512-BF16 or AMX), ``false`` on
other CPUs, where oneDNN emulates bfloat16 and autocast is many times slower than float32.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Literal, Union

import torch

AUTO = "auto"
#: a precision setting as written in a config: true, false or "auto"
AmpSetting = Union[bool, Literal["auto"]]


def native_bf16() -> bool:
    """Whether oneDNN has bfloat16 kernels on this CPU (else bf16 matmuls are emulated)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # private API of torch: assume yes when it is gone
        return True


def resolve_amp(setting: AmpSetting, device: torch.device) -> bool:
    """Whether autocast is on for ``setting`` on ``device`` (``"auto"``: CUDA, or a CPU with native bf16)."""
    if setting == AUTO:
        return device.type == "cuda" or (device.type == "cpu" and native_bf16())
    if not isinstance(setting, bool):
        raise ValueError(f"precision setting must be true, false or {AUTO!r}, got {setting!r}")
    return setting


def autocast_dtype(device: torch.device) -> torch.dtype:
    """The autocast dtype of ``device``: float16 on CUDA (official), bfloat16 on CPU."""
    return torch.float16 if device.type == "cuda" else torch.bfloat16


def autocast(device: torch.device, enabled: bool):
    """``torch.autocast`` on ``device`` in :func:`autocast_dtype`, or a no-op context when not ``enabled``."""
    if not enabled:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=autocast_dtype(device))


def describe_precision(enabled: bool, device: torch.device) -> str:
    """``"float32"``, ``"bfloat16 autocast"`` or ``"float16 autocast"``: for logs and protocol notes."""
    return f"{str(autocast_dtype(device)).removeprefix('torch.')} autocast" if enabled else "float32"
