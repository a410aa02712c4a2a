"""The per-frame statistics of a run (``stats/<video>.csv``) and their per-video summary.

One row per processed frame, columns :data:`FRAME_COLUMNS` (``frame_index`` counts processed
frames from 0 within a video; byte columns may be empty, e.g. the CUDA ones on CPU).
``stats/summary.csv`` has one row per video, columns :data:`SUMMARY_COLUMNS`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from xmem.errors import XMemError

FRAME_COLUMNS = [
    "video", "frame_index", "frame", "process_seconds", "is_memory_frame", "memory_bytes",
    "work_elements", "long_elements", "consolidations", "evicted_elements",
    "rss_bytes", "cuda_allocated_bytes", "cuda_peak_bytes",
]
#: what the memory holds after a frame (the rest are identifiers and timings); ``consolidations``
#: and ``evicted_elements`` count the events of the video so far (cumulative)
MEMORY_COLUMNS = ["memory_bytes", "work_elements", "long_elements", "consolidations", "evicted_elements"]
SUMMARY_COLUMNS = ["video", "frames", "process_seconds", "max_memory_bytes", "fps"]


def read_frame_stats(path: str | os.PathLike) -> pd.DataFrame:
    """Read one ``stats/<video>.csv`` (video and frame names as strings), checking its columns."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"video": str, "frame": str})
    except FileNotFoundError:
        raise XMemError(f"{path}: inference log not found; run `xmem infer` first") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise XMemError(f"{path}: cannot parse the inference log ({exc})") from None
    check_frame_stats(table, str(path))
    return table


def check_frame_stats(table: pd.DataFrame, name: str = "inference log") -> None:
    """Raise if ``table`` lacks any of :data:`FRAME_COLUMNS`."""
    missing = [c for c in FRAME_COLUMNS if c not in table.columns]
    if missing:
        raise XMemError(f"{name}: missing column(s) {', '.join(missing)}; expected the per-frame log of `xmem infer`")


def _with_fps(summary: pd.DataFrame) -> pd.DataFrame:
    summary["fps"] = summary["frames"] / summary["process_seconds"]
    return summary[SUMMARY_COLUMNS]


def summarize_frames(frames: pd.DataFrame) -> pd.DataFrame:
    """Per-video totals of per-frame rows: frames, process_seconds, max_memory_bytes, fps."""
    return _with_fps(frames.groupby("video").agg(
        frames=("frame_index", "size"), process_seconds=("process_seconds", "sum"),
        max_memory_bytes=("memory_bytes", "max"),
    ).reset_index())


def merge_summaries(summaries: list[pd.DataFrame]) -> pd.DataFrame:
    """The summary of a prediction merged from several runs (multi-scale): the time of a video
    is the sum of its members' times, its memory the largest member's."""
    members = pd.concat(summaries)
    return _with_fps(members.groupby("video").agg(
        frames=("frames", "max"), process_seconds=("process_seconds", "sum"),
        max_memory_bytes=("max_memory_bytes", "max"),
    ).reset_index())
