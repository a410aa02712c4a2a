"""Reading a run's outputs: scores in percent, FPS, memory, per-frame statistics.

The one reader of run folders (:class:`xmem.experiments.paths.RunPaths`) for the tables, the
figures and the report. Scores are stored as fractions (``scores/global_results.csv``) and
returned in percent like the paper. :func:`mean_std` is the one aggregation over runs (the
memory-insertion offsets of a cell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xmem.experiments.paths import Run, RunPaths
from xmem.inference.stats import read_frame_stats

#: table metric label -> column of scores/global_results.csv (xmem.evaluation.results)
SCORE_COLUMNS = {
    "J&F": "J&F-Mean", "J": "J-Mean", "F": "F-Mean",
    "G": "G", "J_s": "J-Seen", "F_s": "F-Seen", "J_u": "J-Unseen", "F_u": "F-Unseen",
}


#: the one standard-deviation estimator of the tables and figures (the paper does not say which)
STD_ESTIMATOR = "sample standard deviation (n - 1 in the denominator, numpy ddof=1)"


def mean_std(values: list[float]) -> tuple[float, float]:
    """(mean, sample std) of scores over runs; std is NaN for a single run (the tables leave
    the std cell empty then) and both are NaN without values."""
    if not values:
        return math.nan, math.nan
    std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return float(np.mean(values)), std


@dataclass(frozen=True)
class RunResults:
    """The outputs of the runs under ``results_root``."""

    results_root: Path

    def paths(self, run: Run) -> RunPaths:
        return RunPaths.of(self.results_root, run)

    def score_column(self, run: Run, column: str) -> float | None:
        """A global score column in percent; None when the CSV lacks it or is empty."""
        table = pd.read_csv(self.paths(run).global_scores)
        if column not in table.columns or table.empty:
            return None
        return 100.0 * float(table[column].iloc[0])

    def score(self, run: Run, metric: str) -> float:
        """A table metric (a key of :data:`SCORE_COLUMNS`) in percent."""
        return self.score_column(run, SCORE_COLUMNS[metric])

    def fps(self, run: Run) -> float:
        summary = pd.read_csv(self.paths(run).summary)
        return float(summary["frames"].sum() / summary["process_seconds"].sum())

    def frame_stats(self, run: Run) -> pd.DataFrame | None:
        """Every per-video frame log of a run concatenated, or None when there is none."""
        paths = self.paths(run).video_stats()
        if not paths:
            return None
        return pd.concat([read_frame_stats(p) for p in paths], ignore_index=True)

    def max_memory_mb(self, run: Run) -> tuple[float, bool]:
        """(largest memory of any frame in MiB, whether it is the CUDA peak): the CUDA allocator's
        peak when the per-frame logs hold one (GPU runs), else the bytes held by the memory stores."""
        peak, on_gpu = 0.0, False
        for path in self.paths(run).video_stats():
            frames = pd.read_csv(path)
            cuda = frames["cuda_peak_bytes"].dropna()
            on_gpu = on_gpu or bool(len(cuda))
            peak = max(peak, float(cuda.max() if len(cuda) else frames["memory_bytes"].max()))
        return peak / 2**20, on_gpu
