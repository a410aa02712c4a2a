"""Inference speed and agreement: this project vs the official XMem implementation, on CPU.

Usage (a checkout of https://github.com/hkchengrex/XMem is needed for the comparison; it is
imported from that path, never copied into this project):

    python benchmarks/bench_infer_vs_official.py --official-repo /path/to/XMem [--frames 60] [--amp]

Both run the paper's network (random weights, identical for both: ours are saved in the
official checkpoint format and loaded by the official code) with the paper's default memory
settings on a generated 480x854 clip with three objects. Prints frames/s of each, the speed-up,
the share of pixels whose masks agree, the GFLOPs per frame (torch's FlopCounterMode: convolutions
and matmuls, per network part), the achieved GFLOP/s and the machine's measured fp32 matmul peak.
Use --skip-official to time this project alone.

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
import time
from pathlib import Path

import numpy as np
import torch

from xmem.inference.config import InferenceConfig
from xmem.inference.core import InferenceCore
from xmem.inference.transforms import image_to_tensor
from xmem.memory.config import MemoryConfig
from xmem.model.checkpoint import load_network, save_network
from xmem.model.network import XMemNetwork
from xmem.inference.runner import prepare_network

H, W = 480, 854  # overridable with --height / --width
STEADY_FROM = 5 * 10  # r * T_max: from this frame on the working memory has filled once (paper defaults)


PROBS: dict[str, list[np.ndarray]] = {"ours": [], "ours_amp": [], "official": []}


def agreement(a: list[np.ndarray], b: list[np.ndarray], probs_b: list[np.ndarray], margin: float = 0.0) -> float:
    """Share of pixels with equal labels, over pixels whose top-2 probability gap in ``b`` exceeds ``margin``."""
    equal, total = 0, 0
    for x, y, p in zip(a, b, probs_b):
        top2 = np.sort(p, axis=0)[-2:]
        keep = (top2[1] - top2[0]) > margin
        equal += int((x == y)[keep].sum())
        total += int(keep.sum())
    return equal / max(total, 1)


def make_clip(num_frames: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Textured background with three moving textured ellipses; returns frames and the first mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    background = (rng.random((H // 8 + 1, W // 8 + 1, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)[:H, :W]
    frames, first = [], None
    for t in range(num_frames):
        img = background.copy()
        mask = np.zeros((H, W), np.uint8)
        for k in range(3):
            cy, cx = 120 + 110 * k, 150 + 8 * t + 180 * k
            inside = ((yy - cy) / 60.0) ** 2 + ((xx - cx) / 90.0) ** 2 <= 1
            img[inside] = (np.array([200, 60, 60]) if k == 0 else np.array([60, 200 - 50 * k, 60 + 80 * k]))
            mask[inside] = k + 1
        frames.append(img)
        if t == 0:
            first = mask
    return frames, first


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


def run_ours(weights: Path, frames, first_mask, amp: bool, record: bool = True) -> tuple[list[np.ndarray], list[float]]:
    network = prepare_network(load_network(weights), torch.device("cpu"))
    config = InferenceConfig(size=-1, memory=MemoryConfig(), amp=amp)
    core = InferenceCore(network, config, num_frames=len(frames))
    one_hot = torch.from_numpy(np.stack([(first_mask == k).astype(np.float32) for k in (1, 2, 3)]))
    masks, times = [], []
    tensors = [image_to_tensor(f) for f in frames]
    for t, image in enumerate(tensors):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            prob = core.step(image, one_hot if t == 0 else None, last=t == len(frames) - 1)
        out = prob.float().argmax(0).numpy().astype(np.uint8)
        times.append(time.perf_counter() - start)
        masks.append(out)
        if record:
            PROBS["ours_amp" if amp else "ours"].append(prob.float().numpy())
    return masks, times


def count_flops(weights: Path, frames, first_mask) -> tuple[float, dict[str, float]]:
    """GFLOP per frame of this project's fp32 inference (matmuls and convolutions, counted by
    torch's FlopCounterMode over the whole clip), and GFLOP per frame of each network part."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        run_ours(weights, frames, first_mask, amp=False, record=False)
    parts = {name: sum(ops.values()) / len(frames) / 1e9  # top-level modules: KeyEncoder, Decoder, ...
             for name, ops in counter.get_flop_counts().items() if "." not in name and name != "Global"}
    return counter.get_total_flops() / len(frames) / 1e9, parts


def run_official(repo: Path, weights: Path, frames, first_mask) -> tuple[list[np.ndarray], list[float]]:
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
    core = OfficialCore(network, config=config)
    core.set_all_labels([1, 2, 3])
    one_hot = torch.from_numpy(np.stack([(first_mask == k).astype(np.float32) for k in (1, 2, 3)]))
    masks, times = [], []
    tensors = [image_to_tensor(f) for f in frames]
    with torch.no_grad():
        for t, image in enumerate(tensors):
            start = time.perf_counter()
            prob = core.step(image, one_hot if t == 0 else None, [1, 2, 3] if t == 0 else None,
                             end=t == len(frames) - 1)
            out = prob.argmax(0).numpy().astype(np.uint8)
            times.append(time.perf_counter() - start)
            masks.append(out)
            PROBS["official"].append(prob.float().numpy())
    return masks, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", type=Path, default=None)
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--amp", action="store_true", help="also time this project with bf16 autocast")
    parser.add_argument("--skip-flops", action="store_true", help="do not count FLOPs (a third pass over the clip)")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=854)
    args = parser.parse_args()
    global H, W
    H, W = args.height, args.width
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    weights = Path("/tmp/xmem_bench_weights.pth")
    network = XMemNetwork().eval()
    with torch.no_grad():  # random keys of the default init overflow the official (unstabilised) top-k softmax
        network.key_proj.key_proj.weight.mul_(0.05)
    save_network(network, weights)
    frames, first = make_clip(args.frames)
    result: dict = {"frames": args.frames, "threads": args.threads, "size": f"{H}x{W}", "objects": 3}
    result["peak_matmul_gflops"] = measure_peak_gflops(args.threads)

    ours, t_ours = run_ours(weights, frames, first, amp=False)
    result["ours_fps"] = len(t_ours) / sum(t_ours)
    if not args.skip_flops:
        gflop_per_frame, parts = count_flops(weights, frames, first)
        result["gflop_per_frame"] = gflop_per_frame
        for part, value in sorted(parts.items(), key=lambda kv: -kv[1]):
            result[f"gflop_per_frame_{part}"] = value
        result["achieved_gflops_fp32"] = gflop_per_frame * result["ours_fps"]
        result["achieved_share_of_peak_fp32"] = result["achieved_gflops_fp32"] / result["peak_matmul_gflops"]
    if args.amp:
        amp_masks, t_amp = run_ours(weights, frames, first, amp=True)
        result["ours_amp_fps"] = len(t_amp) / sum(t_amp)
        result["amp_pixel_agreement_vs_fp32"] = float(np.mean([np.mean(a == b) for a, b in zip(amp_masks, ours)]))
    if not args.skip_official:
        if args.official_repo is None:
            parser.error("--official-repo is required unless --skip-official")
        official, t_official = run_official(args.official_repo, weights, frames, first)
        result["official_fps"] = len(t_official) / sum(t_official)
        result["speedup_fp32"] = result["ours_fps"] / result["official_fps"]
        if len(frames) > STEADY_FROM + 5:  # memory full (T_max memory frames): the cost of long videos
            result["steady_from_frame"] = STEADY_FROM
            result["speedup_fp32_steady"] = float(np.mean(t_official[STEADY_FROM:]) / np.mean(t_ours[STEADY_FROM:]))
        if args.amp:
            result["speedup_amp"] = result["ours_amp_fps"] / result["official_fps"]
        result["pixel_agreement_fp32"] = agreement(ours, official, PROBS["official"])
        result["pixel_agreement_fp32_margin_1e-3"] = agreement(ours, official, PROBS["official"], 1e-3)
        result["max_prob_diff_fp32"] = max(float(np.abs(a - b).max()) for a, b in zip(PROBS["ours"], PROBS["official"]))
        if args.amp:
            result["pixel_agreement_amp"] = agreement(amp_masks, official, PROBS["official"])
    for key, value in result.items():
        print(f"{key:32s} {value:.4f}" if isinstance(value, float) else f"{key:32s} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
