"""The training-speed benchmark's bookkeeping (lockstep order, per-round ratios, FLOP count, batch)
and a tiny run of this project alone. No timing assertions."""

import json
import subprocess
import sys
from pathlib import Path

import torch

from bench_scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_train_speed.py"


def load_bench():
    return load_script("bench_train_speed")


def test_lockstep_interleaves_alternates_the_order_and_drops_the_warm_up_round():
    bench = load_bench()
    order, ticks = [], iter(range(100))

    def step(name):
        def run():
            order.append(name)
            return float(len(order))
        return run

    seconds, losses = bench.run_lockstep({"a": step("a"), "b": step("b")}, rounds=2, clock=lambda: next(ticks))
    assert order == ["a", "b", "b", "a", "a", "b"]
    assert seconds == {"a": [1, 1], "b": [1, 1]} and losses == {"a": 1.0, "b": 2.0}


def test_speedups_are_medians_of_per_round_ratios():
    bench = load_bench()
    seconds = {"official": [10.0, 20.0, 30.0], "ours": [5.0, 40.0, 10.0]}
    assert bench.speedups(seconds, "official") == {"ours": 2.0}  # ratios 2, 0.5, 3
    assert bench.per_round_ratios(seconds, "official") == {"ours": [2.0, 0.5, 3.0]}


def test_quartiles_interpolate_between_sorted_values():
    bench = load_bench()
    assert bench.quartiles([3.0, 1.0, 2.0, 4.0, 5.0]) == (2.0, 3.0, 4.0)
    assert bench.quartiles([1.0, 2.0]) == (1.25, 1.5, 1.75)
    assert bench.quartiles([0.7]) == (0.7, 0.7, 0.7)


def test_flop_count_of_a_matmul_forward_backward():
    bench = load_bench()
    a = torch.randn(8, 16, requires_grad=True)
    b = torch.randn(16, 4)
    gflop = bench.count_gflop(lambda: float((a @ b).sum().backward() or 0))
    assert gflop * 1e9 == 2 * (2 * 8 * 16 * 4)  # forward + the gradient of a


def test_batch_has_the_requested_objects():
    batch = load_bench().make_batch(2, 3, 3, 32)
    assert batch.images.shape == (2, 3, 3, 32, 32) and batch.masks.shape == (2, 3, 3, 32, 32)
    assert batch.masks.sum(2).max() == 1 and batch.selector.tolist() == [[1.0] * 3] * 2


def test_runs_this_project_alone(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--skip-official", "--variants", "ours", "ours_nchw",
                           "--profile", "tiny", "--size", "32", "--frames", "4", "--rounds", "1", "--threads", "1",
                           "--skip-peak", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["variants"] == ["ours", "ours_nchw"] and "speedup_ours_nchw_vs_ours" in result
    assert result["speedup_ours_nchw_vs_ours_q1"] <= result["speedup_ours_nchw_vs_ours"] <= \
        result["speedup_ours_nchw_vs_ours_q3"]
    assert result["gflop_per_fwd_bwd"] > 0 and result["loss"]["ours"] > 0
    assert abs(result["loss"]["ours"] - result["loss"]["ours_nchw"]) < 1e-4 * result["loss"]["ours"]
