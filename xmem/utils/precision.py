"""Mixed precision: which autocast a run uses, decided from the setting and the device.

A precision setting (training ``runtime.amp``, the workflow's ``inference.amp``) is ``true``,
``false`` or ``"auto"``. ``true`` is float16 autocast on CUDA (with gradient scaling in training:
the official trainer's and evaluator's default) and bfloat16 autocast on CPU; ``"auto"`` is
``true`` on CUDA and on a CPU with native bfloat16 kernels (AVX512-BF16 or AMX), ``false`` on
other CPUs, where oneDNN emulates bfloat16 and autocast is many times slower than float32.
"""

from __future__ import annotations

import functools
import logging
from contextlib import nullcontext
from typing import TYPE_CHECKING, Literal, Union

from xmem.utils.cpu import cpu_flags

if TYPE_CHECKING:  # torch is imported where it is used: planning jobs read AmpSetting without it
    import torch

log = logging.getLogger(__name__)

AUTO = "auto"
#: a precision setting as written in a config: true, false or "auto"
AmpSetting = Union[bool, Literal["auto"]]


@functools.cache
def native_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX); without them oneDNN
    emulates bf16 and autocast is slower than float32. Unknown (no probe works) counts as no.

    Not ``torch.ops.mkldnn._is_mkldnn_bf16_supported()``: that is true on every AVX-512 CPU,
    including those (Skylake-SP to Ice Lake) that only emulate bf16.
    """
    import torch

    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if all(callable(probe) for probe in probes):
        return any(bool(probe()) for probe in probes)
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def resolve_amp(setting: AmpSetting, device: torch.device, key: str = "amp") -> bool:
    """Whether autocast is on for ``setting`` on ``device`` (``"auto"``: CUDA, or a CPU with native bf16).

    An explicit ``true`` on a CPU without native bf16 is obeyed, with a warning naming ``key``
    (the setting's config key) and the fix.
    """
    if setting == AUTO:
        return device.type == "cuda" or (device.type == "cpu" and native_bf16())
    if not isinstance(setting, bool):
        raise ValueError(f"{key}: precision setting must be true, false or {AUTO!r}, got {setting!r}")
    if setting and device.type == "cpu" and not native_bf16():
        log.warning("%s: true, but this CPU has no native bfloat16 (AVX512-BF16 / AMX): bf16 autocast is emulated "
                    "and slower than float32 here (set %s: auto or false)", key, key)
    return setting


def uses_grad_scaler(enabled: bool, device: torch.device) -> bool:
    """Whether a training step under this autocast needs loss scaling (float16 only: bfloat16 has
    float32's exponent range)."""
    import torch

    return enabled and autocast_dtype(device) == torch.float16


def autocast_dtype(device: torch.device) -> torch.dtype:
    """The autocast dtype of ``device``: float16 on CUDA (official), bfloat16 on CPU."""
    import torch

    return torch.float16 if device.type == "cuda" else torch.bfloat16


def autocast(device: torch.device, enabled: bool):
    """``torch.autocast`` on ``device`` in :func:`autocast_dtype`, or a no-op context when not ``enabled``."""
    if not enabled:
        return nullcontext()
    import torch

    return torch.autocast(device_type=device.type, dtype=autocast_dtype(device))


def describe_precision(enabled: bool, device: torch.device) -> str:
    """``"float32"``, ``"bfloat16 autocast"`` or ``"float16 autocast"``: for logs and protocol notes."""
    return f"{str(autocast_dtype(device)).removeprefix('torch.')} autocast" if enabled else "float32"
