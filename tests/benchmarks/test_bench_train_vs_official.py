"""The training-fidelity benchmark's bookkeeping: its batch, the gradient statistic, bad input."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from bench_scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_train_vs_official.py"


def load_bench():
    return load_script("bench_train_vs_official")


def test_batch_has_a_padded_slot_and_an_empty_clip_selected_as_the_official_datasets_do():
    bench = load_bench()
    batch = bench.make_batch(32)
    assert batch.selector.tolist() == [[1, 1, 1], [1, 1, 0], [1, 0, 0]]
    assert batch.masks[1, :, 2].sum() == 0 and batch.masks[2].sum() == 0
    assert [int(batch.labels[s].max()) for s in range(3)] == [3, 2, 0]
    data = bench.official_data(batch, torch.float32)
    assert data["first_frame_gt"].shape == (3, 1, 3, 32, 32) and data["first_frame_gt"].dtype == torch.int64
    assert data["cls_gt"].shape == (3, 4, 1, 32, 32)
    assert [int(n) for n in data["info"]["num_objects"]] == [3, 2, 1]


def test_gradient_error_is_the_worst_parameter_and_skips_zero_gradients():
    bench = load_bench()
    ref = {"a": torch.tensor([3.0, 4.0]), "b": torch.tensor([1.0, 0.0]), "zero": torch.zeros(2)}
    grads = {"a": torch.tensor([3.0, 4.5]), "b": torch.tensor([1.0, 0.2]), "zero": torch.tensor([1e-9, 0.0])}
    worst, name, whole = bench.grad_error(grads, ref, skip=["zero"])
    assert (worst, name) == (pytest.approx(0.2), "b")  # a: 0.5 / 5 = 0.1, b: 0.2 / 1
    assert whole == pytest.approx(math.sqrt(0.25 + 0.04 + 1e-18) / math.sqrt(26))
    assert bench.zero_gradient_parameters(ref) == ["zero"]
    assert bench.grad_error(grads, ref, skip=[])[0] == math.inf


def test_missing_official_checkout_is_a_one_line_error(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), "--official-repo", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode != 0
    assert "no model/trainer.py" in run.stderr and len(run.stderr.strip().splitlines()) == 1
