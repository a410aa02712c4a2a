"""DAVIS 2017 semi-supervised protocol (also used for the Long-time Video dataset).

The facts reproduced from davis2017-evaluation (semi-supervised task):

* the objects of a sequence are the ids 1..K with K the largest id in its first
  ground-truth frame (void 255 excluded); later ground-truth ids above K are not scored;
* the first and the last ground-truth frame are not scored;
* void pixels (255) in the ground truth are plain background: the semi-supervised task
  passes no void mask to the metrics;
* a predicted id above K is an error (the official tool stops); a predicted object that
  is missing is an empty mask (J = F = 0 where the object is visible, 1 where it is not);
* per object: mean, recall (> 0.5) and decay (4 bins) of J and F over the scored frames;
  global values are plain means over all objects, J&F-Mean = (J-Mean + F-Mean) / 2.

Scored frames are the ground-truth files, so sparse annotations (Long-time Video) are
scored exactly as the official tool scores a DAVIS-formatted copy holding only the
annotated frames. Decay bins use integer edges (see :mod:`xmem.evaluation.statistics`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from xmem.errors import XMemError
from xmem.evaluation.engine import FrameJob, per_frame_table, score_jobs
from xmem.evaluation.inputs import (
    check_predictions_exist,
    list_frames,
    list_sequences,
    read_mask,
    resolve_annotation_root,
)
from xmem.evaluation.metrics import DEFAULT_BOUND_TH
from xmem.evaluation.results import DAVIS_GLOBAL_COLUMNS, DAVIS_SEQUENCE_COLUMNS, EvaluationResult
from xmem.evaluation.statistics import object_statistics

log = logging.getLogger(__name__)

VOID_ID = 255

Sequences = Iterable[str] | str | os.PathLike | None


@dataclass(frozen=True)
class DavisProtocol:
    """Options of the DAVIS-style evaluation.

    Attributes:
        bound_th: boundary tolerance of F (fraction of the image diagonal).
        skip_first_and_last: leave the first and last ground-truth frame unscored.
        official_uint8_decay: reproduce the official uint8 wrap-around of the decay bin
            edges (only differs for sequences with more than 256 scored frames).
    """

    bound_th: float = DEFAULT_BOUND_TH
    skip_first_and_last: bool = True
    official_uint8_decay: bool = False


def first_frame_objects(mask: np.ndarray) -> tuple[int, ...]:
    """Object ids 1..K of a first ground-truth frame ``[H, W]``, K = its largest non-void id."""
    values = mask[mask != VOID_ID]
    top = int(values.max()) if values.size else 0
    return tuple(range(1, top + 1))


def plan_jobs(
    gt_root: Path, pred_root: Path, sequences: list[str], protocol: DavisProtocol
) -> list[FrameJob]:
    """Frame jobs of every sequence; checks that all needed predictions exist."""
    jobs: list[FrameJob] = []
    for seq in sequences:
        frames = list_frames(gt_root / seq)
        objects = first_frame_objects(read_mask(gt_root / seq / f"{frames[0]}.png"))
        scored = frames[1:-1] if protocol.skip_first_and_last else frames
        if not scored:
            raise XMemError(
                f"{gt_root / seq}: only {len(frames)} ground-truth frame(s); the first and last are not scored, "
                f"so at least 3 are needed — drop the sequence from --sequences"
            )
        if not objects:
            log.warning("%s: the first ground-truth frame has no objects; the sequence adds no scores", gt_root / seq)
        check_predictions_exist(pred_root, seq, scored)
        jobs.extend(
            FrameJob(seq, frame, str(gt_root / seq / f"{frame}.png"), str(pred_root / seq / f"{frame}.png"),
                     objects, max_pred_id=len(objects))
            for frame in scored
        )
    return jobs


def summarise(per_frame: pd.DataFrame, official_uint8_decay: bool = False, mode: str = "davis") -> EvaluationResult:
    """Per-object statistics and global means from a per-frame table (rows in frame order)."""
    rows = []
    stats = {"J": [], "F": []}
    for (seq, obj), group in per_frame.groupby(["sequence", "object"], sort=False):
        j = object_statistics(group["J"].to_numpy(), official_uint8=official_uint8_decay)
        f = object_statistics(group["F"].to_numpy(), official_uint8=official_uint8_decay)
        stats["J"].append(j)
        stats["F"].append(f)
        rows.append((f"{seq}_{obj}", j.mean, f.mean))
    per_sequence = pd.DataFrame(rows, columns=DAVIS_SEQUENCE_COLUMNS)
    if not rows:
        raise XMemError("no objects to evaluate: the first ground-truth frames of all sequences are empty")
    j_stats = np.array(stats["J"], dtype=np.float64)  # [objects, (mean, recall, decay)]
    f_stats = np.array(stats["F"], dtype=np.float64)
    j_mean, j_recall, j_decay = j_stats.mean(axis=0)
    f_mean, f_recall, f_decay = f_stats.mean(axis=0)
    global_table = pd.DataFrame(
        [[(j_mean + f_mean) / 2, j_mean, j_recall, j_decay, f_mean, f_recall, f_decay]],
        columns=DAVIS_GLOBAL_COLUMNS,
    )
    return EvaluationResult(global_table, per_sequence, per_frame, mode=mode)


def _evaluate(gt_root, pred_root, sequences: Sequences, processes: int, protocol: DavisProtocol, mode: str):
    gt_dir = resolve_annotation_root(gt_root, "--gt")
    pred_dir = Path(pred_root)
    if not pred_dir.is_dir():
        raise XMemError(f"--pred {pred_dir}: directory not found; pass the folder holding one sub-folder per sequence")
    names = list_sequences(gt_dir, sequences)
    jobs = plan_jobs(gt_dir, pred_dir, names, protocol)
    log.info("evaluating %d frames of %d sequences (%s protocol, %d process(es))",
             len(jobs), len(names), mode, processes)
    scores = score_jobs(jobs, processes=processes, bound_th=protocol.bound_th)
    return summarise(per_frame_table(jobs, scores), protocol.official_uint8_decay, mode=mode)


def evaluate_davis(
    gt_root: str | os.PathLike,
    pred_root: str | os.PathLike,
    sequences: Sequences = None,
    processes: int = 1,
    protocol: DavisProtocol = DavisProtocol(),
) -> EvaluationResult:
    """Evaluate ``pred_root/<seq>/<frame>.png`` against ``gt_root/<seq>/<frame>.png`` (DAVIS 2017).

    Args:
        gt_root: annotation root (or a DAVIS root with ``Annotations/480p``).
        pred_root: prediction root, one folder per sequence.
        sequences: names to evaluate, a file listing them, or None for every GT folder.
        processes: worker processes (1 = in-process).
        protocol: evaluation options.
    """
    return _evaluate(gt_root, pred_root, sequences, processes, protocol, "davis")


def evaluate_long_video(
    gt_root: str | os.PathLike,
    pred_root: str | os.PathLike,
    sequences: Sequences = None,
    processes: int = 1,
    protocol: DavisProtocol = DavisProtocol(),
) -> EvaluationResult:
    """Evaluate Long-time Video predictions: the DAVIS protocol on the annotated frames.

    The ground truth holds masks for a sparse subset of frames and the predictions hold
    every frame; only frames with ground truth are read, the first and last annotated
    frame are not scored, and decay bins are over annotated frames (correct beyond 256).
    """
    return _evaluate(gt_root, pred_root, sequences, processes, protocol, "lv")
