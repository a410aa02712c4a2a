"""Diagnostic: does XMem's sensory memory make it draw objects that are absent?

Usage::

    PYTHONPATH=$PWD python benchmarks/diag_sensory_absence.py --weights results/models/xmem/network.pth \
        --data data/synthetic/long_video --out /tmp/diag [--zero-hidden]

Runs XMem on a Long-time Video folder with the default profile's long-video memory settings
(r = 10, P and LT_max scaled by E/1620: 4 and 278 on the 80x144 synthetic frames, one torch
thread), scores it (``xmem evaluate --mode lv``) and prints J&F with the visibility split
(:mod:`xmem.reporting.visibility`). ``--zero-hidden`` replaces the hidden state handed to the
decoder by zeros on every frame (a hack, not a method): if absent objects were drawn because the
sensory memory carries them, the share of absent object-frames predicted empty would rise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from xmem.cli import main as xmem_main
from xmem.evaluation.results import PER_FRAME_CSV
from xmem.model.network import XMemNetwork
from xmem.reporting.visibility import object_visible, split_by_visibility


def zero_hidden_state() -> None:
    """Make every decoder call see an all-zero sensory memory."""
    segment = XMemNetwork.segment

    def without_hidden(self, features, readout, hidden, *args, **kwargs):
        return segment(self, features, readout, torch.zeros_like(hidden), *args, **kwargs)

    XMemNetwork.segment = without_hidden


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--data", required=True, help="Long-time Video folder (JPEGImages/, Annotations/)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--zero-hidden", action="store_true")
    p.add_argument("--num-prototypes", type=int, default=14,
                   help="P (default profile: 14 for stride-8 weights, 4 for stride 16; config/config.yaml)")
    p.add_argument("--max-long-term-elements", type=int, default=1111, help="LT_max (1111 at stride 8, 278 at 16)")
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.zero_hidden:
        zero_hidden_state()
    masks, scores = args.out / "masks", args.out / "scores"
    xmem_main(["infer", "--weights", args.weights, "--data", args.data, "--dataset", "lv", "--size", "-1",
               "--mem-every", "10", "--num-prototypes", str(args.num_prototypes),
               "--max-long-term-elements", str(args.max_long_term_elements),
               "--out", str(masks), "--no-progress"])
    gt = Path(args.data) / "Annotations"
    xmem_main(["evaluate", "--mode", "lv", "--gt", str(gt), "--pred", str(masks), "--out", str(scores)])
    frames = pd.read_csv(scores / PER_FRAME_CSV, dtype={"sequence": str, "frame": str})
    score = pd.read_csv(scores / "global_results.csv")["J&F-Mean"].iloc[0]
    print(f"{'zeroed' if args.zero_hidden else 'unchanged'} sensory memory: J&F {100 * score:.1f}; "
          f"{split_by_visibility(frames, object_visible(frames, gt)).describe()}")


if __name__ == "__main__":
    main()
