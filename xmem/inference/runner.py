"""Runs the predictor over the videos of a dataset: loading, outputs, per-frame statistics.

Outputs for a video ``v`` (written into a temporary folder, renamed when the video is done):
  OUT/v/<frame>.png            palette index masks (the first annotation's palette)
  STATS/v.csv                  one row per processed frame (see :mod:`xmem.inference.stats`)
  PROBS/v/<frame>.npz          with --save-probs: ``prob`` uint8 [N+1, H, W] (prob*255),
                               ``object_ids`` (annotation id of channels 1..N)
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import torch
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from xmem.errors import XMemError
from xmem.inference.config import InferenceConfig
from xmem.inference.core import SegmentationNetwork
from xmem.inference.datasets import FrameSpec, VideoSpec
from xmem.inference.predictor import Frame, VideoPredictor, prepare_frame
from xmem.inference.sinks import MaskWriter, ProbabilityWriter, StatsRecorder
from xmem.inference.stats import FRAME_COLUMNS, summarize_frames
from xmem.utils.atomic import atomic_dir, atomic_path
from xmem.utils.masks import read_index_mask, read_palette

log = logging.getLogger(__name__)


def read_rgb(path: Path) -> np.ndarray:
    """[H, W, 3] uint8 RGB of an image file; XMemError naming the file if unreadable."""
    try:
        with Image.open(path) as img:
            return np.array(img.convert("RGB"))
    except FileNotFoundError:
        raise XMemError(f"{path}: frame not found") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise XMemError(f"{path}: cannot read image ({exc}); replace or remove the corrupt frame") from None


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as img:
            return img.height, img.width
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        raise XMemError(f"{path}: cannot read image ({exc})") from None


def load_frame(video: VideoSpec, frame: FrameSpec, size: int) -> Frame:
    """The prepared :class:`Frame` of one frame of a dataset video."""
    rgb = read_rgb(frame.image)
    mask = read_index_mask(frame.mask) if frame.mask is not None else None
    out_shape = rgb.shape[:2]
    if video.size_source_dir is not None and video.size_source_dir != frame.image.parent:
        source = video.size_source_dir / frame.image.name  # e.g. full-resolution input, 480p output
        if source.exists():
            out_shape = _image_size(source)
    return prepare_frame(rgb, size, mask, name=frame.name, output_shape=tuple(out_shape),
                         source=str(frame.mask) if frame.mask is not None else "")


def prefetch_frames(video: VideoSpec, size: int, ahead: int = 3) -> Iterator[Frame]:
    """Load frames in a background thread (like the official DataLoader workers)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        futures = [pool.submit(load_frame, video, f, size) for f in video.frames[:ahead]]
        for i in range(len(video.frames)):
            if i + ahead < len(video.frames):
                futures.append(pool.submit(load_frame, video, video.frames[i + ahead], size))
            yield futures[i].result()
            futures[i] = None


def show_progress(requested: bool) -> bool:
    """Progress bars only on a terminal: redirected into a log they are carriage-return junk."""
    return requested and sys.stderr.isatty()


def run_video(
    network: SegmentationNetwork,
    video: VideoSpec,
    config: InferenceConfig,
    out_root: Path,
    stats_root: Path,
    device: torch.device,
    probs_root: Path | None = None,
    consolidation_observer: Callable | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Segment one video; returns its per-frame measurements (also written to STATS/<video>.csv).
    ``network`` is prepared (:func:`xmem.inference.predictor.prepare_network`)."""
    predictor = VideoPredictor(network, config, device, prepared=True)
    stats = StatsRecorder(video.name, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)  # cuda_peak_bytes: this video's peak, not the process's
    with atomic_dir(out_root / video.name) as out_dir, (
        atomic_dir(probs_root / video.name) if probs_root else nullcontext(None)
    ) as probs_dir:
        masks = MaskWriter(out_dir, read_palette(video.palette_source))
        probs = ProbabilityWriter(probs_dir) if probs_dir is not None else None
        results = predictor.track_frames(prefetch_frames(video, config.size), len(video.frames),
                                         ignore_ids=video.ignore_ids, consolidation_observer=consolidation_observer)
        processed = len(video.frames) if config.max_frames is None else min(config.max_frames, len(video.frames))
        for result in tqdm(islice(results, processed), total=processed, desc=video.name, disable=not show_progress(progress), leave=False,
                           unit="frame"):
            stats.add(result)
            if video.frames[result.index].save:
                masks.write(result.name, result)
                if probs is not None:
                    probs.write(result.name, result)
    table = stats.table()
    with atomic_path(stats_root / f"{video.name}.csv") as tmp:
        table.to_csv(tmp, index=False)
    return table


def run_videos(
    network: SegmentationNetwork,
    videos: list[VideoSpec],
    config: InferenceConfig,
    out_root: Path,
    stats_root: Path,
    device: torch.device,
    probs_root: Path | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Segment several videos; writes STATS/summary.csv last. Returns all per-frame rows.

    Two speeds, logged at the end: FPS (summary.csv, the paper's measure) = processed frames (from
    the prompt on) / their processing seconds (network and resizing; not reading frames or writing
    masks); and the wall-clock rate = every frame of the videos / elapsed time, all I/O included —
    what the progress bar (frame/s) shows.
    """
    tables = []
    wall_start = time.perf_counter()
    for video in tqdm(videos, desc="videos", unit="video", disable=not show_progress(progress)):
        tables.append(run_video(network, video, config, out_root, stats_root, device, probs_root, progress=progress))
    wall_seconds = time.perf_counter() - wall_start
    frames = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=FRAME_COLUMNS)
    summary = summarize_frames(frames)
    with atomic_path(stats_root / "summary.csv") as tmp:
        summary.to_csv(tmp, index=False)
    total_frames, total_seconds = int(summary["frames"].sum()), float(summary["process_seconds"].sum())
    all_frames = sum(len(v.frames) for v in videos)
    log.info("FPS %.2f: %d frames processed in %.1f s (network and resizing only, as the paper's FPS); "
             "wall clock %.2f frames/s: %d frames in %.1f s (reading and writing included, the progress bar's rate)",
             total_frames / total_seconds if total_seconds else float("nan"), total_frames, total_seconds,
             all_frames / wall_seconds if wall_seconds else float("nan"), all_frames, wall_seconds)
    return frames
