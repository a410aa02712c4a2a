"""The inference benchmark's bookkeeping (agreement, lockstep) and a tiny run of this project alone."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_infer_vs_official.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_infer_vs_official", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module's annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_agreement_counts_only_pixels_beyond_the_margin():
    bench = load_bench()
    ours = [np.array([[0, 1, 2, 2]])]
    theirs = [np.array([[0, 1, 1, 2]])]
    # probabilities of `theirs` over 3 labels, per pixel: the third pixel is a near-tie
    probs = [np.array([[[0.9, 0.1, 0.2, 0.0]], [[0.05, 0.8, 0.4, 0.1]], [[0.05, 0.1, 0.3995, 0.9]]])]
    assert bench.agreement(ours, theirs, probs) == 0.75
    assert bench.agreement(ours, theirs, probs, margin=1e-3) == 1.0


def test_lockstep_interleaves_frames():
    bench = load_bench()
    order = []

    def fake(name):
        for t in range(3):
            order.append((name, t))
            yield np.full((1, 1), t), 0.5, np.zeros((1, 1, 1))

    tracks = bench.run_lockstep({"a": fake("a"), "b": fake("b")})
    assert order == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert tracks["a"].fps() == 2.0 and [int(m[0, 0]) for m in tracks["b"].masks] == [0, 1, 2]


def test_runs_this_project_alone(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(SCRIPT), "--skip-official", "--frames", "3", "--height", "64",
                           "--width", "96", "--threads", "1", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["frames"] == 3 and result["ours_fps"] > 0 and result["gflop_per_frame_Decoder"] > 0
