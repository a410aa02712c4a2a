"""``xmem evaluate``: score predicted masks against ground truth.

    xmem evaluate --gt ANNOTATIONS_ROOT --pred PRED_ROOT --out DIR [--mode davis|lv|youtube]
                  [--sequences FILE] [--processes N] [--seen-categories FILE] [--meta FILE]

Writes ``DIR/global_results.csv``, ``DIR/per-sequence_results.csv`` and
``DIR/per-frame_results.csv``. In ``youtube`` mode without ``--gt`` it writes
``DIR/submission.zip`` for the evaluation server instead.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from xmem.errors import XMemError

log = logging.getLogger(__name__)

MODES = ("davis", "lv", "youtube")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gt", type=Path, default=None,
                        help="ground-truth root: <seq>/<frame>.png (davis, lv; a root with Annotations/ works too) "
                             "or a folder with Annotations/ and meta.json (youtube; omit to build a submission zip)")
    parser.add_argument("--pred", type=Path, required=True, help="predictions: <seq>/<frame>.png")
    parser.add_argument("--out", type=Path, required=True, help="output folder for the CSV files (or submission.zip)")
    parser.add_argument("--mode", choices=MODES, default="davis",
                        help="davis: DAVIS 2017 protocol; lv: Long-time Video (sparse annotations); "
                             "youtube: YouTube-VOS")
    parser.add_argument("--sequences", type=Path, default=None,
                        help="text file with the sequences to evaluate, one per line (default: every GT folder)")
    parser.add_argument("--processes", type=int, default=1, help="worker processes")
    parser.add_argument("--seen-categories", type=Path, default=None,
                        help="youtube: training categories, one per line (or the training meta.json)")
    parser.add_argument("--meta", type=Path, default=None, help="youtube: meta.json (default: GT/meta.json)")
    parser.add_argument("--official-decay-overflow", action="store_true",
                        help="davis/lv: reproduce the official tool's uint8 decay-bin overflow beyond 256 frames")


def _print_table(title: str, table: pd.DataFrame) -> None:
    print(title)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def run(args: argparse.Namespace) -> int:
    from xmem.evaluation.davis import DavisProtocol, evaluate_davis, evaluate_long_video
    from xmem.evaluation.youtube import SUBMISSION_ZIP, evaluate_youtube, write_youtube_submission

    if args.processes < 1:
        raise XMemError(f"--processes {args.processes}: must be at least 1")
    if args.mode == "youtube":
        if args.gt is None:
            target = write_youtube_submission(args.pred, args.out / SUBMISSION_ZIP)
            print(f"wrote {target} (no --gt: submission for the YouTube-VOS server)")
            return 0
        if args.seen_categories is None:
            raise XMemError("--seen-categories: required with --mode youtube and --gt; list the training categories")
        result = evaluate_youtube(args.gt, args.pred, args.seen_categories, sequences=args.sequences,
                                  processes=args.processes, meta_path=args.meta)
    else:
        if args.gt is None:
            raise XMemError(f"--gt: required with --mode {args.mode}; pass the ground-truth annotation root")
        protocol = DavisProtocol(official_uint8_decay=args.official_decay_overflow)
        evaluate = evaluate_davis if args.mode == "davis" else evaluate_long_video
        result = evaluate(args.gt, args.pred, sequences=args.sequences, processes=args.processes, protocol=protocol)
    written = result.write(args.out)
    _print_table(f"global results ({args.mode})", result.global_table)
    print(f"wrote {', '.join(str(p) for p in written.values())}")
    return 0
