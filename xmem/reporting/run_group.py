"""One workflow job: the runs of one (model, dataset, setting) group, inferred and scored in a
single process.

A group holds every memory-insertion offset a profile needs (and, for Long-time Video, every
n-times length: see :func:`xmem.reporting.plan.group_key`). Running them together saves a
process start (torch import, weights) per run; the layout on disk stays one folder per run::

    runs/<model>/<dataset>/<setting>/o<offset>/{masks,stats,scores}
    runs/<model>/<dataset or LV>/<setting>/runs.csv      one row per run, written last

Long-time Video: for each offset the longest variant LVn is inferred; a shorter LVk of the same
offset gets ``masks`` as a symbolic link to LVn's masks, ``stats`` cut to its first frames and
its own scores against LVk's ground truth. Processing is causal, so this equals running LVk
(masks, scores, frame statistics), except that the memory bytes of a run whose LVn counts
long-term usage and whose LVk would not (the official length-dependent switch) include the usage
counters. Sparse insertion, whose schedule depends on the length, is never derived (see plan).

``runs.csv`` is the job's declared output: it exists only when every run of the group is
complete, so an interrupted job is redone from the start (its run folders are replaced).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xmem.errors import XMemError
from xmem.utils.atomic import atomic_path

log = logging.getLogger(__name__)

GROUP_INDEX = "runs.csv"
_MEMORY_COLUMNS = ["memory_bytes", "work_elements", "long_elements"]


@dataclass(frozen=True)
class DatasetSpec:
    """How to read and score one dataset code (see :mod:`xmem.reporting.profile`)."""

    dataset_args: tuple[str, ...]  # xmem infer options naming the data: --dataset ... --data ...
    gt: str | None = None  # ground-truth root; None = not scorable (inference only)
    eval_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSpec:
    dataset: str  # dataset code, e.g. D17 or LV3
    offset: int
    options: tuple[str, ...]  # further xmem infer options (memory settings, r, offset, size)
    run_dir: Path  # runs/<model>/<dataset>/<setting>/o<offset>


@dataclass(frozen=True)
class GroupJob:
    """What to run. ``model_kind`` None means the first-frame-copy baseline (no network)."""

    index: Path  # the runs.csv marker
    model_kind: str | None
    weights: str | None
    datasets: dict[str, DatasetSpec]
    runs: tuple[RunSpec, ...]  # by offset; for Long-time Video the longest variant first
    device: str = "cpu"
    save_probs: bool = False


def _cli(argv: list[str]) -> None:
    """Run an ``xmem`` subcommand in this process; its printed tables go to the log."""
    from xmem.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    for line in buffer.getvalue().splitlines():
        log.info("%s", line)
    if code != 0:
        raise XMemError(f"xmem {argv[0]} failed (exit {code}) for {argv[argv.index('--out') + 1]}; see the log above")


def score_run(run_dir: Path, gt: str, eval_args: tuple[str, ...]) -> None:
    """Evaluate ``run_dir/masks`` into ``run_dir/scores`` (global, per-sequence, per-frame CSVs)."""
    _cli(["evaluate", "--gt", gt, "--pred", str(run_dir / "masks"), "--out", str(run_dir / "scores"),
          *eval_args, "--processes", "1"])


def infer_run(job: GroupJob, run: RunSpec) -> None:
    """Masks (and per-frame statistics) of one run into ``run.run_dir``."""
    data = job.datasets[run.dataset]
    if job.model_kind is None:
        from xmem.inference.baselines import copy_first_frame
        from xmem.inference.datasets import list_videos_from_args

        for video in list_videos_from_args(list(data.dataset_args)):
            copy_first_frame(video, run.run_dir / "masks")
        return
    argv = ["infer", "--model", job.model_kind, "--weights", str(job.weights), *data.dataset_args,
            "--out", str(run.run_dir / "masks"), "--stats-dir", str(run.run_dir / "stats"),
            *run.options, "--device", job.device, "--no-progress"]
    if job.save_probs:
        argv += ["--save-probs", str(run.run_dir / "probs")]
    _cli(argv)


def derive_prefix_run(source: RunSpec, run: RunSpec, data: DatasetSpec) -> None:
    """``run`` (LVk) from ``source`` (LVn, n >= k, same offset): linked masks, cut statistics."""
    from xmem.inference.datasets import list_videos_from_args
    from xmem.inference.runner import summarize_frames

    run.run_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(source.run_dir / "masks", run.run_dir), run.run_dir / "masks")
    stats_in = source.run_dir / "stats"
    if not (stats_in / "summary.csv").is_file():
        return  # the copy baseline keeps no statistics
    frames = []
    for video in list_videos_from_args(list(data.dataset_args)):
        table = pd.read_csv(stats_in / f"{video.name}.csv", dtype={"frame": str})
        table = table[table["frame_index"] < len(video.frames)].reset_index(drop=True)
        if len(table) > 1:  # a run never memorises its last frame: LVk's last row holds the memory before it
            last = len(table) - 1
            table.loc[last, "is_memory_frame"] = False
            table.loc[last, _MEMORY_COLUMNS] = table.loc[last - 1, _MEMORY_COLUMNS].to_numpy()
        with atomic_path(run.run_dir / "stats" / f"{video.name}.csv") as tmp:
            table.to_csv(tmp, index=False)
        frames.append(table)
    with atomic_path(run.run_dir / "stats" / "summary.csv") as tmp:
        summarize_frames(pd.concat(frames, ignore_index=True)).to_csv(tmp, index=False)


def write_group_index(index: Path, rows: list[dict]) -> Path:
    """Write ``runs.csv`` atomically: the marker that the group is complete."""
    with atomic_path(index) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    return index


def _score_summary(run_dir: Path) -> dict:
    scores = run_dir / "scores" / "global_results.csv"
    if not scores.is_file():
        return {}
    row = pd.read_csv(scores).iloc[0].to_dict()
    return {k: row[k] for k in ("J&F-Mean", "G") if k in row}


def run_group(job: GroupJob) -> Path:
    """Infer (or derive) and score every run of ``job``; returns the runs.csv marker."""
    job.index.unlink(missing_ok=True)
    inferred: dict[int, RunSpec] = {}  # offset -> the Long-time Video run its shorter variants reuse
    rows = []
    for run in job.runs:
        if run.run_dir.is_symlink():
            run.run_dir.unlink()
        shutil.rmtree(run.run_dir, ignore_errors=True)  # leftovers of an earlier or interrupted job
        start = time.perf_counter()
        source = inferred.get(run.offset) if run.dataset.startswith("LV") else None
        if source is None:
            infer_run(job, run)
            if run.dataset.startswith("LV"):
                inferred[run.offset] = run
        else:
            derive_prefix_run(source, run, job.datasets[run.dataset])
        produced = time.perf_counter()
        data = job.datasets[run.dataset]
        if data.gt is not None:
            score_run(run.run_dir, data.gt, data.eval_args)
        done = time.perf_counter()
        rows.append({"dataset": run.dataset, "offset": run.offset, "run": str(run.run_dir),
                     "derived_from": str(source.run_dir) if source is not None else "",
                     "scored": data.gt is not None, "infer_seconds": round(produced - start, 3),
                     "score_seconds": round(done - produced, 3), **_score_summary(run.run_dir)})
        log.info("%s: done in %.1f s", run.run_dir, done - start)
    return write_group_index(job.index, rows)
