"""Build the paper's tables: each paper row followed by our measured row (``source`` column).

Measured numbers come from the run folders the workflow wrote under ``results/``:
``runs/<model>/<dataset>/<setting>/o<offset>/scores/global_results.csv`` (fractions; shown in
percent like the paper) and ``.../stats/`` (per-frame timing and memory, see
``xmem.inference.stats``). Cells that a profile cannot measure stay empty and the ``note``
column says why; nothing is invented.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from xmem.experiments.datasets import key_elements_per_frame
from xmem.experiments.paths import Run
from xmem.experiments.plan import Cell, Row, TableSpec
from xmem.experiments.element_counts import key_stride
from xmem.experiments.profile import run_availability, run_unavailable, server_submission
from xmem.memory.config import MemoryConfig
from xmem.reporting.paper import column_label, paper_table
from xmem.reporting.protocol import PAPER_MEASURED, PAPER_ONLY, row_protocol
from xmem.reporting.run_results import STD_ESTIMATOR, RunResults, mean_std
from xmem.reporting.vocabulary import (
    GPU_MEMORY_METRIC,
    PAPER_HARDWARE,
    STORE_MEMORY_METRIC,
    measured_hardware,
    memory_metric,
)
from xmem.utils.atomic import atomic_path

HARDWARE = "hardware"  # column naming where the FPS and memory numbers of a row were measured
HARDWARE_METRICS = ("FPS", GPU_MEMORY_METRIC, STORE_MEMORY_METRIC)


@dataclass(frozen=True)
class TableInputs:
    """What a table reads: the runs' outputs, why a run is unavailable in the profile
    (``availability(run)`` -> (True, "") or (False, reason)) and the key elements per frame
    of a dataset (for the compression ratio)."""

    results: RunResults
    availability: Callable[[Run], tuple[bool, str]]
    frame_hw: Callable[[str], int | None] | None = None
    #: (True, "") when a run's outputs exist without its scores (FPS, memory need no ground truth)
    runnable: Callable[[Run], tuple[bool, str]] | None = None
    #: "<archive> -> <server>" for a run scored by an evaluation server, else ""
    submission: Callable[[Run], str] | None = None
    on_gpu: bool = False  # the profile's device: names an unmeasured memory cell's column


def compression_ratio_pct(frame_hw: int, num_prototypes: int, memory: MemoryConfig = MemoryConfig()) -> float:
    """Compression ratio of one consolidation in percent: (T_max - T_min) frames of ``frame_hw``
    key elements become ``num_prototypes`` prototypes."""
    return 100.0 * (memory.max_work_frames - memory.min_work_frames) * frame_hw / num_prototypes


@dataclass(frozen=True)
class Measurement:
    """One measured cell: value and std over runs (NaN for one run), the number of runs
    (memory-insertion offsets) it averages (None when it is not an average of runs), why it is
    empty, and the metric it holds when that differs from the plan's (memory: GPU or CPU)."""

    value: float
    std: float = math.nan
    runs: int | None = None
    reason: str = ""
    metric: str | None = None

    def column(self, cell: Cell) -> str:
        return column_label(cell.dataset, self.metric or cell.metric)


def measure_cell(cell: Cell, inputs: TableInputs) -> Measurement:
    """The measured value of one cell of a table (see :class:`Measurement`)."""
    if cell.kind == "n/a":
        return Measurement(math.nan)
    if cell.kind == "compression":
        hw = inputs.frame_hw(cell.dataset) if inputs.frame_hw else None
        if not hw:
            return Measurement(math.nan, reason="frame size unknown")
        return Measurement(compression_ratio_pct(hw, dict(cell.params)["P"]))
    runs = cell.runs + cell.baseline
    no_scores = cell.kind in ("fps", "memory_mb")  # timing and memory logs need no ground truth
    availability = inputs.runnable if no_scores and inputs.runnable else inputs.availability
    for run in runs:
        ok, reason = availability(run)
        if not ok:
            metric = memory_metric(inputs.on_gpu) if cell.kind == "memory_mb" else None
            return Measurement(math.nan, runs=0, reason=reason, metric=metric)
    results = inputs.results
    if cell.kind == "fps":
        return Measurement(results.fps(cell.runs[0]), runs=1)
    if cell.kind == "memory_mb":
        megabytes, on_gpu = results.max_memory_mb(cell.runs[0])
        return Measurement(megabytes, runs=1, metric=memory_metric(on_gpu))
    metric = "J&F" if cell.kind == "delta" else cell.metric
    values = [results.score(r, metric) for r in cell.runs]
    mean, std = mean_std(values)  # std kept for the long table even where the wide table omits it
    if cell.kind == "delta":
        base, _ = mean_std([results.score(r, metric) for r in cell.baseline])
        return Measurement(mean - base, runs=len(values))
    if math.isnan(mean):
        return Measurement(mean, std, len(values), f"{metric} undefined on {cell.dataset} (no objects of that kind)")
    return Measurement(mean, std, len(values))


def measured_row(row: Row, inputs: TableInputs) -> dict:
    out: dict = {"method": row.method, "setting": row.setting}
    reasons = []
    for cell in row.cells:
        measured = measure_cell(cell, inputs)
        label = measured.column(cell)
        archive = (inputs.submission(cell.runs[0]) if inputs.submission and cell.runs and math.isnan(measured.value)
                   else "")
        out[label] = f"submitted: {archive}" if archive and cell.kind == "score" else measured.value
        if cell.kind == "n/a":
            out[label] = cell.text
        if cell.with_std:
            out[f"{label} std"] = measured.std
        if measured.reason and measured.reason not in reasons:
            reasons.append(measured.reason)
    notes = [row.note] if row.note else []
    out["note"] = "; ".join(notes + reasons)
    return out


def has_hardware_columns(columns) -> bool:
    """Does a table hold numbers that depend on the hardware (FPS, memory)?"""
    return any(str(c).split(" ")[-1] in HARDWARE_METRICS for c in columns)


def build_table(spec: TableSpec, inputs: TableInputs, config: dict) -> pd.DataFrame:
    """Paper rows (source=paper) interleaved with measured rows (source=<profile>); tables with
    FPS or memory columns get a ``hardware`` column (4th) saying where each row was measured."""
    paper = paper_table(spec.name).reset_index(drop=True)
    paper.insert(0, "source", "paper")
    profile = f"measured ({config['profile']})"
    measured = [(r, {**measured_row(r, inputs), "protocol": row_protocol(r, config)}) for r in spec.rows]
    rows = []
    placed: set[int] = set()
    for index, paper_row in paper.iterrows():
        entry = {**paper_row.to_dict(), "protocol": PAPER_ONLY}
        rows.append(entry)
        key = (paper_row["method"], paper_row["setting"] if isinstance(paper_row["setting"], str) else "")
        for i, (row, values) in enumerate(measured):  # after the first matching paper row only
            follows = (row.paper_row == index if row.paper_row is not None
                       else (row.method, row.paper_setting or row.setting) == key)
            if follows and i not in placed:
                rows.append({"source": profile, **values})
                placed.add(i)
                entry["protocol"] = PAPER_MEASURED
    for i, (_, values) in enumerate(measured):  # measured rows without a paper counterpart (e.g. first-frame copy)
        if i not in placed:
            rows.append({"source": profile, **values})
    table = pd.DataFrame(rows)
    columns = ["source", "method", "setting"] + [c for c in paper.columns if c not in ("source", "method", "setting", "note")]
    extra = [c for c in table.columns if c not in columns and c != "note"]
    extra = [c for c in extra if c != "protocol"]
    table = table[columns + extra + ["protocol", "note"]]
    if has_hardware_columns(table.columns):  # FPS and memory: paper on a V100, measured rows here
        table.insert(3, HARDWARE, [PAPER_HARDWARE if s == "paper" else measured_hardware(config)
                                   for s in table["source"]])
    notes = list(spec.notes)
    if any(cell.with_std for row in spec.rows for cell in row.cells):
        notes.append(f"± = {STD_ESTIMATOR} over the memory-insertion offsets")
    for method, note in spec.paper_notes:
        table["note"] = table.apply(
            lambda r: "; ".join(x for x in (r["note"], note) if x and isinstance(x, str))
            if r["source"] == "paper" and r["method"] == method else r["note"], axis=1)
    for note in notes:
        table["note"] = table.apply(
            lambda r: r["note"] if r["source"] == "paper" else "; ".join(x for x in (r["note"], note) if x), axis=1)
    return table


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """The CSV with one decimal, also in columns that mix numbers and text (server cells)."""
    mixed = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    table = table.assign(**{c: table[c].map(lambda v: f"{v:.1f}" if isinstance(v, float) and not math.isnan(v)
                                            else v) for c in mixed})
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.1f")


def profile_table_inputs(config: dict) -> TableInputs:
    """The inputs of the tables of profile ``config`` (its results folder and availability)."""
    def runnable(run: Run) -> tuple[bool, str]:
        reason = run_unavailable(run, config)
        return not reason, reason

    stride = key_stride("xmem", config)  # Table 6's compression ratio counts XMem's key elements
    return TableInputs(RunResults(Path(config["results"])), lambda run: run_availability(run, config),
                       lambda code: key_elements_per_frame(code, config, stride), runnable,
                       lambda run: server_submission(run, config), on_gpu=config.get("device") == "cuda")
