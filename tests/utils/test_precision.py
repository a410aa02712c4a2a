"""The precision setting (true / false / "auto") resolved per device."""

from __future__ import annotations

import pytest
import torch

from xmem.utils import precision
from xmem.utils.precision import autocast, describe_precision, resolve_amp

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize("native", [True, False])
def test_auto_follows_native_bf16_on_cpu_and_is_on_for_cuda(monkeypatch, native):
    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    assert resolve_amp("auto", CPU) is native
    assert resolve_amp("auto", CUDA) is True
    assert resolve_amp(True, CPU) is True and resolve_amp(False, CUDA) is False  # explicit settings win


def test_bad_setting_is_rejected():
    with pytest.raises(ValueError, match="inference.amp: .*auto"):
        resolve_amp("yes", CPU, "inference.amp")


@pytest.mark.parametrize(("native", "warns"), [(True, False), (False, True)])
def test_explicit_true_on_an_emulating_cpu_is_obeyed_with_a_warning(monkeypatch, caplog, native, warns):
    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    assert resolve_amp(True, CPU, "runtime.amp") is True
    assert ("runtime.amp: true, but this CPU has no native bfloat16" in caplog.text) is warns
    caplog.clear()
    assert resolve_amp(True, CUDA, "runtime.amp") is True and not caplog.text  # CUDA: float16, never emulated


@pytest.mark.parametrize(("avx512_bf16", "amx", "expected"), [(True, False, True), (False, True, True),
                                                              (False, False, False)])
def test_native_bf16_asks_for_the_instructions_not_for_avx512(monkeypatch, avx512_bf16, amx, expected):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    precision.native_bf16.cache_clear()
    try:
        assert precision.native_bf16() is expected
    finally:
        precision.native_bf16.cache_clear()


def test_native_bf16_falls_back_to_the_cpu_flags(monkeypatch):
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    precision.native_bf16.cache_clear()
    try:
        monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx2", "avx512f", "avx512bw"})  # Skylake-SP: emulated
        assert precision.native_bf16() is False
        precision.native_bf16.cache_clear()
        monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx512f", "avx512_bf16"})
        assert precision.native_bf16() is True
    finally:
        precision.native_bf16.cache_clear()


def test_grad_scaler_only_for_float16():
    assert precision.uses_grad_scaler(True, CUDA) and not precision.uses_grad_scaler(False, CUDA)
    assert not precision.uses_grad_scaler(True, CPU)


def test_autocast_dtype_per_device_and_names():
    with autocast(CPU, True):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    with autocast(CPU, False):
        assert not torch.is_autocast_enabled("cpu")
    assert describe_precision(True, CPU) == "bfloat16 autocast"
    assert describe_precision(True, CUDA) == "float16 autocast"
    assert describe_precision(False, CPU) == "float32"
