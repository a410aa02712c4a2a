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
    with pytest.raises(ValueError, match="auto"):
        resolve_amp("yes", CPU)


def test_autocast_dtype_per_device_and_names():
    with autocast(CPU, True):
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
    with autocast(CPU, False):
        assert not torch.is_autocast_enabled("cpu")
    assert describe_precision(True, CPU) == "bfloat16 autocast"
    assert describe_precision(True, CUDA) == "float16 autocast"
    assert describe_precision(False, CPU) == "float32"
