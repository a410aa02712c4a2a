"""Scoring frames, in-process or over a process pool.

The unit of work is a :class:`FrameJob`: one ground-truth/prediction pair and the ids to
score in it. Each PNG is read once. Jobs are grouped into chunks of consecutive frames
so that long sequences are split across processes too; results come back in job order.
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from xmem.errors import XMemError
from xmem.evaluation.inputs import read_mask
from xmem.evaluation.metrics import DEFAULT_BOUND_TH, score_objects

log = logging.getLogger(__name__)

PER_FRAME_COLUMNS = ["sequence", "object", "frame", "J", "F"]
CHUNK_FRAMES = 16


@dataclass(frozen=True)
class FrameJob:
    """One frame to score.

    ``max_pred_id``: predicted ids above it are an error (DAVIS rejects ids that are not
    ground-truth objects); ``None`` ignores unknown predicted ids.
    """

    sequence: str
    frame: str
    gt_path: str
    pred_path: str
    object_ids: tuple[int, ...]
    max_pred_id: int | None = None


def score_job(job: FrameJob, bound_th: float = DEFAULT_BOUND_TH) -> tuple[np.ndarray, np.ndarray]:
    """Read one frame pair and return ``(J, F)``, each ``[len(job.object_ids)]``."""
    gt = read_mask(job.gt_path)
    pred = read_mask(job.pred_path, gt.shape, reference=job.gt_path)
    if job.max_pred_id is not None:
        top = int(pred.max())
        if top > job.max_pred_id:
            known = f"ids 1..{job.max_pred_id}" if job.max_pred_id else "it has no objects"
            raise XMemError(
                f"{job.pred_path}: predicted object id {top} is not an object of the first ground-truth frame "
                f"({known}); the DAVIS protocol rejects it — remove that id from the prediction"
            )
    return score_objects(gt, pred, job.object_ids, bound_th)


def _init_worker() -> None:
    """Pool initializer: one OpenCV thread per worker process (the processes are the parallelism)."""
    import cv2

    cv2.setNumThreads(1)


def _score_chunk(args: tuple[Sequence[FrameJob], float]) -> list[tuple[np.ndarray, np.ndarray]]:
    jobs, bound_th = args
    return [score_job(job, bound_th) for job in jobs]


def _chunks(jobs: Sequence[FrameJob], size: int) -> Iterator[list[FrameJob]]:
    """Consecutive jobs of one sequence, at most ``size`` per chunk."""
    chunk: list[FrameJob] = []
    for job in jobs:
        if chunk and (len(chunk) >= size or chunk[-1].sequence != job.sequence):
            yield chunk
            chunk = []
        chunk.append(job)
    if chunk:
        yield chunk


def score_jobs(
    jobs: Sequence[FrameJob], processes: int = 1, bound_th: float = DEFAULT_BOUND_TH
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Score every job; ``processes > 1`` uses a process pool. Results are in job order."""
    if processes < 1:
        raise XMemError(f"--processes {processes}: must be at least 1")
    if processes == 1 or len(jobs) <= 1:
        return [score_job(job, bound_th) for job in jobs]
    # Small enough chunks to balance the load, large enough to amortise inter-process traffic.
    size = max(1, min(CHUNK_FRAMES, -(-len(jobs) // (4 * processes))))
    chunks = list(_chunks(jobs, size))
    results: list[tuple[np.ndarray, np.ndarray]] = []
    # forkserver: forking a process that already runs OpenMP / OpenCV thread pools (e.g. after
    # torch was imported) can deadlock the children
    context = multiprocessing.get_context("forkserver")
    with context.Pool(min(processes, len(chunks)), initializer=_init_worker) as pool:
        for chunk_result in pool.imap(_score_chunk, [(chunk, bound_th) for chunk in chunks]):
            results.extend(chunk_result)
    return results


def per_frame_table(jobs: Sequence[FrameJob], scores: Sequence[tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Long table with one row per (frame, object): columns ``sequence, object, frame, J, F``."""
    counts = [len(job.object_ids) for job in jobs]
    total = sum(counts)
    if total == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(PER_FRAME_COLUMNS, [str, int, str, float, float])})
    return pd.DataFrame(
        {
            "sequence": np.repeat([job.sequence for job in jobs], counts),
            "object": np.concatenate([np.asarray(job.object_ids, dtype=np.int64) for job in jobs]),
            "frame": np.repeat([job.frame for job in jobs], counts),
            "J": np.concatenate([j for j, _ in scores]),
            "F": np.concatenate([f for _, f in scores]),
        },
        columns=PER_FRAME_COLUMNS,
    )
