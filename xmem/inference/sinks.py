"""Where predictions go: PNG masks, probabilities and per-frame statistics of a video.

Each sink takes the :class:`xmem.inference.predictor.FrameResult` of a frame; ``xmem infer``
writes through all three (:mod:`xmem.inference.runner`), a script may use any of them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from xmem.inference.predictor import FrameResult
from xmem.inference.stats import FRAME_COLUMNS
from xmem.utils.masks import DAVIS_PALETTE


class MaskWriter:
    """``<folder>/<frame>.png``: palette index masks with the first annotation's palette, or the
    DAVIS palette when it has none (a grayscale prompt: without a palette PIL would write a 1-bit
    PNG and every object id would become 1)."""

    def __init__(self, folder: Path, palette: bytes | None = None):
        self.folder = Path(folder)
        self.palette = palette if palette is not None else DAVIS_PALETTE

    def write(self, name: str, result: FrameResult) -> None:
        img = Image.fromarray(result.mask, mode="P")
        img.putpalette(self.palette)
        img.save(self.folder / f"{name}.png")


class ProbabilityWriter:
    """``<folder>/<frame>.npz``: ``prob`` uint8 [N+1, H, W] (probability * 255) and ``object_ids``
    (annotation ids of channels 1..N), for merging runs (multi-scale, flip)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def write(self, name: str, result: FrameResult) -> None:
        if result.probabilities is None:
            return
        np.savez_compressed(
            self.folder / f"{name}.npz",
            prob=np.asarray(result.probabilities.cpu() * 255, dtype=np.uint8),
            object_ids=np.asarray(result.object_ids, dtype=np.int32),
        )


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


class StatsRecorder:
    """One row of :data:`xmem.inference.stats.FRAME_COLUMNS` per processed frame of a video."""

    def __init__(self, video: str, device: torch.device = torch.device("cpu")):
        self.video = video
        self.device = device
        self.rows: list[dict] = []

    def add(self, result: FrameResult) -> None:
        if result.memory is None:
            return
        cuda = self.device.type == "cuda"
        self.rows.append({
            "video": self.video,
            "frame_index": result.index,
            "frame": result.name,
            "process_seconds": result.seconds,
            "is_memory_frame": result.memory.is_memory_frame,
            "memory_bytes": result.memory.memory_bytes,
            "work_elements": result.memory.work_elements,
            "long_elements": result.memory.long_elements,
            "consolidations": result.memory.consolidations,
            "evicted_elements": result.memory.evicted_elements,
            "rss_bytes": _rss_bytes(),
            "cuda_allocated_bytes": torch.cuda.memory_allocated(self.device) if cuda else None,
            "cuda_peak_bytes": torch.cuda.max_memory_allocated(self.device) if cuda else None,
        })

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=FRAME_COLUMNS)
