"""The fusion blocks' weight split, per frame vs once per clip (``weight_parts_reused``), on CPU.

Usage::

    python benchmarks/bench_fusion_weight_split.py [--rounds 9] [--threads 2] [--size 192]

One unit is what a training clip does with the decoder's fusion block of the paper network
(``FusionBlock(1024, 512 + 64, 512, 512)``, channels-last weights, 3 objects, batch 2, features at
stride 16 of a ``size`` x ``size`` crop): ``frames`` forward calls, then one backward through all
of them. ``per_frame`` splits the first convolutions' weights in every call (and copies them in
every backward); ``per_clip`` runs the same calls inside ``weight_parts_reused()``. The two run in
lockstep (order alternating per round, first round a warm-up); printed: the median and
interquartile range of the per-round ratio per_frame / per_clip seconds, and the largest
difference of the weight gradients (the same math: rounding only).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time

import torch

from xmem.model.blocks import FusionBlock, weight_parts_reused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--frames", type=int, default=7, help="fusion calls per clip (8 frames: 7 decoded)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    block = FusionBlock(1024, 576, 512, 512).to(memory_format=torch.channels_last)
    h = args.size // 16
    inputs = [(torch.randn(2, 1024, h, h), torch.randn(2, 3, 576, h, h)) for _ in range(args.frames)]

    def unit(context) -> tuple[float, torch.Tensor]:
        block.zero_grad(set_to_none=True)
        start = time.perf_counter()
        with context():
            total = sum(block(x, g).square().mean() for x, g in inputs)
        total.backward()
        return time.perf_counter() - start, block.block1.conv1.weight.grad.clone()

    contexts = {"per_frame": contextlib.nullcontext, "per_clip": weight_parts_reused}
    seconds: dict[str, list[float]] = {name: [] for name in contexts}
    grads = {}
    for r in range(args.rounds + 1):
        for name in (list(contexts) if r % 2 == 0 else list(reversed(contexts))):
            elapsed, grads[name] = unit(contexts[name])
            if r > 0:
                seconds[name].append(elapsed)
            print(f"round {r} {name}: {elapsed:.3f} s (load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    ratios = [a / b for a, b in zip(seconds["per_frame"], seconds["per_clip"])]
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else ratios * 3
    print(f"rounds {args.rounds}, size {args.size}, frames {args.frames}, threads {args.threads}")
    print(f"per_frame median s {statistics.median(seconds['per_frame']):.3f}, "
          f"per_clip median s {statistics.median(seconds['per_clip']):.3f}")
    print(f"speed-up per_frame / per_clip: median {median:.3f}, IQR {q1:.3f} .. {q3:.3f}")
    diff = (grads["per_frame"] - grads["per_clip"]).abs().max() / grads["per_clip"].abs().max()
    print(f"block1.conv1 weight gradient: max |per_frame - per_clip| / max |per_clip| = {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
