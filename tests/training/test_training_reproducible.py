"""Bit-reproducibility of `xmem train` on the smoke config: two fresh runs, and runs killed with
SIGKILL after a checkpoint and continued with --resume, give identical tensors (final network,
optimizer moments, scheduler, RNG states) and identical log.csv rows except the wall-clock columns.
Also with runtime.amp on CPU (bfloat16 autocast).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from xmem.training.train_log import TIMING_COLUMNS

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "config" / "train" / "smoke_xmem.yaml"


def _command(data: Path, out: Path, extra: tuple[str, ...]) -> list[str]:
    sets = [f"data.root={data}", "data.youtube.root=YouTube", "runtime.threads=1", "runtime.keep_checkpoint=true",
            "main.iterations=6", *extra]
    return [sys.executable, "-m", "xmem.cli", "train", "--config", str(SMOKE), "--out", str(out), "--no-progress",
            *[arg for s in sets for arg in ("--set", s)]]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def _train(data: Path, out: Path, extra: tuple[str, ...] = (), resume: bool = False) -> None:
    done = subprocess.run(_command(data, out, extra) + (["--resume"] if resume else []), env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _killed_then_resumed(data: Path, out: Path, kill_when, extra: tuple[str, ...] = ()) -> None:
    """Start a run, SIGKILL it as soon as ``kill_when(out)`` holds, then --resume it to the end."""
    process = subprocess.Popen(_command(data, out, extra), env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not kill_when(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        reached = kill_when(out)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert reached, "the run did not reach the kill point within 240 s (a heavily loaded machine?)"
    assert (out / "checkpoint.pth").is_file() and not (out / "network.pth").exists()
    _train(data, out, extra, resume=True)


def _in_main_stage(out: Path) -> bool:
    log = out / "log.csv"
    return log.is_file() and ",main," in log.read_text()


def _tensors(value, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor inside a (nested) training state, by path."""
    if isinstance(value, torch.Tensor):
        return {prefix: value}
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    found: dict[str, torch.Tensor] = {}
    for key, item in items:
        found.update(_tensors(item, f"{prefix}.{key}"))
    return found


def assert_same_run(a: Path, b: Path) -> None:
    for name in ("network.pth", "checkpoint.pth"):
        x = _tensors(torch.load(a / name, weights_only=True))
        y = _tensors(torch.load(b / name, weights_only=True))
        assert x.keys() == y.keys(), name
        different = [k for k in x if not torch.equal(x[k], y[k])]
        assert not different, f"{name}: {len(different)} of {len(x)} tensors differ, e.g. {different[:3]}"
    log_a, log_b = (pd.read_csv(p / "log.csv").drop(columns=TIMING_COLUMNS) for p in (a, b))
    pd.testing.assert_frame_equal(log_a, log_b, check_exact=True)


FLOAT32 = ("runtime.amp=false",)  # the configs say "auto": bf16 on a CPU with native bf16


@pytest.fixture(scope="module")
def fp32_run(train_data, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("repro") / "a"
    _train(train_data, out, FLOAT32)
    return out


def test_fresh_killed_and_resumed_runs_are_bit_identical(fp32_run, train_data, tmp_path):
    # the smoke config with main.iterations=6: static 4 iterations, main 6 + 1 fine-tuning, a log
    # row and a checkpoint every 2 iterations and at the end of each stage
    assert len(pd.read_csv(fp32_run / "log.csv")) == 2 + 4  # every iteration is in a compared row
    _train(train_data, tmp_path / "b", FLOAT32)
    assert_same_run(fp32_run, tmp_path / "b")
    _killed_then_resumed(train_data, tmp_path / "killed", _in_main_stage, FLOAT32)  # resumes from static 4 or main 2
    assert_same_run(fp32_run, tmp_path / "killed")


def test_bf16_autocast_runs_are_bit_identical(fp32_run, train_data, tmp_path):
    extra = ("runtime.amp=true",)
    _train(train_data, tmp_path / "a", extra)
    _killed_then_resumed(train_data, tmp_path / "killed", _in_main_stage, extra)
    assert_same_run(tmp_path / "a", tmp_path / "killed")
    net_bf16 = torch.load(tmp_path / "a" / "network.pth", weights_only=True)
    net_fp32 = torch.load(fp32_run / "network.pth", weights_only=True)
    assert any(not torch.equal(net_bf16[k], net_fp32[k]) for k in net_fp32)  # autocast did act
