"""Build the paper's tables: each paper row followed by our measured row (``source`` column).

Measured numbers come from the run folders the workflow wrote under ``results/``:
``runs/<model>/<dataset>/<setting>/o<offset>/scores/global_results.csv`` (fractions; shown in
percent like the paper) and ``.../stats/`` (per-frame timing and memory, see
``xmem.inference.runner``). Cells that a profile cannot measure stay empty and the ``note``
column says why; nothing is invented.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from xmem.reporting.paper import column_label, paper_table
from xmem.reporting.plan import Cell, Row, Run, TableSpec

DAVIS_COLUMNS = {"J&F": "J&F-Mean", "J": "J-Mean", "F": "F-Mean"}
YOUTUBE_COLUMNS = {"G": "G", "J_s": "J-Seen", "F_s": "F-Seen", "J_u": "J-Unseen", "F_u": "F-Unseen"}


@dataclass(frozen=True)
class RunResults:
    """Reads the outputs of runs under ``results_root``; ``availability(run)`` gives
    (True, "") or (False, reason) for runs this profile cannot score."""

    results_root: Path
    availability: Callable[[Run], tuple[bool, str]]
    frame_hw: Callable[[str], int] | None = None  # dataset -> key-map elements per frame

    def _dir(self, run: Run) -> Path:
        return self.results_root / run.path

    def score(self, run: Run, metric: str) -> float:
        table = pd.read_csv(self._dir(run) / "scores" / "global_results.csv")
        column = DAVIS_COLUMNS.get(metric) or YOUTUBE_COLUMNS[metric]
        return 100.0 * float(table[column].iloc[0])

    def fps(self, run: Run) -> float:
        summary = pd.read_csv(self._dir(run) / "stats" / "summary.csv")
        return float(summary["frames"].sum() / summary["process_seconds"].sum())

    def max_memory_mb(self, run: Run) -> float:
        peak = 0.0
        for path in sorted((self._dir(run) / "stats").glob("*.csv")):
            if path.name == "summary.csv":
                continue
            frames = pd.read_csv(path)
            cuda = frames["cuda_peak_bytes"].dropna()
            peak = max(peak, float(cuda.max() if len(cuda) else frames["memory_bytes"].max()))
        return peak / 2**20


def _mean_std(values: list[float], with_std: bool) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = float(np.mean(values))
    std = float(np.std(values, ddof=1)) if with_std and len(values) > 1 else math.nan
    return mean, std


def measure_cell(cell: Cell, results: RunResults, config: dict) -> tuple[float, float, str]:
    """(value, std, reason-if-empty) of one cell."""
    if cell.kind == "compression":
        hw = results.frame_hw(cell.dataset) if results.frame_hw else None
        if not hw:
            return math.nan, math.nan, "frame size unknown"
        p = dict(cell.params)["P"]
        return 100.0 * 5 * hw / p, math.nan, ""  # (T_max - T_min) frames of HW elements per P prototypes
    runs = cell.runs + cell.baseline
    for run in runs:
        ok, reason = results.availability(run)
        if not ok:
            return math.nan, math.nan, reason
    if cell.kind == "fps":
        return results.fps(cell.runs[0]), math.nan, ""
    if cell.kind == "memory_mb":
        return results.max_memory_mb(cell.runs[0]), math.nan, ""
    metric = "J&F" if cell.kind == "delta" else cell.metric
    mean, std = _mean_std([results.score(r, metric) for r in cell.runs], cell.with_std)
    if cell.kind == "delta":
        base, _ = _mean_std([results.score(r, metric) for r in cell.baseline], False)
        return mean - base, math.nan, ""
    if math.isnan(mean):
        return mean, std, f"{metric} undefined on {cell.dataset} (no objects of that kind)"
    return mean, std, ""


def measured_row(row: Row, results: RunResults, config: dict) -> dict:
    out: dict = {"method": row.method, "setting": row.setting}
    reasons = []
    for cell in row.cells:
        label = column_label(cell.dataset, cell.metric)
        value, std, reason = measure_cell(cell, results, config)
        out[label] = value
        if cell.with_std:
            out[f"{label} std"] = std
        if reason and reason not in reasons:
            reasons.append(reason)
    notes = [row.note] if row.note else []
    out["note"] = "; ".join(notes + reasons)
    return out


def build_table(spec: TableSpec, results: RunResults, config: dict) -> pd.DataFrame:
    """Paper rows (source=paper) interleaved with measured rows (source=<profile>)."""
    paper = paper_table(spec.name).reset_index(drop=True)
    paper.insert(0, "source", "paper")
    measured = {(r.method, r.setting): measured_row(r, results, config) for r in spec.rows}
    profile = f"measured ({config['profile']})"
    rows = []
    placed = set()
    for _, paper_row in paper.iterrows():
        rows.append(paper_row.to_dict())
        key = (paper_row["method"], paper_row["setting"] if isinstance(paper_row["setting"], str) else "")
        if key in measured:
            rows.append({"source": profile, **measured[key]})
            placed.add(key)
    for key, row in measured.items():  # measured rows without a paper counterpart (e.g. first-frame copy)
        if key not in placed:
            rows.append({"source": profile, **row})
    table = pd.DataFrame(rows)
    columns = ["source", "method", "setting"] + [c for c in paper.columns if c not in ("source", "method", "setting", "note")]
    extra = [c for c in table.columns if c not in columns and c != "note"]
    table = table[columns + extra + ["note"]]
    for note in spec.notes:
        table["note"] = table.apply(
            lambda r: r["note"] if r["source"] == "paper" else "; ".join(x for x in (r["note"], note) if x), axis=1)
    return table


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    from xmem.utils.atomic import atomic_path

    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.1f")
