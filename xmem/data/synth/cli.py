"""``xmem synth``: generate the embedded synthetic benchmark.

Example::

    xmem synth --out data/synth --config config/synth/default.yaml --seed 0 --processes 2
"""

from __future__ import annotations

import argparse
import time

from xmem.data.synth.benchmark import DATASET_NAMES, generate_benchmark
from xmem.data.synth.config import load_synth_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output root (created atomically; an earlier benchmark "
                                                     "there is replaced)")
    parser.add_argument("--config", default=None, help="YAML profile (default: the built-in default profile, "
                                                       "= config/synth/default.yaml)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes)")
    parser.add_argument("--only", nargs="+", choices=DATASET_NAMES, metavar="NAME",
                        help=f"generate only these datasets: {', '.join(DATASET_NAMES)}")
    parser.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")


def run(args: argparse.Namespace) -> int:
    config = load_synth_config(args.config)
    start = time.perf_counter()
    manifest = generate_benchmark(args.out, config, args.seed, only=args.only, processes=args.processes)
    for name, counts in manifest["datasets"].items():
        print(f"{name}: {counts}")
    print(f"wrote {args.out} (seed {args.seed}) in {time.perf_counter() - start:.1f} s")
    return 0
