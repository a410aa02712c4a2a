"""Training speed: forward + backward of one clip batch, this project vs the official XMem, on CPU.

Usage (a checkout of https://github.com/hkchengrex/XMem is needed for the comparison; it is
imported from that path, never copied into this project)::

    python benchmarks/bench_train_speed.py --official-repo /path/to/XMem [--rounds 6] [--amp]

Both run the network of ``config/train/paper_xmem.yaml`` (the paper's: ResNet-50 / ResNet-18,
C^k 64, C^v 512, C^h 64) with identical random weights (ours saved in the official checkpoint
format and loaded by the official code) on the same batch: 2 clips of 8 frames, 3 objects,
192x192, BatchNorm frozen (the official trainer runs the network in eval mode), 3 memory frames,
a deep update after every memorised frame (``--deep-update-prob 1``: both implementations then
do the same work; their random draws differ) and the plain cross-entropy + dice loss (before
the bootstrap warm-up). One timed unit is the clip forward, the loss and ``backward()`` — what
differs between the implementations; the optimizer step is the same AdamW call in both.

Implementations (``--variants``):
  ours        this project as the trainer runs it (``xmem.training.step.prepare_training_network``)
  ours_nchw   this project with the weights in the default NCHW layout (the channels-last question)
  official    the official ``XMem`` driven in the order of ``XMemTrainer.do_pass``, its ``LossComputer``
  ours_bf16   ``ours`` under bfloat16 autocast (``runtime.amp: true`` on CPU); with ``--amp``

They run in lockstep, one forward + backward each in turn per round (the order reversed every
other round), so that the machine's speed drifting (other load, clock changes; a shared VM)
affects all alike. The first round is a warm-up and not counted. Printed: each variant's median
seconds; the per-round ratios official / variant (its speed-up) summarised by their median and
interquartile range (``_q1``, ``_q3``: on a loaded machine single rounds vary by 2x or more, so
read a speed-up only with its spread and its number of rounds); the GFLOPs of one forward +
backward counted by torch's FlopCounterMode (convolutions and matmuls; ours fp32), the achieved
GFLOP/s and the machine's fp32 and bf16 matmul peaks (best of several 2048^2 products; 1024^2
for bf16 if it is slow); the 1-minute load average at the start and the end. ``--trace-ops N``
adds a torch.profiler table of one forward + backward per variant (where the time goes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from xmem.model.checkpoint import save_network
from xmem.training.batch import TrainingBatch
from xmem.training.config import load_config
from xmem.training.losses import clip_loss
from xmem.training.models import get_model_kind
from xmem.training.step import ClipModel, freeze_batchnorm, prepare_training_network
from xmem.utils.precision import autocast

PAPER_CONFIG = Path(__file__).resolve().parents[1] / "config" / "train" / "paper_xmem.yaml"
FwdBwd = Callable[[], float]  # one forward + backward; returns the loss


def make_batch(batch: int, frames: int, objects: int, size: int, seed: int = 0) -> TrainingBatch:
    """Random normalised frames with blocky masks of ``objects`` objects per clip (all real)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, frames, 3, size, size, generator=g)
    coarse = torch.randint(0, objects + 1, (batch, frames, size // 16, size // 16), generator=g)
    labels = coarse.repeat_interleave(16, -1).repeat_interleave(16, -2)
    masks = torch.stack([(labels == k + 1).float() for k in range(objects)], dim=2)
    return TrainingBatch(images, masks, torch.ones(batch, objects))


def build_ours(options: dict, weights: Path | None) -> torch.nn.Module:
    network = get_model_kind("xmem").build_network(options, False, {})
    if weights is not None:
        network.load_state_dict(torch.load(weights, weights_only=True))
    return network


def ours_step(network: torch.nn.Module, batch: TrainingBatch, *, channels_last: bool, amp: bool, num_ref_frames: int,
              deep_update_prob: float) -> FwdBwd:
    """This project's forward + loss + backward, as ``xmem.training.step.training_step`` runs them."""
    model = freeze_batchnorm(ClipModel(prepare_training_network(network, torch.device("cpu"), channels_last),
                                       get_model_kind("xmem")))

    def run() -> float:
        model.zero_grad(set_to_none=True)
        with autocast(torch.device("cpu"), amp):
            output = model(batch, num_ref_frames=num_ref_frames, generator=torch.Generator().manual_seed(0),
                           deep_update_prob=deep_update_prob)
        loss = clip_loss(output, batch, keep_fraction=1.0).total
        loss.backward()
        return float(loss.detach())

    return run


def import_official(repo: Path):
    """The official ``XMem`` network and ``LossComputer`` from ``repo`` (ImageNet downloads replaced
    by random torchvision weights: the weights are loaded from our checkpoint afterwards)."""
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    import torch.utils.model_zoo as model_zoo
    import torchvision

    model_zoo.load_url = lambda url, *a, **k: (
        torchvision.models.resnet50() if "resnet50" in url else torchvision.models.resnet18()
    ).state_dict()
    from model.losses import LossComputer  # type: ignore
    from model.network import XMem  # type: ignore

    return XMem, LossComputer


def official_step(repo: Path, weights: Path, batch: TrainingBatch, *, num_ref_frames: int,
                  deep_update_prob: float) -> FwdBwd:
    """The official network driven in the order of ``XMemTrainer.do_pass`` (written here against
    its public ``forward(mode, ...)`` interface), loss by its ``LossComputer`` before the warm-up."""
    XMem, LossComputer = import_official(repo)
    network = XMem({"single_object": False}, str(weights), map_location="cpu").eval()  # official: eval() for training
    hidden_dim = network.hidden_dim
    losses = LossComputer({"start_warm": 20000, "end_warm": 70000})
    frames, first_gt = batch.images, batch.masks[:, :1]
    b, t = frames.shape[:2]
    n = first_gt.shape[2]
    data = {"rgb": frames, "cls_gt": batch.labels.unsqueeze(2)}
    selector = batch.selector.unsqueeze(2).unsqueeze(2)
    rng = np.random.default_rng(0)
    torch_rng = torch.Generator().manual_seed(0)

    def memory_frames_of_sample(frame: int) -> torch.Tensor:
        earlier = 1 + torch.randperm(frame - 1, generator=torch_rng)[: num_ref_frames - 1]
        return torch.cat([torch.zeros(1, dtype=torch.int64), earlier])

    def run() -> float:
        network.zero_grad(set_to_none=True)
        key, shrinkage, selection, f16, f8, f4 = network("encode_key", frames)
        sensory = torch.zeros((b, n, hidden_dim, *key.shape[-2:]))
        value, sensory = network("encode_value", frames[:, 0], f16[:, 0], sensory, first_gt[:, 0])
        memory_values = [value]  # one [B, N, C, h, w] per memory frame
        predictions = {}
        for frame in range(1, t):
            stacked = torch.stack(memory_values, dim=3)  # [B, N, C, frames, h, w]
            if frame <= num_ref_frames:
                picked_keys, picked_shrinkage, picked_values = key[:, :, :frame], shrinkage[:, :, :frame], stacked
            else:  # frame 0 plus num_ref_frames - 1 distinct earlier frames, drawn per sample in order
                chosen = [memory_frames_of_sample(frame) for sample in range(b)]
                picked_keys = torch.stack([key[s, :, c] for s, c in enumerate(chosen)])
                picked_shrinkage = torch.stack([shrinkage[s, :, c] for s, c in enumerate(chosen)])
                picked_values = torch.stack([stacked[s, :, :, c] for s, c in enumerate(chosen)])
            readout = network("read_memory", key[:, :, frame], selection[:, :, frame], picked_keys, picked_shrinkage,
                              picked_values)
            is_last = frame == t - 1
            sensory, logits, masks = network("segment", (f16[:, frame], f8[:, frame], f4[:, frame]), readout, sensory,
                                             selector, h_out=not is_last)
            if not is_last:
                value, sensory = network("encode_value", frames[:, frame], f16[:, frame], sensory, masks,
                                         is_deep_update=rng.random() < deep_update_prob)
                memory_values.append(value)
            predictions[f"masks_{frame}"], predictions[f"logits_{frame}"] = masks, logits
        loss = losses.compute({**data, **predictions}, [n] * b, 0)["total_loss"]
        loss.backward()
        return float(loss.detach())

    return run


def run_lockstep(steps: dict[str, FwdBwd], rounds: int,
                 clock=time.perf_counter) -> tuple[dict[str, list[float]], dict[str, float]]:
    """A warm-up round and ``rounds`` timed rounds, each running every step once in turn, the
    order reversed every other round (A B, B A, A B, ...: a steady drift of the machine's speed
    then favours no step). Returns the seconds per step and timed round, and each step's loss in
    the warm-up round."""
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    losses: dict[str, float] = {}
    for r in range(rounds + 1):
        order = list(steps) if r % 2 == 0 else list(reversed(steps))
        for name in order:
            start = clock()
            loss = steps[name]()
            elapsed = clock() - start
            if r == 0:
                losses[name] = loss
            else:
                seconds[name].append(elapsed)
            print(f"round {r}{' (warm-up)' if r == 0 else ''} {name}: {elapsed:.2f} s  (load {os.getloadavg()[0]:.1f})",
                  file=sys.stderr, flush=True)
    return seconds, losses


def per_round_ratios(seconds: dict[str, list[float]], reference: str) -> dict[str, list[float]]:
    """Per timed round, reference seconds / variant seconds (the variant's speed-up in that round)."""
    return {name: [r / s for r, s in zip(seconds[reference], values)]
            for name, values in seconds.items() if name != reference}


def speedups(seconds: dict[str, list[float]], reference: str) -> dict[str, float]:
    """Median over rounds of reference seconds / variant seconds (same round), per variant."""
    return {name: statistics.median(ratios) for name, ratios in per_round_ratios(seconds, reference).items()}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile), linear interpolation between the sorted values
    (``statistics.quantiles(method="inclusive")``); all three equal for a single value."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def top_ops_table(step: FwdBwd, rows: int) -> str:
    """torch.profiler table of one forward + backward: the ``rows`` aten ops with most self CPU time."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows)


def count_gflop(step: FwdBwd) -> float:
    """GFLOP of one forward + backward (convolutions and matmuls), by FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops() / 1e9


def matmul_peak_gflops(dtype: torch.dtype, size: int = 2048, trials: int = 5, budget_s: float = 20.0) -> float:
    """Best GFLOP/s of size^2 matrix products in ``dtype`` (best of ``trials``: the machine is
    noisy); the size is halved while one product would take more than budget_s / (trials + 1)."""
    while True:
        a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
        start = time.perf_counter()
        a @ b
        first = time.perf_counter() - start
        if first * (trials + 1) <= budget_s or size <= 256:
            break
        size //= 2
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * size**3 / (time.perf_counter() - start) / 1e9)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", type=Path, default=None)
    parser.add_argument("--skip-official", action="store_true")
    parser.add_argument("--variants", nargs="+", default=["ours", "official"],
                        choices=["ours", "ours_nchw", "official", "ours_bf16"])
    parser.add_argument("--amp", action="store_true", help="add ours_bf16 (bfloat16 autocast)")
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (after one warm-up round)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--objects", type=int, default=3)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--num-ref-frames", type=int, default=3)
    parser.add_argument("--deep-update-prob", type=float, default=1.0)
    parser.add_argument("--profile", default=None, help="network profile instead of paper_xmem.yaml's (tests: tiny)")
    parser.add_argument("--skip-flops", action="store_true")
    parser.add_argument("--count-official-flops", action="store_true", help="also count the official code's FLOPs")
    parser.add_argument("--skip-peak", action="store_true")
    parser.add_argument("--trace-ops", type=int, default=0, metavar="ROWS",
                        help="after the timing, profile one forward + backward per variant (torch.profiler) and "
                             "print the ROWS ops with most self CPU time to stderr")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    args = parser.parse_args()
    variants = list(dict.fromkeys(args.variants + (["ours_bf16"] if args.amp else [])))
    if args.skip_official:
        variants = [v for v in variants if v != "official"]
    elif "official" in variants and args.official_repo is None:
        parser.error("--official-repo is required unless --skip-official")
    if args.profile and "official" in variants:
        parser.error("--profile: the official code builds only the paper's network; add --skip-official")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    options = dict(load_config(PAPER_CONFIG, check_paths=False).network)
    if args.profile:
        options = {"profile": args.profile}
    weights = Path(tempfile.mkdtemp(prefix="xmem_train_bench_")) / "weights.pth"  # own file: runs may overlap
    save_network(build_ours(options, None), weights)
    batch = make_batch(args.batch, args.frames, args.objects, args.size)
    common = dict(num_ref_frames=args.num_ref_frames, deep_update_prob=args.deep_update_prob)
    makers = {
        "ours": lambda: ours_step(build_ours(options, weights), batch, channels_last=True, amp=False, **common),
        "ours_nchw": lambda: ours_step(build_ours(options, weights), batch, channels_last=False, amp=False, **common),
        "ours_bf16": lambda: ours_step(build_ours(options, weights), batch, channels_last=True, amp=True, **common),
        "official": lambda: official_step(args.official_repo, weights, batch, **common),
    }
    steps = {name: makers[name]() for name in variants}
    result: dict = {"network": args.profile or "paper", "batch": args.batch, "frames": args.frames,
                    "objects": args.objects, "size": args.size, "threads": args.threads, "rounds": args.rounds,
                    "variants": variants}
    load_start = os.getloadavg()[0]
    seconds, result["loss"] = run_lockstep(steps, args.rounds)  # same weights and batch: ~equal losses in fp32
    for name, values in seconds.items():
        result[f"{name}_median_s"] = statistics.median(values)
    reference = "official" if "official" in steps else variants[0]
    for name, ratios in per_round_ratios(seconds, reference).items():
        q1, median, q3 = quartiles(ratios)
        result[f"speedup_{name}_vs_{reference}"] = median
        result[f"speedup_{name}_vs_{reference}_q1"] = q1
        result[f"speedup_{name}_vs_{reference}_q3"] = q3
    if not args.skip_flops:  # after the timed rounds: FlopCounterMode slows every op down
        # one count (ours, fp32) for every variant: the work the step needs, whoever does it
        # (the official code computes the image features' share of the fusion once per object)
        counted = "ours" if "ours" in steps else variants[0]
        gflop = result["gflop_per_fwd_bwd"] = count_gflop(steps[counted])
        if args.count_official_flops and "official" in steps:
            result["gflop_per_fwd_bwd_official_code"] = count_gflop(steps["official"])
        for name in variants:
            result[f"achieved_gflops_{name}"] = gflop / result[f"{name}_median_s"]
    if not args.skip_peak:
        result["peak_matmul_gflops_fp32"] = matmul_peak_gflops(torch.float32)
        result["peak_matmul_gflops_bf16"] = matmul_peak_gflops(torch.bfloat16)
        for name in variants:
            if f"achieved_gflops_{name}" in result:
                peak = result["peak_matmul_gflops_bf16" if name.endswith("bf16") else "peak_matmul_gflops_fp32"]
                result[f"share_of_peak_{name}"] = result[f"achieved_gflops_{name}"] / peak
    result["seconds"] = seconds
    result["load_average_1min_start_end"] = [load_start, os.getloadavg()[0]]
    for name in variants if args.trace_ops else []:  # last: the profiler slows every op down
        print(f"torch.profiler, one forward + backward of {name}:\n{top_ops_table(steps[name], args.trace_ops)}",
              file=sys.stderr, flush=True)
    for key, value in result.items():
        print(f"{key:34s} {value:.4f}" if isinstance(value, float) else f"{key:34s} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
