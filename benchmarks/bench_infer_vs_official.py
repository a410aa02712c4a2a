"""Inference speed and agreement: this project vs the official XMem implementation, on CPU.

Usage (a checkout of https://github.com/hkchengrex/XMem is needed for the comparison; it is
imported from that path, never copied into this project):

    python benchmarks/bench_infer_vs_official.py --official-repo /path/to/XMem [--frames 60] [--amp]

Both run the paper's network (random weights unless --weights, identical for both: ours are
saved in the official checkpoint format and loaded by the official code) with the paper's
default memory settings on a generated 480x854 clip with three objects, or on a video of yours
(--video FRAMES_DIR MASKS_DIR, DAVIS layout, native resolution). Prints frames/s of each, the
speed-up, the share of pixels whose masks agree, the mean IoU of each against the clip's truth
(agreement on weights that segment nothing would mean little), the GFLOPs per frame (torch's
FlopCounterMode: convolutions and matmuls, per network part), the achieved GFLOP/s and the
machine's measured fp32 matmul peak. Use --skip-official to time this project alone,
--weights to run released weights (XMem.pth) or config/train/bench_paper_net.yaml's briefly
trained paper network.

The implementations advance in lockstep, one frame each in turn, so that the machine's speed
drifting during the run (other load, clock changes; this is a shared VM) affects both alike.

Random weights give near-uniform probabilities: after a few frames most pixels are within 1e-3
of a tie between two labels, so rounding differences alone flip labels there. The benchmark
prints the official top-2 gap distribution, the agreement restricted to pixels beyond a 1e-3 gap,
and with --rounding-reference the agreement of the official code with itself run in the NHWC
memory layout this project uses (same math, other summation order): the floor that rounding
alone sets for the agreement on these weights.

The clip should be long enough for the memory to fill (working memory reaches T_max = 10 memory
frames at frame 45 with r = 5), as on real videos: the memory read's cost grows with the memory.
This project reads the top-k memory from its k non-zeros per query (torch's embedding_bag, not
counted by FlopCounterMode; 2*k*C FLOPs per query), the official code multiplies by a dense
affinity with N - k zeros per query.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from xmem.inference.config import InferenceConfig
from xmem.inference.predictor import VideoPredictor
from xmem.inference.transforms import image_to_tensor
from xmem.memory.config import MemoryConfig
from xmem.model.checkpoint import load_network, save_network
from xmem.model.network import XMemNetwork

H, W = 480, 854  # overridable with --height / --width
STEADY_FROM = 5 * 10  # r * T_max: from this frame on the working memory has filled once (paper defaults)


def agreement(a: list[np.ndarray], b: list[np.ndarray], probs_b: list[np.ndarray], margin: float = 0.0) -> float:
    """Share of pixels with equal labels, over pixels whose top-2 probability gap in ``b`` exceeds
    ``margin``. Pixels where ``b``'s probabilities are not finite always count, as disagreements."""
    equal, total = 0, 0
    for x, y, p in zip(a, b, probs_b):
        top2 = np.sort(p, axis=0)[-2:]
        finite = np.isfinite(p).all(axis=0)
        keep = ~((top2[1] - top2[0]) <= margin)  # NaN gaps are kept
        equal += int(((x == y) & finite)[keep].sum())
        total += int(keep.sum())
    return equal / max(total, 1)


def make_clip(num_frames: int, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Blocky random background with three moving flat-coloured ellipses (semi-axes 60 x 90
    pixels at 480x854, scaled with the frame); returns the frames and the true label map of
    every frame (the first one is the prompt)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    background = (rng.random((H // 8 + 1, W // 8 + 1, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)[:H, :W]
    sy, sx = H / 480, W / 854  # the layout is drawn for 480x854 and scaled to the frame
    frames, truth = [], []
    for t in range(num_frames):
        img = background.copy()
        mask = np.zeros((H, W), np.uint8)
        for k in range(3):
            cy, cx = (120 + 110 * k) * sy, (150 + 8 * t + 180 * k) * sx
            inside = ((yy - cy) / (60.0 * sy)) ** 2 + ((xx - cx) / (90.0 * sx)) ** 2 <= 1
            img[inside] = (np.array([200, 60, 60]) if k == 0 else np.array([60, 200 - 50 * k, 60 + 80 * k]))
            mask[inside] = k + 1
        frames.append(img)
        truth.append(mask)
    return frames, truth


def max_finite_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Largest absolute difference over the pixels where both are finite."""
    return max((float(np.abs(x - y)[np.isfinite(x - y)].max(initial=0.0)) for x, y in zip(a, b)), default=0.0)


def read_video(frames_dir: Path, masks_dir: Path, max_frames: int) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """A DAVIS-style video: ``frames_dir/*.jpg`` and ``masks_dir/<frame>.png`` (the first frame's
    mask is the prompt; frames without a PNG have no truth). Object ids are renumbered 1..K in the
    order of the prompt's ids; ids absent from the prompt (and the void label 255) become 0."""
    from PIL import Image

    paths = sorted(p for p in frames_dir.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:max_frames]
    if not paths:
        raise SystemExit(f"{frames_dir}: no frames (*.jpg / *.png); pass a folder of one video's frames")
    first_png = masks_dir / f"{paths[0].stem}.png"
    if not first_png.is_file():
        raise SystemExit(f"{first_png}: the first frame has no mask; pass the video's annotation folder")
    ids = [int(i) for i in np.unique(np.array(Image.open(first_png))) if i not in (0, 255)]
    if not ids:
        raise SystemExit(f"{first_png}: the prompt has no object")
    lookup = np.zeros(256, np.uint8)
    lookup[ids] = np.arange(1, len(ids) + 1)
    frames, truth = [], []
    for path in paths:
        frames.append(np.array(Image.open(path).convert("RGB")))
        png = masks_dir / f"{path.stem}.png"
        truth.append(lookup[np.array(Image.open(png))] if png.is_file() else None)
    return frames, truth


def mean_iou(masks: list[np.ndarray], truth: list[np.ndarray | None], labels: list[int]) -> float:
    """Mean IoU over objects and frames after the prompt: whether the weights segment the clip
    at all (agreement on weights that output background everywhere would mean nothing)."""
    ious = []
    for pred, gt in zip(masks[1:], truth[1:]):
        if gt is None:
            continue
        for k in labels:
            union = np.logical_or(pred == k, gt == k).sum()
            ious.append(np.logical_and(pred == k, gt == k).sum() / union if union else 1.0)
    return float(np.mean(ious))


def measure_peak_gflops(threads: int) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    best = 0.0  # best of several short trials: the probe is noisy on a shared machine
    for _ in range(5):
        start, reps = time.perf_counter(), 5
        for _ in range(reps):
            a @ b
        best = max(best, 2 * 2048**3 * reps / (time.perf_counter() - start) / 1e9)
    return best


@dataclass
class Track:
    """What one implementation produced: per-frame labels, seconds and probabilities."""

    masks: list[np.ndarray] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    probs: list[np.ndarray] = field(default_factory=list)

    def fps(self, start: int = 0) -> float:
        return (len(self.seconds) - start) / sum(self.seconds[start:])


def object_labels(first_mask: np.ndarray) -> list[int]:
    """The prompt's objects, numbered 1..K (as make_clip and read_video number them)."""
    return list(range(1, int(first_mask.max()) + 1))


def one_hot_first(first_mask: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.stack([(first_mask == k).astype(np.float32) for k in object_labels(first_mask)]))


def ours_frames(weights: Path, frames, first_mask, amp: bool) -> Iterator[tuple[np.ndarray, float, np.ndarray]]:
    """This project through its public API (xmem.VideoPredictor), one frame per ``next``:
    (labels, seconds of the step, probabilities)."""
    predictor = VideoPredictor(load_network(weights), InferenceConfig(size=-1, memory=MemoryConfig(), amp=amp))
    for out in predictor.track(frames, masks={0: first_mask}):
        yield out.mask, out.seconds, out.probabilities.numpy()


def official_frames(repo: Path, weights: Path, frames, first_mask,
                    channels_last: bool = False) -> Iterator[tuple[np.ndarray, float, np.ndarray]]:
    """The official implementation (imported from ``repo``), one frame per ``next``.
    ``channels_last`` converts its network to the NHWC layout this project runs in: the same
    math with another summation order, which measures how far rounding alone moves the masks."""
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    import torch.utils.model_zoo as model_zoo  # the official ResNets fetch ImageNet weights: give random ones
    import torchvision

    model_zoo.load_url = lambda url, *a, **k: (
        torchvision.models.resnet50() if "resnet50" in url else torchvision.models.resnet18()
    ).state_dict()
    from inference.inference_core import InferenceCore as OfficialCore  # type: ignore
    from model.network import XMem  # type: ignore

    config = dict(top_k=30, mem_every=5, deep_update_every=-1, enable_long_term=True,
                  enable_long_term_count_usage=False, max_mid_term_frames=10, min_mid_term_frames=5,
                  num_prototypes=128, max_long_term_elements=10000)
    network = XMem(config, str(weights), map_location="cpu").eval()
    if channels_last:
        network = network.to(memory_format=torch.channels_last)
    core = OfficialCore(network, config=config)
    labels = object_labels(first_mask)
    core.set_all_labels(labels)
    one_hot = one_hot_first(first_mask)
    with torch.no_grad():
        for t, image in enumerate(image_to_tensor(f) for f in frames):
            start = time.perf_counter()
            prob = core.step(image, one_hot if t == 0 else None, labels if t == 0 else None,
                             end=t == len(frames) - 1)
            yield prob.argmax(0).numpy().astype(np.uint8), time.perf_counter() - start, prob.float().numpy()


def run_lockstep(runs: dict[str, Iterator]) -> dict[str, Track]:
    """Advance every implementation one frame at a time, in turn, so that a drift of the
    machine's speed (other load, frequency changes) affects all of them alike."""
    tracks = {name: Track() for name in runs}
    for step in zip(*runs.values()):
        for name, (labels, seconds, prob) in zip(runs, step):
            tracks[name].masks.append(labels)
            tracks[name].seconds.append(seconds)
            tracks[name].probs.append(prob)
    return tracks


def count_flops(weights: Path, frames, first_mask) -> tuple[float, dict[str, float]]:
    """GFLOP per frame of this project's fp32 inference (matmuls and convolutions, counted by
    torch's FlopCounterMode over the whole clip), and GFLOP per frame of each network part."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        for _ in ours_frames(weights, frames, first_mask, amp=False):
            pass
    parts = {name: sum(ops.values()) / len(frames) / 1e9  # top-level modules: QueryEncoder, Decoder, ...
             for name, ops in counter.get_flop_counts().items() if "." not in name and name != "Global"}
    return counter.get_total_flops() / len(frames) / 1e9, parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", type=Path, default=None)
    parser.add_argument("--weights", type=Path, default=None,
                        help="paper-architecture weights for both (e.g. XMem.pth); default: random weights")
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--amp", action="store_true", help="also time this project with bf16 autocast")
    parser.add_argument("--skip-flops", action="store_true", help="do not count FLOPs (a third pass over the clip)")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--rounding-reference", action="store_true",
                        help="also run the official code in the NHWC layout this project uses, in lockstep: its "
                             "agreement with the official NCHW masks is what rounding alone changes")
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=854)
    parser.add_argument("--video", type=Path, nargs=2, metavar=("FRAMES_DIR", "MASKS_DIR"), default=None,
                        help="run on this video (e.g. DAVIS JPEGImages/480p/<video> Annotations/480p/<video>) "
                             "instead of the generated clip; the first frame's mask is the prompt")
    args = parser.parse_args()
    global H, W
    H, W = args.height, args.width
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.weights is None:
        weights = Path(tempfile.gettempdir()) / "xmem_bench_weights.pth"
        network = XMemNetwork().eval()
        with torch.no_grad():  # random keys of the default init overflow the official (unstabilised) top-k softmax
            network.key_proj.key_proj.weight.mul_(0.05)
        save_network(network, weights)
    else:
        weights = args.weights
    if args.video:
        frames, truth = read_video(args.video[0], args.video[1], args.frames)
        H, W = frames[0].shape[:2]
    else:
        frames, truth = make_clip(args.frames)
    first = truth[0]
    labels = object_labels(first)
    result: dict = {"clip": str(args.video[0]) if args.video else "generated", "frames": len(frames),
                    "threads": args.threads, "size": f"{H}x{W}", "objects": len(labels)}
    result["peak_matmul_gflops"] = measure_peak_gflops(args.threads)

    runs: dict[str, Iterator] = {"ours": ours_frames(weights, frames, first, amp=False)}
    if args.amp:
        runs["ours_amp"] = ours_frames(weights, frames, first, amp=True)
    if not args.skip_official:
        if args.official_repo is None:
            parser.error("--official-repo is required unless --skip-official")
        runs["official"] = official_frames(args.official_repo, weights, frames, first)
        if args.rounding_reference:
            runs["official_nhwc"] = official_frames(args.official_repo, weights, frames, first, channels_last=True)
    tracks = run_lockstep(runs)
    ours = tracks["ours"]
    result["ours_fps"] = ours.fps()
    result["ours_mean_iou_vs_truth"] = mean_iou(ours.masks, truth, labels)
    if args.amp:
        result["ours_amp_fps"] = tracks["ours_amp"].fps()
        result["amp_pixel_agreement_vs_fp32"] = float(np.mean(
            [np.mean(a == b) for a, b in zip(tracks["ours_amp"].masks, ours.masks)]))
    if not args.skip_official:
        official = tracks["official"]
        result["official_fps"] = official.fps()
        result["official_mean_iou_vs_truth"] = mean_iou(official.masks, truth, labels)
        # the official top-k softmax exponentiates without subtracting the maximum: large
        # similarities overflow to inf / inf = NaN (this project's softmax is stabilised)
        result["official_frames_with_nonfinite_probs"] = sum(not np.isfinite(p).all() for p in official.probs)
        result["speedup_fp32"] = result["ours_fps"] / result["official_fps"]
        if len(frames) > STEADY_FROM + 5:  # memory full (T_max memory frames): the cost of long videos
            result["steady_from_frame"] = STEADY_FROM
            result["speedup_fp32_steady"] = ours.fps(STEADY_FROM) / official.fps(STEADY_FROM)
        if args.amp:
            result["speedup_amp"] = result["ours_amp_fps"] / result["official_fps"]
        result["pixel_agreement_fp32"] = agreement(ours.masks, official.masks, official.probs)
        result["pixel_agreement_fp32_margin_1e-3"] = agreement(ours.masks, official.masks, official.probs, 1e-3)
        result["max_prob_diff_fp32"] = max_finite_diff(ours.probs, official.probs)
        gaps = np.concatenate([np.diff(np.sort(p, axis=0)[-2:], axis=0).ravel() for p in official.probs[1:]])
        gaps = gaps[np.isfinite(gaps)]
        result["official_top2_gap_median"] = float(np.median(gaps))
        result["official_top2_gap_below_1e-3"] = float(np.mean(gaps < 1e-3))
        if args.amp:
            result["pixel_agreement_amp"] = agreement(tracks["ours_amp"].masks, official.masks, official.probs)
        if args.rounding_reference:
            nhwc = tracks["official_nhwc"]
            result["official_nhwc_fps"] = nhwc.fps()
            result["pixel_agreement_official_nhwc_vs_official"] = agreement(nhwc.masks, official.masks, official.probs)
            result["max_prob_diff_official_nhwc_vs_official"] = max_finite_diff(nhwc.probs, official.probs)
            result["pixel_agreement_fp32_vs_official_nhwc"] = agreement(ours.masks, nhwc.masks, nhwc.probs)
    if not args.skip_flops:  # after the timed runs: FlopCounterMode slows every op down
        gflop_per_frame, parts = count_flops(weights, frames, first)
        result["gflop_per_frame"] = gflop_per_frame
        for part, value in sorted(parts.items(), key=lambda kv: -kv[1]):
            result[f"gflop_per_frame_{part}"] = value
        result["achieved_gflops_fp32"] = gflop_per_frame * result["ours_fps"]
        result["achieved_share_of_peak_fp32"] = result["achieved_gflops_fp32"] / result["peak_matmul_gflops"]
    for key, value in result.items():
        print(f"{key:32s} {value:.4f}" if isinstance(value, float) else f"{key:32s} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
