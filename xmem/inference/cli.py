"""``xmem infer``: segment the videos of a dataset with XMem (or the STCN baseline)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import torch

from xmem.errors import XMemError
from xmem.inference.config import InferenceConfig
from xmem.inference.datasets import DATASETS, list_videos
from xmem.inference.predictor import prepare_network
from xmem.inference.runner import run_videos
from xmem.inference.validation import check_videos, log_processing_sizes, output_lock, prepare_output_dir
from xmem.memory.config import STRATEGIES
from xmem.methods import get_method, method_names

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", required=True, type=Path, help="network weights (official .pth format)")
    p.add_argument("--data", required=True, type=Path, help="dataset root")
    p.add_argument("--out", required=True, type=Path, help="output folder: OUT/<video>/<frame>.png")
    p.add_argument("--model", choices=method_names(), default="xmem", help="a registered method (xmem.methods)")
    p.add_argument("--dataset", choices=DATASETS, default="generic",
                   help="layout of --data (generic: JPEGImages/<video>/, Annotations/<video>/; see docs/inference.md)")
    p.add_argument("--split", choices=("val", "test-dev"), default="val", help="d17 / YouTube-VOS split")
    p.add_argument("--size", type=int, default=480,
                   help="shorter side in pixels, as the official evaluation (480); -1 = native resolution "
                        "(use it for frames smaller than 480 px: no upscaling)")
    p.add_argument("--mem-every", type=int, default=5, help="r: memorise every r-th frame")
    p.add_argument("--mem-offset", type=int, default=0, help="o in [0, r): memorise frames o, o+r, ... after the prompt")
    p.add_argument("--top-k", type=int, default=None, help="top-k filtering (default: the method's; XMem 30, STCN 20)")
    p.add_argument("--min-mid-term-frames", type=int, default=5, help="T_min")
    p.add_argument("--max-mid-term-frames", type=int, default=10, help="T_max")
    p.add_argument("--num-prototypes", type=int, default=128, help="P")
    p.add_argument("--max-long-term-elements", type=int, default=10000, help="LT_max")
    p.add_argument("--deep-update-every", type=int, default=-1,
                   help="-1: with every memory frame; 0: never; k: every k-th frame")
    p.add_argument("--disable-long-term", action="store_true", help="same as --strategy no_long_term")
    p.add_argument("--strategy", choices=STRATEGIES, default=None,
                   help="long-video strategy (Tables 4, 7; default: the method's)")
    p.add_argument("--prototype-selection", choices=("usage", "random", "kmeans"), default="usage",
                   help="how prototypes are picked at consolidation")
    p.add_argument("--no-potentiation", action="store_true", help="consolidate without memory potentiation")
    p.add_argument("--max-memory-frames", type=int, default=50,
                   help="capacity of local_window / frame budget of sparse_insertion")
    p.add_argument("--save", choices=("all", "annotated", "required"), default=None,
                   help="which frames get an output mask (default: all; YouTube-VOS: required)")
    p.add_argument("--save-probs", type=Path, default=None, help="also write per-frame probabilities here")
    p.add_argument("--stats-dir", type=Path, default=None, help="per-frame CSVs (default: OUT/_stats)")
    p.add_argument("--videos", nargs="*", default=None, help="only these videos")
    p.add_argument("--flip", action="store_true", help="process mirrored frames (for flip merging)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the network runs")
    p.add_argument("--amp", action="store_true", help="bf16 autocast on CPU, fp16 on CUDA")
    p.add_argument("--seed", type=int, default=0, help="seed for random / k-means prototype selection")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (they are shown only when stderr is a terminal)")


def build_config(args: argparse.Namespace) -> InferenceConfig:
    """The typed configuration of the options: the method's default memory settings, changed by
    the options given."""
    method = get_method(args.model)
    defaults = method.memory
    strategy = args.strategy or ("no_long_term" if args.disable_long_term else defaults.strategy)
    memory = dataclasses.replace(
        defaults,
        top_k=args.top_k if args.top_k is not None else defaults.top_k,
        strategy=strategy,
        min_work_frames=args.min_mid_term_frames,
        max_work_frames=args.max_mid_term_frames,
        num_prototypes=args.num_prototypes,
        max_long_term_elements=args.max_long_term_elements,
        prototype_selection=args.prototype_selection,
        potentiation=not args.no_potentiation,
        max_memory_frames=args.max_memory_frames,
        seed=args.seed,
    )
    method.check(memory)
    return InferenceConfig(
        mem_every=args.mem_every, mem_offset=args.mem_offset, deep_update_every=args.deep_update_every,
        size=args.size, memory=memory, amp=args.amp, flip=args.flip,
    )


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise XMemError("--device cuda requested but CUDA is not available; use --device cpu")
    device = torch.device(args.device)
    videos = list_videos(args.dataset, args.data, args.split, args.size, args.save)
    if args.videos:
        known = {v.name for v in videos}
        missing = sorted(set(args.videos) - known)
        if missing:
            raise XMemError(f"--videos: {', '.join(missing)} not found in {args.data}")
        videos = [v for v in videos if v.name in set(args.videos)]
    log_processing_sizes(check_videos(videos), config.size)  # every video checked before the first is processed
    for folder, option in ((args.out, "--out"), (args.stats_dir, "--stats-dir"), (args.save_probs, "--save-probs")):
        if folder is not None:
            prepare_output_dir(folder, option)
    with output_lock(args.out):
        network = prepare_network(get_method(args.model).load(args.weights, device), device)
        stats = args.stats_dir or (args.out / "_stats")
        log.info("%s on %d videos from %s (%s) -> %s", args.model, len(videos), args.data, args.dataset, args.out)
        run_videos(network, videos, config, args.out, stats, device, args.save_probs, progress=not args.no_progress)
    return 0
