"""``xmem train``: train XMem, its ablation variants or the STCN baseline from a YAML config.

Single process:   xmem train --config config/train/default_xmem.yaml --out runs/xmem
Several processes (one per GPU, or gloo on CPU; ``batch_size`` stays the global batch):
                  torchrun --nproc_per_node=2 -m xmem.cli train --config ... --out ...
Resume after an interruption (same config):  xmem train --config ... --out runs/xmem --resume
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from xmem.training.config import load_config

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, type=Path, help="training config (config/train/*.yaml)")
    parser.add_argument("--out", required=True, type=Path, help="output folder (weights, checkpoint, log)")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pth")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set main.iterations=200 (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.no_progress:
        overrides.append("runtime.progress=false")
    config = load_config(args.config, tuple(overrides))
    from xmem.training.trainer import run_training

    result = run_training(config, args.out, resume=args.resume, config_source=str(args.config))
    log.info("trained %s -> %s", ", ".join(f"{k}: {v} it" for k, v in result.completed.items()) or "nothing",
             args.out / "network.pth")
    return 0
