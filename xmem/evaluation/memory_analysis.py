"""Memory and speed analysis of the per-frame log written by ``xmem infer``.

Pure pandas functions over a DataFrame with the columns of :data:`xmem.inference.stats.FRAME_COLUMNS`, one row per
processed frame (``frame_index`` counts processed frames from 0 within a video). Byte
columns may be empty (NaN), e.g. the CUDA columns on a CPU run.

* :func:`memory_increase_per_frame` — paper §4.1 / Figure 1: (mem[200] - mem[100]) / 100.
* :func:`fps_curve` — Figure S7: per-frame FPS (1 / process_seconds) and a smoothed curve.
* :func:`max_memory` — Table S1 "Max. GPU memory".
* :func:`mean_fps` — frames / total processing seconds.
* :func:`fit_process_time` — Figure S7's linear fit of processing time against frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xmem.errors import XMemError
from xmem.inference.stats import check_frame_stats

#: paper §4.1: memory growth is measured between processed frames 100 and 200
GROWTH_START, GROWTH_END = 100, 200


def _memory_column(group: pd.DataFrame) -> str:
    """``cuda_allocated_bytes`` when the video has any value in it, else ``memory_bytes``."""
    return "cuda_allocated_bytes" if group["cuda_allocated_bytes"].notna().any() else "memory_bytes"


def memory_increase_per_frame(log: pd.DataFrame, start_frame: int = GROWTH_START,
                              end_frame: int = GROWTH_END) -> pd.DataFrame:
    """Average memory increase per frame between two processed frames, per video.

    ``(mem[end_frame] - mem[start_frame]) / (end_frame - start_frame)`` with ``mem`` taken
    from ``cuda_allocated_bytes`` when the video has values there, else ``memory_bytes``.

    Returns columns ``video, source, start_bytes, end_bytes, bytes_per_frame`` (NaN when a
    video has no row for one of the two frames).
    """
    check_frame_stats(log)
    if end_frame <= start_frame:
        raise XMemError(f"memory increase: end frame {end_frame} must come after start frame {start_frame}")
    rows = []
    for video, group in log.groupby("video", sort=False):
        source = _memory_column(group)
        by_index = group.set_index("frame_index")[source]
        start = float(by_index.get(start_frame, np.nan))
        end = float(by_index.get(end_frame, np.nan))
        rows.append((video, source, start, end, (end - start) / (end_frame - start_frame)))
    return pd.DataFrame(rows, columns=["video", "source", "start_bytes", "end_bytes", "bytes_per_frame"])


def fps_curve(log: pd.DataFrame, window: int = 50) -> pd.DataFrame:
    """Per-frame FPS and a smoothed FPS curve, per video.

    ``fps = 1 / process_seconds``; ``fps_smoothed`` is the FPS of the trailing window of
    up to ``window`` frames (frames in the window / their total seconds), which does not
    let single slow frames dominate as a mean of reciprocals would.

    Returns columns ``video, frame_index, fps, fps_smoothed`` in frame order.
    """
    check_frame_stats(log)
    if window < 1:
        raise XMemError(f"fps curve: window {window} must be at least 1")
    parts = []
    for video, group in log.groupby("video", sort=False):
        group = group.sort_values("frame_index")
        seconds = group["process_seconds"].astype(float)
        total = seconds.rolling(window, min_periods=1).sum()
        count = seconds.rolling(window, min_periods=1).count()
        parts.append(
            pd.DataFrame(
                {
                    "video": video,
                    "frame_index": group["frame_index"].to_numpy(),
                    "fps": (1.0 / seconds).to_numpy(),
                    "fps_smoothed": (count / total).to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["video", "frame_index", "fps", "fps_smoothed"])
    return pd.concat(parts, ignore_index=True)


def max_memory(log: pd.DataFrame) -> pd.DataFrame:
    """Maximum memory per video.

    ``max_bytes`` is the maximum of ``cuda_peak_bytes`` when the video has values there
    (the GPU memory of Table S1), else of ``memory_bytes``; ``source`` names the column.
    The maxima of ``memory_bytes`` and ``rss_bytes`` are reported as well.

    Returns columns ``video, source, max_bytes, max_memory_bytes, max_rss_bytes``.
    """
    check_frame_stats(log)
    rows = []
    for video, group in log.groupby("video", sort=False):
        source = "cuda_peak_bytes" if group["cuda_peak_bytes"].notna().any() else "memory_bytes"
        rows.append((video, source, group[source].max(), group["memory_bytes"].max(), group["rss_bytes"].max()))
    return pd.DataFrame(rows, columns=["video", "source", "max_bytes", "max_memory_bytes", "max_rss_bytes"])


def mean_fps(log: pd.DataFrame, by_video: bool = True) -> pd.DataFrame | float:
    """Frames per second as processed frames / total processing seconds.

    With ``by_video`` a table ``video, frames, process_seconds, fps``; otherwise one
    number over all videos together.
    """
    check_frame_stats(log)
    if not by_video:
        total = float(log["process_seconds"].sum())
        return len(log) / total if total > 0 else float("nan")
    table = log.groupby("video", sort=False).agg(
        frames=("frame_index", "size"), process_seconds=("process_seconds", "sum")
    )
    table["fps"] = table["frames"] / table["process_seconds"].where(table["process_seconds"] > 0)
    return table.reset_index()


def fit_process_time(log: pd.DataFrame) -> pd.DataFrame:
    """Least-squares line ``process_seconds ≈ intercept + slope * frame_index`` per video.

    Figure S7 extrapolates STCN's FPS with such a line (FPS = 1 / line). Returns columns
    ``video, intercept, slope``.
    """
    check_frame_stats(log)
    rows = []
    for video, group in log.groupby("video", sort=False):
        x = group["frame_index"].to_numpy(dtype=float)
        y = group["process_seconds"].to_numpy(dtype=float)
        if len(x) < 2 or np.ptp(x) == 0:
            rows.append((video, float(np.mean(y)) if len(y) else np.nan, np.nan))
            continue
        slope, intercept = np.polyfit(x, y, 1)
        rows.append((video, float(intercept), float(slope)))
    return pd.DataFrame(rows, columns=["video", "intercept", "slope"])
