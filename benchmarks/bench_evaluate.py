"""Time `xmem evaluate` (DAVIS protocol) against vos-benchmark on the same data.

    python benchmarks/bench_evaluate.py [--processes 1] [--repeats 3] [--times 1]

Data: the davis-eval fixture (../shared/fixtures/davis-eval) copied to a temporary
directory with the void label 255 set to background in the ground truth, because
vos-benchmark scores 255 as an extra object while the DAVIS protocol treats it as
background; on void-free data both tools do the same work and must give the same
per-object J and F means. ``--times N`` repeats every sequence N times (as extra
sequences) for a larger set. ``--data large`` uses synthetic 480p sequences whose two
objects cover most of the frame instead (the case where cropping to object windows
helps least). Prints wall-clock times (best of ``--repeats``), the speed ratio and the
largest per-object difference between the two tools.

Needs ``pip install vos-benchmark`` (it pulls scikit-image).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from xmem.evaluation import evaluate_davis
from xmem.utils.masks import read_index_mask, read_palette, write_index_mask

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "davis-eval"


def build_data(dst: Path, times: int) -> tuple[Path, Path]:
    """Void-free copy of the fixture, each sequence repeated ``times`` times."""
    gt_dst, pred_dst = dst / "gt", dst / "pred"
    for seq_dir in sorted((FIXTURE / "gt").iterdir()):
        for k in range(times):
            name = seq_dir.name if k == 0 else f"{seq_dir.name}-copy{k}"
            (gt_dst / name).mkdir(parents=True)
            for png in sorted(seq_dir.glob("*.png")):
                mask = read_index_mask(png)
                mask[mask == 255] = 0
                write_index_mask(gt_dst / name / png.name, mask, read_palette(png))
            shutil.copytree(FIXTURE / "pred" / seq_dir.name, pred_dst / name)
    return gt_dst, pred_dst


def build_large(dst: Path, times: int, frames: int = 40) -> tuple[Path, Path]:
    """Synthetic sequences with two large moving ellipses; predictions are shifted copies."""
    import cv2

    rng = np.random.default_rng(0)
    for k in range(5 * times):
        centre = rng.uniform([250, 150], [600, 330])
        velocity = rng.uniform(-3, 3, size=2)
        for t in range(frames):
            gt = np.zeros((480, 854), np.uint8)
            c = centre + t * velocity
            cv2.ellipse(gt, (int(c[0]), int(c[1])), (300, 180), 0, 0, 360, 1, -1)
            cv2.ellipse(gt, (int(c[0]) - 100, int(c[1]) + 60), (150, 120), 15, 0, 360, 2, -1)
            shift = rng.integers(-6, 7, size=2)
            pred = np.roll(gt, tuple(int(v) for v in shift), axis=(0, 1))
            write_index_mask(dst / "gt" / f"seq{k:02d}" / f"{t:05d}.png", gt)
            write_index_mask(dst / "pred" / f"seq{k:02d}" / f"{t:05d}.png", pred)
    return dst / "gt", dst / "pred"


def run_ours(gt: Path, pred: Path, processes: int) -> dict[str, tuple[float, float]]:
    result = evaluate_davis(gt, pred, processes=processes)
    table = result.per_sequence
    return {row.Sequence: (row._2, row._3) for row in table.itertuples()}


def run_vos_benchmark(gt: Path, pred: Path, processes: int) -> dict[str, tuple[float, float]]:
    from vos_benchmark.benchmark import benchmark

    with contextlib.redirect_stdout(io.StringIO()):
        _, _, _, per_object = benchmark([str(gt)], [str(pred)], num_processes=processes, verbose=False)
    return {
        f"{seq}_{obj}": (iou[obj] / 100, boundary[obj] / 100)
        for seq, (iou, boundary) in per_object[0].items()
        for obj in iou
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--times", type=int, default=1, help="repeat every sequence this many times")
    parser.add_argument("--data", choices=["fixture", "large"], default="fixture",
                        help="the davis-eval fixture, or synthetic frame-filling objects")
    args = parser.parse_args()
    if importlib.util.find_spec("vos_benchmark") is None:
        print("vos-benchmark is not installed: pip install vos-benchmark", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as tmp:
        builder = build_data if args.data == "fixture" else build_large
        gt, pred = builder(Path(tmp), args.times)
        n_frames = sum(len(list(d.glob("*.png"))) - 2 for d in gt.iterdir())
        timings: dict[str, list[float]] = {"xmem evaluate": [], "vos-benchmark": []}
        outputs = {}
        for _ in range(args.repeats):
            for name, fn in (("xmem evaluate", run_ours), ("vos-benchmark", run_vos_benchmark)):
                start = time.perf_counter()
                outputs[name] = fn(gt, pred, args.processes)
                timings[name].append(time.perf_counter() - start)
            (pred / "results.csv").unlink(missing_ok=True)  # written by vos-benchmark

    ours, theirs = outputs["xmem evaluate"], outputs["vos-benchmark"]
    common = sorted(set(ours) & set(theirs))
    diff = max(abs(np.subtract(ours[k], theirs[k])).max() for k in common)
    print(f"data: {len(ours)} objects, {n_frames} scored frames; processes={args.processes}; best of {args.repeats}")
    for name, values in timings.items():
        print(f"  {name:14s} best {min(values):7.3f} s   median {statistics.median(values):7.3f} s")
    ratio = min(timings["vos-benchmark"]) / min(timings["xmem evaluate"])
    print(f"speed ratio (vos-benchmark / xmem evaluate, best times): {ratio:.2f}x")
    print(f"objects compared: {len(common)}/{len(ours)}; max |difference| of per-object J/F means: {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
