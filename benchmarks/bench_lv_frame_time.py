"""Per-frame inference time on synthetic Long-time Video frames, at candidate frame sizes.

Usage::

    PYTHONPATH=$PWD python benchmarks/bench_lv_frame_time.py [--sizes 128x224 96x160] [--frames 400] [--rounds 2] \
        [--profiles small small-s8]

Generates one synthetic long video per size (``xmem synth`` with the default long-video
scenario), builds the default synthetic networks (``network: {profile: small}`` of
config/train/default_xmem.yaml and default_stcn.yaml; ``--profiles`` for others, e.g. the
stride-8 ``small-s8``) with random weights (speed does not depend on the weights), and runs the
workflow's inference path (``run_videos``: loading, memory, mask writing) with one torch thread,
as the workflow's jobs do. Settings timed:

* ``xmem``: consolidation with P and LT_max scaled by E/1620 (the default profile's rule);
* ``stcn_sparse``: STCN with at most 50 memory frames (Table 1 / Fig. 7);
* ``stcn_unbounded``: STCN keeping every memory frame (Fig. 1 / Fig. S7): its time per frame grows
  with the memory, so the script also fits seconds = a + b * memory elements.

``--precisions float32 bfloat16`` times each setting in both precisions (bfloat16: autocast, the
workflow's ``inference.amp``). Sizes, profiles, settings and precisions are interleaved round by
round (the machine is shared and noisy): compare them as ratios from one run. Prints per-frame
wall medians (frames after the first 50, so that the working memory is full), the CPU time per
frame of each whole run (process time: what a job costs when it has a core to itself, less
sensitive to other load than wall time) and the fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from xmem.data.synth import generate_benchmark
from xmem.data.synth.config import SynthConfig
from xmem.inference.config import InferenceConfig
from xmem.inference.datasets import list_videos
from xmem.inference.predictor import prepare_network
from xmem.inference.runner import run_videos
from xmem.memory.config import MemoryConfig
from xmem.memory.regime import elements_per_frame, scaled_elements
from xmem.model.config import NetworkConfig
from xmem.model.network import XMemNetwork


PRECISIONS = {"float32": False, "bfloat16": True}  # --precisions -> InferenceConfig.amp


def _networks(profile: str, device: torch.device) -> dict[str, torch.nn.Module]:
    """XMem and STCN networks of one architecture profile (random weights)."""
    from baselines.stcn.config import STCNConfig
    from baselines.stcn.network import STCNNetwork

    return {"xmem": prepare_network(XMemNetwork(NetworkConfig.profile(profile)), device),
            "stcn": prepare_network(STCNNetwork(STCNConfig.profile(profile)), device)}


def _video(root: Path, height: int, width: int, frames: int) -> Path:
    base = SynthConfig()
    config = dataclasses.replace(base, height=height, width=width,  # the long video has a size of its own
                                 long_video=dataclasses.replace(base.long_video, lengths=(frames,),
                                                                height=height, width=width))
    generate_benchmark(root, config, seed=0, only=["long_video"])
    return root / "long_video"


def _settings(e: int) -> dict[str, tuple[str, InferenceConfig]]:
    p, lt = scaled_elements(128, e), scaled_elements(10000, e)
    return {
        "xmem": ("xmem", InferenceConfig(mem_every=10, size=-1, memory=MemoryConfig(
            num_prototypes=p, max_long_term_elements=lt))),
        "stcn_sparse": ("stcn", InferenceConfig(mem_every=10, size=-1, memory=MemoryConfig(
            strategy="sparse_insertion", max_memory_frames=50, top_k=20))),
        "stcn_unbounded": ("stcn", InferenceConfig(mem_every=10, size=-1, memory=MemoryConfig(
            strategy="no_long_term", top_k=20))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["128x224", "96x160"], help="HxW frame sizes")
    parser.add_argument("--frames", type=int, default=400, help="frames of the generated video")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument("--settings", nargs="+", default=["xmem", "stcn_sparse", "stcn_unbounded"])
    parser.add_argument("--profiles", nargs="+", default=["small"], help="network profiles (XMem's and STCN's)")
    parser.add_argument("--precisions", nargs="+", default=["float32"], choices=list(PRECISIONS),
                        help="float32 and/or bfloat16 (autocast, as inference.amp: true on a CPU)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    device = torch.device("cpu")
    networks = {profile: _networks(profile, device) for profile in args.profiles}
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roots = {hw: _video(tmp / f"data{hw[0]}x{hw[1]}", *hw, args.frames) for hw in sizes}
        for rnd in range(args.rounds):
            order = [(name, profile, hw, precision) for name in args.settings for profile in args.profiles
                     for hw in sizes for precision in args.precisions]
            for name, profile, hw, precision in (order if rnd % 2 == 0 else order[::-1]):
                e = elements_per_frame(*hw, stride=networks[profile]["xmem"].config.key_stride)
                model, config = _settings(e)[name]
                config = dataclasses.replace(config, amp=PRECISIONS[precision])
                videos = list_videos("lv", roots[hw], save="all")
                out = tmp / f"out{rnd}{name}{profile}{hw[0]}{precision}"
                cpu = time.process_time()
                frames = run_videos(networks[profile][model], videos, config, out / "masks", out / "stats", device,
                                    progress=False)
                cpu = (time.process_time() - cpu) / len(frames)
                frames = frames.assign(setting=f"{name} {profile} {precision}", size=f"{hw[0]}x{hw[1]}", E=e, round=rnd,
                                       cpu_seconds=cpu)
                rows.append(frames)
                steady = frames[frames["frame_index"] >= 50]["process_seconds"]
                print(f"round {rnd} {name:15s} {profile:9s} {precision:8s} {hw[0]}x{hw[1]} (E={e}): wall median "
                      f"{1000 * steady.median():.1f} ms, mean {1000 * steady.mean():.1f} ms; CPU {1000 * cpu:.1f} ms "
                      f"per frame (whole run, all frames)", flush=True)
    table = pd.concat(rows, ignore_index=True)
    steady = table[table["frame_index"] >= 50]
    print("\nper-frame seconds after frame 50 (median over rounds and frames):")
    print(steady.groupby(["setting", "size"])["process_seconds"].agg(["median", "mean", "count"]).to_string())
    print("\nCPU seconds per frame (process time of whole runs / frames; robust to other load):")
    print(table.groupby(["setting", "size", "round"])["cpu_seconds"].first().groupby(["setting", "size"])
          .agg(["min", "mean"]).to_string())
    for (setting, size), group in steady[steady["setting"].str.startswith("stcn_unbounded")].groupby(["setting", "size"]):
        b, a = np.polyfit(group["work_elements"].to_numpy(float), group["process_seconds"].to_numpy(float), 1)
        print(f"{setting} {size}: seconds per frame = {a * 1000:.1f} ms + {b * 1e6:.3f} us x memory elements")


if __name__ == "__main__":
    main()
