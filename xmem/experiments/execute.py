"""Executing one group job: the weights are loaded once, every run is inferred (or derived)
and scored in this process.

Layout on disk: one folder per run (:class:`xmem.experiments.paths.RunPaths`); the group's
marker (``.complete``) is written last, so an interrupted job is redone from the start (its
run folders are replaced).

Long-time Video: for each offset the longest variant LVn is inferred; a shorter LVk of the same
offset gets ``masks`` as a symbolic link to LVn's masks, ``stats`` cut to its first frames and
its own scores against LVk's ground truth. Processing is causal, so this equals running LVk
(masks, scores, frame statistics), except that the memory bytes of a run whose LVn counts
long-term usage and whose LVk would not (the official length-dependent switch) include the usage
counters. Sparse insertion, whose schedule depends on the length, is never derived (see groups).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from xmem.evaluation.submission import write_submission
from xmem.experiments.groups import GroupJob, MultiscaleJob, RunSpec
from xmem.experiments.paths import HARDWARE_FILE, RunPaths
from xmem.experiments.settings import is_long
from xmem.inference.baselines import copy_first_frame
from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationNetwork
from xmem.inference.datasets import VideoSpec
from xmem.inference.predictor import prepare_network
from xmem.inference.runner import run_videos
from xmem.inference.merge import merge_video
from xmem.inference.stats import MEMORY_COLUMNS, merge_summaries, read_frame_stats, summarize_frames
from xmem.methods import get_method
from xmem.utils.atomic import atomic_path, write_text_atomic
from xmem.utils.cpu import cpu_model
from xmem.utils.precision import describe_precision, resolve_amp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunRecord:
    """What a job did for one run (logged)."""

    run_dir: Path
    derived_from: Path | None
    scored: bool
    infer_seconds: float
    score_seconds: float


def run_dataset(network: SegmentationNetwork, videos: list[VideoSpec], config: InferenceConfig, out: RunPaths,
                device: torch.device, save_probs: bool = False) -> pd.DataFrame:
    """Infer ``videos`` into the run folder ``out`` (masks, stats, optionally probs)."""
    return run_videos(network, videos, config, out.masks, out.stats, device,
                      out.probs if save_probs else None, progress=False)


def derive_prefix_run(source: RunSpec, run: RunSpec) -> None:
    """``run`` (LVk) from ``source`` (LVn, n >= k, same offset): linked masks, cut statistics."""
    run.run_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(source.paths.masks, run.run_dir), run.paths.masks)
    if not source.paths.summary.is_file():
        return  # the copy baseline keeps no statistics
    frames = []
    for video in run.dataset.videos():
        table = read_frame_stats(source.paths.stats / f"{video.name}.csv")
        table = table[table["frame_index"] < len(video.frames)].reset_index(drop=True)
        if len(table) > 1:  # a run never memorises its last frame: LVk's last row holds the memory before it
            last = len(table) - 1
            table.loc[last, "is_memory_frame"] = False
            table.loc[last, MEMORY_COLUMNS] = table.loc[last - 1, MEMORY_COLUMNS].to_numpy()
        with atomic_path(run.paths.stats / f"{video.name}.csv") as tmp:
            table.to_csv(tmp, index=False)
        frames.append(table)
    with atomic_path(run.paths.summary) as tmp:
        summarize_frames(pd.concat(frames, ignore_index=True)).to_csv(tmp, index=False)


def _infer(job: GroupJob, network: SegmentationNetwork | None, run: RunSpec, amp: bool) -> None:
    if network is None:
        for video in run.dataset.videos():
            copy_first_frame(video, run.paths.masks)
        return
    videos = run.dataset.videos(run.config.size, run.save)
    log.info("%s on %d videos from %s (%s) -> %s", job.method, len(videos), run.dataset.root, run.dataset.kind,
             run.paths.masks)
    config = dataclasses.replace(run.config, amp=amp)
    run_dataset(network, videos, config, run.paths, torch.device(job.device), job.save_probs)


def load_job_network(job: GroupJob) -> SegmentationNetwork | None:
    """The job's network, loaded once (None for the first-frame-copy baseline)."""
    if job.method is None:
        return None
    device = torch.device(job.device)
    return prepare_network(get_method(job.method).load(job.weights, device), device)


def describe_hardware(device: str, amp: bool) -> str:
    """The hardware and precision FPS and memory were measured with (each run's ``hardware.txt``)."""
    precision = describe_precision(amp, torch.device(device))
    if device.startswith("cuda") and torch.cuda.is_available():
        return f"GPU {torch.cuda.get_device_name(torch.device(device))}, {precision}"
    return f"CPU {cpu_model()}, {torch.get_num_threads()} torch thread(s), {precision}"


def run_group(job: GroupJob) -> list[RunRecord]:
    """Infer (or derive) and score every run of ``job``, then write its marker."""
    job.marker.unlink(missing_ok=True)
    network = load_job_network(job)
    amp = resolve_amp(job.amp, torch.device(job.device), "inference.amp")
    inferred: dict[int, RunSpec] = {}  # offset -> the Long-time Video run its shorter variants reuse
    records = []
    for run in job.runs:
        if run.run_dir.is_symlink():
            run.run_dir.unlink()
        shutil.rmtree(run.run_dir, ignore_errors=True)  # leftovers of an earlier or interrupted job
        start = time.perf_counter()
        source = inferred.get(run.run.offset) if is_long(run.run.dataset) else None
        if source is None:
            _infer(job, network, run, amp)
            if is_long(run.run.dataset) and run.config.max_frames is None:  # a cut run is no one's prefix
                inferred[run.run.offset] = run
        else:
            derive_prefix_run(source, run)
        produced = time.perf_counter()
        if network is not None:
            write_text_atomic(run.run_dir / HARDWARE_FILE, describe_hardware(job.device, amp) + "\n")
        if run.evaluation is not None:
            run.evaluation.score(run.paths.masks, run.paths.scores)
        if run.server:
            write_submission(run.run.dataset, run.paths.masks, run.paths.submission)
        done = time.perf_counter()
        records.append(RunRecord(run.run_dir, source.run_dir if source else None, run.evaluation is not None,
                                 round(produced - start, 3), round(done - produced, 3)))
        log.info("%s: done in %.1f s%s", run.run_dir, done - start, f" (derived from {source.run_dir})" if source else "")
    write_text_atomic(job.marker, "".join(f"{r.run_dir}\n" for r in records))
    return records


def merge_multiscale(job: MultiscaleJob) -> None:
    """Merge the members' probabilities into one prediction, summarise and score it, then
    write the job's marker. The merged run's time is the sum of its members' times."""
    job.marker.unlink(missing_ok=True)
    shutil.rmtree(job.paths.root, ignore_errors=True)
    for video in job.dataset.videos():
        n = merge_video(video, [m.probs for m in job.members], job.paths.masks)
        log.info("%s: merged %d frames from %d runs", video.name, n, len(job.members))
    summary = merge_summaries([pd.read_csv(m.summary) for m in job.members])
    with atomic_path(job.paths.summary) as tmp:
        summary.to_csv(tmp, index=False)
    if job.evaluation is not None:
        job.evaluation.score(job.paths.masks, job.paths.scores)
    if job.server:
        write_submission(job.code, job.paths.masks, job.paths.submission)
    write_text_atomic(job.marker, f"{job.paths.root}\n")
