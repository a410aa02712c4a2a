"""The inference benchmark's bookkeeping (agreement, lockstep) and a tiny run of this project alone."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench_scripts import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_infer_vs_official.py"


def load_bench():
    return load_script("bench_infer_vs_official")


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
    assert result["frames"] == 3 and result["ours_fps"] > 0 and 0 <= result["ours_mean_iou_vs_truth"] <= 1 and result["gflop_per_frame_Decoder"] > 0


def test_mean_iou_over_objects_after_the_prompt():
    bench = load_bench()
    truth = [np.array([[1, 2, 3, 0]]), np.array([[1, 1, 2, 3]])]
    pred = [np.zeros((1, 4), np.uint8), np.array([[1, 0, 2, 2]])]  # the prompt frame is not scored
    # object 1: 1/2, object 2: 1/2 (pred covers two pixels, truth one), object 3: 0/1
    assert bench.mean_iou(pred, truth, [1, 2, 3]) == (0.5 + 0.5 + 0.0) / 3


def test_clip_truth_matches_the_drawn_objects():
    bench = load_bench()
    bench.H, bench.W = 240, 427
    frames, truth = bench.make_clip(2)
    assert len(frames) == len(truth) == 2 and set(np.unique(truth[0])) == {0, 1, 2, 3}
    assert (truth[0] == 1).sum() > 1000 and (frames[0][truth[0] == 1] == [200, 60, 60]).all()
    assert not np.array_equal(truth[0], truth[1])  # the objects move


def _write_video(root, masks_for):
    from PIL import Image

    (root / "frames").mkdir()
    (root / "masks").mkdir()
    for t in range(3):
        Image.fromarray(np.full((8, 12, 3), 40 * t, np.uint8)).save(root / "frames" / f"{t:05d}.jpg")
        if t in masks_for:
            mask = np.zeros((8, 12), np.uint8)
            mask[:2, :2], mask[4:, 6:], mask[0, 11] = 7, 3, 255  # ids 3 and 7, a void pixel
            if t > 0:
                mask[6:, :2] = 9  # an id the prompt does not have
            Image.fromarray(mask).save(root / "masks" / f"{t:05d}.png")


def test_read_video_renumbers_the_prompt_ids(tmp_path):
    bench = load_bench()
    _write_video(tmp_path, masks_for={0, 2})
    frames, truth = bench.read_video(tmp_path / "frames", tmp_path / "masks", max_frames=10)
    assert len(frames) == 3 and frames[0].shape == (8, 12, 3)
    assert truth[1] is None  # no PNG for this frame
    assert truth[0][0, 0] == 2 and truth[0][5, 7] == 1 and truth[0][0, 11] == 0  # 3 -> 1, 7 -> 2, 255 -> 0
    assert truth[2][7, 0] == 0  # id 9 is not in the prompt
    assert bench.object_labels(truth[0]) == [1, 2]
    assert bench.one_hot_first(truth[0]).shape == (2, 8, 12)
    assert len(bench.read_video(tmp_path / "frames", tmp_path / "masks", max_frames=2)[0]) == 2


def test_read_video_without_a_prompt_fails_with_the_file(tmp_path):
    bench = load_bench()
    _write_video(tmp_path, masks_for={2})
    with pytest.raises(SystemExit, match=r"00000\.png: the first frame has no mask"):
        bench.read_video(tmp_path / "frames", tmp_path / "masks", max_frames=10)


def test_agreement_counts_non_finite_reference_pixels_as_disagreements():
    bench = load_bench()
    labels = [np.array([[1, 1]])]
    probs = [np.array([[[0.1, np.nan]], [[0.9, np.nan]]])]  # the second pixel overflowed in the reference
    assert bench.agreement(labels, labels, probs) == 0.5
    assert bench.agreement(labels, labels, probs, margin=1e-3) == 0.5
